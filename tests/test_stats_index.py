"""The service-quality index (issue 13, Decision 766/QĐ-TTg): a small month built by hand, each row's numerator,
denominator and score, null rows with their reasons, drill-downs equal to the numbers, scopes, the page."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.dossiers import services as dossier_services
from motcua.feedback import services as feedback_services
from motcua.feedback.models import PetitionKind
from motcua.payments import services as payment_services
from motcua.payments.gateways.sandbox import SandboxGateway
from motcua.stats import drill, index, scope
from motcua.stats.admin import IndexVersionForm
from motcua.stats.models import IndexVersion
from motcua.stats.periods import parse
from tests.factories import (
    APPLICANT,
    MONDAY,
    World,
    act,
    at,
    issue,
    pay,
    pdf_bytes,
    rating,
    receive,
    returned,
    through_processing,
)

pytestmark = pytest.mark.django_db(transaction=True)
MONTH = parse("2026-11")
FORMULA_12_REASON = index.FORMULAS["procedures_updated_on_time"].reason
MISSING = [{"document": "Tờ khai", "reason": "Chưa ký"}]


def paid_online(world: World, dossier: Any) -> None:
    """The fee paid through the sandbox gateway (what the citizen's payment page and the gateway's IPN do)."""
    payment = payment_services.start_payment(code=dossier.code, user=world.users["tiepnhan"], return_url="/",
                                             client_ip="127.0.0.1", locale="vn", site_url="http://testserver",
                                             now=MONDAY + timedelta(minutes=10))
    request = dict(parse_qsl(urlsplit(payment.redirect_url).query))
    answer = SandboxGateway().result_params(request, "pay", timezone.now())
    received = payment_services.receive_notice(params=answer, now=MONDAY + timedelta(minutes=11))
    assert received.payment is not None and received.payment.status == "paid"


def month(world: World, media: Any) -> dict[str, Any]:
    """Seven dossiers of November 2026 at Hà Tu, two petitions and two ratings."""
    made: dict[str, Any] = {}
    made["early"] = returned(world, receive(world))  # early, paid in cash at the counter
    late = receive(world, MONDAY + timedelta(minutes=1))
    made["late"] = through_processing(world, late, at(26, 9))  # due 23 Nov (5 working days): late
    twice = receive(world, MONDAY + timedelta(minutes=2), receive=False)
    twice = act(world, twice, "request_supplement", "tiepnhan", MONDAY + timedelta(minutes=3), missing=MISSING)
    twice = act(world, twice, "supplement", "tiepnhan", at(17, 9))
    twice = act(world, twice, "receive", "tiepnhan", at(17, 10))
    twice = act(world, twice, "transfer", "tiepnhan", at(17, 10))
    twice = act(world, twice, "request_supplement", "chuyenvien", at(18, 9), missing=MISSING)
    twice = act(world, twice, "supplement", "tiepnhan", at(18, 14))
    made["twice"] = twice = through_processing_from_step(world, twice, at(18, 15))  # early by the dates: late
    sorry = receive(world, MONDAY + timedelta(minutes=4))
    sorry = act(world, sorry, "apologize", "tiepnhan", MONDAY + timedelta(minutes=5),
                new_due_at=at(27, 9).isoformat(), reason="Thiếu cán bộ")
    made["sorry"] = through_processing(world, sorry, at(17, 9))  # ended early by the dates: late (an apology)
    online = receive(world, MONDAY + timedelta(minutes=6))
    paid_online(world, online)
    made["online"] = online
    made["scanned"] = dossier_services.receive_at_counter(
        actor=world.actor("tiepnhan"), now=MONDAY + timedelta(minutes=7),
        data={"procedure": "1.000894", "channel": "counter", "applicant": dict(APPLICANT),
              "components": [{"order": 1, "originals": 1}]},
        scans={1: SimpleUploadedFile("to-khai.pdf", pdf_bytes("tờ khai"), content_type="application/pdf")},
        digitized={1: {"number": "1/TK"}})
    made["open"] = receive(world, MONDAY + timedelta(minutes=8))  # due 23 Nov, still open at the month's end
    # a petition received on 20 Oct, first answered on 20 Nov (more than 15 working days): late
    late_petition = feedback_services.submit_petition(data=feedback_services.PetitionIn(
        kind=PetitionKind.PETITION, subject="Chậm trả", body="Hồ sơ chậm.", agency=world.commune.identifier_code,
        sender_name="Trần Thị Bình", phone="0987654321", consent_to_publish=False,
        dossier_code=made["late"].code), now=at(20, 9) - timedelta(days=31))
    feedback_services.answer_petition(actor=world.actor("tiepnhan"), code=late_petition.code, answer="Xin lỗi.",
                                      publish=False, now=at(20, 9))
    quick = feedback_services.submit_petition(data=feedback_services.PetitionIn(
        kind=PetitionKind.FEEDBACK, subject="Góp ý", body="Tốt.", agency=world.commune.identifier_code,
        sender_name="Lê Văn Cường", phone="0911111111", consent_to_publish=False), now=at(17, 9))
    feedback_services.answer_petition(actor=world.actor("tiepnhan"), code=quick.code, answer="Cảm ơn.",
                                      publish=False, now=at(18, 9))
    made["petitions"] = (late_petition, quick)
    rating(world.commune, score=1, dossier=made["early"], now=at(20, 10))  # a dislike of the early dossier
    rating(world.commune, score=5, now=at(20, 11))
    return made


def through_processing_from_step(world: World, dossier: Any, start: Any) -> Any:
    """A dossier already transferred: examined, approved and issued."""
    dossier = act(world, dossier, "forward", "chuyenvien", start)
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(minutes=10))
    return issue(world, dossier, start + timedelta(minutes=20))


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world() -> World:
    return World()


def province(world: World) -> scope.Scope:
    return scope.scope_for_province(world.center.unit)


def test_each_row_of_a_month_built_by_hand(world: World, media: Any) -> None:
    made = month(world, media)
    result = index.compute(province(world), MONTH)
    rows = {r.code: r for r in result.rows}
    # 2.1: ended in November: early, late, twice (late), sorry (late); open past due at the end: open, online,
    # scanned (all due 23 Nov)
    on_time = rows["2.1"]
    assert (on_time.numerator, on_time.denominator) == (1, 7)
    assert on_time.ratio == Decimal("14.29") and on_time.score == Decimal("2.86")
    assert rows["2.2"].scored is False and rows["2.2"].ratio is not None
    # received in November: 7 dossiers, all at the counter, of a procedure offered fully online
    assert (rows["3.1"].numerator, rows["3.1"].denominator) == (0, 7)
    assert rows["3.1"].score == 0
    # payment: every dossier has a 30,000 đ fee; one paid through the gateway
    assert (rows["4.3"].numerator, rows["4.3"].denominator) == (1, 7)
    assert (rows["4.2"].numerator, rows["4.2"].denominator) == (1, 1)  # the marriage procedure had a payment
    assert rows["4.2"].score == 2
    # 4.1: the marriage registration (full online, 30,000 đ) and the judicial record (no fee item above 0)
    assert (rows["4.1"].numerator, rows["4.1"].denominator) == (1, 1) and rows["4.1"].score == 2
    # digitization: one dossier of seven; below the 80 % threshold: rate × 4 ÷ 80
    assert (rows["5.2"].numerator, rows["5.2"].denominator) == (1, 7)
    assert rows["5.2"].score == (Decimal(1) / 7 * 100).quantize(Decimal("0.01")) * 4 / 80 or \
        abs(rows["5.2"].score - Decimal("0.71")) < Decimal("0.01")
    assert (rows["5.1"].numerator, rows["5.1"].denominator) == (0, 4)  # results issued unsigned
    # petitions: the late one answered in November counts, the quick one too
    assert (rows["6.1"].numerator, rows["6.1"].denominator) == (1, 2) and rows["6.1"].score == 3
    assert (rows["6.2"].numerator, rows["6.2"].denominator) == (1, 2)
    # 6.3: of the four ended, early is disliked, late is late and complained about, twice and sorry are late
    assert (rows["6.3"].numerator, rows["6.3"].denominator) == (0, 4) and rows["6.3"].score == 0
    assert (rows["6.4"].numerator, rows["6.4"].denominator) == (0, 1)  # received in November: the feedback only
    # the sources that do not exist yet: null with a reason, never 0
    for code in ("1.4", "5.5", "5.6", "5.7"):
        assert rows[code].score is None and rows[code].ratio is None and rows[code].reason
    # no procedure changed in November: 1.2 has no figure either
    assert rows["1.2"].score is None and rows["1.2"].reason == str(FORMULA_12_REASON)
    assert result.available == 100 - 6 - 4 - 2 - 2 - 4
    assert result.points == sum(r.score for r in result.rows if r.scored and r.score is not None)
    assert result.score100 == (result.points * 100 / result.available).quantize(Decimal("0.01"))
    assert result.band == "weak"
    assert made


def test_a_row_without_data_is_null_with_a_reason_not_zero(world: World) -> None:
    result = index.compute(province(world), MONTH)
    on_time = result.row("2.1")
    assert on_time is not None and on_time.score is None and on_time.ratio is None
    assert on_time.reason == str(index.NO_DOSSIER_ENDED)
    assert result.row("1.1") is not None and result.row("1.1").denominator == 2  # the catalogue is there


def test_every_drill_down_counts_the_number_shown(world: World, media: Any) -> None:
    month(world, media)
    whole = province(world)
    result = index.compute(whole, MONTH)
    for row in result.rows:
        for side in drill.SIDES:
            shown = row.numerator if side == "numerator" else row.denominator
            if shown is None or row.unit == "days" and side == "numerator":
                continue
            assert drill.drill(row.code, side, whole, MONTH).count() == shown, (row.code, side)


def test_scopes_and_their_parts(world: World) -> None:
    whole = province(world)
    parts = {p.key: p for p in scope.parts_of(whole)}
    ward = world.commune.unit
    assert parts[f"u{ward.pk}"].agency_ids == {world.commune.pk, world.committee.pk, world.post.pk}
    assert parts[f"d{world.justice.pk}"].agency_ids == {world.justice.pk}
    assert parts[f"d{world.center.pk}"].agency_ids == {world.center.pk}  # not the communes under it
    leader = scope.scope_of(world.actor("lanhdao"))
    assert scope.choose(leader, "") is not None and scope.choose(leader, "").key == f"u{ward.pk}"
    assert scope.choose(leader, f"p{whole.province_ids and next(iter(whole.province_ids))}") is None
    assert scope.choose(leader, f"d{world.justice.pk}") is None
    department = scope.scope_of(world.actor("kyso.tuphap"))
    mine = scope.choose(department, "")
    assert mine is not None and mine.agency_ids == {world.justice.pk}
    assert [p.key for p in scope.parts_of(mine)] == [f"d{world.justice.pk}"]
    assert scope.choose(department, f"u{ward.pk}") is None


def test_the_page_for_a_commune_leader_and_403_for_an_officer(world: World, media: Any) -> None:
    month(world, media)
    client = Client()
    client.force_login(world.users["chuyenvien"])
    assert client.get("/workspace/thong-ke/chi-so/?ky=2026-11").status_code == 403
    client.force_login(world.users["lanhdao"])
    page = client.get("/workspace/thong-ke/chi-so/?ky=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert "thong-ke/chi-so/2.1/" in html
    assert world.justice.name not in html  # another level's department is not a choice
    assert client.get("/workspace/thong-ke/chi-so/?ky=2026-13").status_code == 400
    drill_page = client.get("/workspace/thong-ke/chi-so/2.1/?ky=2026-11&phia=denominator")
    assert drill_page.status_code == 200
    export = client.get("/workspace/thong-ke/chi-so/2.1/?ky=2026-11&phia=denominator&xuat=csv")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 7
    table = client.get("/workspace/thong-ke/chi-so/?ky=2026-11&xuat=xlsx")
    assert table.status_code == 200 and table["Content-Type"].startswith("application/vnd.openxml")
    other = client.get(f"/workspace/thong-ke/chi-so/?ky=2026-11&pham-vi=d{world.justice.pk}")
    assert other.status_code == 403


def test_the_index_page_costs_the_same_queries_for_one_dossier_or_many(world: World, media: Any) -> None:
    client = Client()
    client.force_login(world.users["lanhdao"])
    returned(world, receive(world))
    url = "/workspace/thong-ke/chi-so/?ky=2026-11"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for minute in range(5):
        dossier = receive(world, MONDAY + timedelta(minutes=20 + minute))
        pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(minutes=21 + minute))
    feedback_services.submit_petition(data=feedback_services.PetitionIn(
        kind=PetitionKind.FEEDBACK, subject="Góp ý", body="Tốt.", agency=world.commune.identifier_code,
        sender_name="Lê Văn Cường", phone="0911111111", consent_to_publish=False), now=at(17, 9))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_api_gives_the_index_of_a_scope_the_user_may_see(world: World, media: Any) -> None:
    month(world, media)
    client = Client()
    client.force_login(world.users["lanhdao"])
    answer = client.get("/api/v1/stats/index", {"period": "2026-11"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["scope"] == f"u{world.commune.unit_id}" and body["period"] == "2026-11"
    rows = {r["code"]: r for g in body["groups"] for r in g["rows"]}
    assert len(rows) == 24 and rows["1.4"]["score"] is None and rows["1.4"]["reason"]
    assert client.get("/api/v1/stats/index", {"scope": f"d{world.justice.pk}"}).status_code == 403
    assert client.get("/api/v1/stats/index", {"period": "2026-13"}).status_code == 400
    client.force_login(world.users["chuyenvien"])
    assert client.get("/api/v1/stats/index").status_code == 403


@pytest.mark.django_db
def test_a_period_is_scored_by_the_version_in_effect_on_its_first_day() -> None:
    seeded = IndexVersion.objects.get()  # the data migration's, from index_766.json
    assert seeded.rows == index.seed_config().rows and seeded.name == index.seed_config().name
    rows = [{**r, "max": 26 if r["code"] == "2.1" else r["max"]} for r in seeded.rows if r["code"] != "1.4"]
    groups = [{**g, "max": 26 if g["code"] == "2" else g["max"] - (6 if g["code"] == "1" else 0)}
              for g in seeded.groups]
    IndexVersion.objects.create(name="2026", effective_from="2026-12-01", groups=groups, rows=rows,
                                      bands=seeded.bands)
    assert index.config_for(parse("2026-11")).name == seeded.name
    assert index.config_for(parse("2026-12")).name == "2026"
    assert index.config_for(parse("2026-Q4")).name == seeded.name  # the quarter starts in October
    world = World()
    result = index.compute(province(world), parse("2026-12"))
    assert result.row("1.4") is None and result.row("2.1") is not None and result.row("2.1").max == 26
    assert result.maximum == 100


def test_the_drill_down_page_costs_the_same_queries_for_one_dossier_or_many(world: World) -> None:
    client = Client()
    client.force_login(world.users["lanhdao"])
    returned(world, receive(world))
    url = "/workspace/thong-ke/chi-so/2.1/?ky=2026-Q4&phia=denominator"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for minute in range(5):
        receive(world, MONDAY + timedelta(minutes=20 + minute))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("/workspace/dossiers/") == 6
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_admin_lists_the_versions_and_refuses_an_unknown_formula(admin_client: Client) -> None:
    seeded = IndexVersion.objects.get()
    assert admin_client.get("/admin/stats/indexversion/").status_code == 200
    assert admin_client.get(f"/admin/stats/indexversion/{seeded.pk}/change/").status_code == 200
    rows = [{**r, "formula": "guesswork"} if r["code"] == "1.1" else r for r in seeded.rows]
    form = IndexVersionForm(data={"name": "x", "legal_basis": "", "effective_from": "2027-01-01",
                                  "groups": json.dumps(seeded.groups), "rows": json.dumps(rows),
                                  "bands": json.dumps(seeded.bands)})
    assert not form.is_valid() and "guesswork" in str(form.errors)
    heavier = [{**r, "max": 7} if r["code"] == "1.1" else r for r in seeded.rows]
    form = IndexVersionForm(data={"name": "x", "legal_basis": "", "effective_from": "2027-01-01",
                                  "groups": json.dumps(seeded.groups), "rows": json.dumps(heavier),
                                  "bands": json.dumps(seeded.bands)})
    assert not form.is_valid()
    form = IndexVersionForm(data={"name": "x", "legal_basis": "", "effective_from": "2027-01-01",
                                  "groups": json.dumps(seeded.groups), "rows": json.dumps(seeded.rows),
                                  "bands": json.dumps(seeded.bands)})
    assert form.is_valid(), form.errors
