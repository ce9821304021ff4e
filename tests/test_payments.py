"""Fees, online payment through the (sandbox) VNPAY-style gateway, and electronic receipts.

A citizen pays the fee of their dossier: off to the gateway, back with a signed answer, the gateway's
server-to-server notification (IPN) confirms it once — a receipt number, an event in the dossier's log, a PDF
receipt. Forged, replayed, wrong and unknown notifications change nothing and are recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import http.cookies
import io
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from motcua.catalog.fees import exemptions_of, quote
from motcua.catalog.models import FeeItem
from motcua.core.calendar import VN_TZ
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier, DossierAccess, Event
from motcua.dossiers.selectors import track
from motcua.payments import checks, receipts, selectors, services
from motcua.payments.gateways import Reason, get_gateway, vnpay
from motcua.payments.gateways.sandbox import SANDBOX_SECRET, SandboxGateway
from motcua.payments.models import Payment, PaymentNotice, PaymentStatus, ReceiptCounter
from tests.concurrency import at_once
from tests.conftest import APPLICANT, World

EXEMPTIONS = [
    {"code": "ngheo", "name_vi": "Hộ nghèo", "name_en": "Poor household", "percent": 100},
    {"code": "khuyettat", "name_vi": "Người khuyết tật", "name_en": "Person with a disability", "percent": 50},
]


def new_dossier(world: World, applicant: Any = None, exemptions: list[str] | None = None) -> Dossier:
    """A marriage registration (30,000 đ) received at the Hà Tu counter, belonging to ``applicant``'s account."""
    dossier, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan"), data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}],
    })
    changes: dict[str, Any] = {}
    if applicant is not None:
        changes["applicant_user"] = applicant
    if exemptions is not None:
        changes["form_data"] = {"exemptions": exemptions}
    if changes:  # the portal work sets these when a citizen submits online
        Dossier.objects.filter(pk=dossier.pk).update(**changes)
        dossier.refresh_from_db()
    return dossier


def citizen(username: str = "an.nguyen") -> Any:
    return get_user_model().objects.create_user(username, password="motcua-demo", first_name="An",
                                                last_name="Nguyễn Văn")


def start(dossier: Dossier, user: Any, now: datetime | None = None) -> Payment:
    return services.start_payment(code=dossier.code, user=user, return_url="http://testserver/thanh-toan/ket-qua/",
                                  client_ip="203.0.113.7", locale="vi", site_url="http://testserver", now=now)


def request_params(payment: Payment) -> dict[str, str]:
    """What the browser carries to the gateway (the payment URL's query)."""
    return dict(parse_qsl(urlsplit(payment.redirect_url).query))


def gateway_answer(payment: Payment, outcome: str = "pay", **overrides: str) -> dict[str, str]:
    """What the sandbox gateway sends back (IPN and return) for the citizen's choice, signed."""
    params = SandboxGateway().result_params(request_params(payment), outcome, timezone.now())
    if overrides:
        params.update(overrides)
        params["vnp_SecureHash"] = vnpay.sign(params, SANDBOX_SECRET)
    return params


def ipn(client: Client, params: dict[str, str]) -> dict[str, str]:
    response = client.get("/thanh-toan/ipn/?" + urlencode(params))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return dict(response.json())


def text_of(pdf: bytes) -> str:
    return " ".join("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def qr_codes(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium
    import zxingcpp

    image = pdfium.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def payment_events(dossier: Dossier) -> list[Event]:
    return list(Event.objects.filter(dossier=dossier, action="payment"))


# --- fees ---------------------------------------------------------------------------------------------------------


def test_fee_quote_applies_the_largest_declared_exemption(world: World) -> None:
    dossier = new_dossier(world)
    FeeItem.objects.filter(version=dossier.version).update(exemptions=EXEMPTIONS)
    version = dossier.version
    assert quote(version).total == 30000
    assert quote(version, ["unknown"]).total == 30000
    half = quote(version, ["khuyettat"])
    assert half.total == 15000
    assert half.lines[0].amount == 30000 and half.lines[0].due == 15000
    assert half.lines[0].exemption == "Người khuyết tật"
    exempt = quote(version, ["khuyettat", "ngheo"])  # the larger one wins
    assert exempt.total == 0 and exempt.lines[0].exemption == "Hộ nghèo"
    assert [e["code"] for e in exemptions_of(version)] == ["ngheo", "khuyettat"]


def test_dossier_panel_shows_the_exemption_the_total_and_a_pay_button(world: World, rf: Any) -> None:
    dossier = new_dossier(world, exemptions=["khuyettat"])
    FeeItem.objects.filter(version=dossier.version).update(exemptions=EXEMPTIONS)
    # the portal's submission stores the quoted total (exemptions applied) as the dossier's fee
    Dossier.objects.filter(pk=dossier.pk).update(fee_total=quote(dossier.version, ["khuyettat"]).total)
    dossier.refresh_from_db()
    status = selectors.payment_status(dossier)
    assert status.state == "due" and status.due == 15000
    assert [(line.amount, line.due) for line in status.lines] == [(30000, 15000)]
    request = rf.get("/")
    html = render_to_string("payments/_dossier_panel.html", {"dossier": dossier, "request": request}, request=request)
    assert "Người khuyết tật" in html and "15.000 đ" in html and "30.000 đ" in html
    assert f'action="/thanh-toan/{dossier.code}/"' in html and "csrfmiddlewaretoken" in html


# --- the VNPAY 2.1.0 signature --------------------------------------------------------------------------------


def test_signature_is_hmac_sha512_of_the_sorted_quoted_parameters() -> None:
    params = {
        "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMO0001", "vnp_Amount": "3000000",
        "vnp_CurrCode": "VND", "vnp_TxnRef": "MC260115093012ABCDEF",
        "vnp_OrderInfo": "Thanh toan ho so 000.01.20.H22-260115-0001", "vnp_OrderType": "other",
        "vnp_Locale": "vn", "vnp_ReturnUrl": "http://127.0.0.1:8000/thanh-toan/ket-qua/",
        "vnp_IpAddr": "203.0.113.7", "vnp_CreateDate": "20260115093012", "vnp_ExpireDate": "20260115094512",
        "vnp_SecureHashType": "HmacSHA512",
    }
    data = ("vnp_Amount=3000000&vnp_Command=pay&vnp_CreateDate=20260115093012&vnp_CurrCode=VND"
            "&vnp_ExpireDate=20260115094512&vnp_IpAddr=203.0.113.7&vnp_Locale=vn"
            "&vnp_OrderInfo=Thanh+toan+ho+so+000.01.20.H22-260115-0001&vnp_OrderType=other"
            "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fthanh-toan%2Fket-qua%2F&vnp_TmnCode=DEMO0001"
            "&vnp_TxnRef=MC260115093012ABCDEF&vnp_Version=2.1.0")
    expected = hmac.new(b"SECRETSECRET", data.encode(), hashlib.sha512).hexdigest()
    assert vnpay.signing_data(params) == data
    assert vnpay.sign(params, "SECRETSECRET") == expected
    assert vnpay.signature_valid({**params, "vnp_SecureHash": expected.upper()}, "SECRETSECRET")
    assert not vnpay.signature_valid({**params, "vnp_SecureHash": expected, "vnp_Amount": "3000100"}, "SECRETSECRET")
    assert not vnpay.signature_valid(params, "SECRETSECRET")  # unsigned


def test_payment_url_carries_every_vnpay_parameter_signed(world: World) -> None:
    applicant = citizen()
    payment = start(new_dossier(world, applicant), applicant)
    assert payment.redirect_url.startswith("http://testserver/thanh-toan/sandbox/?")
    params = request_params(payment)
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay"
    assert params["vnp_Amount"] == "3000000" and params["vnp_CurrCode"] == "VND"
    assert params["vnp_TxnRef"] == payment.order_ref and params["vnp_Locale"] == "vn"
    assert params["vnp_IpAddr"] == "203.0.113.7"
    assert params["vnp_ReturnUrl"] == "http://testserver/thanh-toan/ket-qua/"
    created = datetime.strptime(params["vnp_CreateDate"], "%Y%m%d%H%M%S")
    expires = datetime.strptime(params["vnp_ExpireDate"], "%Y%m%d%H%M%S")
    assert expires - created == timedelta(minutes=15)
    assert created.replace(tzinfo=VN_TZ) == payment.created_at.astimezone(VN_TZ).replace(microsecond=0)
    assert params["vnp_OrderInfo"].isascii()
    assert vnpay.signature_valid(params, SANDBOX_SECRET)
    assert SandboxGateway().check_request(params, timezone.now()) == []
    assert SandboxGateway().check_request({**params, "vnp_Amount": "100"}, timezone.now()) == ["invalid signature"]


# --- the whole flow, over real HTTP -------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """An HTTP client that keeps cookies and does not follow redirects (so that each hop can be checked)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)

    def open(self, url: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        url = url if url.startswith("http") else self.base + url
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - the live test server
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            request.add_header("X-CSRFToken", self.cookies["csrftoken"])
        try:
            with self.opener.open(request, timeout=20) as response:
                status, headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, content = exc.code, exc.headers, exc.read()
        for line in headers.get_all("Set-Cookie") or []:
            self.cookies.update({name: morsel.value for name, morsel in http.cookies.SimpleCookie(line).items()})
        return status, dict(headers), content


def test_citizen_pays_through_the_sandbox_and_gets_a_receipt(world: World, live_server: Any) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    browser = Browser(live_server.url)
    signed_in = Client()
    signed_in.force_login(applicant)
    browser.cookies["sessionid"] = signed_in.cookies["sessionid"].value
    assert browser.open("/")[0] == 200  # the CSRF cookie

    # pay: off to the gateway (a double click reuses the same order)
    status, headers, _ = browser.open(f"/thanh-toan/{dossier.code}/", {})
    assert status == 302
    to_gateway = headers["Location"]
    assert to_gateway.startswith(live_server.url + "/thanh-toan/sandbox/?")
    assert browser.open(f"/thanh-toan/{dossier.code}/", {})[1]["Location"] == to_gateway
    assert Payment.objects.count() == 1

    # the sandbox's page
    status, _, page = browser.open(to_gateway)
    html = page.decode()
    assert status == 200
    assert "CỔNG THANH TOÁN THỬ NGHIỆM — không trừ tiền thật" in html
    assert "SANDBOX payment gateway — no real money" in html
    assert "30.000 đ" in html
    fields = dict(re.findall(r'<input type="hidden" name="(vnp_\w+)" value="([^"]*)"', html))
    assert fields["vnp_TxnRef"] == Payment.objects.get().order_ref

    # Pay: the sandbox sends the signed IPN to our server over HTTP, then sends the browser back
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    status, headers, _ = browser.open("/thanh-toan/sandbox/", {**fields, "outcome": "pay"})
    assert status == 302
    back = headers["Location"]
    assert back.startswith(live_server.url + "/thanh-toan/ket-qua/?")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PAID
    year = payment.paid_at.astimezone(VN_TZ).year
    assert payment.receipt_number == f"BL-{year}-000001"
    assert payment.gateway_transaction and payment.bank_code == "NCB"
    ipn_notice = PaymentNotice.objects.get(source="ipn")
    assert (ipn_notice.outcome, ipn_notice.reason, ipn_notice.remote_addr) == ("accepted", "confirmed", "127.0.0.1")

    # back on our return page: verified again, a duplicate of the IPN, shown as paid
    status, _, page = browser.open(back)
    assert status == 200
    assert payment.receipt_number in page.decode()
    assert f'href="/ho-so-cua-toi/{dossier.code}/"' in page.decode()
    returned = PaymentNotice.objects.get(source="return")
    assert (returned.outcome, returned.reason) == ("duplicate", "already_confirmed")

    # the dossier's log: one payment event, no status change, public milestone without personal data
    [event] = payment_events(dossier)
    assert event.data["amount"] == 30000 and event.data["receipt_number"] == payment.receipt_number
    assert event.data["transaction"] == payment.gateway_transaction
    assert event.from_status == event.to_status == dossier.status
    dossier.refresh_from_db()
    assert dossier.event_count == event.seq and dossier.last_hash == event.hash
    assert track(dossier.code)["milestones"][-1]["action"] == "payment"
    assert selectors.payment_status(dossier).state == "paid"

    # the electronic receipt
    status, headers, pdf = browser.open(f"/thanh-toan/bien-lai/{payment.receipt_number}.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    text = text_of(pdf)
    assert payment.receipt_number in text
    assert "30.000" in text and "Ba mươi nghìn đồng" in text and "THỬ NGHIỆM" in text
    assert dossier.code in text and APPLICANT["name"] in text and payment.gateway_transaction in text
    assert qr_codes(pdf) == [f"{live_server.url}/tra-cuu/?ma={dossier.code}"]

    # paid: nothing more to start
    status, _, page = browser.open(f"/thanh-toan/{dossier.code}/", {})
    assert status == 409 and Payment.objects.count() == 1


def test_the_return_confirms_when_the_ipn_never_came(world: World, client: Client) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    response = client.get("/thanh-toan/ket-qua/?" + urlencode(gateway_answer(payment)))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number
    assert payment.receipt_number in response.content.decode()
    assert len(payment_events(dossier)) == 1
    # the IPN arriving late changes nothing
    assert ipn(client, gateway_answer(payment)) == {"RspCode": "02", "Message": "Order already confirmed"}
    assert len(payment_events(dossier)) == 1


@pytest.mark.parametrize(("outcome", "status"), [("cancel", "cancelled"), ("fail", "failed")])
def test_a_cancelled_or_failed_payment_takes_no_receipt_and_can_be_retried(
    world: World, client: Client, outcome: str, status: str
) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    assert ipn(client, gateway_answer(payment, outcome))["RspCode"] == "00"
    payment.refresh_from_db()
    assert payment.status == status and payment.receipt_number is None
    assert payment_events(dossier) == []
    client.force_login(applicant)
    page = client.get("/thanh-toan/ket-qua/?" + urlencode(gateway_answer(payment, outcome)))
    assert "Nothing was charged" in page.content.decode() or "không" in page.content.decode().lower()
    retry = start(dossier, applicant)
    assert retry.pk != payment.pk and retry.status == PaymentStatus.PENDING


# --- refused notifications -------------------------------------------------------------------------------------------


@pytest.fixture
def pending(world: World) -> Payment:
    applicant = citizen()
    return start(new_dossier(world, applicant), applicant)


def assert_unchanged(payment: Payment) -> None:
    fresh = Payment.objects.get(pk=payment.pk)
    assert fresh.status == PaymentStatus.PENDING and fresh.receipt_number is None and fresh.paid_at is None
    assert payment_events(payment.dossier) == []
    assert not ReceiptCounter.objects.filter(last__gt=0).exists()


def test_a_forged_notification_is_rejected_and_logged(pending: Payment, client: Client, caplog: Any) -> None:
    forged = gateway_answer(pending)
    forged["vnp_SecureHash"] = vnpay.sign(forged, "not-the-secret")
    with caplog.at_level(logging.WARNING, logger="motcua.payments"):
        assert ipn(client, forged) == {"RspCode": "97", "Message": "Invalid signature"}
    notice = PaymentNotice.objects.get()
    assert (notice.outcome, notice.reason, notice.payment_id) == ("rejected", "invalid_signature", pending.pk)
    assert notice.params["vnp_TxnRef"] == pending.order_ref
    assert any(r.levelno == logging.WARNING and "invalid_signature" in r.getMessage() for r in caplog.records)
    tampered = {**gateway_answer(pending), "vnp_ResponseCode": "00", "vnp_Amount": "100"}  # signed, then altered
    assert ipn(client, tampered)["RspCode"] == "97"
    assert_unchanged(pending)


def test_an_unknown_order_is_rejected(pending: Payment, client: Client, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="motcua.payments"):
        assert ipn(client, gateway_answer(pending, vnp_TxnRef="MC000000000000NOPE"))["RspCode"] == "01"
    notice = PaymentNotice.objects.get()
    assert (notice.outcome, notice.reason, notice.payment_id) == ("rejected", "order_not_found", None)
    assert any("order_not_found" in r.getMessage() for r in caplog.records)
    assert_unchanged(pending)


def test_a_wrong_amount_is_rejected(pending: Payment, client: Client) -> None:
    assert ipn(client, gateway_answer(pending, vnp_Amount="100000"))["RspCode"] == "04"  # 1,000 đ for 30,000 đ
    notice = PaymentNotice.objects.get()
    assert (notice.outcome, notice.reason) == ("rejected", "invalid_amount")
    assert_unchanged(pending)


def test_a_replayed_notification_changes_nothing(pending: Payment, client: Client) -> None:
    answer = gateway_answer(pending)
    assert ipn(client, answer) == {"RspCode": "00", "Message": "Confirm Success"}
    paid = Payment.objects.get(pk=pending.pk)
    assert ipn(client, answer) == {"RspCode": "02", "Message": "Order already confirmed"}
    again = Payment.objects.get(pk=pending.pk)
    assert (again.status, again.receipt_number, again.paid_at) == (paid.status, paid.receipt_number, paid.paid_at)
    assert len(payment_events(pending.dossier)) == 1
    assert ReceiptCounter.objects.get().last == 1
    assert list(PaymentNotice.objects.order_by("pk").values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    # a later success for another order of the same dossier gets the next number: no gaps
    assert receipts.format_number(2026, 2) == "BL-2026-000002"


def test_a_forged_return_shows_no_payment(pending: Payment, client: Client) -> None:
    forged = gateway_answer(pending)
    forged["vnp_SecureHash"] = "0" * 128
    response = client.get("/thanh-toan/ket-qua/?" + urlencode(forged))
    assert response.status_code == 400
    shown = response.content.decode().split('id="payment-result"', 1)[1]
    assert pending.dossier.code not in shown and "receipt-number" not in shown
    assert_unchanged(pending)


# --- who may pay and see receipts ----------------------------------------------------------------------------------


def test_strangers_cannot_start_a_payment_or_download_a_receipt(world: World, client: Client) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    ipn(client, gateway_answer(payment))
    number = Payment.objects.get().receipt_number
    receipt_url = f"/thanh-toan/bien-lai/{number}.pdf"

    assert client.get(receipt_url).status_code == 404  # anonymous
    anonymous = client.post(f"/thanh-toan/{dossier.code}/")
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]

    client.force_login(citizen("stranger"))
    assert client.post(f"/thanh-toan/{dossier.code}/").status_code == 404
    assert client.get(receipt_url).status_code == 404
    client.force_login(world.users["tuphap"])  # staff of an agency not involved in this dossier
    assert client.get(receipt_url).status_code == 404
    assert client.post(f"/thanh-toan/{dossier.code}/").status_code == 404

    client.force_login(world.users["tiepnhan"])  # the receiving point's officer may, and it is logged
    response = client.get(receipt_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert DossierAccess.objects.filter(dossier=dossier, user=world.users["tiepnhan"], via="receipt").exists()
    client.force_login(applicant)
    assert client.get(receipt_url).status_code == 200
    assert Payment.objects.count() == 1


def test_staff_of_the_dossier_may_start_a_payment_at_the_counter(world: World, client: Client) -> None:
    dossier = new_dossier(world)  # a counter dossier without an account
    client.force_login(world.users["tiepnhan"])
    page = client.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert 'id="payments"' in page and "30.000 đ" in page
    response = client.post(f"/thanh-toan/{dossier.code}/")
    assert response.status_code == 302 and "/thanh-toan/sandbox/?" in response["Location"]
    assert Payment.objects.get().payer == world.users["tiepnhan"]


def test_nothing_due_is_refused_and_a_double_click_reuses_the_order(world: World) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    first = start(dossier, applicant)
    assert start(dossier, applicant).pk == first.pk
    # an order about to expire is not handed out again; an expired one is marked so
    later = start(dossier, applicant, now=first.expires_at + timedelta(seconds=1))
    assert later.pk != first.pk
    assert Payment.objects.get(pk=first.pk).status == PaymentStatus.EXPIRED
    Dossier.objects.filter(pk=dossier.pk).update(fee_total=0)
    with pytest.raises(services.PaymentRefused) as refused:
        start(dossier, applicant)
    assert refused.value.code == "nothing_due"


def test_sandbox_is_a_warning_without_debug_and_vnpay_needs_its_secrets(settings: Any) -> None:
    settings.DEBUG = False
    assert [m.id for m in checks.sandbox_in_production(None)] == ["motcua.payments.W001"]
    assert checks.payment_gateway(None) == []  # only `check --deploy` warns: the trial mode stays quiet
    settings.DEBUG = True
    assert checks.sandbox_in_production(None) == []
    settings.PAYMENT_GATEWAY = "vnpay"
    settings.PAYMENT_TMN_CODE = ""
    assert [m.id for m in checks.payment_gateway(None)] == ["motcua.payments.E002"]
    settings.PAYMENT_TMN_CODE, settings.PAYMENT_HASH_SECRET = "DEMO0001", "SECRETSECRET"
    assert checks.payment_gateway(None) == []
    gateway = get_gateway()
    assert gateway.name == "vnpay"
    assert json.loads(gateway.reply(Reason.INVALID_AMOUNT).body) == {"RspCode": "04", "Message": "invalid amount"}


def test_amount_in_words() -> None:
    assert receipts.in_words(30000) == "Ba mươi nghìn đồng"
    assert receipts.in_words(75000) == "Bảy mươi lăm nghìn đồng"
    assert receipts.in_words(1_205_000) == "Một triệu hai trăm linh năm nghìn đồng"
    assert receipts.in_words(2_021_000) == "Hai triệu không trăm hai mươi mốt nghìn đồng"


# --- two identical notifications at the same moment (PostgreSQL) ----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_two_identical_ipns_at_once_confirm_once(world: World) -> None:
    applicant = citizen()
    payment = start(new_dossier(world, applicant), applicant)
    answer = gateway_answer(payment)
    results = at_once(2, lambda index: ipn(Client(), answer)["RspCode"])
    assert sorted(results) == ["00", "02"], results
    paid = Payment.objects.get(pk=payment.pk)
    assert paid.status == PaymentStatus.PAID and paid.receipt_number and paid.receipt_number.endswith("-000001")
    assert sorted(PaymentNotice.objects.values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    assert ReceiptCounter.objects.get().last == 1
    assert len(payment_events(payment.dossier)) == 1


def test_the_applicant_is_told_the_fee_was_received(world: World, client: Client) -> None:
    from motcua.notifications.models import Notification
    from tests.conftest import deliver_notifications

    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    ipn(client, gateway_answer(payment))
    payment.refresh_from_db()
    deliver_notifications()
    sms = Notification.objects.get(dossier=dossier, channel="sms", body__contains=payment.receipt_number)
    assert sms.status == "sent" and "30.000" in sms.body and dossier.code in sms.body


# --- a success after a cancel: the money was taken ------------------------------------------------------------------


@pytest.mark.parametrize("first", ["cancel", "fail"])
def test_a_signed_success_after_a_cancel_is_recorded_and_confirms(world: World, client: Client, first: str) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    assert ipn(client, gateway_answer(payment, first))["RspCode"] == "00"
    success = gateway_answer(payment, "pay")
    assert ipn(client, success) == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number and payment.response_code == "00"
    assert [e.data["order_ref"] for e in payment_events(dossier)] == [payment.order_ref]
    assert selectors.amount_due(dossier) == 0
    assert ipn(client, success)["RspCode"] == "02"  # the same success again changes nothing
    assert list(PaymentNotice.objects.filter(payment=payment).order_by("pk").values_list("outcome", flat=True)) == [
        "accepted", "accepted", "duplicate"]


def test_a_success_the_dossier_no_longer_owes_is_flagged_for_refund(world: World, client: Client,
                                                                     caplog: Any) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    first = start(dossier, applicant)
    ipn(client, gateway_answer(first, "cancel"))
    second = start(dossier, applicant)  # paid again with a new order
    assert ipn(client, gateway_answer(second, "pay"))["RspCode"] == "00"
    with caplog.at_level(logging.WARNING, logger="motcua.payments.services"):
        late = ipn(client, gateway_answer(first, "pay"))  # then the bank reports the first one taken too
    assert late == {"RspCode": "00", "Message": "Confirm Success"}  # recorded: the gateway must not retry
    first.refresh_from_db()
    assert first.status == PaymentStatus.REFUND_DUE and first.receipt_number is None and first.paid_at
    events = payment_events(dossier)
    assert len(events) == 2 and events[-1].data["order_ref"] == first.order_ref and events[-1].data["refund_due"]
    assert selectors.paid_total(dossier) == 30000 and selectors.amount_due(dossier) == 0  # not counted twice
    assert "refund it" in caplog.text and first.order_ref in caplog.text
    assert PaymentNotice.objects.filter(payment=first, outcome="accepted", reason="refund_due").count() == 1
    client.force_login(applicant)
    page = client.get("/thanh-toan/ket-qua/?" + urlencode(gateway_answer(first, "pay"))).content.decode()
    assert 'id="refund-due"' in page  # the citizen back from the gateway is told, too
    assert ipn(client, gateway_answer(first, "cancel"))["RspCode"] == "02"  # a cancel after it changes nothing


def test_a_success_for_a_withdrawn_dossier_is_flagged_for_refund(world: World, client: Client) -> None:
    applicant = citizen()
    dossier = new_dossier(world, applicant)
    payment = start(dossier, applicant)
    ipn(client, gateway_answer(payment, "cancel"))
    dossier_services.perform(dossier.code, "withdraw", actor=world.actor("tiepnhan"), params={"reason": "Xin rút"})
    assert ipn(client, gateway_answer(payment, "pay"))["RspCode"] == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUND_DUE and payment.receipt_number is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_a_cancel_and_a_success_racing_end_paid_once(world: World) -> None:
    """The gateway's two notices about one order at once, in either order: the money is confirmed once."""
    applicant = citizen()
    payment = start(new_dossier(world, applicant), applicant)
    answers = [gateway_answer(payment, "cancel"), gateway_answer(payment, "pay")]
    results = at_once(2, lambda index: ipn(Client(), answers[index])["RspCode"])
    # cancel first: both recorded (00, 00); success first: the cancel is a duplicate (00 for the success, 02)
    assert results[1] == "00" and results[0] in ("00", "02"), results
    paid = Payment.objects.get(pk=payment.pk)
    assert paid.status == PaymentStatus.PAID and paid.receipt_number
    assert len(payment_events(payment.dossier)) == 1 and ReceiptCounter.objects.get().last == 1
    assert PaymentNotice.objects.filter(payment=payment).count() == 2
