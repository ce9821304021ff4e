"""``motcua peer_add CODE URL [--key-file F | --fetch] [--name N]``: register another province's MotCua as a peer.

``--fetch`` reads its public key from ``URL/.well-known/motcua-peer`` (trust on first use: compare the fingerprint
printed with the one the other province's administrators read from ``motcua peer_keys``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotCuaError
from motcua.integrations.peers import keys, registry


class Command(BaseCommand):
    help = "Register (or update) a peer instance: its code, address and Ed25519 public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the peer's code (the keyid it signs with), e.g. 01")
        parser.add_argument("url", help="its base address, e.g. https://motcua.hanoi.gov.vn")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--key-file", help="its public key (PEM), as `motcua peer_keys` printed it there")
        source.add_argument("--fetch", action="store_true",
                            help="read the key from URL/.well-known/motcua-peer (trust on first use)")
        parser.add_argument("--name", default="", help="its name (default: what it says, or the code)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        try:
            if options["fetch"]:
                identity = registry.fetch_identity(options["url"])
                if str(identity["code"]) != options["code"]:
                    raise CommandError(f"{options['url']} says it is {identity['code']}, not {options['code']}.")
                pem, name = str(identity["public_key"]), name or str(identity.get("name") or "")
                self.stderr.write("Key fetched over HTTP (trust on first use): check this fingerprint with the "
                                  "other province's administrators.")
            else:
                pem = Path(options["key_file"]).read_text(encoding="ascii")
            peer, created = registry.add_peer(options["code"], options["url"], pem, name)
        except (MotCuaError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{'Added' if created else 'Updated'} peer {peer.code} {peer.name} at {peer.base_url}, "
                          f"key fingerprint {keys.fingerprint(peer.public_key)}")
