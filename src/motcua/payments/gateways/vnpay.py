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

Refund (server to server, ``POST`` JSON to the merchant web API, ``MOTCUA_PAYMENT_REFUND_URL``):
``vnp_Command=refund``, ``vnp_TransactionType`` ``02`` (the whole amount) or ``03`` (part of it), the order's
``vnp_TxnRef`` and ``vnp_TransactionNo``, ``vnp_TransactionDate`` (the order's ``vnp_CreateDate``),
``vnp_Amount`` (đồng × 100), ``vnp_CreateBy``, ``vnp_CreateDate``, ``vnp_IpAddr``, ``vnp_OrderInfo`` and a unique
``vnp_RequestId``. This API signs differently from the payment page: HMAC-SHA512 of the fields' values in a fixed
order joined with ``|`` (:data:`REFUND_FIELDS`); the answer is signed the same way over :data:`ANSWER_FIELDS`.
``vnp_ResponseCode`` ``00`` is a refund accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from motcua.payments.gateways import Notice, Reason, RefundAnswer, Reply

if TYPE_CHECKING:
    from motcua.payments.models import Payment

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7), "GMT+7")
DATE_FORMAT = "%Y%m%d%H%M%S"
UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
# VNPAY's public test environment; production merchants get their own address with their contract.
DEFAULT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
DEFAULT_REFUND_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
REFUND_TIMEOUT = 15  # seconds
FULL_REFUND, PARTIAL_REFUND = "02", "03"
# the refund API's signed fields, in the order their values are joined with "|" (request, then answer)
REFUND_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
                 "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
                 "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
ANSWER_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                 "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                 "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo")

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


def sign_fields(params: Mapping[str, str], fields: tuple[str, ...], secret: str) -> str:
    """The refund API's signature: HMAC-SHA512 of the ``fields``' values joined with ``|``, in hex."""
    data = "|".join(str(params.get(name, "")) for name in fields)
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def fields_signed(params: Mapping[str, str], fields: tuple[str, ...], secret: str) -> bool:
    given = str(params.get("vnp_SecureHash", "")).lower()
    return bool(given) and hmac.compare_digest(given.encode("utf-8"),
                                               sign_fields(params, fields, secret).encode("ascii"))


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

    # --- refunds ------------------------------------------------------------------------------------------

    def refund_params(self, payment: Payment, amount: int, *, request_id: str, actor_name: str, client_ip: str,
                      now: datetime) -> dict[str, str]:
        """The signed body of a refund call for ``amount`` of ``payment``."""
        params = {
            "vnp_RequestId": request_id,
            "vnp_Version": VERSION,
            "vnp_Command": "refund",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionType": FULL_REFUND if amount == payment.amount else PARTIAL_REFUND,
            "vnp_TxnRef": payment.order_ref,
            "vnp_Amount": str(amount * 100),
            "vnp_TransactionNo": payment.gateway_transaction,
            "vnp_TransactionDate": gmt7(payment.created_at),
            "vnp_CreateBy": ascii_text(actor_name, 250) or "MotCua",
            "vnp_CreateDate": gmt7(now),
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_OrderInfo": ascii_text(f"Hoan tien ho so {payment.dossier.code}"),
        }
        params["vnp_SecureHash"] = sign_fields(params, REFUND_FIELDS, self.secret)
        return params

    def refund_url(self) -> str:
        return str(getattr(settings, "PAYMENT_REFUND_URL", "") or DEFAULT_REFUND_URL)

    def refund(self, payment: Payment, amount: int, *, request_id: str = "", actor_name: str = "",
               client_ip: str = "", now: datetime, gateway_url: str = "") -> RefundAnswer:
        """POST the signed refund request; the answer's signature, order and amount are checked."""
        params = self.refund_params(payment, amount, request_id=request_id or uuid.uuid4().hex[:32],
                                    actor_name=actor_name, client_ip=client_ip, now=now)
        body = json.dumps(params).encode("utf-8")
        url = gateway_url or self.refund_url()  # the configured API (https), or our own sandbox
        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}) if self.local else
                                             urllib.request.ProxyHandler())
        try:
            with opener.open(request, timeout=REFUND_TIMEOUT) as response:
                answer = json.loads(response.read(20_000).decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return RefundAnswer(succeeded=False, problem=f"no answer: {exc}"[:200])
        return self.read_refund_answer(answer if isinstance(answer, dict) else {}, params)

    local = False  # the sandbox's refund API is our own host: never through a proxy

    def read_refund_answer(self, answer: Mapping[str, object], sent: Mapping[str, str]) -> RefundAnswer:
        received = {key: str(value) for key, value in answer.items()}
        code = received.get("vnp_ResponseCode", "")[:10]
        message = received.get("vnp_Message", "")[:200]
        if not fields_signed(received, ANSWER_FIELDS, self.secret):
            return RefundAnswer(succeeded=False, response_code=code, message=message, problem="invalid signature")
        if received.get("vnp_TxnRef") != sent["vnp_TxnRef"] or (
                code == "00" and received.get("vnp_Amount") != sent["vnp_Amount"]):
            return RefundAnswer(succeeded=False, response_code=code, message=message, problem="not our refund")
        return RefundAnswer(succeeded=code == "00", response_code=code,
                            transaction_no=received.get("vnp_TransactionNo", "")[:64], message=message,
                            problem="" if code == "00" else f"refused by the gateway ({code} {message})"[:200])
