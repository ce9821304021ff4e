"""The payment gateway's server-to-server notification (IPN), ``GET /thanh-toan/ipn/`` (``payments:ipn``).

Not a page: no template, no session, no CSRF (it is authenticated by its signature), answered in the gateway's
own protocol. It stays with the payments domain, which it only calls into, instead of moving up to ``portal``:
the portal's URL configuration imports it, never the other way round.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from motcua.core.middleware import bad_text, keeps_bad_text
from motcua.core.web import client_ip
from motcua.payments import services
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
