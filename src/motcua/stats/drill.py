"""What is behind each number of the index (``stats.index``): the dossiers, procedures, petitions or ratings that a
row's numerator or denominator counts, for a scope and a period. The count of :func:`drill`'s queryset is the
number the index shows (a test holds them equal for every row).

The lists carry no personal data: a dossier's code, procedure, agency, dates and outcome; a petition's code, kind,
agency and dates (never its sender); a rating's score, agency and date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Channel, OnlineLevel, ProcedureVersion
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.actors import Actor
from motcua.feedback.models import PetitionKind, PetitionStatus, Rating, RatingChannel
from motcua.stats import index
from motcua.stats.models import DossierFact, Outcome
from motcua.stats.periods import Period
from motcua.stats.scope import Scope

SIDES = ("numerator", "denominator")

# rollup column → what a fact must be to count in it (stats.rollup.RECEIVED_SIDE / ENDED_SIDE, as filters)
COLUMN_Q: dict[str, Q] = {
    "received": Q(),
    "received_online": Q(channel=Channel.ONLINE),
    "eligible": Q(full_online_eligible=True),
    "eligible_online": Q(full_online_eligible=True, channel=Channel.ONLINE),
    "with_fee": Q(has_fee=True),
    "paid_online": Q(has_fee=True, paid_online=True),
    "digitized": Q(digitized=True),
    "reused": Q(reused=True),
    "certified": Q(certified=True),
    "synced": Q(synced=True),
    "population_data": Q(population_data=True),
    "ended": Q(),
    "electronic_result": Q(electronic_result=True),
    "store_synced": Q(store_synced=True),
}
RECEIVED_ROWS: dict[str, tuple[str, str]] = {
    "dossiers_synced": ("synced", "received"),
    "full_online_share": ("eligible_online", "eligible"),
    "received_online_share": ("received_online", "received"),
    "dossiers_paid_online": ("paid_online", "with_fee"),
    "digitized_components": ("digitized", "received"),
    "certified_copies": ("certified", "received"),
    "reused_data": ("reused", "received"),
    "population_data": ("population_data", "received"),
}
ENDED_ROWS: dict[str, tuple[str, str]] = {
    "electronic_results": ("electronic_result", "ended"),
    "store_synced": ("store_synced", "ended"),
    "average_handling_days": ("ended", "ended"),
}
DOSSIER_FIELDS = ("code", "procedure__code", "dossier__version__name_vi", "agency__name", "received_at", "due_at",
                  "ended_at", "outcome")
DOSSIER_HEADER = (_("Dossier"), _("Procedure code"), _("Procedure"), _("Agency"), _("Received"), _("Due"),
                  _("Handling ended"), _("Outcome"))
PROCEDURE_FIELDS = ("procedure__code", "name_vi", "number", "online_level", "decision_no", "effective_from",
                    "created_at")
PROCEDURE_HEADER = (_("Procedure code"), _("Procedure"), _("Version"), _("Online service"),
                    _("Announcing decision"), _("Effective from"), _("Entered in the catalogue"))
PETITION_FIELDS = ("code", "kind", "agency__name", "created_at", "first_answer", "status")
PETITION_HEADER = (_("Code"), _("Kind"), _("Agency"), _("Received"), _("First answered"), _("Status"))
RATING_FIELDS = ("created_at", "agency__name", "score", "channel")
RATING_HEADER = (_("Rated at"), _("Agency"), _("Score"), _("Channel"))


class UnknownRow(LookupError):
    pass


@dataclass
class Drill:
    kind: str  # dossiers, procedures, petitions, ratings
    rows: QuerySet[Any]  # of dicts (``values``): what the page and the export show
    header: tuple[Any, ...]
    fields: tuple[str, ...]
    missing: dict[int, str] | None = None  # 1.3: version pk → the items of the full content it lacks


    def count(self) -> int:
        return self.rows.count()


def _dossiers(q: Q) -> Drill:
    rows = DossierFact.objects.filter(q).order_by("received_at", "pk").values(*DOSSIER_FIELDS)
    return Drill("dossiers", rows, DOSSIER_HEADER, DOSSIER_FIELDS)


def _received(ids: list[int], period: Period) -> Q:
    return Q(agency_id__in=ids, received_on__gte=period.first, received_on__lte=period.last)


def drill(code: str, side: str, scope: Scope, period: Period) -> Drill:
    """The queryset behind row ``code``'s ``side`` (numerator or denominator) for ``scope`` and ``period``."""
    config = index.config_for(period)
    spec = next((r for r in config.rows if r["code"] == code), None)
    if spec is None or side not in SIDES or spec["formula"] not in index.FORMULAS:
        raise UnknownRow(code)
    name = spec["formula"]
    numerator = side == "numerator"
    ids = sorted(scope.agency_ids)
    if name in RECEIVED_ROWS:
        return _dossiers(_received(ids, period) & COLUMN_Q[RECEIVED_ROWS[name][0 if numerator else 1]])
    if name in ENDED_ROWS:
        return _dossiers(index.ended_q(ids, period) & COLUMN_Q[ENDED_ROWS[name][0 if numerator else 1]])
    if name == "handled_on_time":
        if numerator:
            return _dossiers(index.ended_q(ids, period) & Q(outcome__in=(Outcome.EARLY, Outcome.ON_TIME)))
        # a UNION of the two sets, each read through its own index: an OR of the two conditions would scan the
        # scope's whole history (bench/stats.py, 10M dossiers: 4.8 s as an OR, 0.67 s as a UNION)
        ended = DossierFact.objects.filter(index.ended_q(ids, period)).values("pk")
        overdue = DossierFact.objects.filter(index.overdue_q(ids, period)).values("pk")
        return _dossiers(Q(pk__in=ended.union(overdue)))
    if name == "handling_satisfaction":
        q = index.ended_q(ids, period)
        rows = DossierFact.objects.filter(q)
        if numerator:
            rows = rows.exclude(index.unhappy_q())
        return Drill("dossiers", rows.order_by("received_at", "pk").values(*DOSSIER_FIELDS), DOSSIER_HEADER,
                     DOSSIER_FIELDS)
    if name == "ratings_satisfied":
        ratings = Rating.objects.filter(agency_id__in=ids, created_at__gte=period.start, created_at__lt=period.end)
        if numerator:
            ratings = ratings.filter(score__gte=index.SATISFIED)
        return Drill("ratings", ratings.order_by("created_at", "pk").values(*RATING_FIELDS), RATING_HEADER,
                     RATING_FIELDS)
    data = index.gather(ids, period)
    if index.FORMULAS[name].drill == "petitions":
        return _petitions(name, numerator, data, scope, ids)
    return _procedures(name, numerator, data, scope)


def _petitions(name: str, numerator: bool, data: index.Data, scope: Scope, ids: list[int]) -> Drill:
    period = data.period
    mine = [p for p in data.petitions if p.agency_id in scope.agency_ids]
    if name == "petitions_on_time":
        test = index.petition_answered_on_time if numerator else index.petition_counted
        chosen = [p.pk for p in mine if test(p, period)]
    else:
        received = [p for p in mine if index.petition_received(p, period)]
        if name == "petitions_of_kind_petition" and numerator:
            received = [p for p in received if p.kind == PetitionKind.PETITION]
        elif name == "petitions_answered" and numerator:
            received = [p for p in received if p.first_answer is not None]
        chosen = [p.pk for p in received]
    rows = (index.petitions_around(ids, period).filter(pk__in=chosen).order_by("created_at", "pk")
            .values(*PETITION_FIELDS))
    return Drill("petitions", rows, PETITION_HEADER, PETITION_FIELDS)


PROCEDURE_TESTS: dict[str, Callable[[index.ProcedureRow], bool]] = {
    "procedures_published_on_time": lambda p: p.on_time,
    "procedures_updated_on_time": lambda p: p.on_time,
    "procedures_full_content": lambda p: p.full_content,
    "procedures_offered_online": lambda p: p.full_online,
}


def _procedures(name: str, numerator: bool, data: index.Data, scope: Scope) -> Drill:
    source = data.updates if name == "procedures_updated_on_time" else data.procedures
    mine = [p for p in source if p.agencies & scope.agency_ids]
    chosen: list[index.ProcedureRow]
    if name == "fee_procedures_payable_online":
        mine = [p for p in mine if p.has_fee]
        chosen = [p for p in mine if p.online] if numerator else mine
    elif name == "fee_procedures_paid_online":
        mine = [p for p in mine if p.has_fee]
        paid = {p for a, p in data.paid_procedures if a in scope.agency_ids}
        chosen = [p for p in mine if p.procedure_id in paid] if numerator else mine
    elif name == "procedures_population_connected":
        chosen = []
    elif numerator:
        chosen = [p for p in mine if PROCEDURE_TESTS[name](p)]
    else:
        chosen = mine
    versions = ProcedureVersion.objects.filter(pk__in=[p.version_id for p in chosen]).order_by("procedure__code")
    if name == "procedures_full_content":  # what each lacks: the reason a procedure is not in the numerator
        missing = {p.version_id: ", ".join(str(index.CONTENT_ITEMS[m]) for m in p.missing) for p in chosen}
        return Drill("procedures", versions.values(*PROCEDURE_FIELDS, "pk"),
                     (*PROCEDURE_HEADER, _("Missing from the full content")), (*PROCEDURE_FIELDS, "missing"),
                     missing)
    return Drill("procedures", versions.values(*PROCEDURE_FIELDS), PROCEDURE_HEADER, PROCEDURE_FIELDS)


CHOICES: dict[str, Any] = {"outcome": Outcome, "kind": PetitionKind, "status": PetitionStatus,
                           "online_level": OnlineLevel, "channel": RatingChannel}


def cells(found: Drill, row: dict[str, Any]) -> list[Any]:
    """A row of ``found`` as the cells shown and exported: choices by their label."""
    out = []
    for name in found.fields:
        if name == "missing" and found.missing is not None:
            out.append(found.missing.get(row["pk"], ""))
            continue
        value = row[name]
        choices = CHOICES.get(name)
        if choices is not None and value:
            with contextlib.suppress(ValueError):  # a value no longer among the choices: shown as it is
                value = str(choices(value).label)
        out.append(value)
    return out


def openable(codes: Iterable[str], actor: Actor) -> set[str]:
    """The dossiers of ``codes`` whose page ``actor`` may open (``dossiers.selectors.visible``): a supervisor
    counts dossiers they may not open, whose codes are listed without a link."""
    return set(dossier_selectors.visible(actor).filter(code__in=list(codes)).values_list("code", flat=True))
