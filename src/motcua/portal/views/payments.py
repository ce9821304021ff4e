"""The citizen's payment pages (under ``/thanh-toan/``, URL names ``payments:…``): they parse, call
``payments.services`` / ``selectors`` and render.

- ``payments:start`` (POST ``/thanh-toan/<code>/``): start paying a dossier's fee, off to the gateway;
- ``payments:return`` (GET ``/thanh-toan/ket-qua/``): where the gateway sends the citizen back;
- ``payments:receipt`` (GET ``/thanh-toan/bien-lai/<number>.pdf``): the electronic receipt;
- ``payments:sandbox`` (``/thanh-toan/sandbox/``): the SANDBOX gateway's page, when it is the gateway in use.

The gateway's server-to-server notification (``payments:ipn``) is not a page: it is ``payments.webhooks.ipn``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from motcua.core.errors import MotCuaError, NotFound
from motcua.core.middleware import bad_text, keeps_bad_text
from motcua.core.responses import private_pdf
from motcua.core.web import client_ip, public_url, site_root
from motcua.payments import receipts, selectors, services
from motcua.payments.gateways import get_gateway, vnpay
from motcua.payments.gateways.sandbox import OUTCOMES, SandboxGateway, send_ipn
from motcua.payments.models import NoticeOutcome, NoticeSource, PaymentStatus
from motcua.payments.webhooks import remote_addr

# the result page's states besides a payment's own status
REFUSED = "refused"  # the payment could not start (nothing due, dossier closed…): the reason is shown
INVALID = "invalid"  # the gateway's answer could not be verified


def _dossier_page(code: str) -> str:
    return reverse("portal:my_dossier", kwargs={"code": code})


def _result(request: HttpRequest, context: Mapping[str, object], status: int = 200) -> HttpResponse:
    return render(request, "payments/result.html", {
        **context, "PaymentStatus": PaymentStatus, "REFUSED": REFUSED}, status=status)


@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": _dossier_page(code)}))
    try:
        payment = services.start_payment(
            code=code, user=request.user, return_url=public_url(reverse("payments:return"), request),
            client_ip=client_ip(request), locale=get_language() or "vi", site_url=site_root(request),
        )
    except NotFound as exc:
        raise Http404(exc.text()) from None
    except MotCuaError as exc:
        context = {"state": REFUSED, "message": exc.text(), "code": code, "dossier_url": _dossier_page(code)}
        return _result(request, context, status=exc.status)
    return HttpResponseRedirect(payment.redirect_url)


@keeps_bad_text
@require_GET
def return_(request: HttpRequest) -> HttpResponse:
    """The citizen back from the gateway: the signed return is verified and applied like an IPN (the IPN may be
    late or lost), then the outcome is shown. One with bad text (a NUL byte…) is kept and shown as invalid."""
    received = services.receive_notice(params=request.GET.dict(), source=NoticeSource.RETURN,
                                       remote_addr=remote_addr(request), unreadable=bad_text(request))
    payment = received.payment
    if received.outcome == NoticeOutcome.REJECTED or payment is None:
        return _result(request, {"state": INVALID}, status=400)
    context = {
        "state": payment.status,
        "payment": payment,
        "code": payment.dossier.code,
        "dossier_url": _dossier_page(payment.dossier.code),
        "receipt_url": reverse("payments:receipt", args=[payment.receipt_number]) if payment.receipt_number else "",
    }
    return _result(request, context)


@require_safe
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    try:
        payment = selectors.receipt_for(request.user, number, via="receipt")
    except NotFound as exc:
        raise Http404(exc.text()) from None
    pdf = receipts.render_receipt(payment)
    return private_pdf(pdf, f"{payment.receipt_number}.pdf")


# --- the sandbox gateway's page ----------------------------------------------------------------------------------


def _sandbox() -> SandboxGateway:
    gateway = get_gateway()
    if not isinstance(gateway, SandboxGateway):
        raise Http404("the sandbox gateway is not in use")
    return gateway


@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest) -> HttpResponse:
    """The SANDBOX gateway: checks the signed request as a real gateway would; on the citizen's choice sends the
    signed IPN over HTTP to our IPN address, then the browser back to ``vnp_ReturnUrl``."""
    gateway = _sandbox()
    now = timezone.now()
    source = request.POST if request.method == "POST" else request.GET
    params: dict[str, str] = {key: str(value) for key, value in source.dict().items() if key.startswith("vnp_")}
    problems = gateway.check_request(params, now)
    if problems:
        return render(request, "payments/sandbox.html", {"problems": problems}, status=400)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES:
            return render(request, "payments/sandbox.html", {"problems": ["unknown choice"]}, status=400)
        result = gateway.result_params(params, outcome, now)
        send_ipn(request.build_absolute_uri(reverse("payments:ipn")), result)
        separator = "&" if "?" in params["vnp_ReturnUrl"] else "?"
        return HttpResponseRedirect(params["vnp_ReturnUrl"] + separator + urlencode(result))
    context = {
        "params": params,
        "amount": int(params["vnp_Amount"]) // 100,
        "order_ref": params["vnp_TxnRef"],
        "order_info": params["vnp_OrderInfo"],
        "merchant": params["vnp_TmnCode"],
        "expires": vnpay.parse_gmt7(params["vnp_ExpireDate"]),
    }
    return render(request, "payments/sandbox.html", context)
