"""Assisted filing (nộp hộ): a reception officer or a postal worker files online on a citizen's behalf.

1. :func:`assisted`: the citizen's ID, name, date of birth and phone are checked with the national population
   database; her account is found or created, and a consent is asked of her.
2. :func:`consent`: she agrees by reading out the code sent to her phone, or her signed authorization is uploaded.
3. Then the officer picks the procedure and fills the same online wizard she would (``portal.views.wizard``,
   ``portal:assisted_start``); the dossier lands in her account.

Views parse, call ``integrations.population.services`` / ``accounts.assisted`` and render; refusals are
:class:`MotCuaError` shown next to their field, with what was typed kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from motcua.accounts import assisted as consents
from motcua.accounts.selectors import masked, staff_consents
from motcua.core.errors import FormErrors, MotCuaError
from motcua.integrations.population import services as population
from motcua.integrations.population.client import enabled as population_connected
from motcua.notifications.selectors import last_sms
from motcua.workspace import selectors
from motcua.workspace.views.base import actor_of, int_or_none

IDENTITY_FIELDS = ("id_number", "full_name", "date_of_birth", "phone")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def assisted(request: HttpRequest) -> HttpResponse:
    """Step 1: who the citizen is (checked with the population database); her recent consents below."""
    actor = actor_of(request)
    points = [p for p in selectors.receiving_points(actor) if p.pk in actor.agencies_with(*consents.FILERS)]
    errors = FormErrors()
    values: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            consent = population.identify_for_assisted(
                actor=actor, agency_id=int_or_none(request.POST.get("agency")),
                **{name: request.POST.get(name, "") for name in IDENTITY_FIELDS})
        except MotCuaError as exc:
            errors = FormErrors.of(exc)
        else:
            return redirect("workspace:assisted_consent", consent_id=consent.pk)
    since = timezone.now() - timedelta(days=7)
    return render(request, "workspace/assisted/start.html", {
        "actor": actor, "points": points, "values": values, "errors": errors,
        "population_connected": population_connected(),
        "recent": staff_consents(actor.user_id, since),
    }, status=errors.status if errors else 200)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def consent(request: HttpRequest, consent_id: int) -> HttpResponse:
    """Step 2: her consent (a code to her phone, or her signed authorization); step 3 once given: the procedure."""
    actor = actor_of(request)
    errors = FormErrors()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "send_code":
                consents.send_code(actor=actor, consent_id=consent_id)
                messages.success(request, _("The code was sent to the citizen's phone."))
            elif action == "confirm":
                consents.confirm_code(actor=actor, consent_id=consent_id, code=request.POST.get("code", ""))
                messages.success(request, _("The citizen's consent is recorded."))
            elif action == "upload" and (upload := request.FILES.get("authorization")) is not None:
                consents.attach_authorization(actor=actor, consent_id=consent_id, file=upload,
                                              name=upload.name or "authorization", size=upload.size)
                messages.success(request, _("The citizen's consent is recorded."))
            else:
                raise MotCuaError("authorization_required", _("Choose the signed authorization's file."),
                                  location="authorization")
        except MotCuaError as exc:
            errors = FormErrors.of(exc)
        else:
            return redirect("workspace:assisted_consent", consent_id=consent_id)
    record = selectors.assisted_consent(actor.user_id, consent_id)
    if record is None:
        raise Http404
    refusal = None
    if record.granted:
        try:
            consents.check(record, actor)
        except MotCuaError as exc:
            refusal = exc.text()
    sms = last_sms(record.phone, "assisted_code") if settings.DEMO_MODE and record.phone else None
    return render(request, "workspace/assisted/consent.html", {
        "actor": actor, "consent": record, "errors": errors, "refusal": refusal,
        "phone": masked(record.citizen.phone) if record.citizen.phone else "",
        "procedures": selectors.online_procedures() if record.active else [],
        "uses": selectors.consent_uses(record), "demo_sms": sms,
    }, status=errors.status if errors else 200)
