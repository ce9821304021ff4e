"""The portal's side of the outbox: one message per event of the log (written in the event's transaction), and the
handlers that deliver them.

``portal`` (ordering: the dossier's code; key ``<code>#<seq>``): per batch, each dossier's messages are taken
together — its packet built from its state at delivery, all the batch's packets sent in one "add" call, those the
portal already has ("đã tồn tại") in one "update" call — then the events' progress rows in chunks of 10. The
portal drops a progress row whose ``MaDongBo`` (the message key) it has and keeps the newest ``PhienBan`` of a
packet, so a message sent twice changes nothing.

``store`` (an issued result of an applicant with an ID number): the dossier's results pushed to the citizen's
national document store (name, code, fingerprint, download address), idempotent on ``MaDongBo``.

Outcomes: a transport failure, a slow or unreadable answer, a 5xx: retried with the outbox's backoff; a refusal
that sending again cannot fix (4xx, invalid data, unknown procedure): failed for good, shown in the admin.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Event, IssuedResult
from motcua.dossiers.statuses import EventKind, Status
from motcua.integrations import outbox
from motcua.integrations.dvcqg import client as portal
from motcua.integrations.dvcqg import packet as packets
from motcua.integrations.dvcqg.codes import Codes
from motcua.integrations.models import MappingKind, OutboxMessage, System

log = logging.getLogger(__name__)

PORTAL, STORE = System.PORTAL.value, System.STORE.value
BATCH = 200  # messages per handler call
EVENT = "event"
RESULT = "result"


def enabled() -> bool:
    return bool(settings.MOTCUA_DVCQG_URL)


@outbox.on_events
def enqueue(pairs: list[tuple[Any, Any]]) -> None:
    """One ``portal`` message per event (and a ``store`` one per result issued to someone with an ID number), in
    the events' transaction."""
    if not enabled():
        return
    messages = []
    for dossier, event in pairs:
        if event.to_status == Status.DRAFT:
            continue
        key = f"{dossier.code}#{event.seq}"
        messages.append(outbox.Message(system=PORTAL, kind=EVENT, key=key, ordering=dossier.code,
                                       dossier_id=dossier.pk, payload={"seq": event.seq}))
        if event.action == EventKind.ISSUE_RESULT and dossier.applicant_id_number:
            messages.append(outbox.Message(system=STORE, kind=RESULT, key=key, ordering=dossier.code,
                                           dossier_id=dossier.pk, payload={"seq": event.seq}))
    outbox.enqueue_many(messages)


def _failure(error: portal.PortalError | Exception) -> outbox.Outcome:
    if isinstance(error, portal.PortalError):
        return outbox.Outcome(ok=False, error=f"{error.code}: {error.text('en')}", retry=error.retry)
    return outbox.Outcome(ok=False, error=f"{type(error).__name__}: {error}")


def deliver(messages: list[OutboxMessage]) -> dict[int, outbox.Outcome]:
    """The ``portal`` handler: see the module's docstring."""
    outcomes: dict[int, outbox.Outcome] = {}
    groups: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in messages:
        if message.dossier_id is None:
            outcomes[message.pk] = outbox.Outcome(ok=False, error="the dossier no longer exists", retry=False)
        else:
            groups[message.dossier_id].append(message)
    batch = packets.load(groups)
    sent: dict[str, dict[str, Any]] = {}
    for dossier_id, group in groups.items():
        dossier = batch.dossiers.get(dossier_id)
        if dossier is None:
            outcomes.update({m.pk: outbox.Outcome(ok=False, error="the dossier no longer exists", retry=False)
                             for m in group})
        elif dossier.status == Status.DRAFT:
            outcomes.update({m.pk: outbox.Outcome(ok=True, response={"skipped": "draft"}) for m in group})
        else:
            sent[dossier.code] = packets.packet(batch, dossier)
    if not sent:
        return outcomes
    try:
        api = portal.client()
        answers = api.add(list(sent.values()))
        existing = [code for code, row in answers.items() if str(row.get("MaLoi")) == portal.EXISTS]
        if existing:
            answers.update(api.update([sent[code] for code in existing]))
    except portal.PortalError as error:
        failure = _failure(error)
        outcomes.update({m.pk: failure for group in groups.values() for m in group if m.pk not in outcomes})
        return outcomes
    # the progress rows of the accepted dossiers' events, in the messages' order, 10 per call
    accepted: dict[int, dict[str, Any]] = {}
    for dossier_id, group in groups.items():
        dossier = batch.dossiers.get(dossier_id)
        if dossier is None or dossier.code not in sent:
            continue
        row = answers.get(dossier.code, {})
        code = str(row.get("MaLoi"))
        if code == portal.OK:
            accepted[dossier_id] = row
        else:
            refusal = portal.PortalError("portal_refused", _("The national portal refused the dossier: %(code)s "
                                                             "%(message)s."),
                                         {"code": code, "message": row.get("ThongBao", "")},
                                         retry=code == "99")
            outcomes.update({m.pk: _failure(refusal) for m in group})
    events = _events([m for dossier_id in accepted for m in groups[dossier_id]])
    rows = []
    for message in messages:
        owner = message.dossier_id
        if owner is None or owner not in accepted:
            continue
        event = events.get((owner, int(message.payload.get("seq", 0))))
        if event is None:  # nothing left to say of it: the packet went
            outcomes[message.pk] = outbox.Outcome(ok=True, response={"MaLoi": portal.OK, "TienDo": 0})
            continue
        rows.append((message, packets.progress(batch, batch.dossiers[owner], event, message.key)))
    for start in range(0, len(rows), packets.PROGRESS_CHUNK):
        chunk = rows[start:start + packets.PROGRESS_CHUNK]
        try:
            answer = api.progress([row for _message, row in chunk])
        except portal.PortalError as error:
            failure = _failure(error)
            outcomes.update({m.pk: failure for m, _row in chunk})
            if failure.retry:  # the portal is down or slow: the rest waits for the next turn, in order
                outcomes.update({m.pk: outbox.Outcome(ok=False, attempted=False) for m, _row in rows[start
                                 + packets.PROGRESS_CHUNK:]})
                break
            continue
        for message, row in chunk:
            outcomes[message.pk] = outbox.Outcome(ok=True, response={
                "MaLoi": portal.OK, "TrangThaiHoSo": sent[row["MaHoSo"]]["TrangThaiHoSo"],
                "TrangThai": row["TrangThai"], "SoDongTrung": answer.get("SoDongTrung", 0)})
    return outcomes


def _events(messages: list[OutboxMessage]) -> dict[tuple[int, int], Event]:
    """The events the messages were written for (one query)."""
    wanted = {(m.dossier_id, int(m.payload.get("seq", 0))) for m in messages if m.dossier_id is not None}
    if not wanted:
        return {}
    found = Event.objects.filter(dossier_id__in={d for d, _s in wanted}, seq__in={s for _d, s in wanted}
                                 ).select_related("agency").only(
        "dossier_id", "seq", "action", "at", "actor_name", "role", "to_status", "note", "changes", "agency__name")
    return {(e.dossier_id, e.seq): e for e in found if (e.dossier_id, e.seq) in wanted}


def deliver_store(messages: list[OutboxMessage]) -> dict[int, outbox.Outcome]:
    """The ``store`` handler: each message's dossier's issued results pushed to its applicant's document store."""
    outcomes: dict[int, outbox.Outcome] = {}
    ids = {m.dossier_id for m in messages if m.dossier_id is not None}
    batch = packets.load(ids, Codes.load())
    documents: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        dossier = batch.dossiers.get(message.dossier_id or 0)
        if dossier is None or not dossier.applicant_id_number:
            outcomes[message.pk] = outbox.Outcome(ok=False, error="no dossier or no ID number", retry=False)
            continue
        results: list[IssuedResult] = batch.results.get(dossier.pk, [])
        documents[message.pk] = [{
            "SoDinhDanh": dossier.applicant_id_number,
            "TenGiayTo": result.name,
            "MaGiayToKetQua": result.verification_code,
            "SoKyHieu": f"{result.number}/{result.year}/{result.book}",
            "MaHoSo": dossier.code,
            "MaTTHC": batch.codes.get(MappingKind.PROCEDURE, dossier.procedure.code),
            "CoQuanCap": result.agency.name,
            "NgayCap": packets.stamp(result.issued_at),
            "MaBam": result.sha256,
            "DuongDan": packets.result_link(result.verification_code),
            "MaDongBo": f"{message.key}#{result.pk}",
        } for result in results]
    wanted = [document for rows in documents.values() for document in rows]
    if not documents:
        return outcomes
    try:
        answer = portal.client().push_documents(wanted) if wanted else {"MaLoi": portal.OK}
    except portal.PortalError as error:
        failure = _failure(error)
        outcomes.update({pk: failure for pk in documents})
        return outcomes
    for pk, rows in documents.items():
        outcomes[pk] = outbox.Outcome(ok=True, response={"MaLoi": answer.get("MaLoi"), "GiayTo": len(rows)})
    return outcomes


outbox.register(PORTAL, deliver, batch=BATCH)
outbox.register(STORE, deliver_store, batch=BATCH)
