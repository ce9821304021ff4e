"""The "Zalo" block of the citizen's account page (``/tai-khoan/``): connect (a link code to send to the official
account), the block alone for the page to ask every few seconds while the code waits, and disconnect.

:func:`handle` answers the account page's ``zalo_connect`` and ``zalo_disconnect`` forms (the page's view passes
them on); :func:`context` is the block's context, for the account page and :func:`zalo_status`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.accounts import services
from motcua.accounts.decorators import citizen_of
from motcua.accounts.models import Citizen
from motcua.core.formats import qr_data_uri
from motcua.notifications import zalo

SESSION_KEY = "motcua_zalo_code"
FORMS = ("zalo_connect", "zalo_disconnect")


def handle(request: HttpRequest, citizen: Citizen, form: str) -> HttpResponse:
    """The account page's Zalo forms: ask for a link code (kept in the session while it is valid: only its hash
    is stored), or disconnect."""
    if form == "zalo_disconnect":
        services.unlink_zalo(citizen=citizen)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("Your Zalo is disconnected: our messages no longer go there."))
        return redirect("accounts:profile")
    if zalo.enabled():
        code, expires = services.zalo_link_code(citizen=citizen)
        request.session[SESSION_KEY] = {"code": code, "expires": expires.timestamp()}
    return HttpResponseRedirect(reverse("accounts:profile") + "#zalo-title")


def context(request: HttpRequest, citizen: Citizen) -> dict[str, Any]:
    """The "Connect Zalo" block: off without Zalo; the code asked for (while it is valid) with the QR code of the
    official account."""
    if not zalo.enabled():
        return {"zalo_enabled": False}
    pending = request.session.get(SESSION_KEY) or {}
    code = ""
    if not citizen.zalo_linked and pending.get("expires", 0) > timezone.now().timestamp():
        code = str(pending.get("code", ""))
    url = zalo.follow_url()
    return {"zalo_enabled": True, "zalo_code": code, "zalo_follow_url": url,
            "zalo_qr": qr_data_uri(url) if code else "",
            "zalo_expires": datetime.fromtimestamp(pending["expires"], tz=UTC) if code else None}


@require_http_methods(["GET", "HEAD"])
def zalo_status(request: HttpRequest) -> HttpResponse:
    """The Zalo block alone: the account page asks for it every few seconds while a code waits to be sent, and
    shows "connected" once the official account received it."""
    citizen = citizen_of(request.user)
    if citizen is None:
        return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()}))
    return render(request, "accounts/_zalo.html", {"citizen": citizen, **context(request, citizen)})
