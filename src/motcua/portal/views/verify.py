"""``/xac-thuc/``: anyone checks a result — by the QR code on the paper, the number printed on it, or the PDF.

The page never shows more than is needed to compare with the paper (``dossiers.verification``); it is throttled
per client like public tracking, since it answers strangers.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from motcua.core.errors import TooManyRequests
from motcua.core.uploads import max_bytes
from motcua.core.web import throttle
from motcua.dossiers.verification import ResultCheck, check_file, check_text


def _limited(request: HttpRequest) -> int:
    return throttle(request, "verify", limit=settings.MOTCUA_TRACK_LIMIT_PER_MINUTE, window=60)


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The form (a number or code, or a PDF), and its answer."""
    text = request.GET.get("ma", "").strip()[:60]
    checks: list[ResultCheck] = []
    error = ""
    status = 200
    upload = request.FILES.get("tep") if request.method == "POST" else None
    asked = bool(text) or request.method == "POST"
    wait = _limited(request) if asked else 0
    if wait:
        error, status = TooManyRequests(wait).text(), 429
    elif request.method == "POST":
        if upload is None:
            error, status = _("Choose the PDF file of the result to check."), 400
        elif upload.size is not None and upload.size > max_bytes():
            error, status = _("The file is larger than %(limit)s MB.") % {"limit": max_bytes() // (1024 * 1024)}, 413
        else:
            checks = [check_file(upload.read())]
    elif text:
        checks = check_text(text)
        if not checks:
            error, status = _("No result of this register has the number or code %(text)s.") % {"text": text}, 404
    return render(request, "portal/verify.html", {"text": text, "checks": checks, "error": error,
                                                  "uploaded": upload is not None}, status=status)


@never_cache
@require_http_methods(["GET"])
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The address in a result's QR code."""
    wait = _limited(request)
    if wait:
        return render(request, "portal/verify.html", {"text": code, "error": TooManyRequests(wait).text()},
                      status=429)
    checks = check_text(code)
    if not checks:
        return render(request, "portal/verify.html", {
            "text": code, "error": _("No result of this register has the code %(text)s.") % {"text": code[:60]}},
            status=404)
    return render(request, "portal/verify.html", {"text": code, "checks": checks})
