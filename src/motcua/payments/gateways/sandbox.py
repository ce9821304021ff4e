"""A SANDBOX payment gateway: the VNPAY 2.1.0 protocol served by MotCua itself, moving no real money.

It lets the demo and the tests go through the whole payment flow without a bank: ``/thanh-toan/sandbox/``
checks the signed payment request the way a real gateway does (signature, version, command, merchant code,
amount, expiry), shows a page clearly headed "CỔNG THANH TOÁN THỬ NGHIỆM — không trừ tiền thật", and on the
citizen's choice (pay, cancel, or simulate a failure) sends the signed server-to-server IPN to our IPN address
over real HTTP, then sends the browser back to ``vnp_ReturnUrl`` with signed parameters — exactly what a real
gateway does. It signs with a fixed development secret unless ``PAYMENT_HASH_SECRET`` is set; a system check
warns when it is the gateway of a deployment with ``DEBUG`` off.
"""

from __future__ import annotations

import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from motcua.payments.gateways import vnpay

if TYPE_CHECKING:
    from motcua.payments.models import Payment

log = logging.getLogger(__name__)

SANDBOX_SECRET = "motcua-sandbox-secret-not-for-real-money"  # noqa: S105 - the sandbox moves no money
SANDBOX_TMN_CODE = "MOTCUASB"
IPN_TIMEOUT = 5  # seconds; if the IPN fails the return handler confirms the payment instead

# (vnp_ResponseCode, vnp_TransactionStatus) of each outcome the sandbox's page offers, as VNPAY answers them.
OUTCOMES: dict[str, tuple[str, str]] = {
    "pay": ("00", "00"),
    "cancel": ("24", "02"),  # the customer cancelled the transaction
    "fail": ("51", "02"),  # not enough balance in the account
}
BANK_CODE = "NCB"


class SandboxGateway(vnpay.VnpayGateway):
    """VNPAY's protocol against our own sandbox page (``payments:sandbox``)."""

    name = "sandbox"
    label = "Sandbox (thử nghiệm)"

    def __init__(self) -> None:
        self.tmn_code = getattr(settings, "PAYMENT_TMN_CODE", "") or SANDBOX_TMN_CODE
        self.secret = getattr(settings, "PAYMENT_HASH_SECRET", "") or SANDBOX_SECRET
        self.url = reverse("payments:sandbox")

    local = True

    def refund_url(self) -> str:
        """Our own refund API (relative: ``payments.refunds`` makes it absolute with the site's address)."""
        return reverse("payments:sandbox_refund")

    def answer_refund(self, params: Mapping[str, str], payment: Payment | None, refunded: int,
                      now: datetime) -> dict[str, str]:
        """The signed answer of VNPAY's refund API to ``params``: ``payment`` is the order ``vnp_TxnRef`` names
        (``None``: unknown), ``refunded`` what the gateway already gave back of it."""
        code, message = "00", "Refund success"
        amount = params.get("vnp_Amount", "")
        if not vnpay.fields_signed(params, vnpay.REFUND_FIELDS, self.secret):
            code, message = "97", "Invalid checksum"
        elif params.get("vnp_TmnCode") != self.tmn_code:
            code, message = "02", "Invalid TmnCode"
        elif params.get("vnp_Command") != "refund" or not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
            code, message = "03", "Invalid data format"
        elif payment is None or payment.gateway != self.name or not payment.gateway_transaction or (
                params.get("vnp_TransactionNo") != payment.gateway_transaction):
            code, message = "91", "Transaction not found"
        elif int(amount) // 100 > payment.amount - refunded:
            code, message = "03", "Refund amount exceeds the amount paid"
        elif params.get("vnp_TransactionType") != (
                vnpay.FULL_REFUND if int(amount) // 100 == payment.amount else vnpay.PARTIAL_REFUND):
            code, message = "03", "Invalid transaction type"
        answer = {
            "vnp_ResponseId": secrets.token_hex(16),
            "vnp_Command": "refund",
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": params.get("vnp_TxnRef", ""),
            "vnp_Amount": amount,
            "vnp_BankCode": BANK_CODE,
            "vnp_PayDate": vnpay.gmt7(now),
            "vnp_TransactionNo": str(10_000_000 + secrets.randbelow(90_000_000)) if code == "00" else "",
            "vnp_TransactionType": params.get("vnp_TransactionType", ""),
            "vnp_TransactionStatus": "05" if code == "00" else "",  # 05: VNPAY is refunding the customer
            "vnp_OrderInfo": params.get("vnp_OrderInfo", ""),
        }
        answer["vnp_SecureHash"] = vnpay.sign_fields(answer, vnpay.ANSWER_FIELDS, self.secret)
        return answer

    # --- what the sandbox's page does, as the gateway -----------------------------------------------------

    def check_request(self, params: Mapping[str, str], now: datetime) -> list[str]:
        """The problems a real gateway would refuse this payment request for (empty: acceptable)."""
        if not vnpay.signature_valid(params, self.secret):
            return ["invalid signature"]
        problems = []
        expected = {"vnp_Version": vnpay.VERSION, "vnp_Command": "pay", "vnp_TmnCode": self.tmn_code,
                    "vnp_CurrCode": "VND"}
        problems += [f"{key} must be {value}" for key, value in expected.items() if params.get(key) != value]
        for key in ("vnp_TxnRef", "vnp_OrderInfo", "vnp_ReturnUrl", "vnp_IpAddr", "vnp_CreateDate"):
            if not params.get(key):
                problems.append(f"{key} is missing")
        amount = params.get("vnp_Amount", "")
        if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
            problems.append("vnp_Amount must be a positive amount × 100")
        if params.get("vnp_Locale") not in ("vn", "en"):
            problems.append("vnp_Locale must be vn or en")
        try:
            if vnpay.parse_gmt7(params.get("vnp_ExpireDate", "")) < now:
                problems.append("the payment request has expired")
        except ValueError:
            problems.append("vnp_ExpireDate must be yyyyMMddHHmmss")
        return problems

    def result_params(self, request: Mapping[str, str], outcome: str, now: datetime) -> dict[str, str]:
        """The signed parameters of the IPN and of the return, for the citizen's choice ``outcome``."""
        response, status = OUTCOMES[outcome]
        params = {
            "vnp_Amount": request["vnp_Amount"],
            "vnp_BankCode": BANK_CODE,
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": request["vnp_OrderInfo"],
            "vnp_PayDate": vnpay.gmt7(now),
            "vnp_ResponseCode": response,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": str(10_000_000 + secrets.randbelow(90_000_000)) if outcome != "cancel" else "0",
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": request["vnp_TxnRef"],
        }
        if outcome != "cancel":
            params["vnp_BankTranNo"] = f"VNP{params['vnp_TransactionNo']}"
        params["vnp_SecureHash"] = vnpay.sign(params, self.secret)
        return params


def send_ipn(ipn_url: str, params: Mapping[str, str]) -> str:
    """GET the IPN address with the signed parameters, as the gateway's server does; the answer's body, or ``""``
    when it could not be delivered (the citizen's return then confirms the payment)."""
    url = f"{ipn_url}?{urlencode(params)}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # our own host: never through a proxy
    try:
        with opener.open(url, timeout=IPN_TIMEOUT) as response:
            return str(response.read(2000).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError) as exc:
        log.warning("sandbox gateway: the IPN to %s failed: %s", ipn_url, exc)
        return ""
