"""The fee collected at the counter or the post point (the "Fees" card of the dossier page): cash or card, the
amount prefilled with what is due, the card slip's reference, and a one-time key so that a double click or a
retry records one payment. After recording, the page opens the signed e-receipt to print.

The view parses and calls ``payments.services.collect``; who may collect where is the service's decision.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.core.errors import FormErrors, MotCuaError
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.payments import services
from motcua.workspace.selectors import collect_form
from motcua.workspace.views.base import actor_of, dossier_or_404
from motcua.workspace.views.dossier import panel_context


@require_POST
@login_required
def collect(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    post = {name: request.POST.get(name, "").strip() for name in ("method", "amount", "reference", "key")}
    try:
        amount = int(post["amount"].replace(".", "").replace(",", "")) if post["amount"] else 0
        payment = services.collect(code=found.code, actor=actor, method=post["method"], amount=amount,
                                   reference=post["reference"], key=post["key"])
    except ValueError:
        return _page(request, actor, found, post, FormErrors.of(MotCuaError(
            "invalid_amount", _("Type the amount in đồng, digits only."), location="amount")))
    except MotCuaError as exc:
        return _page(request, actor, found, post, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("Payment recorded: receipt %(number)s.") % {"number": payment.receipt_number})
    url = reverse("workspace:dossier", args=[found.code])
    return redirect(f"{url}?{urlencode({'receipt': payment.receipt_number})}#payments")


def _page(request: HttpRequest, actor: Actor, dossier: Dossier, post: dict[str, str], errors: FormErrors,
          status: int = 422) -> HttpResponse:
    context = panel_context(request, actor, dossier)
    context["collect"] = collect_form(actor, dossier, post)
    context["collect_errors"] = errors
    return render(request, "workspace/dossier.html", context, status=status)
