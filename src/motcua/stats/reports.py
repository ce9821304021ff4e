"""The periodic one-stop report (issue 13 §4): the situation and results of handling administrative procedures
("tình hình, kết quả giải quyết TTHC", the report forms of Circular 01/2018/TT-VPCP and Circular 03/2025/TT-VPCP),
per unit and period, by unit, by channel and by field, from the dossier facts (``stats.models.DossierFact``).

For a period ``[start, end)`` a dossier accepted before ``end`` is in the report unless it finished before
``start``; it *finishes* when its handling ends as handled (result ready or returned) or refused
(``DossierFact.ended_at``), or, never handled, when it is withdrawn (``closed_at``). Then:

- **received** in the period (online / counter / post: the post-office points and home pickups) or **carried over**
  (accepted before the start, still open at it); their sum is the **total to handle**;
- **handled** in the period: early / on time / late (``DossierFact.outcome``: an apology or a second supplement
  request is late whatever the dates);
- **refused** after acceptance and **withdrawn** in the period;
- **pending** at the period's end: overdue (its due date passed before the end), waiting for the applicant's
  supplement (the clock stops), or on time.

The identity ``received + carried over = handled + refused + withdrawn + pending`` holds for every row.

Unlike the service-quality index, a dossier waiting for its only supplement request is pending here, not ended
(the index counts it as ended on the request date). The facts are the dossiers' present state: a past period's
"pending at its end" reads today's due date (an apology's new date, or the date restarted after a supplement).

Everything is aggregated in the database: a report costs the same few queries for one commune or a province.
The twelve-month trend of the on-time rate reads the daily roll-up (``DailyRollup``), as the index counts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.db.models import Case, Count, DateField, DateTimeField, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Agency
from motcua.catalog.models import Channel, Field
from motcua.dossiers.statuses import Status
from motcua.geo.models import AdministrativeUnit
from motcua.stats import charts
from motcua.stats.models import DailyRollup, DossierFact, EndedBy, Outcome
from motcua.stats.periods import Period, period_of
from motcua.stats.scope import Scope

FINISHING = (EndedBy.HANDLED, EndedBy.RETURNED, EndedBy.REFUSED)
HANDLED = (EndedBy.HANDLED, EndedBy.RETURNED)
# the report's three channels (the national portal's codes: 1 counter, 2 online, 3 public postal service)
CHANNEL_GROUP = {Channel.ONLINE: "online", Channel.COUNTER: "counter", Channel.POST_OFFICE: "post",
                 Channel.HOME_PICKUP: "post"}
CHANNEL_LABELS = {"online": gettext_lazy("Online"), "counter": gettext_lazy("At the counter"),
                  "post": gettext_lazy("By public postal service")}


@dataclass
class Figures:
    received: int = 0
    online: int = 0
    counter: int = 0
    post: int = 0
    carried: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    refused: int = 0
    withdrawn: int = 0
    pending_on_time: int = 0
    pending_overdue: int = 0
    pending_supplement: int = 0

    @property
    def total(self) -> int:
        return self.received + self.carried

    @property
    def handled(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def pending(self) -> int:
        return self.pending_on_time + self.pending_overdue + self.pending_supplement

    @property
    def on_time_rate(self) -> float | None:
        """Handled early or on time among those handled, in %; None when nothing was handled."""
        return round(100 * (self.early + self.on_time) / self.handled, 1) if self.handled else None

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def get(self, name: str) -> Any:
        return getattr(self, name)


# the report's columns, in the order of the official form: (attribute of Figures, heading, group heading)
COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    ("total", gettext_lazy("Total to handle"), gettext_lazy("To handle")),
    ("received", gettext_lazy("Received in the period"), gettext_lazy("To handle")),
    ("online", gettext_lazy("Online"), gettext_lazy("To handle")),
    ("counter", gettext_lazy("At the counter"), gettext_lazy("To handle")),
    ("post", gettext_lazy("By post"), gettext_lazy("To handle")),
    ("carried", gettext_lazy("Carried over"), gettext_lazy("To handle")),
    ("handled", gettext_lazy("Handled"), gettext_lazy("Handled")),
    ("early", gettext_lazy("Early"), gettext_lazy("Handled")),
    ("on_time", gettext_lazy("On time"), gettext_lazy("Handled")),
    ("late", gettext_lazy("Late"), gettext_lazy("Handled")),
    ("on_time_rate", gettext_lazy("On time among dossiers handled (%)"), gettext_lazy("Handled")),
    ("pending", gettext_lazy("Pending"), gettext_lazy("Pending at the end")),
    ("pending_on_time", gettext_lazy("Within time"), gettext_lazy("Pending at the end")),
    ("pending_overdue", gettext_lazy("Overdue"), gettext_lazy("Pending at the end")),
    ("pending_supplement", gettext_lazy("Waiting for a supplement"), gettext_lazy("Pending at the end")),
    ("refused", gettext_lazy("Refused"), gettext_lazy("Refused or withdrawn")),
    ("withdrawn", gettext_lazy("Withdrawn"), gettext_lazy("Refused or withdrawn")),
)


@dataclass
class Line:
    key: str  # u<unit id> (a commune), a<agency id> (a provincial agency), a channel group, f<field id>
    label: str
    figures: Figures = field(default_factory=Figures)

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [{"figure": name, "value": self.figures.get(name)} for name, _h, _g in COLUMNS]


@dataclass
class Trend:
    month: Period
    good: int  # early or on time
    handled: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.good / self.handled, 1) if self.handled else None


@dataclass
class Report:
    period: Period
    units: list[Line]  # what the report may be narrowed to (every commune and provincial agency of the scope)
    unit: Line | None  # the one it is narrowed to, if any
    total: Line
    by_unit: list[Line]
    by_channel: list[Line]
    by_field: list[Line]
    trend: list[Trend]

    @property
    def identity_holds(self) -> bool:
        t = self.total.figures
        return t.total == t.handled + t.refused + t.withdrawn + t.pending


# --- the units of a scope ------------------------------------------------------------------------------------

def _unit_key(agency: Agency) -> tuple[str, str]:
    """The report's row of an agency: its commune (the one it became, if merged away by ``merge_units``), or (a
    provincial agency) itself."""
    if agency.unit.kind != AdministrativeUnit.Kind.PROVINCE:
        unit = agency.unit.successor or agency.unit
        return f"u{unit.pk}", unit.name
    return f"a{agency.pk}", agency.name


def units_of(scope: Scope) -> tuple[dict[int, str], list[Line]]:
    """agency id → its row key, and the rows (communes first, then provincial agencies, by name): one query."""
    rows: dict[str, str] = {}
    of_agency: dict[int, str] = {}
    for agency in Agency.objects.filter(pk__in=scope.agency_ids).select_related("unit__successor").order_by("name"):
        key, label = _unit_key(agency)
        rows.setdefault(key, label)
        of_agency[agency.pk] = key
    lines = sorted((Line(k, v) for k, v in rows.items()), key=lambda line: (line.key[0] != "u", line.label))
    return of_agency, lines


def agencies_of(scope: Scope, unit: str = "", of_agency: dict[int, str] | None = None) -> set[int]:
    """The agencies of ``scope`` (of its unit ``unit`` only, if given)."""
    if not unit:
        return set(scope.agency_ids)
    if of_agency is None:
        of_agency, _lines = units_of(scope)
    return {a for a, key in of_agency.items() if key == unit}


def column_groups() -> list[tuple[Any, int]]:
    """The group headings over :data:`COLUMNS`: (heading, how many columns)."""
    out: list[tuple[Any, int]] = []
    for _name, _heading, group in COLUMNS:
        if out and out[-1][0] == group:
            out[-1] = (group, out[-1][1] + 1)
        else:
            out.append((group, 1))
    return out


# --- the figures ---------------------------------------------------------------------------------------------

def _finish() -> Case:
    return Case(When(ended_by__in=FINISHING, then=F("ended_at")), When(withdrawn=True, then=F("closed_at")),
                default=Value(None), output_field=DateTimeField())


def in_report(agency_ids: frozenset[int] | set[int], period: Period) -> Any:
    """The facts a report of ``period`` counts (a queryset annotated with ``finish``)."""
    return (DossierFact.objects.filter(agency_id__in=agency_ids, received_on__isnull=False,
                                       received_on__lte=period.last)
            .annotate(finish=_finish())
            .filter(Q(finish__isnull=True) | Q(finish__gte=period.start)))


def figure_filters(period: Period) -> dict[str, Q]:
    """What a fact of :func:`in_report` must be to count in each figure (the report's definitions, in one place:
    the counts and the lists of dossiers behind them both read these)."""
    end = period.end
    due_by = min(end, timezone.now())  # while the period runs, overdue is past due now, not by its end
    now_in = Q(received_on__gte=period.first)
    finished = Q(finish__lt=end)
    handled = finished & Q(ended_by__in=HANDLED)
    pending = Q(finish__isnull=True) | Q(finish__gte=end)
    waiting = Q(ended_by=EndedBy.SUPPLEMENT, ended_at__lt=end)
    good = (Outcome.EARLY, Outcome.ON_TIME)
    return {
        "total": Q(),
        "received": now_in,
        "online": now_in & Q(channel=Channel.ONLINE),
        "counter": now_in & Q(channel=Channel.COUNTER),
        "post": now_in & Q(channel__in=(Channel.POST_OFFICE, Channel.HOME_PICKUP)),
        "carried": ~now_in,
        "handled": handled,
        "early": handled & Q(outcome=Outcome.EARLY),
        "on_time": handled & Q(outcome=Outcome.ON_TIME),
        "late": handled & ~Q(outcome__in=good),
        "on_time_rate": handled,
        "refused": finished & Q(ended_by=EndedBy.REFUSED),
        "withdrawn": finished & ~Q(ended_by__in=FINISHING),
        "pending": pending,
        "pending_supplement": pending & waiting,
        "pending_overdue": pending & ~waiting & Q(due_at__lt=due_by),
        "pending_on_time": pending & ~waiting & ~Q(due_at__lt=due_by),
    }


COUNTED = ("received", "carried", "early", "on_time", "late", "refused", "withdrawn", "pending", "pending_supplement",
           "pending_overdue")


def _counts(period: Period) -> dict[str, Count]:
    filters = figure_filters(period)
    return {name: Count("pk", filter=filters[name]) for name in COUNTED}


def figures_by(agency_ids: frozenset[int] | set[int], period: Period) -> list[dict[str, Any]]:
    """The counts per (agency, channel, field): one aggregate query."""
    return list(in_report(agency_ids, period).order_by().values("agency_id", "channel", "field_id")
                .annotate(**_counts(period)))


def _figures(row: dict[str, Any]) -> Figures:
    group = CHANNEL_GROUP.get(row["channel"], "counter")
    out = Figures(received=row["received"], carried=row["carried"], early=row["early"], on_time=row["on_time"],
                  late=row["late"], refused=row["refused"], withdrawn=row["withdrawn"],
                  pending_supplement=row["pending_supplement"], pending_overdue=row["pending_overdue"])
    out.pending_on_time = row["pending"] - row["pending_supplement"] - row["pending_overdue"]
    setattr(out, group, row["received"])
    return out


def trend(agency_ids: frozenset[int] | set[int], last: date, months: int = 12) -> list[Trend]:
    """The on-time rate of the ``months`` months up to ``last``'s, from the daily roll-up (as the index counts
    it: every dossier whose handling ended, refusals and a single pending supplement included)."""
    periods = [period_of("month", last)]
    while len(periods) < months:
        periods.insert(0, periods[0].previous())
    sums: dict[date, tuple[int, int]] = {}
    for month, early, on_time, late in (
            DailyRollup.objects.filter(agency_id__in=agency_ids, day__gte=periods[0].first,
                                       day__lte=periods[-1].last)
            .annotate(month=TruncMonth("day", output_field=DateField())).order_by().values("month")
            .annotate(early=Sum("early"), on_time=Sum("on_time"), late=Sum("late"))
            .values_list("month", "early", "on_time", "late")):
        good = (early or 0) + (on_time or 0)
        sums[month] = (good, good + (late or 0))
    return [Trend(p, *sums.get(p.first, (0, 0))) for p in periods]


def report(scope: Scope, period: Period, unit: str = "") -> Report:
    """The report of ``scope`` for ``period``, narrowed to one of its units (``u<id>`` / ``a<id>``) if given
    and known. Four queries, whatever the size of the scope."""
    of_agency, units = units_of(scope)
    narrowed = next((line for line in units if line.key == unit), None)
    agency_ids = {a for a, key in of_agency.items() if narrowed is None or key == narrowed.key}
    by_unit = {line.key: Line(line.key, line.label) for line in units if narrowed is None or line is narrowed}
    by_channel = {key: Line(key, str(label)) for key, label in CHANNEL_LABELS.items()}
    by_field: dict[int, Line] = {}
    total = Line("total", _("Total"))
    for row in figures_by(agency_ids, period):
        figures = _figures(row)
        total.figures.add(figures)
        by_unit[of_agency[row["agency_id"]]].figures.add(figures)
        by_channel[CHANNEL_GROUP.get(row["channel"], "counter")].figures.add(figures)
        by_field.setdefault(row["field_id"], Line(f"f{row['field_id']}", "")).figures.add(figures)
    for pk, name in Field.objects.filter(pk__in=by_field).values_list("pk", "name_vi"):
        by_field[pk].label = name
    return Report(period=period, units=units, unit=narrowed, total=total, by_unit=list(by_unit.values()),
                  by_channel=list(by_channel.values()),
                  by_field=sorted(by_field.values(), key=lambda line: line.label),
                  trend=trend(agency_ids, period.last))


def row_filter(key: str, of_agency: dict[int, str]) -> Q | None:
    """The facts of a report's row: a unit (``u…``/``a…``), a channel group, a field (``f…``), or the total;
    None for a key the report has no row for."""
    if key == "total":
        return Q()
    if key in CHANNEL_LABELS:
        return Q(channel__in=[c for c, group in CHANNEL_GROUP.items() if group == key])
    if key[:1] == "f" and key[1:].isdigit():
        return Q(field_id=int(key[1:]))
    agencies = [a for a, unit in of_agency.items() if unit == key]
    return Q(agency_id__in=agencies) if agencies else None


@dataclass
class Drill:
    figure: str
    heading: Any
    row: str
    label: str
    rows: list[list[Any]]
    count: int
    limit: int


class UnknownUnit(LookupError):
    """A unit (``don-vi``) that is not one of the scope's."""


def drill(scope: Scope, period: Period, figure: str, row: str, unit: str = "", *, limit: int = 200) -> Drill | None:
    """The dossiers behind one number of the report (the first ``limit`` of them, and how many there are): what
    ``figure`` (a column) of ``row`` counts. None for an unknown figure or row."""
    headings = {name: heading for name, heading, _group in COLUMNS}
    filters = figure_filters(period)
    of_agency, _lines = units_of(scope)
    where = row_filter(row, of_agency)
    if figure not in headings or where is None:
        return None
    if unit and unit not in set(of_agency.values()):
        raise UnknownUnit(unit)
    agencies = agencies_of(scope, unit, of_agency)
    facts = in_report(agencies, period).filter(filters[figure] & where)
    rows = list(fact_rows(agencies, period, where=filters[figure] & where, limit=limit))
    count = len(rows) if len(rows) < limit else facts.count()
    if row == "total":
        label = _("Total")
    elif row in CHANNEL_LABELS:
        label = str(CHANNEL_LABELS[row])
    elif row[:1] == "f":
        label = Field.objects.filter(pk=int(row[1:])).values_list("name_vi", flat=True).first() or ""
    else:
        label = next((line.label for line in _lines if line.key == row), "")
    return Drill(figure, headings[figure], row, label, rows, count, limit)


# --- charts ----------------------------------------------------------------------------------------------------

def charts_of(report: Report) -> list[charts.Chart]:
    """Received by channel, handled early / on time / late per unit, and the on-time rate over twelve months."""
    out = [charts.doughnut("chart-channels", _("Received in the period, by channel"),
                           [line.label for line in report.by_channel],
                           [line.figures.received for line in report.by_channel], _("Received"))]
    units = [line for line in report.by_unit if line.figures.handled] or report.by_unit
    out.append(charts.bar(
        "chart-units", _("Handled in the period, per unit"), [line.label for line in units],
        [charts.Series(_("Early"), [line.figures.early for line in units], charts.EARLY),
         charts.Series(_("On time"), [line.figures.on_time for line in units], charts.ON_TIME),
         charts.Series(_("Late"), [line.figures.late for line in units], charts.LATE)],
        stacked=True, horizontal=True))
    out.append(charts.line(
        "chart-trend", _("Handled early or on time, the last twelve months (%)"),
        [m.month.label for m in report.trend],
        [charts.Series(_("On time among dossiers handled (%)"), [m.rate for m in report.trend], charts.ON_TIME)],
        percent=True))
    return out


# --- exports -----------------------------------------------------------------------------------------------------

def export_header() -> list[str]:
    return [_("Breakdown"), _("Unit, channel or field"), *[f"{group} – {heading}" if group != heading else str(heading)
                                         for _name, heading, group in COLUMNS]]


def export_rows(report: Report) -> Iterator[list[Any]]:
    """The report as rows: the total, then by unit, by channel, by field."""
    sections = ((_("Total"), [report.total]), (_("Unit"), report.by_unit), (_("Channel"), report.by_channel),
                (_("Field"), report.by_field))
    for section, lines in sections:
        for line in lines:
            yield [section, line.label, *[line.figures.get(name) for name, _h, _g in COLUMNS]]


def facts_header() -> list[str]:
    return [_("Dossier code"), _("Procedure code"), _("Procedure"), _("Field"), _("Agency code"), _("Agency"),
            _("Channel"), _("Received"), _("Due"), _("Handling ended"), _("Ended by"), _("Outcome"), _("Status"),
            _("Withdrawn"), _("Supplement requests"), _("Apology"), _("Handling days (working)"), _("Fee"),
            _("Paid online"), _("Digitized"), _("Reused data"), _("Electronic result"), _("In the report as"),
            _("At the end of the period")]


FACT_COLUMNS = ("code", "procedure__code", "dossier__version__name_vi", "field__name_vi", "agency__identifier_code",
                "agency__name", "channel", "received_at", "due_at", "ended_at", "ended_by", "outcome", "status",
                "withdrawn", "supplements", "apologized", "handling_days", "has_fee", "paid_online", "digitized",
                "reused", "electronic_result", "finish")


FLAGS = tuple(i for i, name in enumerate(FACT_COLUMNS)
              if name in ("withdrawn", "apologized", "has_fee", "paid_online", "digitized", "reused",
                          "electronic_result"))
ON_TIME_NOTE = gettext_lazy(
    "On time among dossiers handled: the dossiers handled early or on time among those handled in the period. The "
    "service-quality index (row 2.1) also counts against the period the open dossiers already overdue at its end, "
    "so its rate is lower when dossiers are overdue.")


def fact_rows(agency_ids: frozenset[int] | set[int], period: Period, *, where: Q | None = None,
              limit: int | None = None, chunk: int = 500) -> Iterator[list[Any]]:
    """One row per dossier the report of ``period`` counts (those of one number only: ``where``, a
    :func:`figure_filters` and :func:`row_filter`), no personal data, read from a server-side cursor ``chunk``
    rows at a time: a province's year streams without being held in memory."""
    channels = dict(Channel.choices)
    ended_by = dict(EndedBy.choices)
    outcomes = dict(Outcome.choices)
    start, end = period.start, period.end
    due_by = min(end, timezone.now())  # as figure_filters: while the period runs, overdue is past due now
    received, carried = _("received"), _("carried over")
    handled, refused, withdrawn = _("handled"), _("refused"), _("withdrawn")
    overdue, waiting, on_time = _("pending, overdue"), _("pending, waiting for a supplement"), _("pending")
    statuses = dict(Status.choices)
    yes = _("Yes")
    facts = in_report(agency_ids, period)
    if where is not None:
        facts = facts.filter(where)
    rows = facts.order_by("received_at", "pk").values_list(*FACT_COLUMNS)
    if limit is not None:
        rows = rows[:limit]
    for row in rows.iterator(chunk_size=chunk):
        values = list(row[:-1])
        finish = row[-1]
        values[6] = channels.get(values[6], values[6])
        values[10] = ended_by.get(values[10], values[10])
        values[11] = outcomes.get(values[11], values[11])
        values[12] = statuses.get(values[12], values[12])
        for flag in FLAGS:
            values[flag] = yes if values[flag] else ""
        values.append(received if values[7] >= start else carried)
        if finish is not None and finish < end:
            place = handled if row[10] in HANDLED else refused if row[10] == EndedBy.REFUSED else withdrawn
        elif row[10] == EndedBy.SUPPLEMENT and row[9] is not None and row[9] < end:
            place = waiting
        elif row[8] is not None and row[8] < due_by:
            place = overdue
        else:
            place = on_time
        values.append(place)
        yield values

