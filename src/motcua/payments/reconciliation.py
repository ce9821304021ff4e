"""The daily reconciliation: what was collected (payments and refunds), what the dossiers owe, and what the
statements say, per collection point (cash, card), per gateway, per carrier (cash on delivery) and per bank
(transfers), for one day in Vietnam's time (or a range of days). A pure read.

Every difference is a :class:`Mismatch` with its kind:

- ``missing_in_statement``: a payment the gateway's, carrier's or bank's statement of the day does not carry;
- ``missing_in_system``: a statement line no payment (or refund) of ours matches;
- ``amount_differs``: the line and the payment disagree, or a transfer named a dossier but not what it owed;
- ``other_day``: a statement line of the day whose payment was recorded on another day;
- ``overpaid``: a dossier paid more than its fee (``fee_total``, exemptions applied), or money taken for a
  dossier that no longer owed it (``refund_due``) and not refunded yet;
- ``refund_not_in_statement``: a gateway or transfer refund the statement does not show going out.

Cash and card at a point have no outside statement: their mismatches are overpayments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from motcua.core.calendar import VN_TZ
from motcua.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReconciliationRun,
    Refund,
    RefundMethod,
    RefundStatus,
    StatementLine,
)

MISSING_IN_STATEMENT = "missing_in_statement"
MISSING_IN_SYSTEM = "missing_in_system"
AMOUNT_DIFFERS = "amount_differs"
OTHER_DAY = "other_day"
OVERPAID = "overpaid"
REFUND_NOT_IN_STATEMENT = "refund_not_in_statement"
KINDS = (MISSING_IN_STATEMENT, MISSING_IN_SYSTEM, AMOUNT_DIFFERS, OTHER_DAY, OVERPAID, REFUND_NOT_IN_STATEMENT)
KIND_LABELS = {
    MISSING_IN_STATEMENT: _("Not in the statement"),
    MISSING_IN_SYSTEM: _("Not in our books"),
    AMOUNT_DIFFERS: _("Amounts differ"),
    OTHER_DAY: _("Recorded on another day"),
    OVERPAID: _("Paid more than owed"),
    REFUND_NOT_IN_STATEMENT: _("Refund not in the statement"),
}

POINT, GATEWAY, CARRIER, BANK = "point", "gateway", "carrier", "bank"
CHANNEL_LABELS = {POINT: _("Collection point"), GATEWAY: _("Payment gateway"), CARRIER: _("Carrier (COD)"),
                  BANK: _("Bank transfers")}


@dataclass
class Mismatch:
    kind: str
    channel: str
    name: str  # the point's name, the gateway's, the carrier's, the bank's
    dossier_code: str
    expected: int | None  # what our books say (None: nothing)
    actual: int | None  # what the statement says (None: nothing)
    reference: str = ""  # the payment's order or the line's reference

    @property
    def kind_label(self) -> Any:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def channel_label(self) -> Any:
        return CHANNEL_LABELS.get(self.channel, self.channel)


@dataclass
class Group:
    channel: str
    key: str
    name: str
    collected: int = 0
    refunded: int = 0
    owed: int = 0  # of what was collected, what the dossiers owed
    statement: int | None = None  # what the statement says came in, net of refunds (None: no statement)
    payments: int = 0
    mismatches: int = 0

    @property
    def channel_label(self) -> Any:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def net(self) -> int:
        return self.collected - self.refunded


@dataclass
class Reconciliation:
    first: date
    last: date
    groups: list[Group] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.mismatches

    def totals(self) -> dict[str, int]:
        return {"collected": sum(g.collected for g in self.groups), "refunded": sum(g.refunded for g in self.groups),
                "owed": sum(g.owed for g in self.groups),
                "statement": sum(g.statement or 0 for g in self.groups)}


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time.min, VN_TZ), datetime.combine(last + timedelta(days=1), time.min, VN_TZ)


def reconcile(day: date, *, until: date | None = None, points: Iterable[int] | None = None) -> Reconciliation:
    """The reconciliation of ``day`` (through ``until`` inclusive). ``points``: only what concerns these agencies
    (collected there, or for dossiers they received); statement lines matching nothing are then left out."""
    last = until or day
    start, end = bounds(day, last)
    scope = set(points) if points is not None else None
    result = Reconciliation(day, last)
    groups: dict[tuple[str, str], Group] = {}

    def group(channel: str, key: str, name: str) -> Group:
        if (channel, key) not in groups:
            groups[(channel, key)] = Group(channel, key, name)
        return groups[(channel, key)]

    def flag(kind: str, g: Group, code: str, expected: int | None, actual: int | None, reference: str = "") -> None:
        g.mismatches += 1
        result.mismatches.append(Mismatch(kind, g.channel, g.name, code, expected, actual, reference))

    in_scope = Q()
    if scope is not None:
        in_scope = Q(point_id__in=scope) | Q(point__isnull=True, dossier__receiving_agency_id__in=scope)
    # each payment with its dossier's fee, all it paid and all it was refunded of that (one query)
    paid_all = (Payment.objects.filter(dossier_id=OuterRef("dossier_id"), status=PaymentStatus.PAID)
                .order_by().values("dossier_id").annotate(s=Sum("amount")).values("s"))
    refunded_all = (Refund.objects.filter(payment__dossier_id=OuterRef("dossier_id"), status=RefundStatus.DONE,
                                          payment__status=PaymentStatus.PAID)
                    .order_by().values("payment__dossier_id").annotate(s=Sum("amount")).values("s"))
    payments: list[Any] = list(
        Payment.objects.filter(in_scope, paid_at__gte=start, paid_at__lt=end,
                               status__in=[PaymentStatus.PAID, PaymentStatus.REFUND_DUE])
        .annotate(paid_all=Subquery(paid_all), refunded_all=Subquery(refunded_all))
        .values("pk", "dossier_id", "dossier__code", "dossier__fee_total", "method", "point_id", "point__name",
                "gateway", "amount", "status", "order_ref", "reference", "paid_all", "refunded_all")
        .order_by("paid_at", "pk"))
    refund_scope = Q()
    if scope is not None:
        refund_scope = Q(point_id__in=scope) | Q(point__isnull=True, payment__dossier__receiving_agency_id__in=scope)
    refunds: list[Any] = list(
        Refund.objects.filter(refund_scope, status=RefundStatus.DONE, done_at__gte=start, done_at__lt=end)
        .values("pk", "amount", "method", "point_id", "point__name", "gateway_transaction", "payment_id",
                "payment__order_ref", "payment__gateway", "payment__method", "payment__dossier__code"))
    lines: list[Any] = list(StatementLine.objects.filter(day__gte=day, day__lte=last)
                 .values("pk", "source", "name", "reference", "amount", "note", "dossier_code", "payment_id",
                         "payment__dossier__receiving_agency_id", "payment__point_id"))

    # what the dossiers owe: the money each dossier concerned got beyond its fee, taken from its latest payments
    excess = {p["dossier_id"]: max((p["paid_all"] or 0) - (p["refunded_all"] or 0) - p["dossier__fee_total"], 0)
              for p in payments}
    owed_of: dict[int, int] = {}
    due_back = [p["pk"] for p in payments if p["status"] == PaymentStatus.REFUND_DUE]
    given_back = dict(Refund.objects.filter(payment_id__in=due_back, status=RefundStatus.DONE).values("payment_id")
                      .annotate(s=Sum("amount")).values_list("payment_id", "s")) if due_back else {}
    for p in reversed(payments):
        over = excess.get(p["dossier_id"], 0)
        if p["status"] == PaymentStatus.REFUND_DUE:  # not owed; a mismatch until it is all given back
            owed_of[p["pk"]] = p["amount"] if int(given_back.get(p["pk"]) or 0) >= p["amount"] else 0
            continue
        cut = min(over, p["amount"])
        excess[p["dossier_id"]] = over - cut
        owed_of[p["pk"]] = p["amount"] - cut

    by_line_payment: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if line["payment_id"] is not None and line["amount"] > 0:  # money going out is a refund's (below)
            by_line_payment[line["payment_id"]].append(line)
    used: set[int] = set()
    for p in payments:
        g = _payment_group(p, by_line_payment, group)
        g.collected += p["amount"]
        g.owed += owed_of[p["pk"]]
        g.payments += 1
        if owed_of[p["pk"]] < p["amount"]:
            flag(OVERPAID, g, p["dossier__code"], owed_of[p["pk"]], p["amount"], p["order_ref"])
        if g.channel == POINT:
            continue
        matched = by_line_payment.get(p["pk"], [])
        if not matched:
            flag(MISSING_IN_STATEMENT, g, p["dossier__code"], p["amount"], None, p["order_ref"])
            continue
        for line in matched:
            used.add(line["pk"])
            g.statement = (g.statement or 0) + line["amount"]
            if line["amount"] != p["amount"]:
                flag(AMOUNT_DIFFERS, g, p["dossier__code"], p["amount"], line["amount"], line["reference"])

    _refunds(refunds, lines, used, group, flag)

    for line in lines:
        if line["pk"] in used:
            continue
        concerned = line["payment__point_id"] in scope or line["payment__dossier__receiving_agency_id"] in scope \
            if scope is not None else True
        if not concerned:
            continue
        channel = {"bank": BANK, "gateway": GATEWAY}.get(line["source"], CARRIER)
        g = group(channel, line["name"], line["name"])
        g.statement = (g.statement or 0) + line["amount"]
        if line["payment_id"] is not None and line["amount"] > 0:
            flag(OTHER_DAY, g, line["dossier_code"], None, line["amount"], line["reference"])
        elif line["dossier_code"] and line["amount"] > 0:
            flag(AMOUNT_DIFFERS, g, line["dossier_code"], None, line["amount"], line["reference"])
        else:
            flag(MISSING_IN_SYSTEM, g, line["dossier_code"], None, line["amount"], line["reference"])

    order = {POINT: 0, GATEWAY: 1, CARRIER: 2, BANK: 3}
    result.groups = sorted(groups.values(), key=lambda g: (order[g.channel], g.name))
    kind_order = {kind: n for n, kind in enumerate(KINDS)}
    result.mismatches.sort(key=lambda m: (order[m.channel], m.name, kind_order.get(m.kind, 99), m.dossier_code))
    return result


def _payment_group(p: dict[str, Any], by_line_payment: dict[int, list[dict[str, Any]]], group: Any) -> Group:
    method = p["method"]
    if method in (PaymentMethod.CASH, PaymentMethod.CARD):
        return group(POINT, str(p["point_id"] or ""), p["point__name"] or "—")
    if method == PaymentMethod.GATEWAY:
        return group(GATEWAY, p["gateway"], p["gateway"])
    lines = by_line_payment.get(p["pk"], [])
    name = lines[0]["name"] if lines else "—"
    return group(CARRIER if method == PaymentMethod.COD else BANK, name, name)


def _refunds(refunds: list[dict[str, Any]], lines: list[dict[str, Any]], used: set[int], group: Any,
             flag: Any) -> None:
    """Refunds of the day: cash ones count at their point; gateway and transfer ones must go out on a statement."""
    outgoing: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line["amount"] < 0 and line["pk"] not in used:
            outgoing.setdefault(f"{line['source']}:{line['reference']}", line)
            outgoing.setdefault(f"{line['source']}:{line['note']}:{-line['amount']}", line)
    for r in refunds:
        code = r["payment__dossier__code"]
        if r["method"] == RefundMethod.CASH:
            g = group(POINT, str(r["point_id"] or ""), r["point__name"] or "—")
            g.refunded += r["amount"]
            continue
        source = "gateway" if r["method"] == RefundMethod.GATEWAY else "bank"
        found: dict[str, Any] | None = outgoing.get(f"{source}:{r['gateway_transaction']}") \
            if r["gateway_transaction"] else None
        found = found or outgoing.get(f"{source}:{r['payment__order_ref']}:{r['amount']}")
        if source == "gateway":
            g = group(GATEWAY, r["payment__gateway"], r["payment__gateway"])
        else:
            name = found["name"] if found else "—"
            g = group(BANK, name, name)
        g.refunded += r["amount"]
        if found is None or found["pk"] in used:
            flag(REFUND_NOT_IN_STATEMENT, g, code, r["amount"], None, r["gateway_transaction"])
            continue
        used.add(found["pk"])
        g.statement = (g.statement or 0) + found["amount"]


def scope_for(actor: Any) -> set[int] | None:
    """The points whose reconciliation ``actor`` sees: front staff their points; leaders and supervisors their
    agencies and the points under them; a supervisor of a top-level agency (no parent) everything (``None``)."""
    from motcua.agencies.models import Agency, Role

    front = actor.agencies_with(Role.RECEPTION, Role.POSTAL)
    overseeing = actor.agencies_with(Role.LEADER, Role.SUPERVISOR)
    supervising = actor.agencies_with(Role.SUPERVISOR)
    if supervising and Agency.objects.filter(pk__in=supervising, parent__isnull=True).exists():
        return None
    under = set(Agency.objects.filter(parent_id__in=overseeing).values_list("pk", flat=True)) if overseeing else set()
    return set(front) | set(overseeing) | under


def may_import(actor: Any) -> bool:
    from motcua.agencies.models import Role

    return bool(actor.agencies_with(Role.RECEPTION, Role.POSTAL, Role.LEADER, Role.SUPERVISOR))


CSV_HEADER = ["channel", "name", "payments", "collected", "refunded", "owed", "statement", "mismatches"]
CSV_MISMATCH_HEADER = ["kind", "channel", "name", "dossier_code", "ours", "statement", "reference"]


def csv_rows(result: Reconciliation) -> list[list[Any]]:
    """The reconciliation as CSV rows: the groups, a blank row, then the mismatches."""
    rows: list[list[Any]] = [CSV_HEADER]
    rows += [[g.channel, g.name, g.payments, g.collected, g.refunded, g.owed,
              "" if g.statement is None else g.statement, g.mismatches] for g in result.groups]
    rows += [[], CSV_MISMATCH_HEADER]
    rows += [[m.kind, m.channel, m.name, m.dossier_code, "" if m.expected is None else m.expected,
              "" if m.actual is None else m.actual, m.reference] for m in result.mismatches]
    return rows


def save_run(result: Reconciliation, points: Iterable[int] | None = None) -> ReconciliationRun:
    """Store ``result`` as a :class:`ReconciliationRun` snapshot."""
    return ReconciliationRun.objects.create(
        first_day=result.first, last_day=result.last, points=sorted(points) if points is not None else None,
        balanced=result.balanced, totals=result.totals(), groups=[asdict(g) for g in result.groups],
        mismatches=[asdict(m) for m in result.mismatches])
