"""Reads of hand-over records, always scoped: the staff of the giving side and of the receiving side see a batch,
nobody else (a stranger gets :class:`HandoverNotFound`, a 404 that reveals nothing).

Also the candidates of a new batch: which dossiers a giver may hand over now, and to whom.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.core.errors import NotFound
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, IssuedResult
from motcua.dossiers.statuses import Status
from motcua.postal.models import Direction, HandoverBatch, HandoverItem, ItemState

# who works a hand-over: postal staff at a post point, the one-stop and handling staff at an agency
POST_ROLES = frozenset({Role.POSTAL})
AGENCY_ROLES = frozenset({Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.SIGNER})
STAFF_ROLES = POST_ROLES | AGENCY_ROLES


class HandoverNotFound(NotFound):
    def __init__(self, reference: object) -> None:
        super().__init__("handover_not_found", _("No hand-over record %(number)s is yours to see."),
                         {"number": str(reference)[:60]})


def staff_agencies(actor: Actor) -> set[int]:
    """The agencies where ``actor`` may give or receive hand-overs."""
    return actor.agencies_with(*STAFF_ROLES)


def works_at(actor: Actor, agency_id: int) -> bool:
    return bool(actor.roles_at(agency_id) & STAFF_ROLES)


def giver_roles(direction: str) -> frozenset[str]:
    """Postal staff hand dossiers to an agency; an agency's staff hand results to the post."""
    return POST_ROLES if direction == Direction.TO_AGENCY else AGENCY_ROLES


def receiver_roles(direction: str) -> frozenset[str]:
    return AGENCY_ROLES if direction == Direction.TO_AGENCY else POST_ROLES


def may_give(actor: Actor, batch: HandoverBatch) -> bool:
    """Whether ``actor`` is staff of the handing-over side (prepares, signs and sends the record)."""
    return bool(actor.roles_at(batch.giver_id) & giver_roles(batch.direction))


def may_receive(actor: Actor, batch: HandoverBatch) -> bool:
    """Whether ``actor`` is staff of the receiving side (confirms the items, closes and signs)."""
    return bool(actor.roles_at(batch.receiver_id) & receiver_roles(batch.direction))


def batches_for(actor: Actor, *, start: int = 0, count: int = 50) -> list[HandoverBatch]:
    """The batches ``actor``'s agencies gave or received, newest first (a page: ``start``, ``count``)."""
    agencies = staff_agencies(actor)
    if not agencies:
        return []
    rows = (HandoverBatch.objects.filter(Q(giver_id__in=agencies) | Q(receiver_id__in=agencies))
            .select_related("giver", "receiver").order_by("-opened_at", "-pk"))
    return list(rows[start:start + count])


def batch_for(actor: Actor, pk: int, *, lock: bool = False) -> HandoverBatch:
    """One batch ``actor`` may see (giver's or receiver's staff); :class:`HandoverNotFound` otherwise."""
    agencies = staff_agencies(actor)
    rows = HandoverBatch.objects.filter(Q(giver_id__in=agencies) | Q(receiver_id__in=agencies), pk=pk)
    rows = rows.select_for_update(of=("self",)) if lock else rows.select_related("giver", "receiver")
    batch = rows.first() if agencies else None
    if batch is None:
        raise HandoverNotFound(pk)
    return batch


def batch_items(batch: HandoverBatch) -> list[HandoverItem]:
    """The batch's items in the order they were listed (extras after), with each dossier's procedure name."""
    return list(HandoverItem.objects.filter(batch=batch).select_related("dossier__version").only(
        "pk", "batch_id", "code", "state", "originals", "copies", "fee", "confirmed_at", "note", "dossier__code",
        "dossier__applicant_name", "dossier__version__name_vi").order_by("pk"))


# --- candidates of a new batch ------------------------------------------------------------------------------


def _in_active_batch(direction: str) -> Exists:
    return Exists(HandoverItem.objects.filter(dossier=OuterRef("pk"), direction=direction, active=True))


def candidates(direction: str, giver_id: int, receiver_id: int | None = None) -> QuerySet[Dossier]:
    """The dossiers ``giver_id`` may hand over in ``direction`` (to ``receiver_id``, when given), not yet in an
    open or sent batch:

    - ``to_agency``: paper dossiers the post point holds at its reception step (``received``, step 0), whose
      next step is at the receiver;
    - ``to_post``: results ``giver_id`` issued (``result_ready``) whose return step is at the post point
      ``receiver_id`` (the dossier's current holder), not received by the post yet.
    """
    base = Dossier.objects.only("pk", "code", "applicant_name", "plan", "current_agency_id", "version__name_vi",
                                "received_at", "result_issued_at").select_related("version")
    if direction == Direction.TO_AGENCY:
        rows = base.filter(current_agency_id=giver_id, step_index=0, status=Status.RECEIVED, paper=True)
        if receiver_id is not None:
            rows = rows.filter(plan__1__agency=receiver_id)
        return rows.exclude(_in_active_batch(direction)).order_by("received_at", "pk")
    rows = base.filter(status=Status.RESULT_READY, current_agency__kind=AgencyKind.POST_OFFICE).filter(
        Exists(IssuedResult.objects.filter(dossier=OuterRef("pk"), agency_id=giver_id)))
    if receiver_id is not None:
        rows = rows.filter(current_agency_id=receiver_id)
    handed = HandoverItem.objects.filter(dossier=OuterRef("pk"), direction=direction).filter(
        Q(active=True) | Q(state=ItemState.RECEIVED))
    return rows.exclude(Exists(handed)).order_by("result_issued_at", "pk")


@dataclass
class Counterpart:
    agency: Agency
    dossiers: list[Dossier]


def counterparts(direction: str, giver_id: int, limit: int = 1000) -> list[Counterpart]:
    """The receivers ``giver_id`` has dossiers for in ``direction``, each with its candidate dossiers."""
    rows = list(candidates(direction, giver_id)[:limit])
    by_receiver: dict[int, list[Dossier]] = defaultdict(list)
    for dossier in rows:
        receiver = dossier.plan[1]["agency"] if direction == Direction.TO_AGENCY else dossier.current_agency_id
        if receiver is not None:
            by_receiver[int(receiver)].append(dossier)
    agencies = Agency.objects.in_bulk(list(by_receiver))
    return [Counterpart(agencies[pk], found) for pk, found in by_receiver.items() if pk in agencies]


def giver_sides(actor: Actor) -> list[tuple[str, Agency]]:
    """Where ``actor`` may open a batch: (direction, giver agency) — a post point's postal staff hand dossiers to
    agencies, an agency's staff hand results to post points."""
    agencies = Agency.objects.in_bulk(list(staff_agencies(actor)))
    sides = []
    for pk, agency in sorted(agencies.items()):
        if agency.kind == AgencyKind.POST_OFFICE and actor.roles_at(pk) & POST_ROLES:
            sides.append((Direction.TO_AGENCY.value, agency))
        elif agency.kind != AgencyKind.POST_OFFICE and actor.roles_at(pk) & AGENCY_ROLES:
            sides.append((Direction.TO_POST.value, agency))
    return sides


def discrepancy_count(actor: Actor) -> int:
    """Batches of ``actor``'s agencies closed with a missing or extra item (the count badge of the list)."""
    agencies = staff_agencies(actor)
    if not agencies:
        return 0
    return HandoverBatch.objects.filter(Q(giver_id__in=agencies) | Q(receiver_id__in=agencies)).filter(
        Q(missing_count__gt=0) | Q(extra_count__gt=0)).aggregate(n=Count("pk"))["n"]


class RecordAltered(NotFound):
    """The stored PDF of a record is missing or no longer has the fingerprint recorded when it was signed."""

    def __init__(self, number: str) -> None:
        super().__init__("handover_pdf_altered", _(
            "The stored PDF of record %(number)s is missing or was changed after it was signed."), {"number": number})


def record_pdf(batch: HandoverBatch) -> tuple[bytes, str]:
    """The record's latest PDF (the receiver's once closed, else the giver's) and its file name; its bytes are
    checked against the fingerprint taken when it was signed. :class:`HandoverNotFound` before it is signed."""
    stored, digest, kind = ((batch.final_pdf, batch.final_sha256, "xac-nhan") if batch.final_pdf
                            else (batch.sent_pdf, batch.sent_sha256, "ban-giao"))
    if not stored:
        raise HandoverNotFound(batch.number)
    try:
        with stored.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise RecordAltered(batch.number) from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise RecordAltered(batch.number)
    return data, f"{batch.number}-{kind}.pdf"


def agency_id(identifier_code: str) -> int | None:
    """The active agency with this identifier code (the API names agencies by code)."""
    return Agency.objects.filter(identifier_code=identifier_code, is_active=True).values_list(
        "pk", flat=True).first()
