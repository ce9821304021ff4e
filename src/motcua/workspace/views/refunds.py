"""The "Refund" panel of the dossier page (an htmx panel): a refused or withdrawn dossier's fee, or money the
gateway took when the dossier no longer owed it, given back through the gateway, in cash or by transfer
(``payments.refunds``); and the refund receipts.

- ``workspace:refunds`` (GET, POST ``/workspace/dossiers/<code>/refunds/``): the panel, and a refund;
- ``workspace:refund_receipt`` (GET ``/workspace/refunds/<number>.pdf``): the refund receipt.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from motcua.core.errors import MotCuaError, NotFound
from motcua.core.responses import private_pdf
from motcua.core.web import HtmxHttpRequest, client_ip, site_root
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.payments import receipts, refunds, selectors
from motcua.payments.models import PaymentMethod, RefundMethod
from motcua.workspace.views.base import actor_of, dossier_or_404, int_or_none


def refund_context(actor: Actor, dossier: Dossier, values: dict[str, Any] | None = None,
                   error: MotCuaError | None = None) -> dict[str, Any]:
    """What the panel shows: the refundable payments, what is left of each, the refunds made, the form."""
    rows = selectors.refund_rows(dossier)
    left = sum(row.left for row in rows)
    methods = [(m.value, m.label) for m in RefundMethod
               if m != RefundMethod.GATEWAY or any(r.payment.method == PaymentMethod.GATEWAY for r in rows)]
    return {
        "d": dossier,
        "rows": rows,
        "left": left,
        "refunds": selectors.refunds_of(dossier),
        "may_refund": bool(rows) and left > 0 and refunds.may_refund(actor, dossier),
        "methods": methods,
        "values": values or {"amount": left, "method": _default_method(rows, [value for value, _label in methods])},
        "key": uuid.uuid4().hex,  # one per form shown: the same form sent twice is one refund
        "error": error,
    }


def _default_method(rows: list[Any], methods: list[str]) -> str:
    """The way the money came is the way it goes back: cash for cash, the gateway for an online payment, a
    transfer otherwise (a card or a bank transfer)."""
    came = {row.payment.method for row in rows}
    for paid, back in ((PaymentMethod.GATEWAY, RefundMethod.GATEWAY), (PaymentMethod.CASH, RefundMethod.CASH)):
        if paid in came and back in methods:
            return back
    return RefundMethod.TRANSFER if RefundMethod.TRANSFER in methods else (methods[-1] if methods else "")


@require_http_methods(["GET", "POST"])
@login_required
def panel(request: HtmxHttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    found = dossier_or_404(actor, code, via="" if request.method == "POST" else "workspace")
    if request.method == "GET":
        return render(request, "workspace/_refunds.html", refund_context(actor, found))
    values = {key: request.POST.get(key, "") for key in ("amount", "method", "reason", "reference", "payment")}
    error: MotCuaError | None = None
    done = None
    try:
        item = refunds.refund(
            code=found.code, payment_id=int_or_none(values["payment"]), amount=int_or_none(values["amount"]) or 0,
            method=values["method"], actor=actor, reason=values["reason"], reference=values["reference"],
            key=request.POST.get("key", "")[:100], site_url=site_root(request), client_ip=client_ip(request),
        )
    except NotFound as exc:
        raise Http404(exc.text()) from None
    except MotCuaError as exc:
        error = exc
    else:
        if item.status == "done":
            done, values = item, {}
        else:
            error = MotCuaError("refund_failed", _("The gateway did not make the refund; nothing was given back. "
                                                   "Try again, or refund in cash or by transfer."))
    if not request.htmx:
        if error is not None:
            messages.error(request, error.text())
        elif done is not None:
            messages.success(request, _("Refunded: receipt %(number)s.") % {"number": done.receipt_number})
        return redirect("workspace:dossier", code=found.code)
    return render(request, "workspace/_refunds.html", {**refund_context(actor, found, values or None, error),
                                                       "done": done})


@require_safe
@login_required
def receipt(request: HtmxHttpRequest, number: str) -> HttpResponse:
    try:
        item = selectors.refund_receipt_for(request.user, number)
    except NotFound as exc:
        raise Http404(exc.text()) from None
    return private_pdf(receipts.render_refund_receipt(item), f"{item.receipt_number}.pdf")
