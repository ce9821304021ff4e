"""The fee rule per procedure (``ProcedureVersion.fee_timing``, checked by ``dossiers.rules.check_fee_settled``):
an unpaid dossier cannot release its result; a ``before_reception`` fee is paid before acceptance; an
``on_delivery`` result may be handed to the post unpaid, but not returned; an electronic result waits for its fee
and is returned once the payment commits (a collection or the gateway's IPN)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.api.auth import issue_token
from motcua.catalog.formats import read_xlsx, write_xlsx
from motcua.catalog.models import FeeTiming, ProcedureVersion
from motcua.catalog.services import export_catalog, import_catalog, parse_catalog
from motcua.core.errors import ValidationFailed
from motcua.dossiers import audit, rules
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.services import issue_result
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments import selectors
from motcua.payments.models import Payment
from tests.factories import (
    MONDAY,
    World,
    act,
    catalog,
    citizen_user,
    owned,
    pay,
    pdf_bytes,
    procedure,
    receive,
    through_processing,
)

pytestmark = pytest.mark.django_db


def timing(value: str) -> None:
    ProcedureVersion.objects.filter(procedure__code="1.000894").update(fee_timing=value)


def ready(world: World, **overrides: Any) -> Dossier:
    """A 30,000 đ marriage registration issued and ready to return, unpaid."""
    return through_processing(world, receive(world, **overrides), MONDAY + timedelta(minutes=30))


# --- the catalogue carries the rule ---------------------------------------------------------------------------


def test_fee_timing_goes_through_json_and_xlsx_and_defaults_to_before_return(db: Any) -> None:
    doc = catalog(procedure("1.000001", fee_timing="on_delivery"), procedure("1.000002"))
    import_catalog(doc)
    stored = dict(ProcedureVersion.objects.values_list("procedure__code", "fee_timing"))
    assert stored == {"1.000001": FeeTiming.ON_DELIVERY, "1.000002": FeeTiming.BEFORE_RETURN}
    exported = export_catalog()
    assert {p["code"]: p["fee_timing"] for p in exported["procedures"]} == stored
    with pytest.raises(ValidationFailed) as bad:
        parse_catalog(catalog(procedure("1.000003", fee_timing="whenever")))
    assert [e.location for e in bad.value.errors] == ["procedures[0].fee_timing"]


def test_fee_timing_in_the_xlsx_workbook(db: Any) -> None:
    import_catalog(catalog(procedure("1.000001", fee_timing="before_reception")))
    workbook = write_xlsx(export_catalog())
    data, _locations = read_xlsx(workbook)
    assert data["procedures"][0]["fee_timing"] == "before_reception"
    assert parse_catalog(data).procedures[0].fee_timing == "before_reception"


def test_the_public_procedure_page_says_when_to_pay(world: World, client: Client) -> None:
    timing(FeeTiming.BEFORE_RECEPTION)
    page = client.get(reverse("portal:procedure", args=["1.000894"])).content.decode()
    assert 'data-fee-timing="before_reception"' in page


# --- release ----------------------------------------------------------------------------------------------------


def test_an_unpaid_result_is_not_returned_and_a_paid_one_is(world: World) -> None:
    dossier = ready(world)
    with pytest.raises(rules.FeeDue) as refused:
        act(world, dossier, "return_result", "tiepnhan", MONDAY + timedelta(hours=5), delivery="counter",
            recipient="An")
    assert refused.value.code == "fee_due" and refused.value.status == 409 and refused.value.amount_due == 30000
    messages = refused.value.messages()
    assert "30.000 đ" in messages["en"] and "30.000 đ" in messages["vi"]  # (the Vietnamese text: at merge)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RESULT_READY
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(hours=5))
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.fee_paid == 30000 and rules.fee_due(fresh) == 0
    done = act(world, dossier, "return_result", "tiepnhan", MONDAY + timedelta(hours=6), delivery="counter",
               recipient="An")
    assert done.status == Status.RETURNED
    events = list(Event.objects.filter(dossier=dossier).order_by("seq"))
    assert list(audit.verify_dossier(Dossier.objects.get(pk=dossier.pk), events)) == []


def test_the_api_explains_a_refused_return_with_the_amount(world: World) -> None:
    dossier = ready(world)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    answer = client.post(f"/api/v1/dossiers/{dossier.code}/actions/return_result",
                         json.dumps({"delivery": "counter", "recipient": "An"}), content_type="application/json")
    assert answer.status_code == 409
    body = answer.json()
    assert body["error"] == "fee_due" and body["amount_due"] == 30000 and "30.000" in body["message"]["vi"]
    detail = client.get(f"/api/v1/dossiers/{dossier.code}").json()
    assert detail["fee_due"] == 30000


def test_on_delivery_may_go_to_the_post_unpaid_but_not_be_returned(world: World) -> None:
    timing(FeeTiming.ON_DELIVERY)
    dossier = ready(world, delivery="post", delivery_address="Tổ 3, khu 5, phường Hà Tu")
    fresh = Dossier.objects.select_related("version").get(pk=dossier.pk)
    rules.check_fee_settled(fresh, rules.HANDOVER_TO_POST)  # the post collects it on delivery (COD)
    with pytest.raises(rules.FeeDue):
        rules.check_fee_settled(fresh, rules.RELEASE)
    timing(FeeTiming.BEFORE_RETURN)
    fresh = Dossier.objects.select_related("version").get(pk=dossier.pk)
    with pytest.raises(rules.FeeDue) as refused:
        rules.check_fee_settled(fresh, rules.HANDOVER_TO_POST)
    assert "post" in refused.value.messages()["en"]


def test_a_dossier_without_fee_or_a_free_one_is_never_held(world: World) -> None:
    ProcedureVersion.objects.update(fee_timing=FeeTiming.BEFORE_RECEPTION)
    dossier = receive(world, receive=False)
    Dossier.objects.filter(pk=dossier.pk).update(fee_total=0)
    fresh = Dossier.objects.select_related("version").get(pk=dossier.pk)
    for moment in (rules.RECEPTION, rules.HANDOVER_TO_POST, rules.RELEASE):
        rules.check_fee_settled(fresh, moment)


# --- reception ----------------------------------------------------------------------------------------------------


def test_a_before_reception_fee_is_paid_before_acceptance(world: World) -> None:
    timing(FeeTiming.BEFORE_RECEPTION)
    with pytest.raises(rules.FeeDue) as refused:  # received at once at the counter: refused, nothing written
        receive(world)
    assert refused.value.code == "fee_due"
    assert not Dossier.objects.exists()
    dossier = receive(world, receive=False)  # taken in, the fee collected, then accepted
    assert dossier.status == Status.SUBMITTED
    with pytest.raises(rules.FeeDue):
        act(world, dossier, "receive", "tiepnhan", MONDAY + timedelta(minutes=5))
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(minutes=6))
    accepted = act(world, dossier, "receive", "tiepnhan", MONDAY + timedelta(minutes=7))
    assert accepted.status == Status.RECEIVED


def test_before_return_and_on_delivery_fees_do_not_hold_reception(world: World) -> None:
    for value in (FeeTiming.BEFORE_RETURN, FeeTiming.ON_DELIVERY):
        timing(value)
        assert receive(world).status == Status.RECEIVED


# --- an electronic result waits for its fee -------------------------------------------------------------------


def electronic_ready(world: World) -> Dossier:
    user = citizen_user(phone="0912000111", id_number="022090001239")
    dossier = owned(world, user)
    Dossier.objects.filter(pk=dossier.pk).update(delivery="electronic")
    start = MONDAY + timedelta(minutes=30)
    dossier = act(world, dossier, "transfer", "tiepnhan", start)
    dossier = act(world, dossier, "forward", "chuyenvien", start + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=2))
    return issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(pdf_bytes()), name="kq.pdf",
                        now=start + timedelta(hours=3))


def test_an_electronic_result_waits_for_its_fee_and_is_released_by_the_payment(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    dossier = electronic_ready(world)
    assert dossier.status == Status.RESULT_READY  # issued, not returned: the fee is due
    result = dossier.attachments.get(kind="result")
    applicant = Client()
    applicant.force_login(dossier.applicant_user)
    page = applicant.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert 'id="result-waits-for-fee"' in page and 'id="results"' not in page
    assert applicant.get(reverse("portal:my_file", args=[dossier.code, result.pk])).status_code == 404
    token = issue_token(dossier.applicant_user)
    detail = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/api/v1/dossiers/{dossier.code}")
    if detail.status_code == 200:  # the API shows the applicant no result file while the fee is due
        assert all(a["kind"] != "result" for a in detail.json()["attachments"])

    with django_capture_on_commit_callbacks(execute=True):
        pay(dossier, world.actor("tiepnhan"))
    released = Dossier.objects.get(pk=dossier.pk)
    assert released.status == Status.RETURNED and released.delivery == "electronic"
    last = Event.objects.filter(dossier=dossier).order_by("-seq").first()
    assert last is not None and last.action == EventKind.RETURN_RESULT and last.actor_name == "MotCua"
    assert applicant.get(reverse("portal:my_file", args=[dossier.code, result.pk])).status_code == 200


def test_the_gateway_payment_releases_a_waiting_electronic_result(
        world: World, client: Client, django_capture_on_commit_callbacks: Any) -> None:
    from tests.test_payments import gateway_answer, ipn, start

    dossier = electronic_ready(world)
    payment = start(dossier, dossier.applicant_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert ipn(client, gateway_answer(payment))["RspCode"] == "00"
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RETURNED
    assert Payment.objects.get().status == "paid" and selectors.amount_due(dossier) == 0


def test_the_workspace_refuses_to_return_an_unpaid_result_and_says_why(world: World) -> None:
    dossier = ready(world)
    officer = Client()
    officer.force_login(world.users["tiepnhan"])
    page = officer.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert 'data-fee-due="30000"' in page
    refused = officer.post(reverse("workspace:act", args=[dossier.code, "return_result"]), {
        "revision": Dossier.objects.get(pk=dossier.pk).revision, "delivery": "counter", "recipient": "An"})
    assert refused.status_code == 409 and "30.000 đ" in refused.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RESULT_READY
