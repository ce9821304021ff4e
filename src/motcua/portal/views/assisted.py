"""Assisted filing's part of the online wizard (``portal.views.wizard``): a reception officer or a postal worker
fills a citizen's draft on her behalf, with her consent (``accounts.assisted``, ``docs/assisted-filing.md``).

Who is filling (the staff member, never the citizen, sees "filing on behalf of"), which draft they may open, the
consent checked before every step, the start of the draft and where the submission leads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.accounts.decorators import citizen_of
from motcua.core.errors import MotCuaError
from motcua.dossiers.models import Dossier
from motcua.portal import selectors, services
from motcua.portal.models import Draft
from motcua.portal.views.pending import actor, pending_safe


def assisting(request: HttpRequest) -> bool:
    """A staff member filling a citizen's draft on her behalf (assisted filing), not the citizen herself."""
    return bool(request.user.is_authenticated and citizen_of(request.user) is None)


def filing_for(request: HttpRequest, draft: Draft) -> bool:
    """This request is the staff member's who fills ``draft`` on its owner's behalf (not the owner's)."""
    return draft.assisted_consent_id is not None and request.user.pk != draft.owner_id


def draft_of(request: HttpRequest, draft_id: Any) -> Draft:
    """The draft the request may open: the citizen's own, or the one a staff member fills on her behalf."""
    if assisting(request):
        draft = selectors.assisted_draft(request.user.pk, draft_id)
    else:
        draft = selectors.own_draft(request.user.pk, draft_id)
    if draft is None:
        raise Http404
    return draft


def citizen_or_assisting(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The wizard's pages: the citizen's (``pending_safe``), or a staff member's on the drafts they fill on a
    citizen's behalf (``draft_of`` finds only those; the consent is checked by ``guard``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if assisting(request):
            return view(request, *args, **kwargs)
        return pending_safe(view)(request, *args, **kwargs)

    return wrapper


def guard(request: HttpRequest, draft: Draft) -> HttpResponse | None:
    """A staff member's draft already submitted goes back to the consent's page; one whose consent was withdrawn
    or expired is stopped (the draft stays the citizen's: nothing is lost). ``None``: go on."""
    if not filing_for(request, draft):
        return None
    if draft.dossier is not None:
        return redirect("workspace:assisted_consent", consent_id=draft.assisted_consent_id)
    try:
        services.check_assisted(draft, actor(request))
    except MotCuaError as exc:
        return render(request, "portal/wizard/assisted_refused.html", {"draft": draft, "error": exc.text(),
                                                                      "code": exc.code}, status=exc.status)
    return None


def check_file(request: HttpRequest, draft: Draft) -> None:
    """A draft's file is shown to the staff member only while their consent holds (else: not found)."""
    if filing_for(request, draft):
        try:
            services.check_assisted(draft, actor(request))
        except MotCuaError:
            raise Http404 from None


def context(request: HttpRequest, draft: Draft) -> dict[str, Any]:
    """What the wizard's pages say of assisted filing: to the staff member, on whose behalf they file
    (``assisted``); to the citizen, that an officer started this draft for her (``started_for_you``)."""
    consent = draft.assisted_consent if draft.assisted_consent_id else None
    if consent is None:
        return {"assisted": None, "started_for_you": None}
    if filing_for(request, draft):
        return {"assisted": consent, "started_for_you": None}
    return {"assisted": None, "started_for_you": consent}


def submitted(request: HttpRequest, draft: Draft, dossier: Dossier) -> HttpResponse | None:
    """Where a staff member goes once the dossier is filed on the citizen's behalf (``None``: the citizen)."""
    if not filing_for(request, draft):
        return None
    messages.success(request, _("Dossier %(code)s was filed on behalf of %(name)s: it is in their account.")
                     % {"code": dossier.code, "name": dossier.applicant_name})
    return redirect("workspace:assisted_consent", consent_id=draft.assisted_consent_id)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def start(request: HttpRequest, consent_id: int) -> HttpResponse:
    """A staff member starts a draft in the account of the citizen who consented (assisted filing), then fills
    the same wizard she would; refused without a usable consent or a procedure (back to the consent's page, with
    the reason). Opened directly (GET), the address leads to the consent's page where the procedure is chosen."""
    if request.method != "POST":
        return redirect("workspace:assisted_consent", consent_id=consent_id)
    try:
        draft = services.start_assisted(actor=actor(request), consent_id=consent_id,
                                        code=request.POST.get("procedure", "").strip())
    except MotCuaError as exc:
        messages.error(request, exc.text())
        return redirect("workspace:assisted_consent", consent_id=consent_id)
    return redirect("portal:wizard", draft_id=draft.pk, step="details")
