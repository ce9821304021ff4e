"""``motcua peer_keys``: this instance's Ed25519 key pair for the peers — made under ``MOTCUA_PEER_KEY_FILE`` when
missing — and its public key, code and fingerprint printed (what another province registers with ``peer_add``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from motcua.integrations.peers import keys


class Command(BaseCommand):
    help = "Make this instance's peer key pair if missing and print its public key and fingerprint."

    def handle(self, *args: Any, **options: Any) -> None:
        key, made = keys.ensure_key()
        pem = keys.public_pem(key)
        where = settings.MOTCUA_PEER_KEY_FILE
        self.stderr.write(f"{'Made' if made else 'Kept'} {where} — instance {keys.instance_code()} "
                          f"({keys.instance_name()}), fingerprint {keys.fingerprint(pem)}")
        self.stdout.write(pem.rstrip())
