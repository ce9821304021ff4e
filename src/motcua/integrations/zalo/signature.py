"""The signature of Zalo's webhook events: header ``X-ZEvent-Signature: mac=<hex>``, where ``<hex>`` is the
SHA-256 of the app ID, the raw JSON body, the event's ``timestamp`` and the OA secret key, concatenated in that
order (Zalo for Developers, "Webhook"). The OA secret key is the official account's, not the app's."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-ZEvent-Signature"


def mac(*, app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode())
    return "mac=" + digest.hexdigest()


def valid(header: str, *, app_id: str, body: bytes, timestamp: str, oa_secret: str) -> bool:
    if not (header and oa_secret and app_id):
        return False
    expected = mac(app_id=app_id, body=body, timestamp=timestamp, oa_secret=oa_secret)
    return hmac.compare_digest(header.strip().lower(), expected)
