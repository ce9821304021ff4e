"""Sign in with a code sent to the account's verified phone, under ``/tai-khoan/dang-nhap-bang-ma/`` (URL name
``accounts:login_code``): an account made for a citizen by a postal worker or a reception officer filing on her
behalf (``docs/assisted-filing.md``) has no password yet.

The view parses the form, calls :mod:`motcua.accounts.services` and renders; ``next`` is carried through as on
the other sign-in pages (:mod:`motcua.portal.views.accounts`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.accounts import selectors, services
from motcua.accounts.decorators import citizen_of
from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import MotCuaError
from motcua.core.web import throttle
from motcua.notifications.selectors import last_sms
from motcua.portal.views.accounts import PASSWORD_BACKEND, _after_sign_in, _next


@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Sign in with a code sent to the account's verified phone (an account made for her by a postal worker or a
    reception officer filing on her behalf has no password yet). Step 1 sends the code, step 2 checks it; the
    page answers the same whether or not the phone has an account."""
    next_url = _next(request)
    citizen = citizen_of(request.user)
    if citizen is not None and request.method != "POST":
        return _after_sign_in(citizen, next_url)
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()
    errors = Errors()
    sent = request.method == "POST" and request.POST.get("action") == "verify"
    if request.method == "POST":
        try:
            if request.POST.get("action") == "verify":
                user = services.sign_in_with_code(phone=phone, code=request.POST.get("code", ""))
                auth_login(request, user, backend=PASSWORD_BACKEND)
                return _after_sign_in(user.citizen, next_url)
            if throttle(request, "sign-in-code", limit=settings.ACCOUNTS_LOGIN_FAILURES_PER_IP, window=3600):
                raise MotCuaError("too_many_attempts", _("Too many codes asked from this connection; try later."),
                                  location="phone")
            services.send_sign_in_code(phone=phone)
            sent = True
        except MotCuaError as exc:
            errors = Errors.of(exc)
    normalized = selectors.normalize_phone(phone)
    demo_sms = last_sms(normalized, "sign_in_code") if settings.DEMO_MODE and sent and normalized else None
    return render(request, "accounts/login_code.html", {
        "phone": phone, "sent": sent, "errors": errors, "next": next_url, "demo_sms": demo_sms,
        "minutes": settings.ACCOUNTS_CODE_TTL_SECONDS // 60,
    }, status=errors.status if errors else 200)
