"""Boundary-free reception inside a province (DESIGN.md §3): any commune's one-stop point receives a boundary-free
procedure for any commune of the province, at the counter and through the API; the dossier goes to the competent
commune's People's Committee and comes back to the receiving point, which returns the result. Bad input (an unknown
commune, one of another province, one merged away or dissolved, a procedure that is not boundary-free) is refused
with a clear error and nothing the officer typed is lost. The public list of boundary-free procedures."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from motcua.api.auth import issue_token
from motcua.catalog.models import ProcedureVersion
from motcua.core.errors import MotCuaError
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers import services as dossier_services
from motcua.dossiers import slips
from motcua.dossiers.models import Dossier, DossierAgency
from motcua.dossiers.statuses import Status
from motcua.geo.models import AdministrativeUnit, UnitMerge
from tests.boundary import CAO_XANH, DISSOLVED, ELSEWHERE, MERGED, BoundaryWorld
from tests.factories import APPLICANT, MARRIAGE, MONDAY, act, citizen_user, pay, pdf_bytes, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def bf(db: Any) -> BoundaryWorld:
    return BoundaryWorld()


def test_a_dossier_received_for_another_commune_is_handled_there_and_returned_where_it_was_received(
        bf: BoundaryWorld) -> None:
    dossier = receive(bf, competent_unit=CAO_XANH)
    assert dossier.status == Status.RECEIVED
    assert dossier.receiving_agency == bf.commune and dossier.competent_unit == bf.cao_xanh
    handlers = {step["agency"] for step in dossier.plan[1:-1]}
    assert handlers == {bf.cao_xanh_committee.pk}  # not Hà Tu's committee
    assert dossier.plan[0]["agency"] == dossier.plan[-1]["agency"] == bf.commune.pk
    assert set(DossierAgency.objects.filter(dossier=dossier).values_list("agency_id", flat=True)) == {
        bf.commune.pk, bf.cao_xanh_committee.pk}

    dossier = act(bf, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=5))
    assert dossier.current_agency == bf.cao_xanh_committee
    # it lands in Cao Xanh's inbox, not in Hà Tu's committee's; the receiving officer still reads it
    assert dossier in dossier_selectors.queue(bf.actor("chuyenvien.caoxanh"), "todo", MONDAY)
    assert dossier not in dossier_selectors.queue(bf.actor("chuyenvien"), "todo", MONDAY)
    assert dossier_selectors.visible(bf.actor("tiepnhan")).filter(pk=dossier.pk).exists()
    assert not dossier_selectors.visible(bf.actor("chuyenvien")).filter(pk=dossier.pk).exists()

    dossier = act(bf, dossier, "forward", "chuyenvien.caoxanh", MONDAY + timedelta(hours=1))
    dossier = act(bf, dossier, "approve", "lanhdao.caoxanh", MONDAY + timedelta(hours=2))
    dossier = dossier_services.issue_result(dossier.code, actor=bf.actor("lanhdao.caoxanh"), file=pdf_bytes_io(),
                                            name="kq.pdf", now=MONDAY + timedelta(hours=3))
    assert dossier.status == Status.RESULT_READY and dossier.current_agency == bf.commune  # back where received
    pay(dossier, bf.actor("tiepnhan"), MONDAY + timedelta(hours=4))
    dossier = act(bf, dossier, "return_result", "tiepnhan", MONDAY + timedelta(hours=5), delivery="counter",
                  recipient=APPLICANT["name"])
    assert dossier.status == Status.RETURNED


def pdf_bytes_io() -> io.BytesIO:
    return io.BytesIO(pdf_bytes())


def test_the_receiving_points_own_commune_stays_the_default(bf: BoundaryWorld) -> None:
    dossier = receive(bf)
    assert dossier.competent_unit_id == bf.commune.unit_id
    assert {step["agency"] for step in dossier.plan[1:-1]} == {bf.committee.pk}


def test_the_receipt_names_the_commune_that_handles_the_dossier(bf: BoundaryWorld) -> None:
    from tests.test_slips import text_of

    elsewhere = flat(text_of(slips.render_slip(receive(bf, competent_unit=CAO_XANH), "receipt")))
    assert "Đơn vị giải quyết: Phường Cao Xanh (tiếp nhận không phụ thuộc địa giới hành chính)" in elsewhere
    home = flat(text_of(slips.render_slip(receive(bf), "receipt")))
    assert "Đơn vị giải quyết:" in home and "không phụ thuộc địa giới" not in home


def test_the_citizens_dossier_page_names_the_commune_that_handles_it(bf: BoundaryWorld) -> None:
    user = citizen_user()
    dossier = receive(bf, competent_unit=CAO_XANH)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_user=user)  # as if she had filed it herself
    client = Client()
    client.force_login(user)
    with translation.override("vi"):
        label = str(translation.gettext("Handled by"))
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert re.search(rf'{label}</dt><dd[^>]*id="competent-unit">Phường Cao Xanh</dd>', page), page[:200]
    Dossier.objects.filter(pk=dossier.pk).update(competent_unit=None)  # a dossier without one names none
    assert 'id="competent-unit"' not in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_commune_merged_away_resolves_to_its_successor(bf: BoundaryWorld) -> None:
    dossier = receive(bf, competent_unit=MERGED)
    assert dossier.competent_unit == bf.cao_xanh
    assert {step["agency"] for step in dossier.plan[1:-1]} == {bf.cao_xanh_committee.pk}


BAD = [
    ("99999", "unknown_unit", "No commune has the code 99999."),
    ("12ab", "invalid_unit_code", "12ab is not a commune code (5 digits)."),
    (ELSEWHERE, "unit_of_another_province", "Phường Hồng Bàng is in Hải Phòng, not in Quảng Ninh"),
    (DISSOLVED, "unit_dissolved", "Phường Bạch Đằng (cũ) no longer exists"),
]


@pytest.mark.parametrize(("code", "error", "text"), BAD)
def test_bad_communes_are_refused_clearly(bf: BoundaryWorld, code: str, error: str, text: str) -> None:
    before = Dossier.objects.count()
    with pytest.raises(MotCuaError) as caught:
        receive(bf, competent_unit=code)
    assert caught.value.code == error and caught.value.location == "competent_unit"
    with translation.override("en"):
        assert text in caught.value.text()
    assert Dossier.objects.count() == before


def test_a_procedure_that_is_not_boundary_free_stays_with_its_own_commune(bf: BoundaryWorld) -> None:
    ProcedureVersion.objects.filter(procedure__code=MARRIAGE).update(boundary_free=False)
    with pytest.raises(MotCuaError) as caught:
        receive(bf, competent_unit=CAO_XANH)
    assert caught.value.code == "not_boundary_free"
    with translation.override("en"):
        assert "is not received regardless of boundaries" in caught.value.text()
    # nor may Cao Xanh's point receive it at all: it is not listed there
    with pytest.raises(MotCuaError) as refused:
        dossier_services.create_dossier(actor=bf.actor("tiepnhan.caoxanh"), now=MONDAY, data={
            "procedure": MARRIAGE, "channel": "counter", "applicant": APPLICANT,
            "components": [{"order": 1, "originals": 1}]})
    assert refused.value.code == "not_received_here"


# --- the counter's form --------------------------------------------------------------------------------------------


def _form(bf: BoundaryWorld, **extra: str) -> dict[str, str]:
    return {"point": bf.commune.identifier_code, "procedure": MARRIAGE, "channel": "counter", "delivery": "counter",
            "c1-originals": "1", "c1-copies": "0", "c1-received": "1", "applicant_kind": "person",
            "applicant_name": "Trần Thị Bình", "applicant_id_number": "022190004321",
            "applicant_phone": "0987654321", "applicant_address": "Phường Cao Xanh", **extra}


def test_the_counter_form_asks_for_the_competent_commune_of_this_province(bf: BoundaryWorld) -> None:
    officer = Client()
    officer.force_login(bf.users["tiepnhan"])
    # the procedure is received at Hà Tu's point although only listed there; Cao Xanh's point offers it too
    other = Client()
    other.force_login(bf.users["tiepnhan.caoxanh"])
    assert MARRIAGE in other.get(reverse("workspace:receive")).content.decode()
    checklist = officer.get(reverse("workspace:receive_checklist"),
                            {"point": bf.commune.identifier_code, "procedure": MARRIAGE}).content.decode()
    assert 'id="competent_unit"' in checklist and 'data-filter-select="competent_unit"' in checklist
    assert f'value="{CAO_XANH}"' in checklist and f'value="{bf.commune.unit.code}"' in checklist
    for absent in (ELSEWHERE, MERGED, DISSOLVED):  # another province's, merged away, dissolved
        assert f'value="{absent}"' not in checklist

    response = officer.post(reverse("workspace:receive"), _form(bf, competent_unit=CAO_XANH))
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get(applicant_id_number="022190004321")
    assert dossier.competent_unit == bf.cao_xanh and dossier.receiving_agency == bf.commune
    page = officer.get(response["Location"]).content.decode()  # the receiving officer reads it, and sees where
    assert 'id="competent-commune"' in page and "Phường Cao Xanh" in page


def test_a_provincial_center_must_name_the_competent_commune(bf: BoundaryWorld) -> None:
    with pytest.raises(MotCuaError) as caught:
        dossier_services.create_dossier(actor=bf.actor("tiepnhan.tinh"), now=MONDAY, data={
            "procedure": MARRIAGE, "channel": "counter", "applicant": APPLICANT,
            "components": [{"order": 1, "originals": 1}]})
    assert caught.value.code == "competent_unit_required"
    dossier, _new = dossier_services.create_dossier(actor=bf.actor("tiepnhan.tinh"), now=MONDAY, data={
        "procedure": MARRIAGE, "channel": "counter", "applicant": APPLICANT, "competent_unit": CAO_XANH,
        "components": [{"order": 1, "originals": 1}]})
    assert {step["agency"] for step in dossier.plan[1:-1]} == {bf.cao_xanh_committee.pk}
    officer = Client()
    officer.force_login(bf.users["tiepnhan.tinh"])
    with translation.override("en"):
        checklist = officer.get(reverse("workspace:receive_checklist"), {
            "point": bf.center.identifier_code, "procedure": MARRIAGE}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="">Choose a commune</option>' in checklist and f'value="{CAO_XANH}"' in checklist


def test_the_counter_form_keeps_what_was_typed_when_the_commune_is_refused(bf: BoundaryWorld) -> None:
    officer = Client()
    officer.force_login(bf.users["tiepnhan"])
    with translation.override("en"):
        response = officer.post(reverse("workspace:receive"), _form(bf, competent_unit=ELSEWHERE),
                                HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    html = response.content.decode()
    assert "not in Quảng Ninh" in html and 'id="competent_unit-error"' in html
    for typed in ("Trần Thị Bình", "022190004321", "0987654321"):
        assert typed in html
    assert not Dossier.objects.exists()


# --- the API --------------------------------------------------------------------------------------------------------


def _api(bf: BoundaryWorld, username: str = "tiepnhan") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(bf.users[username])}")


BODY = {"procedure": MARRIAGE, "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]}


def test_the_api_accepts_and_checks_the_competent_commune(bf: BoundaryWorld) -> None:
    client = _api(bf)
    created = client.post("/api/v1/dossiers", json.dumps({**BODY, "competent_unit": CAO_XANH}),
                          content_type="application/json")
    assert created.status_code == 201, created.content
    dossier = Dossier.objects.get(code=created.json()["code"])
    assert dossier.competent_unit == bf.cao_xanh
    plan = created.json()["plan"]
    assert {step["agency"] for step in plan[1:-1]} == {bf.cao_xanh_committee.identifier_code}
    for code, error, _text in BAD:
        refused = client.post("/api/v1/dossiers", json.dumps({**BODY, "competent_unit": code}),
                              content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, (code, refused.content)
        body = refused.json()
        assert error in json.dumps(body) and "competent_unit" in json.dumps(body)
    assert Dossier.objects.count() == 1


def _errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every error of an API refusal (one, or a validation's list)."""
    return [body, *body.get("errors", [])]


def test_every_commune_error_of_the_api_names_the_field_and_the_dossier_names_its_commune(
        bf: BoundaryWorld) -> None:
    province = bf.cao_xanh.parent
    divided_into = [AdministrativeUnit.objects.create(code=code, name=name, kind="ward", parent=province)
                    for code, name in (("06661", "Phường Hà Phong"), ("06662", "Phường Hà Khánh"))]
    for unit, primary in zip(divided_into, (True, False), strict=True):
        UnitMerge.objects.create(old_code="06660", old_name="Phường Hà Trung", old_kind="ward", new_unit=unit,
                                 effective_date=date(2025, 7, 1), divided=True, is_primary=primary)
    client = _api(bf)
    for code, error in (("06660", "unit_divided"), ("06661", "no_competent_agency")):  # Hà Phong: no committee
        refused = client.post("/api/v1/dossiers", json.dumps({**BODY, "competent_unit": code}),
                              content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code in (400, 422), (code, refused.content)
        [found] = [e for e in _errors(refused.json()) if e.get("error") == error]
        assert found["location"] == "competent_unit", (code, refused.json())
    created = client.post("/api/v1/dossiers", json.dumps({**BODY, "competent_unit": CAO_XANH}),
                          content_type="application/json")
    assert created.json()["competent_unit"] == {"code": CAO_XANH, "name": "Phường Cao Xanh"}
    shown = client.get(f"/api/v1/dossiers/{created.json()['code']}")
    assert shown.status_code == 200 and shown.json()["competent_unit"] == {"code": CAO_XANH,
                                                                          "name": "Phường Cao Xanh"}


# --- the public list and the catalogue's filter -------------------------------------------------------------------


def test_the_public_list_of_boundary_free_procedures(bf: BoundaryWorld) -> None:
    receive(bf, competent_unit=CAO_XANH)  # a dossier exists: nothing of it shows
    client = Client()
    home = client.get("/").content.decode()
    assert reverse("portal:boundary_free") in home
    page = client.get(reverse("portal:boundary_free"))
    assert page.status_code == 200
    html = page.content.decode()
    assert MARRIAGE in html and "2.000488" not in html  # the judicial record is not boundary-free
    for secret in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"]):
        assert secret not in html
    assert 'name="viewport"' in html  # the site's phone layout
    assert MARRIAGE in client.get(reverse("portal:boundary_free"), {"field": "HT"}).content.decode()
    assert MARRIAGE not in client.get(reverse("portal:boundary_free"), {"field": "XD"}).content.decode()
    assert client.get(reverse("portal:boundary_free"), {"field": "nope"}).status_code == 400

    search = client.get(reverse("portal:search"), {"boundary_free": "1"}).content.decode()
    assert MARRIAGE in search and "2.000488" not in search
    everything = client.get(reverse("portal:search")).content.decode()
    assert MARRIAGE in everything and "2.000488" in everything
    api = client.get("/api/v1/procedures", {"boundary_free": "true"}).json()
    assert [item["code"] for item in api["items"]] == [MARRIAGE]
