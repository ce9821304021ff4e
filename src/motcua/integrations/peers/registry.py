"""Registering peers: by their public key given in a file, or fetched from their well-known address (trust on
first use: the fingerprint is shown, for the administrators to compare with the other province's)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.integrations.models import Peer
from motcua.integrations.peers import WELL_KNOWN_PATH
from motcua.integrations.peers.keys import fingerprint, parse_public


class PeerUnreachable(MotCuaError):
    status = 502


def fetch_identity(base_url: str) -> dict[str, Any]:
    """What a peer says of itself at its well-known address: code, name, public key."""
    url = base_url.rstrip("/") + WELL_KNOWN_PATH
    try:
        with urllib.request.urlopen(url, timeout=float(settings.MOTCUA_PEER_TIMEOUT)) as response:  # noqa: S310
            data = json.loads(response.read(65536))
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise PeerUnreachable("peer_unreachable", _("%(url)s did not answer: %(error)s"),
                              {"url": url, "error": str(exc)[:200]}) from exc
    if not isinstance(data, dict) or not data.get("public_key") or not data.get("code"):
        raise PeerUnreachable("peer_unreadable", _("%(url)s did not give a code and a public key."), {"url": url})
    return data


def add_peer(code: str, base_url: str, public_key: str, name: str = "") -> tuple[Peer, bool]:
    """Register (or update) peer ``code`` with its address and key; returns it and whether it is new."""
    parse_public(public_key)
    peer, created = Peer.objects.update_or_create(
        code=code, defaults={"base_url": base_url.rstrip("/"), "public_key": public_key.strip() + "\n",
                             "name": name or code, "is_active": True})
    return peer, created


def describe(peer: Peer) -> str:
    return f"{peer.code} {peer.name} {peer.base_url} {fingerprint(peer.public_key)}"
