"""The national portal sync (issue 14, part 2) against the real simulator process: a dossier's life shows up step
by step, add-then-update when the portal already has it, and a portal that is down, slow, answers garbage or answers
twice loses nothing and duplicates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import EventKind
from motcua.integrations import outbox
from motcua.integrations.dvcqg import client as portal
from motcua.integrations.dvcqg import packet
from motcua.integrations.models import CodeMapping, OutboxMessage, OutboxStatus
from tests.factories import MONDAY, World, act, issue, pay, receive
from tests.portal_sim import PortalSim, portal_sim_fixture, portal_sim_process_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

LATER = timezone.now() + timedelta(days=3650)  # far enough for any backoff


def drain() -> outbox.Report:
    return outbox.drain(systems=["portal", "store"])


def drain_through_failures(rounds: int = 60) -> None:
    """Turns of the worker until nothing is pending, each as if the backoff had run out."""
    for turn in range(rounds):
        outbox.deliver_due(systems=["portal", "store"], now=LATER + timedelta(hours=turn * 2))
        if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
            return
    raise AssertionError(list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING).values_list(
        "key", "last_error")))


def test_a_dossiers_life_shows_up_step_by_step(world: World, portal_sim: PortalSim, settings) -> None:
    settings.MOTCUA_STATS_REFRESH = "immediate"
    dossier = receive(world, MONDAY)
    assert OutboxMessage.objects.filter(system="portal", dossier_id=dossier.pk).count() == dossier.event_count
    drain()
    seen = portal_sim.dossier(dossier.code)
    assert (seen["TrangThaiHoSo"], seen["MaTTHC"], seen["KenhThucHien"], seen["LoaiDoiTuong"]) == (2, "1.000894",
                                                                                                   1, 1)
    assert seen["NgayTiepNhan"] == dossier.received_at.astimezone(packet.VN_TZ).strftime("%Y%m%d%H%M%S")
    assert seen["ChuHoSo"] == dossier.applicant_name and "DiaChi" not in seen and "form_data" not in seen
    assert len(portal_sim.progress(dossier.code)) == dossier.event_count

    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    dossier = act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=1))
    drain()
    seen = portal_sim.dossier(dossier.code)
    rows = portal_sim.progress(dossier.code)
    assert seen["TrangThaiHoSo"] == 4 and seen["PhienBan"] == dossier.event_count
    assert len(rows) == dossier.event_count
    assert rows[-1]["NguoiXuLy"] and rows[-1]["TrangThai"] == 4 and len(rows[-1]["ThoiDiemXuLy"]) == 14
    assert [r["MaDongBo"] for r in rows] == [f"{dossier.code}#{seq}" for seq in range(1, dossier.event_count + 1)]

    dossier = act(world, dossier, "approve", "lanhdao", MONDAY + timedelta(hours=2))
    dossier = issue(world, dossier, MONDAY + timedelta(hours=3))
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(hours=4))
    drain()
    seen = portal_sim.dossier(dossier.code)
    assert seen["TrangThaiHoSo"] == 9 and seen["DanhSachGiayToKetQua"][0]["MaGiayToKetQua"]
    assert seen["DanhSachLePhi"][0]["MucPhi"] == 30000
    dossier = act(world, dossier, "return_result", "tiepnhan", MONDAY + timedelta(hours=5), delivery="counter",
                  recipient="Nguyễn Văn An")
    report = drain()
    assert report.failed == 0
    seen = portal_sim.dossier(dossier.code)
    assert seen["TrangThaiHoSo"] == 10 and seen["NgayTra"]
    assert len(portal_sim.progress(dossier.code)) == Dossier.objects.get(pk=dossier.pk).event_count
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()
    # the portal was sent each dossier once per batch, added once then updated
    counts = portal_sim.state()["counts"]
    assert counts["them"] >= 1 and counts["capnhat"] >= 1 and counts["trung"] == 0
    # the simulator's page lists it with its status and its progress rows
    import urllib.request

    with urllib.request.urlopen(portal_sim.url + "/", timeout=5) as answer:  # noqa: S310 - the local simulator
        page = answer.read().decode()
    assert dossier.code in page and "10 — Đã trả kết quả" in page


def test_add_then_update_when_the_portal_already_has_it(world: World, portal_sim: PortalSim) -> None:
    dossier = receive(world, MONDAY)
    drain()
    OutboxMessage.objects.all().delete()
    # another instance (or an earlier MotCua) synced it already: "đã tồn tại", so the sync updates it
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    before = portal_sim.state()["counts"]
    assert drain().delivered == 1
    after = portal_sim.state()["counts"]
    assert (after["them"] - before["them"], after["capnhat"] - before["capnhat"]) == (1, 1)
    assert portal_sim.dossier(dossier.code)["TrangThaiHoSo"] == 4
    # resending the same message changes nothing (idempotent on the key)
    outbox.replay(OutboxMessage.objects.all())
    OutboxMessage.objects.update(status=OutboxStatus.PENDING)
    drain()
    assert len(portal_sim.progress(dossier.code)) == dossier.event_count
    assert portal_sim.state()["counts"]["trung"] == 1


def test_a_mapping_row_overrides_a_default_code(world: World, portal_sim: PortalSim) -> None:
    CodeMapping.objects.create(system="portal", kind="channel", local_code="counter", remote_code="3")
    CodeMapping.objects.create(system="portal", kind="unit", local_code=world.commune.identifier_code,
                               remote_code="H22.01.20")
    dossier = receive(world, MONDAY)
    drain()
    seen = portal_sim.dossier(dossier.code)
    assert (seen["KenhThucHien"], seen["DonViXuLy"]) == (3, "H22.01.20")


def test_an_unknown_procedure_is_refused_for_good_and_replayed_once_mapped(world: World,
                                                                          portal_sim: PortalSim) -> None:
    CodeMapping.objects.create(system="portal", kind="procedure", local_code="1.000894", remote_code="9.999999")
    dossier = receive(world, MONDAY)
    report = drain()
    assert report.failed == dossier.event_count and report.delivered == 0
    failed = list(OutboxMessage.objects.filter(status=OutboxStatus.FAILED))
    assert "Mã thủ tục" in failed[0].last_error and failed[0].attempts == 1
    CodeMapping.objects.filter(kind="procedure").update(remote_code="1.000894")
    outbox.replay(failed)
    assert drain().delivered == dossier.event_count
    assert portal_sim.dossier(dossier.code)["TrangThaiHoSo"] == 2


@pytest.mark.parametrize("mishap", [{"failure_rate": 0.5}, {"garbage": 0.5}, {"twice": 0.7}, {"lost": 0.5}])
def test_a_portal_down_garbled_or_answering_twice_loses_and_duplicates_nothing(
        world: World, portal_sim: PortalSim, mishap: dict[str, float]) -> None:
    made = [receive(world, MONDAY + timedelta(minutes=i)) for i in range(4)]
    made = [act(world, d, "transfer", "tiepnhan", MONDAY + timedelta(hours=1)) for d in made]
    portal_sim.configure(**mishap)
    with override_settings(MOTCUA_OUTBOX_MAX_ATTEMPTS=100):
        drain_through_failures()
    portal_sim.configure(failure_rate=0, garbage=0, twice=0, lost=0)
    state = portal_sim.state()
    for dossier in made:
        dossier.refresh_from_db()
        assert state["dossiers"][dossier.code]["TrangThaiHoSo"] == 4
        keys = [row["MaDongBo"] for row in state["progress"][dossier.code]]
        assert sorted(keys) == sorted(f"{dossier.code}#{seq}" for seq in range(1, dossier.event_count + 1))
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == sum(d.event_count for d in made)


def test_a_slow_portal_is_retried(world: World, portal_sim: PortalSim) -> None:
    dossier = receive(world, MONDAY)
    portal_sim.configure(slow=1.5)
    with override_settings(MOTCUA_DVCQG_TIMEOUT=0.5):
        report = outbox.deliver_due(systems=["portal"])
    assert report.retried == dossier.event_count and report.delivered == 0
    message = OutboxMessage.objects.filter(system="portal").first()
    assert message is not None
    assert "portal_unreachable" in message.last_error and message.status == OutboxStatus.PENDING
    portal_sim.configure(slow=0)
    drain_through_failures()
    assert portal_sim.dossier(dossier.code)["TrangThaiHoSo"] == 2


def test_an_expired_token_is_renewed_once(portal_sim: PortalSim) -> None:
    api = portal.client()
    assert api.catalogue(1, 5)["TongSo"] > 50
    first = api.token
    portal_sim.call("POST", "/_sim/reset", {})  # the portal forgets its tokens: the next call is answered 401
    assert len(api.catalogue(2, 5)["DanhSach"]) == 5
    assert api.token != first


def test_bad_credentials_are_a_clear_error(portal_sim: PortalSim) -> None:
    with pytest.raises(portal.PortalError) as caught:
        portal.Client(client_secret="wrong").catalogue()  # noqa: S106 - a wrong secret on purpose
    assert caught.value.code == "portal_credentials" and not caught.value.retry
    assert "MOTCUA_DVCQG_CLIENT_SECRET" in caught.value.messages()["en"]


def test_a_batch_costs_a_few_queries_whatever_its_size(world: World, portal_sim: PortalSim) -> None:
    for i in range(6):
        receive(world, MONDAY + timedelta(minutes=i))
    messages = list(OutboxMessage.objects.filter(system="portal").order_by("id"))
    from motcua.integrations.dvcqg import sync

    with CaptureQueriesContext(connection) as queries:
        outcomes = sync.deliver(messages)
    assert all(o.ok for o in outcomes.values()) and len(outcomes) == len(messages)
    assert len(queries) <= 12, [q["sql"][:120] for q in queries]


def test_every_event_kind_has_an_action_text_and_a_national_status(world: World) -> None:
    dossier = receive(world, MONDAY)
    batch = packet.load([dossier.pk])
    field_labels = {"Ngày nộp", "Chấp nhận", "Submitted", "Accepted"}  # column headers, not what was done
    texts = {}
    for kind in EventKind:
        event = Event(dossier=dossier, seq=99, action=kind.value, actor_name="x", at=MONDAY,
                      from_status=dossier.status, to_status=dossier.status)
        row = packet.progress(batch, dossier, event, f"k-{kind.value}")
        texts[kind.value] = row["NoiDungXuLy"]
        assert row["NoiDungXuLy"] and row["NoiDungXuLy"] not in field_labels, kind
        assert row["NoiDungXuLy"] != kind.value, kind  # a text, not the raw code
        assert 1 <= row["TrangThai"] <= 10, kind
    assert texts["submit"] == "Đã nộp hồ sơ" and texts["receive"] == "Đã tiếp nhận hồ sơ"
    for kind in ("reroute", "link_account", "exchange"):
        assert texts[kind] == packet.action_text(kind) and texts[kind].isascii() is False, kind


def test_the_dossier_page_says_whether_the_portal_has_it(world: World, portal_sim: PortalSim, settings) -> None:
    from django.test import Client

    from motcua.integrations.selectors import delivery_state

    dossier = receive(world, MONDAY)
    client = Client()
    client.force_login(world.users["tiepnhan"])
    url = f"/workspace/dossiers/{dossier.code}/"
    assert delivery_state(dossier.pk, "portal").waiting
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="portal-sync"' in page and "waiting to be sent" in page
    drain()
    state = delivery_state(dossier.pk, "portal")
    assert state is not None and not state.waiting and not state.failed
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "National portal: delivered" in page
    OutboxMessage.objects.filter(dossier=dossier).update(status=OutboxStatus.FAILED, last_error="portal_refused: no")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not delivered" in page and "portal_refused: no" in page
