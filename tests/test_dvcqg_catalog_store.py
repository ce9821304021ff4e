"""The national catalogue imported (``motcua sync_catalog``), results pushed to the citizens' national document
store and a citizen's documents fetched from it, and the reporting facts' "synced" rows — against the real
portal simulator process."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from motcua.api.auth import issue_token
from motcua.catalog.models import ProcedureVersion
from motcua.demo.province import DEMO_CITIZENS
from motcua.dossiers.statuses import Status
from motcua.integrations import outbox
from motcua.integrations.dvcqg import client as portal
from motcua.integrations.dvcqg import store
from motcua.integrations.dvcqg.simulator import Simulator as PortalSimulator
from motcua.integrations.models import CodeMapping, OutboxMessage, OutboxStatus
from motcua.integrations.population.simulator import Simulator as PopulationSimulator
from motcua.stats import services as stats_services
from motcua.stats.models import DossierFact
from tests.factories import MONDAY, World, act, issue, receive
from tests.portal_sim import PortalSim, portal_sim_fixture, portal_sim_process_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_sync_catalog_maps_by_code_then_by_name_and_is_idempotent(world: World, portal_sim: PortalSim) -> None:
    # the judicial record procedure has a local code the portal does not know, but the national name
    ProcedureVersion.objects.filter(procedure__code="2.000488").update(
        name_vi="Cấp  phiếu lý lịch tư pháp cho công dân Việt Nam")
    out = io.StringIO()
    call_command("sync_catalog", stdout=out)
    text = out.getvalue()
    assert "2 local procedures mapped (2 new, 0 updated), 0 unmapped" in text, text
    rows = dict(CodeMapping.objects.filter(system="portal", kind="procedure").values_list("local_code",
                                                                                        "remote_code"))
    assert rows == {"1.000894": "1.000894", "2.000488": "2.002065"}
    assert "National catalogue: 64/64 procedures read" in text and "62 national procedures not offered here" in text
    out = io.StringIO()
    call_command("sync_catalog", stdout=out)
    assert "(0 new, 0 updated)" in out.getvalue()
    # an administrator's own row is kept; a procedure the portal does not know is listed as unmapped
    CodeMapping.objects.filter(local_code="2.000488").update(remote_code="2.000488.X", note="by hand")
    ProcedureVersion.objects.filter(procedure__code="1.000894").update(name_vi="Thủ tục riêng của tỉnh")
    from motcua.catalog.models import Procedure

    Procedure.objects.filter(code="1.000894").update(code="1.999999")
    out = io.StringIO()
    call_command("sync_catalog", stdout=out)
    assert "1 unmapped" in out.getvalue() and "1.999999" in out.getvalue()
    assert CodeMapping.objects.get(local_code="2.000488").remote_code == "2.000488.X"


def test_sync_catalog_says_clearly_when_the_portal_is_down(world: World, portal_sim: PortalSim) -> None:
    portal_sim.configure(failure_rate=1)
    with pytest.raises(Exception, match=r"\(503\)"):
        call_command("sync_catalog", stdout=io.StringIO())


def issued(world: World):
    dossier = receive(world, MONDAY)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    dossier = act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", MONDAY + timedelta(hours=2))
    return issue(world, dossier, MONDAY + timedelta(hours=3))


def test_an_issued_result_is_pushed_to_the_citizens_store_once(world: World, portal_sim: PortalSim) -> None:
    dossier = issued(world)
    message = OutboxMessage.objects.get(system="store")
    assert message.key.startswith(dossier.code) and message.dossier_id == dossier.pk
    outbox.drain(systems=["store"])
    documents = portal_sim.state()["store"][dossier.applicant_id_number]
    pushed = [d for d in documents if d.get("MaHoSo") == dossier.code]
    result = dossier.issued_results.get()
    assert len(pushed) == 1 and pushed[0]["MaBam"] == result.sha256
    assert pushed[0]["MaGiayToKetQua"] == result.verification_code
    assert result.verification_code in pushed[0]["DuongDan"]
    # sent again (a replay): the store keeps one
    outbox.replay([message])
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.PENDING)
    outbox.drain(systems=["store"])
    assert len([d for d in portal_sim.state()["store"][dossier.applicant_id_number]
                if d.get("MaHoSo") == dossier.code]) == 1
    # and the citizen's documents, fetched from the store, list it beside what national databases hold
    found = store.citizen_documents(dossier.applicant_id_number)
    assert {d.name for d in found} >= {"Giấy khai sinh", result.name}
    assert [d.dossier for d in found if d.source == "MotCua"] == [dossier.code]


def test_no_id_number_no_store_message(world: World, portal_sim: PortalSim) -> None:
    dossier = receive(world, MONDAY)  # an ID number is required at reception: blanked afterwards
    from motcua.dossiers.models import Dossier

    Dossier.objects.filter(pk=dossier.pk).update(applicant_id_number="")
    dossier.refresh_from_db()
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    dossier = act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", MONDAY + timedelta(hours=2))
    issue(world, dossier, MONDAY + timedelta(hours=3))
    assert not OutboxMessage.objects.filter(system="store").exists()


def test_the_store_is_fetched_through_the_api_by_those_who_see_the_applicants_data(
        world: World, portal_sim: PortalSim) -> None:
    dossier = receive(world, MONDAY)
    officer = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    answer = officer.get(f"/api/v1/dossiers/{dossier.code}/national-documents")
    assert answer.status_code == 200, answer.content
    assert [d["name"] for d in answer.json()] == ["Giấy khai sinh", "Bằng tốt nghiệp trung học phổ thông"]
    portal_sim.configure(failure_rate=1)
    answer = officer.get(f"/api/v1/dossiers/{dossier.code}/national-documents")
    assert answer.status_code == 502 and answer.json()["error"] == "portal_refused"
    with override_settings(MOTCUA_DVCQG_URL=""):
        answer = officer.get(f"/api/v1/dossiers/{dossier.code}/national-documents")
    assert answer.status_code == 502 and answer.json()["error"] == "portal_not_configured"
    with pytest.raises(portal.PortalError, match="not a citizen ID"):
        store.citizen_documents("12ab")


def test_the_facts_count_synced_once_delivered(world: World, portal_sim: PortalSim, settings) -> None:
    settings.MOTCUA_STATS_REFRESH = "immediate"
    dossier = issued(world)
    stats_services.refresh([dossier.pk], force=True)
    fact = DossierFact.objects.get(pk=dossier.pk)
    assert (fact.synced, fact.store_synced) == (False, False)
    outbox.drain(systems=["portal"])
    fact.refresh_from_db()
    assert (fact.synced, fact.store_synced) == (True, False)
    outbox.drain(systems=["store"])
    fact.refresh_from_db()
    assert (fact.synced, fact.store_synced) == (True, True)
    assert dossier.status == Status.RESULT_READY
    with override_settings(MOTCUA_STATS_SOURCES=[]):
        stats_services.refresh([dossier.pk], force=True)
    fact.refresh_from_db()
    assert (fact.synced, fact.store_synced) == (None, None)


def test_the_store_holds_the_trial_citizens_documents(portal_sim: PortalSim) -> None:
    citizen = next(c for c in DEMO_CITIZENS if c["kind"] == "person")
    assert citizen["id_number"] == "022190004567"
    names = [d.name for d in store.citizen_documents(citizen["id_number"])]
    assert "Giấy khai sinh" in names and len(names) >= 2


def test_the_simulators_pages_fit_a_phone() -> None:
    viewport = "<meta name=viewport content='width=device-width, initial-scale=1'>"
    for page in (PortalSimulator(client_id="a", client_secret="b").page(),
                 PopulationSimulator(client_id="a", secret="b", count=3).page()):
        assert viewport in page and "@media (max-width:40rem)" in page and "overflow-wrap:anywhere" in page
