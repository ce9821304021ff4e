"""Dossiers between provinces (issue 14, ``integrations.peers``): the dossier side of the exchange.

- :func:`receive_from_peer`: a dossier another province's MotCua sent for one step of its workflow becomes a
  local dossier of the agency asked, in progress at that step (its processing officers see it in their queue);
- :func:`finish_for_peer`: that agency's officer sends it back — the dossier closes here (``returned`` to the
  requesting province) with an ``exchange`` event, which ``integrations.peers`` turns into the final answer;
- :func:`record_exchange`: on the requesting side, what the other province said, as an ``exchange`` event of the
  original dossier, which moves on (``NEXT``: its next step; ``BACK``: back to the agency that sent it) when the
  answer is final.

``dossiers`` knows nothing of peers: the callers name the peer, its codes and what moved.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Role
from motcua.catalog.models import Channel, Delivery
from motcua.catalog.selectors import procedure_version
from motcua.core import identity
from motcua.core.errors import MotCuaError
from motcua.core.files import atomic_with_files, stored
from motcua.core.uploads import check_upload
from motcua.dossiers import audit, deadlines, rules
from motcua.dossiers.actors import Actor
from motcua.dossiers.codes import next_code
from motcua.dossiers.errors import Conflict, DossierNotFound
from motcua.dossiers.events import record
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, DossierAgency, DossierComponent
from motcua.dossiers.services.actions import Context, _apply, _close, _enter_step
from motcua.dossiers.services.base import now_or
from motcua.dossiers.statuses import TERMINAL, EventKind, Status

NEXT = "next"
BACK = "back"
DONE = "done"  # the other province's agency did what was asked
DECLINED = "declined"  # it could not (the requesting agency takes the dossier back)
OUTCOMES = (DONE, DECLINED)


class FileMismatch(MotCuaError):
    """A file whose content is not the one its SHA-256 announced (422)."""

    status = 422


@dataclass(frozen=True)
class PeerFile:
    """A file that came with a message: its bytes, name, kind, component number and the SHA-256 announced."""

    content: bytes
    name: str
    sha256: str
    kind: str = AttachmentKind.OTHER
    component: int | None = None


def check_files(files: Sequence[PeerFile]) -> None:
    """Refuse the whole message when one file's bytes do not have the SHA-256 it announced."""
    for item in files:
        actual = hashlib.sha256(item.content).hexdigest()
        if actual != item.sha256.lower():
            raise FileMismatch("file_hash_mismatch",
                               _("File %(name)s does not have the SHA-256 announced (%(sha)s)."),
                               {"name": item.name[:100], "sha": item.sha256[:64]}, "files")


def _store_files(dossier: Dossier, files: Sequence[PeerFile]) -> list[dict[str, Any]]:
    """Store ``files`` as attachments of ``dossier`` (checked by content like any upload); inside the caller's
    ``atomic_with_files``. Returns what the event says of them."""
    components = {c.order: c for c in DossierComponent.objects.filter(dossier=dossier)}
    written = []
    for item in files:
        checked = check_upload(io.BytesIO(item.content), item.name, len(item.content))
        if checked.sha256 != item.sha256.lower():
            raise FileMismatch("file_hash_mismatch", _("File %(name)s does not have the SHA-256 announced (%(sha)s)."),
                               {"name": item.name[:100], "sha": item.sha256[:64]}, "files")
        kind = item.kind if item.kind in AttachmentKind.values else AttachmentKind.OTHER
        attachment = Attachment(dossier=dossier, component=components.get(item.component or -1), kind=kind,
                                original_name=item.name[:255], content_type=checked.content_type, size=checked.size,
                                sha256=checked.sha256)
        attachment.file.save(item.name[:100], ContentFile(item.content), save=False)
        stored(attachment.file.storage, attachment.file.name)
        attachment.save()
        written.append({"attachment": attachment.pk, "name": attachment.original_name, "sha256": checked.sha256,
                        "size": checked.size, "kind": kind})
    return written


def receive_from_peer(
    *, agency: Agency, procedure: str, applicant: dict[str, Any], form_data: dict[str, Any],
    components: Sequence[dict[str, Any]], step: dict[str, Any], files: Sequence[PeerFile], sender: str,
    origin: dict[str, Any], now: datetime | None = None,
) -> Dossier:
    """A dossier of another province asked of ``agency`` for one step (``step``: name, days): a new local dossier,
    in progress at that one step, held by ``agency``'s processing officers; its ``submit`` event keeps where it
    came from (``origin``: the peer, its dossier code, its history). ``sender``: the name written as the actor."""
    now = now_or(now)
    version = procedure_version(procedure, on=timezone.localdate(now))
    check_files(files)
    days = str(Decimal(str(step.get("days") or version.processing_days)))
    plan = [{"name": str(step.get("name") or version.name_vi)[:500], "role": Role.PROCESSING,
             "agency": agency.pk, "days": days}]
    calendar = deadlines.calendar()
    due = deadlines.step_due(calendar, now, plan[0])
    with atomic_with_files():
        dossier = Dossier(
            code=next_code(agency, timezone.localdate(now)), procedure=version.procedure, version=version,
            rules_version=rules.ruleset_on(now).code,
            applicant_kind=str(applicant.get("kind") or "person")[:20],
            applicant_name=str(applicant.get("name") or "-")[:300],
            applicant_id_number=identity.normalize(str(applicant.get("id_number") or ""))[:20],
            applicant_phone=str(applicant.get("phone") or "")[:20],
            applicant_email=str(applicant.get("email") or "")[:254],
            applicant_address=str(applicant.get("address") or "")[:500],
            form_data=dict(form_data or {}), channel=Channel.ONLINE, paper=False, receiving_agency=agency,
            delivery=Delivery.ELECTRONIC, fee_total=0, status=Status.IN_PROGRESS, plan=plan, step_index=0,
            current_agency=agency, current_role=Role.PROCESSING, submitted_at=now, received_at=now,
            clock_started_at=now, due_at=due, step_started_at=now, step_due_at=due,
        )
        dossier.save(force_insert=True)
        DossierAgency.objects.create(dossier=dossier, agency=agency)
        DossierComponent.objects.bulk_create([
            DossierComponent(dossier=dossier, order=int(c.get("order") or i), name=str(c.get("name") or "-")[:500],
                             required=bool(c.get("required", True)), originals=int(c.get("originals") or 0),
                             copies=int(c.get("copies") or 0), received=bool(c.get("received", False)))
            for i, c in enumerate(components, start=1)
        ])
        record(dossier, EventKind.SUBMIT, actor=sender[:300], at=now, agency_id=agency.pk, moved_from=("", None),
               data={"from_peer": origin}, changes=audit.snapshot(dossier), notify=False)
        stored_files = _store_files(dossier, files)
        if stored_files:
            record(dossier, EventKind.ATTACH, actor=sender[:300], at=now, data={"files": stored_files},
                   notify=False)
    return dossier


def finish_for_peer(code: str, *, actor: Actor, outcome: str, note: str, peer: str,
                    now: datetime | None = None) -> Dossier:
    """The officer of the agency asked sends dossier ``code`` back to the province that asked (``peer``: its
    name): it closes here as returned to it, with an ``exchange`` event saying ``outcome`` (done or declined)."""
    if outcome not in OUTCOMES:
        raise MotCuaError("unknown_outcome", _("Say whether the work was done or declined."), location="outcome")
    now = now_or(now)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("version").filter(code=code).first()
        if dossier is None:
            raise DossierNotFound(code)
        if dossier.status in TERMINAL:
            raise Conflict("dossier_closed", _("Dossier %(code)s is closed."), {"code": dossier.code})
        roles = actor.roles_at(dossier.current_agency_id) & {Role.PROCESSING, Role.LEADER}
        if not roles or dossier.status not in (Status.IN_PROGRESS, Status.RECEIVED):
            raise Forbidden("not_your_dossier", _(
                "Only a processing officer or leader of the agency holding the dossier sends it back, while it is "
                "being processed."))

        def run(ctx: Context) -> None:
            _close(ctx, Status.RETURNED)
            ctx.dossier.returned_at = ctx.now
            ctx.dossier.returned_to = peer[:300]
            ctx.dossier.timeliness = deadlines.timeliness(ctx.dossier, ctx.now)
            ctx.event_data.update(outcome=outcome, sent_back=True)

        _apply(dossier, EventKind.EXCHANGE, actor, sorted(roles)[0], SimpleNamespace(note=note[:1000]), now,
               dossier.revision, None, run=run)
    return dossier


def record_exchange(code: str, *, sender: str, data: dict[str, Any], note: str = "", move: str = "",
                    at_step: int | None = None, held_by: int | None = None, back_to: int | None = None,
                    to_step: int | None = None, files: Sequence[PeerFile] = (), now: datetime | None = None
                    ) -> Dossier:
    """What another province (``sender``: the name written as the actor) said of dossier ``code``: an ``exchange``
    event with ``data``. With ``move`` the answer is final: if the dossier still waits at step ``at_step`` held by
    ``held_by`` (the other province's agency), it goes on to its next step (``NEXT``), or back (``BACK``) to
    agency ``back_to`` at the same step, or to its earlier step ``to_step``. ``files`` (the other side's results)
    are stored with it."""
    now = now_or(now)
    check_files(files)
    with atomic_with_files():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("version").filter(code=code).first()
        if dossier is None:
            raise DossierNotFound(code)
        waiting = (dossier.step_index == at_step and dossier.current_agency_id == held_by
                   and dossier.status not in TERMINAL)

        def run(ctx: Context) -> None:
            ctx.event_data.update(data)
            if files:
                ctx.event_data["files"] = _store_files(ctx.dossier, files)
            if not move or not waiting:
                return
            if move == NEXT and ctx.dossier.step_index + 1 < len(ctx.dossier.plan):
                _enter_step(ctx, ctx.dossier.step_index + 1)
            elif to_step is not None and 0 <= to_step < ctx.dossier.step_index:
                _enter_step(ctx, to_step)
                if to_step == 0:  # back at reception: received, to be handed over again (``transfer``)
                    ctx.dossier.status = Status.RECEIVED
            elif back_to is not None:
                plan = [dict(step) for step in ctx.dossier.plan]
                plan[ctx.dossier.step_index]["agency"] = back_to
                ctx.dossier.plan = plan
                ctx.dossier.current_agency_id = back_to
                ctx.dossier.assignee_id = None
                if ctx.dossier.status not in (Status.PAUSED, Status.SUPPLEMENT_REQUESTED):
                    ctx.dossier.status = Status.IN_PROGRESS
            ctx.event_data["moved"] = move

        _apply(dossier, EventKind.EXCHANGE, Actor(None, sender[:300]), "", SimpleNamespace(note=note[:1000]), now,
               dossier.revision, dossier.current_agency_id, run=run)
    return dossier
