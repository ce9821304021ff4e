"""The carrier's protocol (the Vietnam Post order shape, DESIGN.md §3) and MotCua's client of it.

Orders: ``POST /orders`` with the ``h-token`` header and a JSON body ``{CustomerCode, OrderNumber, CODAmount,
SenderFullname, SenderAddress, SenderTel, SenderProvinceId, SenderDistrictId, ReceiverFullname, ReceiverAddress,
ReceiverTel, ReceiverProvinceId, ReceiverDistrictId, PackageContent}``; the answer ``{"Status": "100",
"ItemCode": "EB123456785VN", …}`` on success (``ItemCode``: the waybill, UPU S10), another ``Status`` and a
``Message`` otherwise (:data:`ERRORS`).

An order already placed: ``GET /orders?customer=<CustomerCode>&number=<OrderNumber>`` answers its ``ItemCode``
(order numbers are unique per customer code; a retry told "102 duplicate" looks its order up).

Tracking: ``GET /orders/<waybill>/tracking`` answers ``{"Status": "100", "ItemCode", "Rows": [row, …]}``; a
webhook carries one row with the order's ``ItemCode``, ``OrderNumber`` and ``CustomerCode``. A row is
``{EventId, StatusCode, StatusMessage, Time (ISO 8601), CODAmount?, Recipient?, ProofSha256?, ProofUrl?}``;
``StatusCode`` maps to our statuses in :data:`STATUS_CODES`, the one table.

COD statement: ``GET /cod-statement?date=YYYY-MM-DD`` answers the cash collected on delivery that day, per waybill.

Webhooks are signed: ``X-Timestamp: <unix seconds>`` and ``X-Signature: sha256=<hex>``, the HMAC-SHA256 with the
shared secret of ``<timestamp>.<raw body>``; an update older than the replay window is refused (:func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.postal.models import ShipmentStatus

OK = "100"
CARRIER_NAME = "Bưu điện Việt Nam"  # who the carrier's updates are from in a dossier's log (the log's language)
# the carrier's answers to an order it did not take
ERRORS = {
    "101": "invalid token",
    "102": "duplicate order number",
    "103": "missing or invalid data",
    "104": "unknown waybill",
}

# the carrier's status codes → ours (the one mapping table for this external system)
STATUS_CODES: dict[str, ShipmentStatus] = {
    "01": ShipmentStatus.ACCEPTED,  # Đã nhận đơn
    "02": ShipmentStatus.PICKED_UP,  # Đã nhận hàng / bưu gửi
    "03": ShipmentStatus.IN_TRANSIT,  # Đang vận chuyển
    "04": ShipmentStatus.OUT_FOR_DELIVERY,  # Đang phát
    "05": ShipmentStatus.DELIVERED,  # Phát thành công
    "06": ShipmentStatus.FAILED_ATTEMPT,  # Phát không thành công
    "07": ShipmentStatus.RETURNING,  # Đang chuyển hoàn
    "08": ShipmentStatus.RETURNED_TO_SENDER,  # Đã chuyển hoàn
    "09": ShipmentStatus.CANCELLED,  # Đã hủy
}
CODE_OF: dict[str, str] = {status: code for code, status in STATUS_CODES.items()}
MESSAGES = {
    "01": "Đã nhận đơn", "02": "Đã nhận bưu gửi", "03": "Đang vận chuyển", "04": "Đang phát",
    "05": "Phát thành công", "06": "Phát không thành công", "07": "Đang chuyển hoàn", "08": "Đã chuyển hoàn",
    "09": "Đã hủy",
}


class CarrierError(MotCuaError):
    """The carrier could not be reached, or did not take the order."""

    status = 502


# --- webhook signatures ----------------------------------------------------------------------------------------


def sign(body: bytes, timestamp: int | str, secret: str) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 with ``secret`` of ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(body: bytes, secret: str, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {"Content-Type": "application/json", "X-Timestamp": str(timestamp),
            "X-Signature": sign(body, timestamp, secret)}


def verify(body: bytes, timestamp: str, signature: str, *, secret: str | None = None, now: float | None = None,
           window: int | None = None) -> str:
    """Why the webhook's signature is not good (``""``: it is): missing, outside the replay window, or wrong."""
    secret = secret if secret is not None else settings.MOTCUA_CARRIER_WEBHOOK_SECRET
    window = window if window is not None else settings.MOTCUA_CARRIER_WEBHOOK_WINDOW
    if not secret or not timestamp or not signature:
        return "signature missing"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs((now if now is not None else time.time()) - sent) > window:
        return "outside the replay window"
    if not hmac.compare_digest(sign(body, sent, secret), signature.strip()):
        return "bad signature"
    return ""


# --- one update, parsed ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """One tracking row or webhook, in our terms."""

    waybill: str
    status: ShipmentStatus
    code: str
    message: str
    at: datetime
    event_id: str = ""
    cod_amount: int | None = None
    recipient: str = ""
    proof_sha256: str = ""
    proof_url: str = ""

    @property
    def key(self) -> str:
        """What makes two updates the same one: the carrier's event id, else waybill, code and time."""
        return (self.event_id or f"{self.waybill}|{self.code}|{self.at.isoformat()}")[:120]


class BadUpdate(ValueError):
    pass


def parse_row(row: Any, waybill: str = "") -> Update:
    """A tracking row or webhook body as an :class:`Update`; :class:`BadUpdate` if it is not one."""
    if not isinstance(row, dict):
        raise BadUpdate("not an object")
    waybill = str(row.get("ItemCode") or waybill).strip().upper()
    code = str(row.get("StatusCode", "")).strip()
    if not waybill:
        raise BadUpdate("no ItemCode")
    if code not in STATUS_CODES:
        raise BadUpdate(f"unknown StatusCode {code[:10]!r}")
    at = parse_datetime(str(row.get("Time", "")))
    if at is None or at.tzinfo is None:
        raise BadUpdate("Time is not an ISO 8601 moment with its offset")
    cod = row.get("CODAmount")
    try:
        cod_amount = None if cod in (None, "") else int(cod)
    except (TypeError, ValueError):
        raise BadUpdate("CODAmount is not a number") from None
    return Update(
        waybill=waybill[:13], status=STATUS_CODES[code], code=code, message=str(row.get("StatusMessage", ""))[:200],
        at=at, event_id=str(row.get("EventId", ""))[:120], cod_amount=cod_amount,
        recipient=str(row.get("Recipient", ""))[:300], proof_sha256=str(row.get("ProofSha256", ""))[:64],
        proof_url=str(row.get("ProofUrl", ""))[:500],
    )


# --- the client --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    customer_code: str
    order_number: str
    cod_amount: int
    sender: dict[str, str]
    receiver: dict[str, str]
    description: str

    def body(self) -> dict[str, Any]:
        s, r = self.sender, self.receiver
        return {
            "CustomerCode": self.customer_code, "OrderNumber": self.order_number, "CODAmount": self.cod_amount,
            "SenderFullname": s.get("name", ""), "SenderAddress": s.get("address", ""),
            "SenderTel": s.get("phone", ""), "SenderProvinceId": s.get("province", ""),
            "SenderDistrictId": s.get("commune", ""),
            "ReceiverFullname": r.get("name", ""), "ReceiverAddress": r.get("address", ""),
            "ReceiverTel": r.get("phone", ""), "ReceiverProvinceId": r.get("province", ""),
            "ReceiverDistrictId": r.get("commune", ""), "PackageContent": self.description,
        }


def unreachable(detail: str) -> CarrierError:
    return CarrierError("carrier_unreachable", _("The carrier could not be reached: %(detail)s."),
                        {"detail": detail[:200]})


def refused(status: str, message: str) -> CarrierError:
    return CarrierError("carrier_refused", _("The carrier refused the order (%(status)s: %(message)s)."),
                        {"status": status[:10], "message": message[:200]})


class Client:
    """MotCua's client of the carrier, over HTTP with its token (``MOTCUA_CARRIER_*`` settings)."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        self.url = (url or settings.MOTCUA_CARRIER_URL).rstrip("/")
        self.token = token if token is not None else settings.MOTCUA_CARRIER_TOKEN
        self.timeout = timeout if timeout is not None else settings.MOTCUA_CARRIER_TIMEOUT

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the configured carrier's http(s) address
            self.url + path, data=data, method=method,
            headers={"h-token": self.token, "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:  # down or overloaded: worth another try, whatever its body says
                raise unreachable(f"HTTP {exc.code}") from None
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                raise unreachable(f"HTTP {exc.code}") from None
            if not isinstance(answer, dict) or "Status" not in answer:
                raise unreachable(f"HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:  # refused, timed out, reset, not JSON
            raise unreachable(f"{type(exc).__name__}: {exc}") from None
        if not isinstance(answer, dict):
            raise unreachable("the answer is not a JSON object")
        return answer

    def create_order(self, order: Order) -> str:
        """Place ``order``; its waybill number (``ItemCode``), or :class:`CarrierError`."""
        answer = self._call("POST", "/orders", order.body())
        status = str(answer.get("Status", ""))
        if status != OK:
            raise refused(status, str(answer.get("Message", ERRORS.get(status, ""))))
        return str(answer.get("ItemCode", ""))

    def find_order(self, customer_code: str, order_number: str) -> str:
        """The waybill of an order the carrier already has (``""``: none): after a "duplicate order number" on a
        retry, the earlier attempt reached the carrier although its answer did not reach us."""
        query = urllib.parse.urlencode({"customer": customer_code, "number": order_number})
        answer = self._call("GET", f"/orders?{query}")
        return str(answer.get("ItemCode", "")) if str(answer.get("Status", "")) == OK else ""

    def tracking(self, waybill: str) -> list[Update]:
        """The carrier's tracking rows of ``waybill`` (the ones it cannot read are skipped)."""
        answer = self._call("GET", f"/orders/{urllib.parse.quote(waybill)}/tracking")
        status = str(answer.get("Status", ""))
        if status != OK:
            raise refused(status, str(answer.get("Message", ERRORS.get(status, ""))))
        updates = []
        for row in answer.get("Rows") or []:
            try:
                updates.append(parse_row(row, waybill))
            except BadUpdate:
                continue
        return updates

    def cod_statement(self, day: date) -> list[dict[str, Any]]:
        """The cash collected on delivery on ``day``: ``[{ItemCode, OrderNumber, CODAmount, DeliveredAt}, …]``."""
        answer = self._call("GET", f"/cod-statement?date={day.isoformat()}")
        status = str(answer.get("Status", ""))
        if status != OK:
            raise refused(status, str(answer.get("Message", "")))
        return [row for row in answer.get("Rows") or [] if isinstance(row, dict)]
