"""``GET /api/v1/stats/index``: the service-quality index (Decision 766/QĐ-TTg; ``stats.index``) of a scope and a
period, for leaders and supervisors with a token or a session (the scopes of ``stats.scope.scope_of``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from motcua.api.auth import BearerToken, SessionCookie
from motcua.api.schemas import ERRORS, Out
from motcua.dossiers.actors import Actor
from motcua.stats import index, scope
from motcua.stats.periods import parse

router = Router(tags=["statistics"], auth=[BearerToken(), SessionCookie()])


class IndexQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field("", max_length=20, description="p<unit> a province, u<unit> a commune, d<agency> a "
                                                      "department, a<agency> an agency; empty: the first of yours")
    period: str = Field("", max_length=20, description="2026-11 (a month), 2026-Q4 (a quarter), 2026 (a year); "
                                                       "empty: this month")


class IndexRowOut(Out):
    code: str
    label: str
    numerator: float | None
    denominator: int | None
    ratio: float | None = Field(description="a percentage (or, for the average handling time, working days)")
    score: float | None
    max: float
    scored: bool
    reason: str = Field(description="why there is no figure (a row without data is null, never 0)")


class IndexGroupOut(Out):
    code: str
    key: str
    label: str
    max: float
    points: float
    rows: list[IndexRowOut]


class IndexOut(Out):
    scope: str
    scope_label: str
    period: str
    period_label: str
    version: str
    points: float = Field(description="the points of the scored rows that could be computed")
    available: float = Field(description="the maximum of those rows: how many of the 100 points could be computed")
    score100: float | None = Field(description="points on 100 of what could be computed; gives the band")
    band: str
    groups: list[IndexGroupOut]


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


@router.get("/index", response={200: IndexOut, **ERRORS}, operation_id="get_service_quality_index",
            summary="The service-quality index (Decision 766) of a scope and a period")
def get_index(request: HttpRequest, params: Query[IndexQuery]) -> dict[str, Any]:
    scope.check_key(params.scope)  # 400: no scope at all; 403: a scope outside the user's
    mine = scope.scope_of(Actor.for_user(request.user))
    chosen = scope.choose(mine, params.scope) if mine else None
    if chosen is None:
        raise PermissionDenied
    result = index.compute(chosen, parse(params.period, default="month"))
    return {
        "scope": chosen.key, "scope_label": chosen.label, "period": result.period.key,
        "period_label": result.period.label, "version": result.version, "points": float(result.points),
        "available": float(result.available), "score100": _number(result.score100), "band": result.band,
        "groups": [{"code": g.code, "key": g.key, "label": g.label, "max": float(g.max), "points": float(g.points),
                    "rows": [{"code": r.code, "label": r.label, "numerator": _number(r.numerator),
                              "denominator": r.denominator, "ratio": _number(r.ratio), "score": _number(r.score),
                              "max": float(r.max), "scored": r.scored, "reason": r.reason} for r in g.rows]}
                   for g in result.groups],
    }
