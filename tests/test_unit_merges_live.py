"""``motcua merge_units``: a decision applied to live data in one transaction (agencies, staff, open dossiers with a
reroute event each, procedure links, registers, the merge recorded), its dry run, bad files refused with nothing
changed, and reports that run on across the merge."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.agencies.models import Agency, AgencyKind, Membership
from motcua.catalog.models import Procedure
from motcua.dossiers import audit
from motcua.dossiers.models import Dossier, DossierAgency, Event, ResultCounter
from motcua.dossiers.services.merges import Decision, MergeSpec, apply
from motcua.dossiers.statuses import EventKind
from motcua.geo.models import AdministrativeUnit, UnitMerge
from motcua.geo.services import resolve_old_unit, resolve_unit
from motcua.stats import board, reports
from motcua.stats import services as stats_services
from motcua.stats.index import ended_q
from motcua.stats.models import DossierFact
from motcua.stats.periods import between
from motcua.stats.scope import parts_of, scope_for_province, scope_for_unit
from tests.factories import MONDAY, World, act, receive, returned

pytestmark = pytest.mark.django_db

BASIS = "Nghị quyết số 9999/NQ-UBTVQH15 (thử nghiệm)"


class Merged:
    """The test World's Hà Tu ward (one-stop department, People's Committee, post point, staff) with an open
    dossier at the reception step, one at the People's Committee and one returned; and a neighbouring ward, Hà
    Phong, with its own one-stop department and People's Committee, to merge Hà Tu into."""

    def __init__(self, tmp_path: Path) -> None:
        self.world = World()
        self.hatu = AdministrativeUnit.objects.get(code="06652")
        self.haphong = AdministrativeUnit.objects.create(code="06655", name="Phường Hà Phong", kind="ward",
                                                         parent=self.hatu.parent)
        self.one_stop = Agency.objects.create(identifier_code="000.02.20.H22", name="Bộ phận một cửa Hà Phong",
                                              kind=AgencyKind.COMMUNE_ONE_STOP, unit=self.haphong)
        self.committee = Agency.objects.create(identifier_code="000.02.21.H22", name="UBND phường Hà Phong",
                                               kind=AgencyKind.PEOPLE_COMMITTEE, unit=self.haphong)
        self.closed = returned(self.world, receive(self.world))
        self.at_reception = receive(self.world, MONDAY + timedelta(hours=1))
        self.at_committee = act(self.world, receive(self.world, MONDAY + timedelta(hours=2)), "transfer",
                                "tiepnhan", MONDAY + timedelta(hours=3))
        Dossier.objects.filter(pk__in=[self.at_reception.pk, self.at_committee.pk]).update(competent_unit=self.hatu)
        ResultCounter.objects.create(agency=self.world.committee, book="HT", year=2026, last=7)
        stats_services.refresh(Dossier.objects.values_list("pk", flat=True), force=True)
        self.path = tmp_path / "merge.json"
        self.write({"effective_date": "2026-11-20", "legal_basis": BASIS,
                    "merges": [{"old": ["06652"], "into": "06655"}]})

    def write(self, content: Any) -> Path:
        self.path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return self.path


def state() -> tuple[Any, ...]:
    """Everything a merge may touch."""
    return (
        list(AdministrativeUnit.objects.values_list("code", "is_active", "parent_id").order_by("code")),
        list(Agency.objects.values_list("pk", "unit_id", "is_active", "parent_id").order_by("pk")),
        list(Membership.objects.values_list("pk", "agency_id", "is_active").order_by("pk")),
        list(Dossier.objects.values_list("pk", "current_agency_id", "receiving_agency_id", "event_count",
                                         "competent_unit_id").order_by("pk")),
        list(Procedure.agencies.through.objects.values_list("procedure_id", "agency_id").order_by("pk")),
        UnitMerge.objects.count(), Event.objects.count(), list(ResultCounter.objects.values_list("agency_id", "last")),
    )


@pytest.fixture
def merged(tmp_path: Path) -> Merged:
    return Merged(tmp_path)


def test_merge_moves_agencies_staff_open_dossiers_procedures_and_counters(merged: Merged, capsys: Any) -> None:
    world = merged.world
    closed_before = Dossier.objects.get(pk=merged.closed.pk)
    call_command("merge_units", str(merged.path))
    out = capsys.readouterr().out
    assert "2 open dossiers carried over" in out and "1 agencies moved, 2 closed" in out

    merged.hatu.refresh_from_db()
    assert not merged.hatu.is_active
    merge = UnitMerge.objects.get(old_unit=merged.hatu)
    assert (merge.old_code, merge.new_unit, merge.decision, merge.effective_date) == (
        "06652", merged.haphong, BASIS, date(2026, 11, 20))
    assert resolve_unit("06652") == merged.haphong
    # the one-stop department and the People's Committee are closed into Hà Phong's, the post point moves
    for old in (world.commune, world.committee, world.post):
        old.refresh_from_db()
    assert not world.commune.is_active and not world.committee.is_active
    assert world.post.is_active and world.post.unit == merged.haphong
    # their staff now work at Hà Phong's agencies
    assert set(Membership.objects.filter(user=world.users["tiepnhan"], is_active=True)
               .values_list("agency_id", flat=True)) == {merged.one_stop.pk}
    assert set(Membership.objects.filter(user=world.users["lanhdao"], is_active=True)
               .values_list("agency_id", flat=True)) == {merged.committee.pk}
    # the procedure is received at Hà Phong's one-stop department (and the moved post point), no longer at Hà Tu's
    marriage = Procedure.objects.get(code="1.000894")
    assert set(marriage.agencies.values_list("pk", flat=True)) == {merged.one_stop.pk, world.post.pk}
    # the register goes on after the closed committee's last number
    assert ResultCounter.objects.get(agency=merged.committee, book="HT", year=2026).last == 7

    for dossier, holder in ((merged.at_reception, merged.one_stop), (merged.at_committee, merged.committee)):
        dossier.refresh_from_db()
        assert dossier.current_agency == holder and dossier.receiving_agency == merged.one_stop
        assert dossier.competent_unit == merged.haphong
        assert all(step["agency"] not in (world.commune.pk, world.committee.pk) for step in dossier.plan)
        assert DossierAgency.objects.filter(dossier=dossier, agency=holder).exists()
        last = Event.objects.filter(dossier=dossier).order_by("-seq").first()
        assert last.action == EventKind.REROUTE and last.note == BASIS
        assert last.data["to_unit"] == "06655" and last.data["from_unit"] == "06652"
        assert last.data["to_agency"] == holder.identifier_code
        events = list(Event.objects.filter(dossier=dossier).order_by("seq"))
        assert list(audit.verify_dossier(dossier, events)) == []  # the log still rebuilds the row
    # the returned dossier keeps its history as it was
    closed_after = Dossier.objects.get(pk=merged.closed.pk)
    assert (closed_after.event_count, closed_after.current_agency_id, closed_after.receiving_agency_id) == (
        closed_before.event_count, closed_before.current_agency_id, closed_before.receiving_agency_id)

    # the moved staff carry on with the moved dossier where it now is
    dossier = act(world, merged.at_reception, "transfer", "tiepnhan", MONDAY + timedelta(days=1))
    assert dossier.current_agency == merged.committee


def test_the_history_says_who_carried_the_dossier_over_and_from_which_agency_to_which(merged: Merged) -> None:
    call_command("merge_units", str(merged.path))
    client = Client()
    client.force_login(merged.world.users["lanhdao"])
    page = client.get(reverse("workspace:dossier", args=[merged.at_committee.code])).content.decode()
    timeline = page[page.index('id="timeline"'):]
    event = timeline[timeline.index(str(EventKind.REROUTE.label)):]
    event = event[:event.index("</li>")]
    assert "Hệ thống MotCua (sáp nhập đơn vị hành chính)" in event and "merge_units" not in event
    assert "Ủy ban nhân dân phường Hà Tu" in event and "UBND phường Hà Phong" in event
    assert merged.committee.identifier_code not in event  # names, not codes
    assert BASIS in event


def test_dry_run_prints_the_counts_and_changes_nothing(merged: Merged, capsys: Any) -> None:
    before = state()
    call_command("merge_units", str(merged.path), "--dry-run")
    out = capsys.readouterr().out
    assert "Phường Hà Tu (06652) → Phường Hà Phong (06655): 1 agencies moved, 2 closed" in out
    assert "2 open dossiers" in out and "Dry run: nothing changed" in out
    assert state() == before


@pytest.mark.parametrize(("content", "code"), [
    ("{not json", "not valid JSON"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS, "merges": [{"old": ["09999"], "into": "06655"}]},
     "No administrative unit has the code 09999"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS, "merges": [{"old": ["06652"], "into": "06652"}]},
     "cannot be merged into itself"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS,
      "merges": [{"old": ["06652"], "into": "06655"}, {"old": ["06652"], "into": "06655"}]}, "merged twice"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS,
      "merges": [{"old": ["06652"], "into": "06655"}, {"old": ["06655"], "into": "06652"}]}, "merged away"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS, "merges": [{"old": ["06652"], "into": "22"}]},
     "not of the same level"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS,
      "merges": [{"old": ["06652"], "new": {"code": "99001", "name": "X", "kind": "ward", "parent": "77"}}]},
     "No administrative unit has the code 77"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS,
      "merges": [{"old": ["06652"], "new": {"code": "99001", "name": "X", "kind": "district"}}]},
     "is not a kind of unit"),
    ({"effective_date": "20/11/2026", "legal_basis": BASIS, "merges": [{"old": ["06652"], "into": "06655"}]},
     "is not a date"),
    ({"effective_date": "2026-11-20", "merges": [{"old": ["06652"], "into": "06655"}]}, "lacks legal_basis"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS, "merges": [{"old": ["06652"]}]}, "names no successor"),
    ({"effective_date": "2026-11-20", "legal_basis": BASIS,
      "merges": [{"old": ["06652"], "new": {"code": "06655", "name": "X", "kind": "ward"}}]}, "already exists"),
])
def test_bad_decision_files_are_refused_with_nothing_changed(merged: Merged, content: Any, code: str) -> None:
    merged.write(content)
    before = state()
    with pytest.raises(CommandError) as caught:
        call_command("merge_units", str(merged.path))
    assert code in str(caught.value)
    assert state() == before


def test_a_decision_not_yet_in_effect_is_refused_unless_asked(merged: Merged, capsys: Any) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    merged.write({"effective_date": tomorrow.isoformat(), "legal_basis": BASIS,
                  "merges": [{"old": ["06652"], "into": "06655"}]})
    before = state()
    with pytest.raises(CommandError) as caught:
        call_command("merge_units", str(merged.path))
    assert f"{tomorrow:%d/%m/%Y}" in str(caught.value) and "--before-effective-date" in str(caught.value)
    assert state() == before
    call_command("merge_units", str(merged.path), "--dry-run")
    assert f"{tomorrow:%d/%m/%Y}" in capsys.readouterr().out
    assert state() == before
    call_command("merge_units", str(merged.path), "--before-effective-date")
    assert UnitMerge.objects.get(old_unit=merged.hatu).effective_date == tomorrow


def test_the_sample_decision_applies_today() -> None:
    sample = Path(__file__).parent.parent / "src/motcua/demo/data/merge_example.json"
    assert date.fromisoformat(json.loads(sample.read_text())["effective_date"]) <= timezone.localdate()


def test_a_unit_already_merged_is_refused(merged: Merged) -> None:
    call_command("merge_units", str(merged.path))
    before = state()
    with pytest.raises(CommandError) as caught:
        call_command("merge_units", str(merged.path))
    assert "already been merged" in str(caught.value) or "no longer exists" in str(caught.value)
    assert state() == before


def test_merge_into_a_new_unit(merged: Merged) -> None:
    merged.write({"effective_date": "2026-11-20", "legal_basis": BASIS, "merges": [
        {"old": ["06652", "06655"], "new": {"code": "99001", "name": "Phường Hạ Long Mới", "kind": "ward"}}]})
    call_command("merge_units", str(merged.path))
    new = AdministrativeUnit.objects.get(code="99001")
    assert new.parent == merged.hatu.parent and new.is_active
    # Hà Tu's agencies move (the first in), Hà Phong's close into them
    assert set(Agency.objects.filter(unit=new, is_active=True).values_list("identifier_code", flat=True)) == {
        "000.01.20.H22", "000.01.21.H22", "000.91.30.H22"}
    assert resolve_old_unit("06655").unit == new and resolve_unit("06652") == new


def test_reports_run_on_across_the_merge(merged: Merged) -> None:
    """A report on Hà Phong over a period spanning the merge counts what Hà Tu handled before it."""
    period = between(date(2026, 11, 1), date(2026, 11, 30))
    assert DossierFact.objects.filter(ended_q(scope_for_unit(merged.haphong).agency_ids, period)).count() == 0
    handled_at_hatu = DossierFact.objects.filter(ended_q(scope_for_unit(merged.hatu).agency_ids, period)).count()
    assert handled_at_hatu >= 1
    call_command("merge_units", str(merged.path))
    merged.haphong.refresh_from_db()
    scope = scope_for_unit(merged.haphong)
    assert merged.world.commune.pk in scope.agency_ids and merged.world.committee.pk in scope.agency_ids
    assert DossierFact.objects.filter(ended_q(scope.agency_ids, period)).count() == handled_at_hatu
    # the province's board, reports and breakdown show Hà Tu's agencies under Hà Phong, in one row
    province = scope_for_province(merged.hatu.parent)
    old_agencies = {merged.world.commune.pk, merged.world.committee.pk, merged.world.post.pk}
    rows = {unit.key: set(unit.agency_ids) for unit in board.units_of(province)}
    assert f"u{merged.hatu.pk}" not in rows and rows[f"u{merged.haphong.pk}"] >= old_agencies
    of_agency, lines = reports.units_of(province)
    assert {of_agency[a] for a in old_agencies} == {f"u{merged.haphong.pk}"}
    assert [line.label for line in lines].count("Phường Hà Phong") == 1
    part = next(p for p in parts_of(province) if p.key == f"u{merged.haphong.pk}")
    assert part.agency_ids >= old_agencies and part.label == "Phường Hà Phong"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=6))
def test_any_chain_of_merges_resolves_to_a_standing_unit(steps: list[tuple[int, int]]) -> None:
    with transaction.atomic():
        province = AdministrativeUnit.objects.create(code="98", name="Tỉnh thử", kind="province")
        codes = [f"980{n:02d}" for n in range(6)]
        for code in codes:
            AdministrativeUnit.objects.create(code=code, name=f"Xã {code}", kind="commune", parent=province)
        for number, (a, b) in enumerate(steps):
            old, into = resolve_unit(codes[a]), resolve_unit(codes[b])
            if old == into:
                continue
            apply(Decision(date(2026, 1, 1) + timedelta(days=number), BASIS, [MergeSpec([old.code], into.code)]))
        standing = set(AdministrativeUnit.objects.filter(parent=province, is_active=True))
        assert standing
        for code in codes:
            assert resolve_unit(code) in standing
        for gone in AdministrativeUnit.objects.filter(parent=province, is_active=False):
            assert gone.successor == resolve_unit(gone.code)  # the reports' shortcut agrees with the merges
        transaction.set_rollback(True)
