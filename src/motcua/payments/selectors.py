"""Reads of fees and payments, always scoped: a dossier's payments are for its applicant and the staff of the
agencies involved in it (``dossiers.selectors.visible``); anyone else gets 404, so codes and receipt numbers
reveal nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.catalog.fees import FeeLine, quote
from motcua.core.errors import NotFound
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, DossierAccess
from motcua.dossiers.selectors import visible
from motcua.dossiers.statuses import Status
from motcua.payments.models import Payment, PaymentStatus, Refund, RefundStatus

# A dossier in these statuses is over without a result: nothing more is collected for it.
UNPAYABLE = frozenset({Status.REFUSED, Status.WITHDRAWN})


def declared_exemptions(dossier: Dossier) -> list[str]:
    """The exemption codes the applicant declared in the e-form (``form_data["exemptions"]``)."""
    codes = (dossier.form_data or {}).get("exemptions", []) if isinstance(dossier.form_data, dict) else []
    return [str(code) for code in codes] if isinstance(codes, list) else []


def fee_lines(dossier: Dossier) -> list[FeeLine]:
    """The dossier's fee items with the declared exemptions applied (``catalog.fees.quote``)."""
    return quote(dossier.version, declared_exemptions(dossier), dossier.form_data or {}).lines


def paid_total(dossier: Dossier) -> int:
    return int(Payment.objects.filter(dossier=dossier, status=PaymentStatus.PAID).aggregate(s=Sum("amount"))["s"]
               or 0)


def amount_due(dossier: Dossier) -> int:
    """What is left to pay: the dossier's fee (``fee_total``) less what was paid; 0 for a refused or withdrawn
    dossier."""
    if dossier.status in UNPAYABLE:
        return 0
    return max(dossier.fee_total - paid_total(dossier), 0)


def collection_points(dossier: Dossier) -> set[int]:
    """Where a person may collect ``dossier``'s fee: its receiving point (counter or post point) and the agency
    of its last step, where the result is returned."""
    points = {dossier.receiving_agency_id}
    if dossier.plan:
        points.add(int(dossier.plan[-1]["agency"]))
    return points


def collecting_point(actor: Actor, dossier: Dossier) -> int | None:
    """The point where ``actor`` (reception or postal staff) collects ``dossier``'s fee, or None if none of its
    collection points is theirs."""
    mine = set(actor.agencies_with(Role.RECEPTION, Role.POSTAL)) & collection_points(dossier)
    if dossier.receiving_agency_id in mine:
        return dossier.receiving_agency_id
    return min(mine) if mine else None


@dataclass
class FeeStatus:
    """What the dossier page shows about fees. ``state``: ``"due"``, ``"paid"`` or ``"none"`` (nothing due)."""

    state: str
    total: int  # the dossier's fee
    paid: int
    due: int
    lines: list[FeeLine] = field(default_factory=list)
    receipts: list[Payment] = field(default_factory=list)  # paid payments, oldest first
    pending: Payment | None = None  # a payment started and not yet confirmed
    refunded: int = 0  # given back (refunds done)

    @property
    def label(self) -> Any:
        return {"due": _("Unpaid"), "paid": _("Paid"), "refunded": _("Refunded"),
                "none": _("Nothing to pay")}[self.state]


def payment_status(dossier: Dossier) -> FeeStatus:
    """The fee lines (exemptions applied), the total, what was paid, what is due and the receipts of a dossier."""
    payments = list(Payment.objects.filter(dossier=dossier).order_by("created_at", "pk"))
    receipts = [p for p in payments if p.status == PaymentStatus.PAID]
    paid = sum(p.amount for p in receipts)
    # what was given back (refunds done) shows beside what was paid: a refunded fee is no longer "paid"
    refunded = int(Refund.objects.filter(payment__dossier=dossier, status=RefundStatus.DONE)
                   .aggregate(s=Sum("amount"))["s"] or 0) if receipts else 0
    due = 0 if dossier.status in UNPAYABLE else max(dossier.fee_total - paid, 0)
    state = "due" if due else "refunded" if refunded and refunded >= paid else "paid" if receipts else "none"
    pending = next((p for p in reversed(payments) if p.status == PaymentStatus.PENDING), None)
    return FeeStatus(state=state, total=dossier.fee_total, paid=paid, due=due, lines=fee_lines(dossier),
                     receipts=receipts, pending=pending, refunded=refunded)


def may_see(user: Any, dossier: Dossier) -> bool:
    """The dossier's applicant (its ``applicant_user``) or staff of an agency involved in it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if dossier.applicant_user_id is not None and dossier.applicant_user_id == user.pk:
        return True
    return visible(Actor.for_user(user)).filter(pk=dossier.pk).exists()


def _not_found(code: str) -> NotFound:
    return NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})


def dossier_for(user: Any, code: str) -> Dossier:
    """The dossier ``code`` if ``user`` may pay for it or see its payments (404 otherwise)."""
    dossier = Dossier.objects.select_related("version", "procedure").filter(code=code).first()
    if dossier is None or not may_see(user, dossier):
        raise _not_found(code)
    return dossier


def receipt_for(user: Any, number: str, via: str = "") -> Payment:
    """The paid payment with receipt ``number`` if ``user`` may see its dossier (404 otherwise). With ``via``,
    a staff member's opening of it (it carries the payer's name) is logged in ``DossierAccess``."""
    payment = (
        Payment.objects.select_related("dossier", "dossier__version", "dossier__receiving_agency__parent", "point",
                                       "point__parent", "point__unit__parent", "collected_by",
                                       "dossier__receiving_agency__unit__parent")
        .filter(receipt_number=number, status=PaymentStatus.PAID).first()
    )
    if payment is None or not may_see(user, payment.dossier):
        raise NotFound("receipt_not_found", _("No receipt has the number %(number)s."), {"number": number[:30]})
    if via and payment.dossier.applicant_user_id != user.pk:
        DossierAccess.objects.create(dossier=payment.dossier, user_id=user.pk, via=via)
    return payment


TRANSFER_PREFIX = "HS"


def transfer_reference(code: str) -> str:
    """What a bank transfer's note must carry for dossier ``code`` (the VietQR code fills it in): ``HS`` and the
    code's letters and digits only, because banks drop dots, dashes and spaces from transfer notes —
    ``000.00.12.H56-250715-0007`` → ``HS0000012H562507150007``. A statement line is matched to a dossier by finding
    this reference in its note, whatever the bank did to the spacing and case (:func:`references_in`)."""
    return TRANSFER_PREFIX + "".join(ch for ch in code.upper() if ch.isalnum())


def references_in(note: str) -> str:
    """A transfer note as :func:`transfer_reference` compares it: upper case, letters and digits only."""
    return "".join(ch for ch in note.upper() if ch.isalnum())


# --- refunds ---------------------------------------------------------------------------------------------------


def refunded_total(payment: Payment, *, done_only: bool = False) -> int:
    """What was given back of ``payment``: refunds done, and (unless ``done_only``) those under way — a failed
    refund gives back nothing."""
    statuses = [RefundStatus.DONE] if done_only else [RefundStatus.DONE, RefundStatus.REQUESTED]
    return int(Refund.objects.filter(payment=payment, status__in=statuses).aggregate(s=Sum("amount"))["s"] or 0)


def refundable(payment: Payment, dossier: Dossier) -> bool:
    """Money the dossier does not owe: a ``refund_due`` payment, or a paid one of a refused or withdrawn dossier."""
    return payment.status == PaymentStatus.REFUND_DUE or (
        payment.status == PaymentStatus.PAID and dossier.status in UNPAYABLE)


@dataclass
class RefundRow:
    payment: Payment
    paid: int
    refunded: int

    @property
    def left(self) -> int:
        return self.paid - self.refunded


def refund_rows(dossier: Dossier) -> list[RefundRow]:
    """The dossier's refundable payments with what is left to give back of each (oldest first)."""
    payments = [p for p in Payment.objects.filter(dossier=dossier).order_by("created_at", "pk")
                if refundable(p, dossier)]
    given = dict(Refund.objects.filter(payment__in=payments, status__in=[RefundStatus.DONE, RefundStatus.REQUESTED])
                 .values("payment").annotate(s=Sum("amount")).values_list("payment", "s"))
    return [RefundRow(p, p.amount, int(given.get(p.pk) or 0)) for p in payments]


def refunds_of(dossier: Dossier) -> list[Refund]:
    return list(Refund.objects.filter(payment__dossier=dossier).select_related("payment").order_by("requested_at",
                                                                                                      "pk"))


def payment_by_order(order_ref: str) -> Payment | None:
    return Payment.objects.filter(order_ref=order_ref).first()


def refund_receipt_for(user: Any, number: str) -> Refund:
    """The done refund with receipt ``number`` if ``user`` may see its dossier (404 otherwise)."""
    refund = (Refund.objects.select_related("payment", "payment__dossier", "payment__dossier__version",
                                            "payment__dossier__receiving_agency__parent",
                                            "payment__dossier__receiving_agency__unit__parent")
              .filter(receipt_number=number, status=RefundStatus.DONE).first())
    if refund is None or not may_see(user, refund.payment.dossier):
        raise NotFound("receipt_not_found", _("No receipt has the number %(number)s."), {"number": number[:30]})
    return refund


def has_refunds(dossier: Dossier) -> bool:
    """Whether the dossier's page shows the refund panel: something refundable or refunded (one query)."""
    from django.db.models import Q

    refundable_now = Q(status=PaymentStatus.REFUND_DUE)
    if dossier.status in UNPAYABLE:
        refundable_now |= Q(status=PaymentStatus.PAID)
    return Payment.objects.filter(Q(dossier=dossier) & (refundable_now | Q(refunds__isnull=False))).exists()
