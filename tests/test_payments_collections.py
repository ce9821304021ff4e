"""Fees paid wherever they are paid: cash and card at the counter and the post point (the workspace form and the
API), once per one-time key; the VietQR bank transfer code on the receipt slip and the citizen's page; the
e-receipt's legal fields, sealed by the system."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from motcua.api.auth import issue_token
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.slips import render_slip
from motcua.payments import receipts, selectors, services, vietqr
from motcua.payments.models import Payment, PaymentMethod
from motcua.signing.services import verify_pdf
from tests.browsing import fits
from tests.concurrency import at_once
from tests.factories import MONDAY, World, citizen_user, new_dossier, pay, receive
from tests.pki import DemoPki
from tests.test_payments import qr_codes, text_of

pytestmark = pytest.mark.django_db


def staff(world: World, username: str = "tiepnhan") -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def api(world: World, username: str = "tiepnhan") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users[username])}")


def payment_events(dossier: Dossier) -> list[Event]:
    return list(Event.objects.filter(dossier=dossier, action="payment"))


def form_key(page: str) -> str:
    found = re.search(r'name="key" value="([0-9a-f]{32})"', page)
    assert found, "the collection form carries a one-time key"
    return found.group(1)


# --- the counter form ---------------------------------------------------------------------------------------------


def test_the_counter_form_records_cash_once_and_opens_the_receipt(world: World) -> None:
    dossier = receive(world)
    officer = staff(world)
    page = officer.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert 'id="collect-form"' in page and 'name="amount" inputmode="numeric" value="30000"' in page
    key = form_key(page)
    url = reverse("workspace:collect_fee", args=[dossier.code])
    form = {"method": "cash", "amount": "30000", "reference": "", "key": key}
    first = officer.post(url, form)
    again = officer.post(url, form)  # a double click, or the browser's retry
    assert first.status_code == again.status_code == 302
    payment = Payment.objects.get()
    assert len(payment_events(dossier)) == 1
    assert (payment.method, payment.amount, payment.point_id, payment.collected_by_id) == (
        PaymentMethod.CASH, 30000, world.commune.pk, world.users["tiepnhan"].pk)
    assert first["Location"].endswith(f"?receipt={payment.receipt_number}#payments")
    shown = officer.get(first["Location"]).content.decode()
    assert 'id="receipt-just-recorded"' in shown and 'id="collect-form"' not in shown  # paid: no form any more
    assert reverse("payments:receipt", args=[payment.receipt_number]) in shown
    receipt = officer.get(reverse("payments:receipt", args=[payment.receipt_number]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert Dossier.objects.get(pk=dossier.pk).fee_paid == 30000


def test_a_card_needs_its_slip_reference_and_a_wrong_amount_is_refused(world: World) -> None:
    dossier = receive(world)
    officer = staff(world)
    url = reverse("workspace:collect_fee", args=[dossier.code])
    no_slip = officer.post(url, {"method": "card", "amount": "30000", "key": "a" * 32})
    assert no_slip.status_code == 400 and 'id="collect-reference-error"' in no_slip.content.decode()
    wrong = officer.post(url, {"method": "cash", "amount": "20000", "key": "b" * 32})
    assert wrong.status_code == 409 and 'id="collect-amount-error"' in wrong.content.decode()
    assert not Payment.objects.exists() and not payment_events(dossier)
    done = officer.post(url, {"method": "card", "amount": "30.000", "reference": "POS 000123", "key": "c" * 32})
    assert done.status_code == 302
    assert Payment.objects.get().reference == "POS 000123"


def test_only_front_staff_of_the_collection_points_collect(world: World) -> None:
    dossier = receive(world)
    url = reverse("workspace:collect_fee", args=[dossier.code])
    body = {"method": "cash", "amount": "30000", "key": "d" * 32}
    # the processing officer sees the dossier but is not front staff: no form, and a refusal
    page = staff(world, "chuyenvien").get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert 'id="collect-form"' not in page
    assert staff(world, "chuyenvien").post(url, body).status_code == 403
    # staff of an agency the dossier never went to: not found
    assert staff(world, "tiepnhan.tinh").post(url, body).status_code == 404
    assert not Payment.objects.exists()
    # and the service itself refuses a point that is not one of the dossier's collection points
    with pytest.raises(services.Forbidden) as elsewhere:
        services.record_collection(code=dossier.code, method="cash", amount=30000, actor=world.actor("buudien"),
                                   point_id=world.post.pk)
    assert elsewhere.value.code == "not_collecting_point"


def test_a_key_reused_for_another_dossier_is_refused(world: World) -> None:
    first, second = receive(world), receive(world)
    actor = world.actor("tiepnhan")
    services.record_collection(code=first.code, method="cash", amount=30000, actor=actor,
                               point_id=world.commune.pk, key="k-1")
    with pytest.raises(services.PaymentRefused) as reused:
        services.record_collection(code=second.code, method="cash", amount=30000, actor=actor,
                                   point_id=world.commune.pk, key="k-1")
    assert reused.value.code == "key_reused" and Payment.objects.count() == 1


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_records_a_counter_payment_once_per_key(world: World) -> None:
    dossier = receive(world)
    client = api(world)
    url = f"/api/v1/dossiers/{dossier.code}/payments"
    body = json.dumps({"method": "cash", "amount": 30000})
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="kiosk-42-0001")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="kiosk-42-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["point"] == world.commune.identifier_code and first.json()["amount"] == 30000
    assert Payment.objects.count() == 1 and len(payment_events(dossier)) == 1
    # paid: a new key finds nothing due
    nothing = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="kiosk-42-0002")
    assert nothing.status_code == 409 and nothing.json()["error"] == "nothing_due"


def test_the_api_refuses_a_wrong_amount_and_strangers(world: World) -> None:
    dossier = receive(world)
    url = f"/api/v1/dossiers/{dossier.code}/payments"
    wrong = api(world).post(url, json.dumps({"method": "cash", "amount": 25000, "key": "x1"}),
                            content_type="application/json")
    assert wrong.status_code == 409 and wrong.json()["error"] == "amount_not_due"
    assert "30.000" in wrong.json()["message"]["vi"] and wrong.json()["location"] == "amount"
    stranger = api(world, "tiepnhan.tinh").post(url, json.dumps({"method": "cash", "amount": 30000}),
                                               content_type="application/json")
    assert stranger.status_code == 404
    not_front = api(world, "chuyenvien").post(url, json.dumps({"method": "cash", "amount": 30000}),
                                             content_type="application/json")
    assert not_front.status_code == 403
    transfer = api(world).post(url, json.dumps({"method": "transfer", "amount": 30000}),
                               content_type="application/json")
    assert transfer.status_code == 422  # the counter takes cash or a card
    assert not Payment.objects.exists()


# --- VietQR ---------------------------------------------------------------------------------------------------


def tlv(payload: str) -> dict[str, str]:
    """A tiny EMVCo TLV reader, independent of the library that wrote the payload."""
    fields, i = {}, 0
    while i < len(payload):
        tag, length = payload[i:i + 2], int(payload[i + 2:i + 4])
        fields[tag] = payload[i + 4:i + 4 + length]
        i += 4 + length
    return fields


def crc16_ccitt(data: str) -> str:
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def test_the_vietqr_payload_parses_back(world: World, settings: Any) -> None:
    settings.MOTCUA_VIETQR_BANK_BIN, settings.MOTCUA_VIETQR_ACCOUNT = "970415", "113366668888"
    settings.MOTCUA_VIETQR_ACCOUNT_NAME = "Trung tâm Phục vụ hành chính công phường Hà Tu"
    dossier = receive(world)
    qr = vietqr.transfer_qr(dossier)
    assert qr is not None
    fields = tlv(qr.payload)
    assert fields["00"] == "01" and fields["01"] == "12"  # a dynamic code: the amount is fixed
    assert fields["53"] == "704" and fields["54"] == "30000" and fields["58"] == "VN"
    merchant = tlv(fields["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"  # NAPAS, transfer to an account
    assert tlv(merchant["01"]) == {"00": "970415", "01": "113366668888"}
    note = tlv(fields["62"])["08"]
    assert note == selectors.transfer_reference(dossier.code) == "HS" + re.sub(r"[^0-9A-Z]", "", dossier.code)
    assert fields["59"] == "TRUNG TAM PHUC VU HANH CHI"[:25]
    assert qr.payload[-8:-4] == "6304" and qr.payload[-4:] == crc16_ccitt(qr.payload[:-4])
    assert vietqr.parse(qr.payload) == {"bank_bin": "970415", "account": "113366668888", "amount": 30000,
                                        "note": note, "name": fields["59"], "crc_valid": True}
    assert not vietqr.parse(qr.payload[:-1] + ("0" if qr.payload[-1] != "0" else "1"))["crc_valid"]
    with pytest.raises(ValueError):
        vietqr.build(bank_bin="97041", account="1", amount=1, note="x", account_name="x")
    pay(dossier, world.actor("tiepnhan"))
    assert vietqr.transfer_qr(dossier) is None  # paid: nothing to transfer


def test_the_receipt_slip_prints_the_vietqr_while_a_fee_is_due(world: World) -> None:
    dossier = receive(world)
    pdf = render_slip(dossier, "receipt")
    payloads = [code for code in qr_codes(pdf) if code.startswith("000201")]
    assert len(payloads) == 1
    read = vietqr.parse(payloads[0])
    assert read["crc_valid"] and read["amount"] == 30000 and read["note"] == selectors.transfer_reference(dossier.code)
    text = text_of(pdf)
    assert selectors.transfer_reference(dossier.code) in text and "VietQR" in text
    pay(dossier, world.actor("tiepnhan"))
    assert not [code for code in qr_codes(render_slip(dossier, "receipt")) if code.startswith("000201")]


def test_the_citizens_page_shows_the_vietqr_only_while_a_fee_is_due(world: World) -> None:
    applicant = citizen_user()
    dossier = new_dossier(world, applicant)
    client = Client()
    client.force_login(applicant)
    page = client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    note = selectors.transfer_reference(dossier.code)
    assert f'id="vietqr" data-amount="30000" data-note="{note}"' in page and "data:image/svg+xml" in page
    pay(dossier, world.actor("tiepnhan"))
    assert 'id="vietqr"' not in client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()


# --- the e-receipt ------------------------------------------------------------------------------------------------


def test_the_receipt_prints_the_legal_fields_and_is_sealed(world: World, demo_pki: DemoPki, settings: Any) -> None:
    settings.MOTCUA_RECEIPT_FORM, settings.MOTCUA_RECEIPT_SERIES = "01BLP0-001", "AB-26E"
    demo_pki.system_seal()
    dossier = receive(world)
    payment = services.record_collection(code=dossier.code, method="card", amount=30000,
                                         actor=world.actor("tiepnhan"), point_id=world.commune.pk,
                                         reference="POS 7788", now=MONDAY + timedelta(hours=1))
    pdf = receipts.render_receipt(selectors.receipt_for(world.users["tiepnhan"], payment.receipt_number or ""))
    text = text_of(pdf)
    assert "Ký hiệu mẫu biên lai: 01BLP0-001" in text and "Ký hiệu biên lai: AB-26E" in text
    assert f"Số biên lai: {payment.receipt_number}" in text
    assert "Hình thức thanh toán: Thẻ ngân hàng (máy POS)" in text and "POS 7788" in text
    assert f"Nơi thu: {world.commune.name}" in text and "Người thu:" in text
    assert "trực tuyến" not in text.split("Hình thức thanh toán")[1][:40]
    sealed = verify_pdf(pdf)
    assert sealed.signed and sealed.valid and [s.kind for s in sealed.signatures] == ["seal"]


@pytest.mark.parametrize(("method", "printed"), [("cash", "Tiền mặt"), ("transfer", "Chuyển khoản ngân hàng (VietQR)"),
                                                 ("cod", "Thu hộ khi phát kết quả (COD) qua bưu chính")])
def test_the_receipt_names_how_it_was_paid(world: World, method: str, printed: str) -> None:
    dossier = receive(world)
    point = world.commune.pk if method == "cash" else None
    actor = world.actor("tiepnhan") if method == "cash" else Actor(None, "Bưu điện")
    payment = services.record_collection(code=dossier.code, method=method, amount=30000, actor=actor,
                                         point_id=point, reference="" if method == "cash" else "REF-1")
    text = text_of(receipts.render_receipt(payment))
    assert f"Hình thức thanh toán: {printed}" in text


# --- the same form posted twice at the same moment (PostgreSQL) ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_the_same_form_posted_twice_at_once_records_once(world: World) -> None:
    dossier = receive(world)
    url = reverse("workspace:collect_fee", args=[dossier.code])
    form = {"method": "cash", "amount": "30000", "key": "e" * 32}
    results = at_once(2, lambda index: staff(world).post(url, form).status_code)
    assert results == [302, 302], results
    assert Payment.objects.count() == 1 and len(payment_events(dossier)) == 1
    assert Dossier.objects.get(pk=dossier.pk).fee_paid == 30000


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_two_different_collections_at_once_take_the_fee_once(world: World) -> None:
    dossier = receive(world)

    def collect(index: int) -> str:
        try:
            services.record_collection(code=dossier.code, method="cash", amount=30000, actor=world.actor("tiepnhan"),
                                       point_id=world.commune.pk, key=f"desk-{index}")
        except services.PaymentRefused as refused:
            return refused.code
        return "paid"

    assert sorted(at_once(2, collect)) == ["nothing_due", "paid"]
    assert Payment.objects.count() == 1 and Dossier.objects.get(pk=dossier.pk).fee_paid == 30000


def test_the_checks_refuse_a_bad_vietqr_account_and_warn_of_the_demo_one(settings: Any) -> None:
    from motcua.payments import checks

    settings.MOTCUA_VIETQR_BANK_BIN, settings.MOTCUA_VIETQR_ACCOUNT = "9704", "113366668888"
    assert [m.id for m in checks.vietqr_account(None)] == ["motcua.payments.E003"]
    settings.MOTCUA_VIETQR_BANK_BIN, settings.DEBUG = "970415", False
    assert checks.vietqr_account(None) == []
    assert [m.id for m in checks.demo_vietqr_in_production(None)] == ["motcua.payments.W002"]
    settings.MOTCUA_VIETQR_ACCOUNT = "0011001234567"
    assert checks.demo_vietqr_in_production(None) == []


# --- on a phone, in real Chromium -------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_takes_cash_on_a_phone_and_gets_the_receipt(phone: Any, live_server: Any, settings: Any,
                                                               tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = World()
    dossier = receive(world)
    phone.goto(f"{live_server.url}/workspace/dossiers/{dossier.code}/")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("tiepnhan")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url(f"**/workspace/dossiers/{dossier.code}/")
    assert phone.locator("#collect-amount").input_value() == "30000"
    assert fits(phone)
    button = phone.locator("#collect-form button[type=submit]")
    button.click()
    phone.wait_for_url("**?receipt=*")
    assert phone.locator("#receipt-just-recorded").is_visible() and fits(phone)
    assert phone.locator("#collect-form").count() == 0
    payment = Payment.objects.get()
    assert payment.method == "cash" and Dossier.objects.get(pk=dossier.pk).fee_paid == 30000
    assert phone.locator("#receipt-just-recorded").inner_text() == payment.receipt_number
