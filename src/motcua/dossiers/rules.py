"""The one-stop rules of law, versioned by effective date; each dossier keeps the version it was received under.

Decree 61/2018/NĐ-CP (amended by Decree 107/2021, guided by Circular 01/2018/TT-VPCP) governed the one-stop
mechanism until 30 June 2025; Decree 118/2025/NĐ-CP (guided by Circular 03/2025/TT-VPCP) replaced it on
1 July 2025. The figures below are the same in both; what differs is the legal basis printed on the slips and
how an apology is worded. A future decree is a new :class:`RuleSet` appended to ``RULESETS``.

Each rule is checked in exactly one function here; ``dossiers.services`` calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Delivery, FeeTiming
from motcua.core.calendar import VN_TZ, WorkingCalendar
from motcua.core.errors import MotCuaError
from motcua.core.formats import dong

if TYPE_CHECKING:
    from motcua.dossiers.models import Dossier


@dataclass(frozen=True)
class RuleSet:
    code: str
    decree: str
    circular: str
    effective_from: date
    # Decree 45/2020 art. 11: an online dossier is acknowledged (or sent a supplement request) within 8 working hours
    online_ack_hours: int = 8
    # a supplement found necessary after acceptance must be requested within 3 working days
    late_supplement_days: int = 3
    supplements_at_reception: int = 1  # one complete, written request at reception
    supplements_after_acceptance: int = 1
    # paper dossiers received after 15:00 are transferred the next working morning
    paper_transfer_cutoff: time = time(15, 0)
    apology_new_dates: int = 1  # the new appointment date may be set only once
    # a dossier received through the public postal service: its handling time counts from the moment the
    # competent agency receives it from the postal worker (``"agency_receipt"``, see :func:`postal_clock_start`)
    postal_clock_from: str = "agency_receipt"
    apology_title: str = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"


RULESETS: tuple[RuleSet, ...] = (
    RuleSet(
        code="61/2018", decree="Nghị định số 61/2018/NĐ-CP", circular="Thông tư số 01/2018/TT-VPCP",
        effective_from=date(2018, 8, 21),
    ),
    RuleSet(
        code="118/2025", decree="Nghị định số 118/2025/NĐ-CP", circular="Thông tư số 03/2025/TT-VPCP",
        effective_from=date(2025, 7, 1),
        apology_title="PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT HỒ SƠ",
    ),
)


def ruleset_on(moment: datetime | date) -> RuleSet:
    """The rules in force on ``moment`` (the last one that took effect on or before it)."""
    day = moment.astimezone(VN_TZ).date() if isinstance(moment, datetime) else moment
    current = RULESETS[0]
    for ruleset in RULESETS:
        if ruleset.effective_from <= day:
            current = ruleset
    return current


def ruleset(code: str) -> RuleSet:
    for candidate in RULESETS:
        if candidate.code == code:
            return candidate
    raise KeyError(code)


class RuleBroken(MotCuaError):
    status = 409


def check_supplement_request(dossier: Dossier, now: datetime, calendar: WorkingCalendar) -> str:
    """One complete request at reception; after acceptance, one, within 3 working days. Returns the phase."""
    rules = ruleset(dossier.rules_version)
    if dossier.received_at is None:
        if dossier.supplements_at_reception >= rules.supplements_at_reception:
            raise RuleBroken(
                "supplement_already_requested",
                _("A supplement was already requested at reception; the request must be made once, complete."),
            )
        return "reception"
    if dossier.supplements_after_acceptance >= rules.supplements_after_acceptance:
        raise RuleBroken(
            "supplement_already_requested",
            _("A supplement was already requested after acceptance; it may be requested only once."),
        )
    limit = calendar.add_working_days(dossier.received_at, rules.late_supplement_days)
    if now > limit:
        raise RuleBroken(
            "supplement_window_closed",
            _("A supplement must be requested within %(days)d working days of acceptance (until %(limit)s)."),
            {"days": rules.late_supplement_days, "limit": limit.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")},
        )
    return "handling"


def transfer_moment(dossier: Dossier, now: datetime, calendar: WorkingCalendar) -> datetime:
    """When the dossier reaches the processing agency: at once if electronic; a paper dossier the same working
    day, or the next working morning when it leaves after the cut-off (15:00) or outside working hours."""
    if not dossier.paper:
        return now
    rules = ruleset(dossier.rules_version)
    local = calendar.localize(now)
    cutoff = datetime.combine(local.date(), rules.paper_transfer_cutoff, VN_TZ)
    if calendar.is_working_moment(local) and local <= cutoff:
        return now
    # the next working morning: the start of the first working period after today (or later today, if before)
    day = local.date() if local < datetime.combine(local.date(), calendar.periods[0][0], VN_TZ) else (
        local.date() + timedelta(days=1))
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, calendar.periods[0][0], VN_TZ)


def postal_clock_start(dossier: Dossier, handed_over_at: datetime) -> datetime:
    """When the legal clock of a dossier received through the public postal service starts: the moment the
    competent agency receives it from the postal worker (the hand-over record's confirmation), not the moment
    the post point accepted it from the applicant.

    Legal basis: Decision 45/2016/QĐ-TTg of 19 October 2016 (in force 16 December 2016; 4 chapters, 21 articles) on
    receiving dossiers and returning results of administrative procedures through the public postal service. The
    postal worker checks, seals and carries the dossier and hands it over with the fees collected; the competent
    agency "bố trí người tiếp nhận hồ sơ và tiền phí, lệ phí (nếu có) do bưu điện chuyển đến" and handles it
    within the time the law sets for the procedure, counted from its receipt of the dossier from the postal
    worker (Circular 17/2017/TT-BTTTT art. 5: the hand-over against a record signed by both sides). The text
    quoted is from published summaries of the Decision (plo.vn, 16 Dec 2016; skhdt.thanhhoa.gov.vn); the
    Decision's own article on the start of the handling time could not be retrieved here and should be checked
    against the official gazette. The same under Decree 61/2018 and Decree 118/2025, which left the postal channel
    to that Decision; a later rule that counts otherwise gets another ``postal_clock_from`` value in its
    :class:`RuleSet`.
    """
    rules = ruleset(dossier.rules_version)
    if rules.postal_clock_from == "agency_receipt":
        return handed_over_at
    raise ValueError(f"unknown postal clock rule {rules.postal_clock_from!r}")


def check_transfer_from_post(dossier: Dossier, *, held_at_post_office: bool) -> None:
    """Paper received at a post point reaches the competent agency only against a signed hand-over record, whose
    confirmation starts the clock (:func:`postal_clock_start`): the plain ``transfer`` action would skip both, so
    it is refused for a paper dossier a post-office point holds at its reception step."""
    if held_at_post_office and dossier.paper and dossier.step_index == 0:
        raise RuleBroken("handover_required", _(
            "Papers received at a post point go to the agency with a hand-over record, whose confirmation starts "
            "the legal time: add dossier %(code)s to one (Hand-over records)."), {"code": dossier.code})


def online_ack_deadline(dossier: Dossier, calendar: WorkingCalendar) -> datetime | None:
    """An online dossier must be accepted or answered within 8 working hours of submission."""
    if dossier.channel != "online":
        return None
    return calendar.add_working_hours(dossier.submitted_at, ruleset(dossier.rules_version).online_ack_hours)


def check_apology(dossier: Dossier, now: datetime, new_date: datetime) -> None:
    """Before the due date passes; a later date than the due date; the new date only once."""
    rules = ruleset(dossier.rules_version)
    if dossier.apology_due_at is not None and rules.apology_new_dates <= 1:
        raise RuleBroken(
            "apology_already_given",
            _("A new appointment date was already set; it may be set only once."),
        )
    if dossier.due_at is None or now >= dossier.due_at:
        raise RuleBroken(
            "apology_too_late",
            _("The apology must be issued before the due date passes."),
        )
    if new_date <= dossier.due_at:
        raise RuleBroken(
            "apology_date_not_later",
            _("The new appointment must be later than the current due date."),
            location="new_due_at",
        )


# --- fees: when the fee of a dossier must have been paid ----------------------------------------------------------

# The moments the fee rule is checked at (``check_fee_settled``).
RECEPTION = "reception"  # the dossier is accepted (counter, post point, online)
HANDOVER_TO_POST = "handover_to_post"  # the result is handed to the post for delivery to the applicant's address
RELEASE = "release"  # the result reaches the applicant: returned at the counter, delivered, downloaded


class FeeDue(RuleBroken):
    """A fee is still due at a moment the procedure's rule says it must have been paid (409, ``fee_due``); the
    API's body carries ``amount_due`` (VND)."""

    def __init__(self, code: str, due: int, moment: str) -> None:
        self.amount_due = due
        message = {
            RECEPTION: _("Dossier %(code)s cannot be accepted until its fee is paid: %(amount)s is due (this "
                         "procedure's fee is paid before reception)."),
            HANDOVER_TO_POST: _("The result of dossier %(code)s cannot be handed to the post until its fee is paid: "
                                "%(amount)s is due."),
        }.get(moment, _("An unpaid dossier cannot release its result: %(amount)s is still due on dossier %(code)s. "
                        "Record the payment first."))
        super().__init__("fee_due", message, {"code": code, "amount": dong(due)})

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "amount_due": self.amount_due}


def fee_due(dossier: Dossier) -> int:
    """What is left to pay on ``dossier`` (VND): its fee less what was paid and not refunded (``fee_paid``)."""
    return max(dossier.fee_total - dossier.fee_paid, 0)


def fee_required(dossier: Dossier, moment: str) -> bool:
    """Whether the procedure's fee rule (``ProcedureVersion.fee_timing``) requires the fee paid at ``moment``.

    The result never reaches the applicant unpaid (``RELEASE``, whatever the rule). A ``before_reception`` fee
    is paid before the dossier is accepted. A result handed to the post for delivery to the applicant's address
    needs the fee paid, except under ``on_delivery``: the post collects it on delivery (COD) and its collection
    is recorded before the system's return."""
    timing = dossier.version.fee_timing
    if moment == RECEPTION:
        return timing == FeeTiming.BEFORE_RECEPTION
    if moment == HANDOVER_TO_POST:
        return timing != FeeTiming.ON_DELIVERY or dossier.delivery != Delivery.POST
    return True


def check_fee_settled(dossier: Dossier, moment: str) -> None:
    """The fee rule, checked in this one place (``dossiers.services`` and the pages that release a result call
    it): :class:`FeeDue` when the rule requires the fee paid at ``moment`` and some is still due."""
    due = fee_due(dossier)
    if due and fee_required(dossier, moment):
        raise FeeDue(dossier.code, due, moment)


def fee_settled(dossier: Dossier, moment: str = RELEASE) -> bool:
    """:func:`check_fee_settled` as a question (a page deciding whether to offer a download)."""
    return not (fee_due(dossier) and fee_required(dossier, moment))
