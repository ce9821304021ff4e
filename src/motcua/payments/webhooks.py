"""The payment gateway's server-to-server notification (IPN), ``GET /thanh-toan/ipn/`` (``payments:ipn``), and
the sandbox gateway's refund API, ``POST /thanh-toan/sandbox/hoan-tien/`` (``payments:sandbox_refund``).

Not a page: no template, no session, no CSRF (it is authenticated by its signature), answered in the gateway's
own protocol. It stays with the payments domain, which it only calls into, instead of moving up to ``portal``:
the portal's URL configuration imports it, never the other way round.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from motcua.core.middleware import bad_text, keeps_bad_text
from motcua.core.web import client_ip, raw_body
from motcua.payments import selectors, services
from motcua.payments.gateways import get_gateway
from motcua.payments.gateways.sandbox import SandboxGateway
from motcua.payments.models import NoticeSource


def remote_addr(request: HttpRequest) -> str | None:
    """The address the gateway's notice came from, by the one client-address rule (``core.web.client_ip``)."""
    return client_ip(request) or None


@keeps_bad_text
@csrf_exempt
@require_GET
def ipn(request: HttpRequest) -> HttpResponse:
    """Answered in the gateway's protocol whatever it carries: one with bad text (a NUL byte, invalid UTF-8) is
    rejected as unusable data and kept with the bad characters replaced, like a forged one."""
    received = services.receive_notice(params=request.GET.dict(), source=NoticeSource.IPN,
                                       remote_addr=remote_addr(request), unreadable=bad_text(request))
    response = HttpResponse(received.reply.body, content_type=received.reply.content_type)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def sandbox_refund(request: HttpRequest) -> HttpResponse:
    """The SANDBOX gateway's refund API (VNPAY's ``refund`` command, JSON in and out, signed), when it is the
    gateway in use: checks the signature, the order and that no more than paid is given back."""
    gateway = get_gateway()
    if not isinstance(gateway, SandboxGateway):
        raise Http404("the sandbox gateway is not in use")
    try:
        body = json.loads(raw_body(request, 64 * 1024).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = {}
    params = {str(key): str(value) for key, value in (body.items() if isinstance(body, dict) else [])}
    payment = selectors.payment_by_order(params.get("vnp_TxnRef", ""))
    refunded = selectors.refunded_total(payment, done_only=True) if payment is not None else 0
    response = JsonResponse(gateway.answer_refund(params, payment, refunded, timezone.now()))
    response["Cache-Control"] = "no-store"
    return response
