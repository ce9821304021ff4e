"""A message from a peer (``POST /peers/inbox``): checked, applied once, answered (docs/peers.md, "Errors").

Checks, in order: signature headers readable (400 ``bad_signature_headers``), the body is the one its
Content-Digest announces (400 ``digest_mismatch``), the sender (``keyid``) is a registered active peer (401
``unknown_peer``), ``created`` within ``MOTCUA_PEER_WINDOW_SECONDS`` of now (401 ``stale_signature``), the Ed25519
signature verifies with the peer's key (401 ``bad_signature``), the body is JSON whose ``id`` is the signature's
``nonce`` and whose ``from`` is the sender (400 ``unreadable`` / ``nonce_mismatch``).

Then the message id: already received with the same body → the first answer again (200, ``"replayed": true``),
nothing applied; with another body → 409 ``message_id_reused``. Otherwise the message is applied and its
:class:`~motcua.integrations.models.InboxMessage` written in one transaction (the unique (sender, id) decides
between two racing deliveries): a ``send`` makes a local dossier (422 ``unknown_agency``, 404 for an unknown
procedure, 422 ``file_hash_mismatch``…), a ``status`` is recorded in the dossier sent (404 ``unknown_exchange``).
A refusal is not recorded: the same message may come again once the cause is fixed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency
from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import exchange as dossier_exchange
from motcua.dossiers.services.exchange import DECLINED, DONE, PeerFile
from motcua.integrations.models import ExchangeDirection, ExchangeState, InboxMessage, Peer, PeerExchange
from motcua.integrations.peers import keys, signing
from motcua.integrations.peers.signing import Refused

SEND, STATUS = "send", "status"


class Unreadable(MotCuaError):
    status = 400


class Reused(MotCuaError):
    status = 409


def receive(method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    """Check and apply one message; (HTTP status, JSON answer)."""
    try:
        peer, data = authenticate(method, path, headers, body)
        return 200, apply_once(peer, data, hashlib.sha256(body).hexdigest())
    except MotCuaError as error:
        return error.status, error.as_dict()


def authenticate(method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[Peer, dict[str, Any]]:
    signed = signing.parse(headers.get("Signature-Input", ""), headers.get("Signature", ""),
                           headers.get("Content-Digest", ""))
    signing.check_digest(signed, body)
    peer = Peer.objects.filter(code=signed.keyid, is_active=True).first()
    if peer is None:
        raise Refused("unknown_peer", _("%(peer)s is not a registered peer of this instance."),
                      {"peer": signed.keyid[:40]})
    signing.check_created(signed, float(settings.MOTCUA_PEER_WINDOW_SECONDS))
    signing.verify(signed, keys.cached_public(peer.public_key), method=method, path=path)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Unreadable("unreadable", _("The body is not JSON.")) from exc
    if not isinstance(data, dict) or data.get("id") != signed.nonce or data.get("from") != peer.code:
        raise Unreadable("nonce_mismatch", _("The message's id and sender must be the signature's nonce and keyid."))
    if data.get("kind") not in (SEND, STATUS):
        raise Unreadable("unknown_kind", _("Unknown message kind %(kind)s."), {"kind": str(data.get("kind"))[:40]})
    return peer, data


def apply_once(peer: Peer, data: dict[str, Any], digest: str) -> dict[str, Any]:
    message_id = str(data["id"])[:120]
    first = _first_answer(peer, message_id, digest)
    if first is not None:
        return first
    try:
        with transaction.atomic():
            answer, dossier = (_apply_send if data["kind"] == SEND else _apply_status)(peer, data)
            InboxMessage.objects.create(sender=peer.code, message_id=message_id, kind=data["kind"], dossier=dossier,
                                        payload=_summary(data) | {"digest": digest}, result=answer)
    except IntegrityError:  # the same message, delivered twice at once: the other delivery applied it
        first = _first_answer(peer, message_id, digest)
        if first is None:
            raise
        return first
    return answer


def _first_answer(peer: Peer, message_id: str, digest: str) -> dict[str, Any] | None:
    seen = InboxMessage.objects.filter(sender=peer.code, message_id=message_id).first()
    if seen is None:
        return None
    if seen.payload.get("digest") != digest:
        raise Reused("message_id_reused", _(
            "Message %(id)s was received already with another content; a message id is used once."),
            {"id": message_id})
    return {**seen.result, "replayed": True}


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    """What the inbox keeps of a message: everything but the files' contents."""
    kept = {k: v for k, v in data.items() if k != "files"}
    kept["files"] = [{k: v for k, v in f.items() if k != "content"} for f in data.get("files") or []
                     if isinstance(f, dict)]
    return kept


def _files(data: dict[str, Any]) -> list[PeerFile]:
    files = []
    for item in data.get("files") or []:
        try:
            content = base64.b64decode(str(item["content"]), validate=True)
            files.append(PeerFile(content=content, name=str(item.get("name") or "file")[:255],
                                  sha256=str(item["sha256"]), kind=str(item.get("kind") or "other"),
                                  component=item.get("component") if isinstance(item.get("component"), int) else None))
        except (KeyError, TypeError, binascii.Error, ValueError) as exc:
            raise Unreadable("unreadable_file", _("A file of the message has no readable content and SHA-256."),
                             location="files") from exc
    return files


def _apply_send(peer: Peer, data: dict[str, Any]) -> tuple[dict[str, Any], Dossier]:
    dossier_data = data.get("dossier")
    if not isinstance(dossier_data, dict) or not dossier_data.get("code") or not dossier_data.get("procedure"):
        raise Unreadable("unreadable", _("A dossier sent must give its code and procedure."), location="dossier")
    agency = Agency.objects.filter(identifier_code=str(data.get("agency", ""))[:20], is_active=True,
                                   peer_agency__isnull=True).first()
    if agency is None:
        error = MotCuaError("unknown_agency", _("This instance has no agency %(code)s."),
                            {"code": str(data.get("agency", ""))[:20]}, "agency")
        error.status = 422
        raise error
    origin = {"peer": peer.code, "peer_name": peer.name, "code": dossier_data["code"], "message": data["id"],
              "step": dossier_data.get("step") or {}, "history": dossier_data.get("history") or []}
    dossier = dossier_exchange.receive_from_peer(
        agency=agency, procedure=str(dossier_data["procedure"]), applicant=dossier_data.get("applicant") or {},
        form_data=dossier_data.get("form") or {}, components=dossier_data.get("components") or [],
        step=dossier_data.get("step") or {}, files=_files(data), sender=peer.name, origin=origin)
    PeerExchange.objects.create(direction=ExchangeDirection.IN, peer=peer, dossier=dossier,
                                remote_code=str(dossier_data["code"])[:60], message_id=str(data["id"])[:120],
                                state=ExchangeState.WORKING)
    return {"ok": True, "dossier": dossier.code}, dossier


def _apply_status(peer: Peer, data: dict[str, Any]) -> tuple[dict[str, Any], Dossier]:
    exchange = PeerExchange.objects.select_for_update().filter(
        peer=peer, direction=ExchangeDirection.OUT, message_id=str(data.get("exchange", ""))[:120]
    ).select_related("dossier").first()
    if exchange is None:
        raise NotFound("unknown_exchange", _("No dossier was sent to %(peer)s as %(id)s."),
                          {"peer": peer.code, "id": str(data.get("exchange", ""))[:120]})
    raw = data.get("event")
    event: dict[str, Any] = raw if isinstance(raw, dict) else {}
    final = bool(data.get("final")) and exchange.state not in (ExchangeState.DONE, ExchangeState.DECLINED)
    outcome = str(data.get("outcome") or "")
    move, to_step = "", None
    if final:
        if outcome == DONE:
            move = dossier_exchange.BACK if exchange.by_transfer else dossier_exchange.NEXT
        else:
            move = dossier_exchange.BACK
            to_step = None if exchange.by_transfer else exchange.from_step
    remote_code = str(data.get("dossier_code") or exchange.remote_code)[:60]
    dossier = dossier_exchange.record_exchange(
        exchange.dossier.code, sender=peer.name,
        data={"peer": peer.code, "remote_code": remote_code, "remote_event": str(event.get("action", ""))[:40],
              "remote_label": str(event.get("label", ""))[:200], "remote_status": str(event.get("status", ""))[:40],
              "final": bool(data.get("final")), "outcome": outcome},
        note=str(event.get("note") or "")[:1000], move=move, at_step=exchange.step_index,
        held_by=exchange.held_by_id, back_to=exchange.back_to_id, to_step=to_step,
        files=_files(data) if final else ())
    if final:
        exchange.state = ExchangeState.DONE if outcome == DONE else ExchangeState.DECLINED
    exchange.remote_code = remote_code
    exchange.save(update_fields=["state", "remote_code", "updated_at"])
    return {"ok": True, "dossier": dossier.code}, dossier


def send_back(code: str, *, actor: Actor, outcome: str = DONE, note: str = "") -> Dossier:
    """The local officer sends dossier ``code`` (received from a peer) back to the province that asked; the event
    hook sends the final ``status``."""
    exchange = PeerExchange.objects.filter(dossier__code=code, direction=ExchangeDirection.IN).select_related(
        "peer").order_by("-pk").first()
    if exchange is None:
        raise MotCuaError("not_from_a_peer", _("Dossier %(code)s did not come from another province."),
                          {"code": code})
    if outcome not in (DONE, DECLINED):
        outcome = DONE
    dossier = dossier_exchange.finish_for_peer(code, actor=actor, outcome=outcome, note=note, peer=exchange.peer.name)
    PeerExchange.objects.filter(pk=exchange.pk).update(
        state=ExchangeState.DONE if outcome == DONE else ExchangeState.DECLINED)
    return dossier
