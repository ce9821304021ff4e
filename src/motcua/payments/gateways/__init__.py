"""What a payment gateway must do for MotCua, and which one is in use (``PAYMENT_GATEWAY``).

A gateway is the bank's or intermediary's payment page. MotCua talks to it in three moments:

1. :meth:`Gateway.payment_url`: the signed address the citizen's browser is sent to, for one :class:`Payment`
   (with where to come back, the citizen's IP address and the page's language);
2. :meth:`Gateway.verify`: a notification the gateway sends server-to-server (IPN) or the parameters the browser
   brings back: the signature first, then the fields, into a :class:`Notice` (gateway-neutral);
3. :meth:`Gateway.reply`: what to answer the gateway's IPN for a :class:`Reason`;
4. :meth:`Gateway.refund`: a server-to-server call giving back (part of) a payment's money, answered with a
   :class:`RefundAnswer` (``payments.refunds`` records it).

Confirming the payment (row lock, amount check, receipt number, dossier event) is the same for every gateway and
lives in ``payments.services``. To plug in another bank's protocol, write a class with these methods and add it
to :data:`GATEWAYS` (see ``docs/payments.md``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from motcua.payments.models import Payment


class Reason(enum.StrEnum):
    """Why a notification was accepted or refused (stored in ``PaymentNotice.reason``, answered by ``reply``)."""

    CONFIRMED = "confirmed"  # recorded: the payment succeeded or failed
    REFUND_DUE = "refund_due"  # recorded: money taken for a dossier that no longer owed it, to be refunded
    ORDER_NOT_FOUND = "order_not_found"
    ALREADY_CONFIRMED = "already_confirmed"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_DATA = "invalid_data"  # signed but unreadable or not for us (merchant code, missing fields)


@dataclass(frozen=True)
class Notice:
    """A gateway's verified message about one order, in gateway-neutral terms."""

    signature_valid: bool
    order_ref: str = ""
    amount: int | None = None  # in đồng
    succeeded: bool = False
    cancelled: bool = False  # the payer gave up (as opposed to a refusal by the bank)
    response_code: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    paid_at: datetime | None = None
    problem: str = ""  # why the fields are unusable (with a valid signature)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """The answer to the gateway's IPN."""

    body: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class RefundAnswer:
    """What the gateway answered a refund call. ``succeeded`` only with a valid signature and a success code;
    ``problem`` says why not (no answer, bad signature, the gateway's refusal) for the refund's record."""

    succeeded: bool
    response_code: str = ""
    transaction_no: str = ""
    message: str = ""
    problem: str = ""


class Gateway(Protocol):
    name: str
    label: str  # shown to people (the receipt, the admin)

    def payment_url(self, payment: Payment, *, return_url: str, client_ip: str, locale: str,
                    gateway_url: str = "") -> str:
        """The signed address of the payment page for ``payment``. ``gateway_url`` overrides the configured
        page address (the sandbox lives on our own host, so its absolute address depends on the request)."""
        ...

    def verify(self, params: Mapping[str, str]) -> Notice:
        """Check the signature of a notification or return, then read its fields."""
        ...

    def reply(self, reason: Reason) -> Reply:
        """The answer the gateway expects to an IPN that ended with ``reason``."""
        ...

    def refund_url(self) -> str:
        """Where refund calls go (a path on our own host for the sandbox)."""
        ...

    def refund(self, payment: Payment, amount: int, *, request_id: str, actor_name: str, client_ip: str,
               now: datetime, gateway_url: str = "") -> RefundAnswer:
        """Ask the gateway over HTTP to give ``amount`` of ``payment`` back (all of it or part). ``request_id``
        is unique per call; ``gateway_url`` overrides the configured refund address (the sandbox's is ours)."""
        ...


GATEWAYS: dict[str, str] = {
    "sandbox": "motcua.payments.gateways.sandbox.SandboxGateway",
    "vnpay": "motcua.payments.gateways.vnpay.VnpayGateway",
}


def get_gateway(name: str = "") -> Gateway:
    """The gateway called ``name``, or the one configured by ``PAYMENT_GATEWAY`` (``sandbox`` by default)."""
    name = name or getattr(settings, "PAYMENT_GATEWAY", "sandbox")
    if name not in GATEWAYS:
        raise LookupError(f"unknown payment gateway {name!r}; known: {', '.join(GATEWAYS)}")
    gateway: Gateway = import_string(GATEWAYS[name])()
    return gateway
