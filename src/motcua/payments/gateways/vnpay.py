"""The VNPAY 2.1.0 protocol, the kind of payment page Vietnamese banks' gateways offer.

Payment request (browser redirect to ``PAYMENT_URL``): ``vnp_Version=2.1.0``, ``vnp_Command=pay``,
``vnp_TmnCode`` (our merchant code), ``vnp_Amount`` (đồng × 100), ``vnp_CurrCode=VND``, ``vnp_TxnRef`` (our
order reference), ``vnp_OrderInfo`` (ASCII text), ``vnp_OrderType``, ``vnp_Locale`` (``vn``/``en``),
``vnp_ReturnUrl``, ``vnp_IpAddr``, ``vnp_CreateDate`` and ``vnp_ExpireDate`` (``yyyyMMddHHmmss`` in GMT+7).

Signature: the ``vnp_*`` parameters except ``vnp_SecureHash`` and ``vnp_SecureHashType``, sorted by key, each
``key=quote_plus(value)``, joined with ``&``; HMAC-SHA512 of that with the hash secret, in hex, is
``vnp_SecureHash``. The browser's return and the server-to-server IPN carry ``vnp_ResponseCode``,
``vnp_TransactionStatus``, ``vnp_TransactionNo``, ``vnp_BankCode``, ``vnp_PayDate``, ``vnp_Amount``,
``vnp_TxnRef``…, signed the same way. The IPN is answered with JSON ``{"RspCode", "Message"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from motcua.payments.gateways import Notice, Reason, Reply

if TYPE_CHECKING:
    from motcua.payments.models import Payment

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7), "GMT+7")
DATE_FORMAT = "%Y%m%d%H%M%S"
UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
# VNPAY's public test environment; production merchants get their own address with their contract.
DEFAULT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

RSP_CODES: dict[Reason, tuple[str, str]] = {
    Reason.CONFIRMED: ("00", "Confirm Success"),
    # recorded too (the money is acknowledged, the refund is ours to make): VNPAY must not retry it
    Reason.REFUND_DUE: ("00", "Confirm Success"),
    Reason.ORDER_NOT_FOUND: ("01", "Order not found"),
    Reason.ALREADY_CONFIRMED: ("02", "Order already confirmed"),
    Reason.INVALID_AMOUNT: ("04", "invalid amount"),
    Reason.INVALID_SIGNATURE: ("97", "Invalid signature"),
    Reason.INVALID_DATA: ("99", "Unknown error"),
}


def signing_data(params: Mapping[str, str]) -> str:
    """The text that is signed: sorted ``vnp_*`` parameters (hash fields excluded), values ``quote_plus``-ed."""
    return "&".join(
        f"{key}={quote_plus(str(params[key]))}"
        for key in sorted(params)
        if key.startswith("vnp_") and key not in UNSIGNED
    )


def sign(params: Mapping[str, str], secret: str) -> str:
    """``vnp_SecureHash`` of ``params``: HMAC-SHA512 of :func:`signing_data` with the hash secret, in hex."""
    return hmac.new(secret.encode("utf-8"), signing_data(params).encode("utf-8"), hashlib.sha512).hexdigest()


def signature_valid(params: Mapping[str, str], secret: str) -> bool:
    given = str(params.get("vnp_SecureHash", "")).lower()
    # as bytes: compare_digest refuses str with non-ASCII characters (a forged hash may carry any)
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), sign(params, secret).encode("ascii"))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string of ``params`` with their signature appended (what goes after ``?``)."""
    return signing_data(params) + "&vnp_SecureHash=" + sign(params, secret)


def gmt7(moment: datetime) -> str:
    return moment.astimezone(GMT7).strftime(DATE_FORMAT)


def parse_gmt7(value: str) -> datetime:
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=GMT7)


def ascii_text(text: str, limit: int = 255) -> str:
    """VNPAY wants the order description without diacritics or special characters."""
    from unidecode import unidecode

    plain = unidecode(text)
    return "".join(c for c in plain if c.isalnum() or c in " .-_:/").strip()[:limit]


class VnpayGateway:
    """A VNPAY 2.1.0 merchant account: ``PAYMENT_TMN_CODE``, ``PAYMENT_HASH_SECRET``, ``PAYMENT_URL``."""

    name = "vnpay"
    label = "VNPAY"

    def __init__(self) -> None:
        self.tmn_code = getattr(settings, "PAYMENT_TMN_CODE", "")
        self.secret = getattr(settings, "PAYMENT_HASH_SECRET", "")
        self.url = getattr(settings, "PAYMENT_URL", "") or DEFAULT_URL
        if not self.tmn_code or not self.secret:
            raise ImproperlyConfigured("PAYMENT_GATEWAY=vnpay needs PAYMENT_TMN_CODE and PAYMENT_HASH_SECRET")

    def request_params(self, payment: Payment, *, return_url: str, client_ip: str, locale: str) -> dict[str, str]:
        return {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.order_ref,
            "vnp_OrderInfo": ascii_text(f"Thanh toan phi, le phi ho so {payment.dossier.code}"),
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if locale.startswith("en") else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": gmt7(payment.created_at),
            "vnp_ExpireDate": gmt7(payment.expires_at),
        }

    def payment_url(self, payment: Payment, *, return_url: str, client_ip: str, locale: str,
                    gateway_url: str = "") -> str:
        params = self.request_params(payment, return_url=return_url, client_ip=client_ip, locale=locale)
        return f"{gateway_url or self.url}?{signed_query(params, self.secret)}"

    def verify(self, params: Mapping[str, str]) -> Notice:
        received = {key: str(value) for key, value in params.items()}
        if not signature_valid(received, self.secret):
            return Notice(signature_valid=False, order_ref=received.get("vnp_TxnRef", "")[:64], params=received)
        problem = ""
        amount: int | None = None
        paid_at: datetime | None = None
        try:
            cents = int(received.get("vnp_Amount", ""))
            if cents < 0 or cents % 100:
                raise ValueError
            amount = cents // 100
        except ValueError:
            problem = "vnp_Amount"
        if received.get("vnp_TmnCode") != self.tmn_code:
            problem = problem or "vnp_TmnCode"
        if not received.get("vnp_TxnRef"):
            problem = problem or "vnp_TxnRef"
        if received.get("vnp_PayDate"):
            try:
                paid_at = parse_gmt7(received["vnp_PayDate"])
            except ValueError:
                problem = problem or "vnp_PayDate"
        response = received.get("vnp_ResponseCode", "")
        # the return of older integrations lacks vnp_TransactionStatus; then the response code alone decides
        status = received.get("vnp_TransactionStatus", response)
        return Notice(
            signature_valid=True,
            order_ref=received.get("vnp_TxnRef", "")[:64],
            amount=amount,
            succeeded=response == "00" and status == "00",
            cancelled=response == "24",
            response_code=response[:10],
            transaction_no=received.get("vnp_TransactionNo", "")[:64],
            bank_code=received.get("vnp_BankCode", "")[:20],
            paid_at=paid_at,
            problem=problem,
            params=received,
        )

    def reply(self, reason: Reason) -> Reply:
        code, message = RSP_CODES[reason]
        return Reply(json.dumps({"RspCode": code, "Message": message}))
