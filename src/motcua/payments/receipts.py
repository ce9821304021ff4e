"""Electronic receipts (biên lai điện tử) of paid fees: their numbers and their PDF.

Numbers are ``BL-<year>-<6 digits>``, running per year without gaps: :func:`next_number` takes the next one from
the year's :class:`~motcua.payments.models.ReceiptCounter` row inside the confirming transaction (the row lock
serializes concurrent confirmations; a rolled-back confirmation gives its number back), like dossier codes.

The receipt is a document with legal weight, so, like the slips, its text is fixed Vietnamese
(``payments/templates/payments/receipt.html``), printed in DejaVu Serif by WeasyPrint, with a QR code to the
dossier's public tracking page (no personal data behind it). Nothing is fetched from the network.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from motcua.agencies.selectors import superior_body
from motcua.core.counters import take_next
from motcua.core.formats import moment, qr_data_uri, vnd
from motcua.dossiers.slips import place_name, tracking_url
from motcua.payments.gateways import GATEWAYS, get_gateway
from motcua.payments.models import Payment, PaymentMethod, ReceiptCounter, Refund, RefundCounter, RefundMethod
from motcua.signing.services import seal_document

PREFIX = "BL"
REFUND_PREFIX = "HT"  # hoàn trả


def format_number(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:06d}"


def next_number(year: int) -> str:
    """Take the next receipt number of ``year``; must run inside the confirming transaction."""
    return format_number(year, take_next(ReceiptCounter, year=year))


def next_refund_number(year: int) -> str:
    """Take the next refund receipt number of ``year`` (``HT-2026-000001``), from its own gap-free counter."""
    return f"{REFUND_PREFIX}-{year}-{take_next(RefundCounter, year=year):06d}"

# --- the amount in words (the receipt says it in letters too) ------------------------------------------------

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
SCALES = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _three(number: int, leading: bool) -> list[str]:
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if not leading or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0 and units and words:
        words.append("linh")
    elif tens == 1:
        words.append("mười")
    elif tens > 1:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens > 1:
            words.append("mốt")
        elif units == 5 and tens:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return words


def in_words(amount: int) -> str:
    """``30000`` → ``Ba mươi nghìn đồng`` (Vietnamese reading of a whole amount of đồng)."""
    if amount == 0:
        return "Không đồng"
    groups: list[int] = []
    while amount:
        groups.append(amount % 1000)
        amount //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index]:
            words += _three(groups[index], leading=not words)
            if SCALES[index]:
                words.append(SCALES[index])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


# --- the PDF --------------------------------------------------------------------------------------------------


def gateway_label(name: str) -> str:
    if name not in GATEWAYS:
        return name
    try:
        return get_gateway(name).label
    except Exception:  # noqa: BLE001 - a gateway no longer configured still has a name to print
        return name


# how the money came, as the receipt prints it (fixed Vietnamese, like the rest of the receipt)
METHOD_TEXTS = {
    PaymentMethod.CASH: "Tiền mặt",
    PaymentMethod.CARD: "Thẻ ngân hàng (máy POS)",
    PaymentMethod.TRANSFER: "Chuyển khoản ngân hàng (VietQR)",
    PaymentMethod.COD: "Thu hộ khi phát kết quả (COD) qua bưu chính",
}


def method_text(payment: Payment) -> str:
    if payment.method == PaymentMethod.GATEWAY:
        return f"Trực tuyến qua {gateway_label(payment.gateway)}"
    return METHOD_TEXTS.get(PaymentMethod(payment.method), payment.method)


def receipt_context(payment: Payment) -> dict[str, Any]:
    """What the receipt prints: the legal fields (Decree 123/2020/NĐ-CP Art. 32: the receipt form symbol, the
    receipt series and number), the collecting unit — the point where a person collected it, else the dossier's
    receiving point —, the payer, the fee lines, how it was paid and, for a collection, who collected it."""
    dossier = payment.dossier
    agency = payment.point or dossier.receiving_agency
    collector = payment.collected_by
    collector_name = (collector.get_full_name() or collector.get_username()) if collector is not None else ""
    url = tracking_url(dossier)
    lines = payment.lines or [{"name": "Phí, lệ phí", "amount": payment.amount, "due": payment.amount,
                               "exemption": ""}]
    return {
        "payment": payment,
        "number": payment.receipt_number,
        "dossier": dossier,
        "code": dossier.code,
        "procedure": dossier.version.name_vi,
        "agency": agency,
        "superior": superior_body(agency),
        "place": place_name(agency),
        "paid": moment(payment.paid_at),
        "payer": dossier.applicant_name,
        "lines": [{**line, "amount_text": vnd(line["amount"]), "due_text": vnd(line["due"])} for line in lines],
        "total": vnd(payment.amount),
        "total_words": in_words(payment.amount),
        "gateway": gateway_label(payment.gateway) if payment.method == PaymentMethod.GATEWAY else "",
        "form_symbol": settings.MOTCUA_RECEIPT_FORM,
        "series": settings.MOTCUA_RECEIPT_SERIES,
        "method": method_text(payment),
        "online": payment.method == PaymentMethod.GATEWAY,
        "collector": collector_name,
        "sandbox": payment.gateway == "sandbox",  # printed as a test receipt, worth nothing
        "tracking_url": url,
        "qr": qr_data_uri(url),
    }


def render_receipt(payment: Payment) -> bytes:
    """The receipt of a paid ``payment`` as an A5 PDF; its QR code points to the dossier's tracking page."""
    from weasyprint import HTML, URLFetcher

    with translation.override("vi"):
        html = render_to_string("payments/receipt.html", receipt_context(payment))
    fetcher = URLFetcher(allowed_protocols=["data"])  # no network, no files: only the inline QR code
    pdf = bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())
    return seal_document(pdf, reason=f"Biên lai điện tử số {payment.receipt_number}")


REFUND_METHODS = {RefundMethod.GATEWAY: "hoàn qua cổng thanh toán", RefundMethod.CASH: "tiền mặt",
                  RefundMethod.TRANSFER: "chuyển khoản"}


def render_refund_receipt(refund: Refund) -> bytes:
    """The receipt of a done refund (phiếu hoàn trả phí, lệ phí) as an A5 PDF, sealed like the fee receipts."""
    from weasyprint import HTML, URLFetcher

    payment = refund.payment
    context = receipt_context(payment)
    context.update({
        "refund": refund,
        "number": refund.receipt_number,
        "refunded": moment(refund.done_at),
        "total": vnd(refund.amount),
        "total_words": in_words(refund.amount),
        "method": REFUND_METHODS.get(refund.method, refund.method),  # type: ignore[call-overload]
        "paid_receipt": payment.receipt_number or payment.order_ref,
        "paid_total": vnd(payment.amount),
    })
    with translation.override("vi"):
        html = render_to_string("payments/refund_receipt.html", context)
    fetcher = URLFetcher(allowed_protocols=["data"])
    pdf = bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())
    return seal_document(pdf, reason=f"Phiếu hoàn trả số {refund.receipt_number}")
