"""Refunds of a refused or withdrawn dossier's fee and of money the gateway took for a dossier that no longer owed
it: through the (sandbox) gateway's refund API over real HTTP, in cash or by transfer; never more than paid,
never twice; a receipt numbered without gaps, an event in the dossier's log, the staff panel and the API."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pypdf import PdfReader

from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers import services as dossier_services
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier, Event
from motcua.payments import receipts, refunds, selectors, services
from motcua.payments.gateways import vnpay
from motcua.payments.gateways.sandbox import SANDBOX_SECRET, SandboxGateway
from motcua.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tests.concurrency import at_once
from tests.factories import World, new_dossier


def paid(world: World, *, method: str = "cash", withdraw: bool = True) -> tuple[Dossier, Payment]:
    """A dossier whose 30,000 đ were collected (``method``), then withdrawn by the applicant."""
    dossier = new_dossier(world)
    payment = services.record_collection(code=dossier.code, method=method, amount=30000,
                                         actor=world.actor("tiepnhan"), point_id=world.commune.pk,
                                         key=f"t:{dossier.code}") if method != "gateway" else None
    if method == "gateway":
        payment = _gateway_payment(dossier)
    if withdraw:
        dossier_services.perform(dossier.code, "withdraw", actor=world.actor("tiepnhan"),
                                 params={"reason": "Xin rút"})
    dossier.refresh_from_db()
    assert payment is not None
    return dossier, payment


def _gateway_payment(dossier: Dossier) -> Payment:
    """Paid through the sandbox gateway: the order started and its signed IPN applied."""
    from tests.test_payments import citizen, gateway_answer, start

    applicant = citizen(f"u{dossier.pk}")
    Dossier.objects.filter(pk=dossier.pk).update(applicant_user=applicant)
    payment = start(dossier, applicant)
    received = services.receive_notice(params=gateway_answer(payment, "pay"))
    assert received.payment is not None and received.payment.status == PaymentStatus.PAID
    return received.payment


def refund_events(dossier: Dossier) -> list[Event]:
    return list(Event.objects.filter(dossier=dossier, action="refund").order_by("pk"))


def do(world: World, dossier: Dossier, amount: int = 30000, method: str = "cash", who: str = "tiepnhan",
       **kwargs: Any) -> Refund:
    return refunds.refund(code=dossier.code, amount=amount, method=method, actor=world.actor(who),
                          reason="Hồ sơ đã rút", **kwargs)


# --- the rules -------------------------------------------------------------------------------------------------


def test_a_withdrawn_dossiers_fee_is_refunded_in_cash_once_with_a_receipt_and_an_event(world: World) -> None:
    dossier, payment = paid(world)
    item = do(world, dossier, key="form-1")
    assert item.status == RefundStatus.DONE and item.amount == 30000 and item.point_id == world.commune.pk
    year = timezone.now().year
    assert item.receipt_number == f"HT-{year}-000001"
    assert do(world, dossier, key="form-1").pk == item.pk  # the same form sent twice: the first refund
    with pytest.raises(refunds.RefundRefused) as again:  # a new form, nothing left
        do(world, dossier, key="form-2")
    assert again.value.code == "already_refunded" and again.value.status == 409
    assert Refund.objects.count() == 1
    events = refund_events(dossier)
    assert len(events) == 1 and events[0].data["amount"] == 30000
    assert events[0].data["receipt_number"] == item.receipt_number and events[0].actor_id == world.users["tiepnhan"].pk
    # the dossier's pages say it: refunded, not paid; its fee paid is back to nothing
    fees = selectors.payment_status(Dossier.objects.get(pk=dossier.pk))
    assert (fees.state, fees.paid, fees.refunded) == ("refunded", 30000, 30000)
    assert Dossier.objects.get(pk=dossier.pk).fee_paid == 0


def test_partial_refunds_add_up_to_what_was_paid_and_never_more(world: World) -> None:
    dossier, payment = paid(world)
    with pytest.raises(refunds.RefundRefused) as larger:
        do(world, dossier, amount=30001)
    assert larger.value.code == "refund_too_large" and larger.value.status == 409
    assert "30.000" in larger.value.text("en")
    first = do(world, dossier, amount=10000)
    with pytest.raises(refunds.RefundRefused) as rest:
        do(world, dossier, amount=20001)
    assert rest.value.code == "refund_too_large" and "20.000" in rest.value.text("en")
    second = do(world, dossier, amount=20000, method="transfer", reference="FT2611250001")
    assert second.gateway_transaction == "FT2611250001"
    assert [first.receipt_number[-6:], second.receipt_number[-6:]] == ["000001", "000002"]
    assert selectors.refunded_total(payment) == 30000
    assert len(refund_events(dossier)) == 2


def test_a_dossier_that_owes_its_fee_is_not_refunded(world: World) -> None:
    dossier, _payment = paid(world, withdraw=False)
    with pytest.raises(refunds.RefundRefused) as refused:
        do(world, dossier)
    assert refused.value.code == "not_refundable"
    assert not Refund.objects.exists() and not refund_events(dossier)


def test_only_front_staff_of_the_receiving_point_or_a_leader_refund(world: World) -> None:
    from motcua.dossiers.models import DossierAgency

    dossier, _payment = paid(world)
    with pytest.raises(NotFound):  # not involved: the dossier does not exist for them
        do(world, dossier, who="tuphap")
    DossierAgency.objects.get_or_create(dossier=dossier, agency=world.committee)  # as a transfer makes it
    with pytest.raises(Forbidden):  # involved, but neither front staff nor a leader
        do(world, dossier, who="chuyenvien")
    assert do(world, dossier, who="lanhdao", amount=5000).status == RefundStatus.DONE
    assert not Refund.objects.filter(status=RefundStatus.FAILED).exists()


def test_an_unknown_method_or_no_reason_is_refused(world: World) -> None:
    dossier, _payment = paid(world)
    with pytest.raises(Exception) as unknown:
        do(world, dossier, method="bitcoin")
    assert getattr(unknown.value, "code", "") == "unknown_method"
    with pytest.raises(Exception) as reasonless:
        refunds.refund(code=dossier.code, amount=1000, method="cash", actor=world.actor("tiepnhan"), reason=" ")
    assert getattr(reasonless.value, "code", "") == "reason_required"
    with pytest.raises(refunds.RefundRefused) as not_gateway:
        do(world, dossier, method="gateway")
    assert not_gateway.value.code == "not_through_gateway"


def test_refund_receipt_pdf_names_the_refund(world: World) -> None:
    dossier, _payment = paid(world)
    item = do(world, dossier)
    pdf = receipts.render_refund_receipt(item)
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert item.receipt_number in text and dossier.code in text and "30.000" in text
    assert "Ba mươi nghìn đồng" in text


# --- through the sandbox gateway's refund API, over real HTTP -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_gateway_refund_calls_the_sandbox_refund_api_over_http(world: World, live_server: Any) -> None:
    dossier, payment = paid(world, method="gateway")
    partial = do(world, dossier, amount=10000, method="gateway", site_url=live_server.url)
    assert partial.status == RefundStatus.DONE and partial.response_code == "00"
    assert partial.gateway_transaction.isdigit() and partial.receipt_number
    whole_rest = do(world, dossier, amount=20000, method="gateway", site_url=live_server.url)
    assert whole_rest.status == RefundStatus.DONE
    with pytest.raises(refunds.RefundRefused):
        do(world, dossier, amount=1000, method="gateway", site_url=live_server.url)
    assert [e.data["method"] for e in refund_events(dossier)] == ["gateway", "gateway"]


@pytest.mark.django_db(transaction=True)
def test_a_refund_due_payment_is_refunded_through_the_gateway(world: World, live_server: Any) -> None:
    dossier, payment = paid(world, method="gateway", withdraw=False)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.REFUND_DUE, receipt_number=None)
    item = refunds.refund(payment_id=payment.pk, amount=30000, method="gateway", actor=world.actor("tiepnhan"),
                          reason="Thu trùng", site_url=live_server.url)
    assert item.status == RefundStatus.DONE


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_refund_api_answers_like_vnpay(world: World, live_server: Any) -> None:
    dossier, payment = paid(world, method="gateway")
    gateway = SandboxGateway()
    params = gateway.refund_params(payment, 30000, request_id="R1", actor_name="Cán bộ", client_ip="127.0.0.1",
                                   now=timezone.now())
    assert params["vnp_TransactionType"] == "02" and params["vnp_Command"] == "refund"

    def post(body: dict[str, str]) -> dict[str, str]:
        request = urllib.request.Request(live_server.url + "/thanh-toan/sandbox/hoan-tien/",  # noqa: S310
                                         data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    answer = post(params)
    assert answer["vnp_ResponseCode"] == "00" and vnpay.fields_signed(answer, vnpay.ANSWER_FIELDS, SANDBOX_SECRET)
    forged = {**params, "vnp_Amount": "9900000"}
    assert post(forged)["vnp_ResponseCode"] == "97"
    too_much = gateway.refund_params(payment, 40000, request_id="R2", actor_name="x", client_ip="", now=timezone.now())
    assert post(too_much)["vnp_ResponseCode"] == "03"


@pytest.mark.django_db(transaction=True)
def test_a_gateway_that_does_not_answer_leaves_a_failed_refund_and_nothing_given_back(world: World) -> None:
    dossier, payment = paid(world, method="gateway")
    item = do(world, dossier, method="gateway", site_url="http://127.0.0.1:9")  # nothing listens there
    assert item.status == RefundStatus.FAILED and item.receipt_number is None
    assert selectors.refunded_total(payment) == 0 and not refund_events(dossier)


# --- the staff panel and the API ---------------------------------------------------------------------------------


def test_staff_panel_refunds_in_cash(world: World, client: Client) -> None:
    dossier, _payment = paid(world)
    client.force_login(world.users["tiepnhan"])
    url = f"/workspace/dossiers/{dossier.code}/refunds/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-refundable="30000"' in page.content
    answer = client.post(url, {"amount": "30000", "method": "cash", "reason": "Hồ sơ đã rút", "key": "k-1"},
                         HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and b'data-refundable="0"' in answer.content
    item = Refund.objects.get()
    assert f"/workspace/refunds/{item.receipt_number}.pdf".encode() in answer.content
    assert client.get(f"/workspace/refunds/{item.receipt_number}.pdf")["Content-Type"] == "application/pdf"
    again = client.post(url, {"amount": "30000", "method": "cash", "reason": "x", "key": "k-1"})
    assert again.status_code in (200, 302) and Refund.objects.count() == 1
    client.force_login(world.users["tuphap"])
    assert client.get(url).status_code == 404


def test_api_refund_and_its_errors(world: World, client: Client) -> None:
    dossier, _payment = paid(world)
    client.force_login(world.users["tiepnhan"])
    url = f"/api/v1/dossiers/{dossier.code}/refunds"
    from django.middleware.csrf import get_token  # noqa: F401 - the test client skips CSRF checks

    too_much = client.post(url, {"amount": 50000, "method": "cash", "reason": "Hồ sơ đã rút"},
                           content_type="application/json")
    assert too_much.status_code == 409 and too_much.json()["error"] == "refund_too_large"
    done = client.post(url, {"amount": 30000, "method": "cash", "reason": "Hồ sơ đã rút"},
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="api-1")
    assert done.status_code == 201 and done.json()["receipt_number"].startswith("HT-")
    same = client.post(url, {"amount": 30000, "method": "cash", "reason": "Hồ sơ đã rút"},
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="api-1")
    assert same.status_code == 200 and same.json()["receipt_number"] == done.json()["receipt_number"]
    twice = client.post(url, {"amount": 30000, "method": "cash", "reason": "Hồ sơ đã rút"},
                        content_type="application/json")
    assert twice.status_code == 409 and twice.json()["error"] == "already_refunded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_two_refunds_at_once_give_back_the_money_once(world: World) -> None:
    """Two officers refund the whole fee at the same moment (different forms): one refund, one 409."""
    dossier, payment = paid(world)
    results = at_once(2, lambda index: do(world, dossier, key=f"race-{index}"))
    done = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, refunds.RefundRefused)]
    assert len(done) == 1 and len(refused) == 1, results
    assert selectors.refunded_total(payment) == 30000 and len(refund_events(dossier)) == 1


# --- any sequence of refund requests -----------------------------------------------------------------------------


class Refunding(RuleBasedStateMachine):
    """Refund requests of any amount, method and form key on a withdrawn dossier's 30,000 đ: what is given back
    never exceeds what was paid, a key is one refund, every done refund has one event and one receipt number, and
    the receipt numbers run without gaps."""

    world: World

    def __init__(self) -> None:
        super().__init__()
        self.dossier, self.payment = paid(self.world)
        self.left = 30000
        self.by_key: dict[str, int] = {}
        self.fresh = 0

    @rule(amount=st.integers(min_value=-5, max_value=40000), method=st.sampled_from(["cash", "transfer"]),
          key=st.sampled_from(["a", "b", "c", ""]))
    def ask(self, amount: int, method: str, key: str) -> None:
        if not key:
            self.fresh += 1
            key = f"fresh-{self.fresh}"
        key = f"{self.dossier.code}:{key}"
        try:
            item = do(self.world, self.dossier, amount=amount, method=method, key=key)
        except MotCuaError as exc:
            assert key not in self.by_key
            assert exc.code in {"amount_required", "refund_too_large", "already_refunded"}, exc.code
            assert exc.code != "refund_too_large" or amount > self.left
            assert exc.code != "already_refunded" or self.left == 0
            return
        if key in self.by_key:
            assert item.pk == self.by_key[key]  # the same form again: the first refund
            return
        assert 0 < amount <= self.left and item.amount == amount and item.status == RefundStatus.DONE
        self.by_key[key] = item.pk
        self.left -= amount

    @invariant()
    def books_agree(self) -> None:
        done = Refund.objects.filter(payment=self.payment, status=RefundStatus.DONE)
        assert selectors.refunded_total(self.payment) == 30000 - self.left
        assert len(refund_events(self.dossier)) == done.count() == len(self.by_key)
        numbers = sorted(int(n[-6:]) for n in Refund.objects.values_list("receipt_number", flat=True) if n)
        assert numbers == list(range(1, len(numbers) + 1))


def test_any_sequence_of_refund_requests_keeps_the_books(world: World) -> None:
    Refunding.world = world
    run_state_machine_as_test(Refunding, settings=settings(
        max_examples=15, stateful_step_count=12, deadline=None, derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.too_slow]))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_refunds_a_withdrawn_dossier_on_a_phone(phone: Any, live_server: Any, world: World) -> None:
    """The refund panel arrives through htmx on the dossier page, and the refund answers in place, on a phone."""
    from tests.browsing import fits

    dossier, _payment = paid(world)
    phone.goto(f"{live_server.url}/workspace/dossiers/{dossier.code}/")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("tiepnhan")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url(f"**/workspace/dossiers/{dossier.code}/")
    phone.locator("#rf-amount").wait_for()  # the panel came through htmx
    assert phone.locator("#refunds").get_attribute("data-refundable") == "30000"
    phone.locator("#rf-method").select_option("cash")
    phone.locator("#rf-reason").fill("Công dân rút hồ sơ")
    assert fits(phone)
    phone.locator("#refunds button[type=submit]").click()
    phone.locator("#refund-done").wait_for()
    assert phone.locator("#refunds").get_attribute("data-refundable") == "0"
    item = Refund.objects.get()
    assert item.status == RefundStatus.DONE and item.method == "cash"
    assert phone.locator(f'#refunds a[href="/workspace/refunds/{item.receipt_number}.pdf"]').is_visible()
    assert phone.url.endswith(f"/workspace/dossiers/{dossier.code}/") and fits(phone)


def test_vnpay_refund_request_is_signed_over_its_fields_joined_with_bars() -> None:
    """VNPAY's refund API signs the values in a fixed order joined with "|" (not the payment page's query)."""
    import hashlib
    import hmac

    params = {name: f"v{n}" for n, name in enumerate(vnpay.REFUND_FIELDS)}
    joined = "|".join(f"v{n}" for n in range(len(vnpay.REFUND_FIELDS)))
    expected = hmac.new(b"secret", joined.encode(), hashlib.sha512).hexdigest()
    assert vnpay.sign_fields(params, vnpay.REFUND_FIELDS, "secret") == expected
    assert vnpay.REFUND_FIELDS[:3] == ("vnp_RequestId", "vnp_Version", "vnp_Command")
    assert vnpay.fields_signed({**params, "vnp_SecureHash": expected.upper()}, vnpay.REFUND_FIELDS, "secret")
    assert not vnpay.fields_signed({**params, "vnp_SecureHash": expected, "vnp_Amount": "1"}, vnpay.REFUND_FIELDS,
                                   "secret")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_the_same_form_sent_twice_at_once_is_one_refund(world: World) -> None:
    dossier, payment = paid(world)
    results = at_once(2, lambda index: do(world, dossier, amount=10000, key="double-click"))
    assert all(isinstance(r, Refund) for r in results), results
    assert results[0].pk == results[1].pk and selectors.refunded_total(payment) == 10000
