"""The reporting facts (issue 13): built from the event log after each action, equal to a rebuild."""

from __future__ import annotations

from datetime import timedelta

import pytest

from motcua.stats import services
from motcua.stats.models import DailyRollup, DossierFact, Outcome, StepFact
from tests.factories import MONDAY, World, act, receive, returned

pytestmark = pytest.mark.django_db(transaction=True)


def _rollup() -> list[tuple]:
    fields = [f.attname for f in DailyRollup._meta.concrete_fields if f.attname != "id"]
    return sorted(DailyRollup.objects.values_list(*fields))


def test_a_returned_dossier_has_its_fact_steps_and_rollup_and_a_rebuild_changes_nothing() -> None:
    world = World()
    dossier = returned(world, receive(world))
    fact = DossierFact.objects.get(pk=dossier.pk)
    assert fact.outcome == Outcome.EARLY and fact.ended_by == "handled"
    assert fact.event_count == dossier.event_count
    assert StepFact.objects.filter(dossier_id=dossier.pk).count() >= 4
    late = receive(world, MONDAY + timedelta(hours=1))
    act(world, late, "request_supplement", "tiepnhan", MONDAY + timedelta(hours=2),
        missing=[{"document": "Tờ khai", "reason": "thiếu chữ ký"}])
    before = _rollup()
    assert before
    assert services.rebuild() [0] == DossierFact.objects.count()
    assert _rollup() == before
