"""The staff pages of feedback (under ``/workspace/phan-anh/``): the petitions of one's agencies, answering
and publishing them, and the ratings of one's agencies. Every query is scoped by the agencies the signed-in staff
member belongs to (``feedback.selectors``); another agency's petition is "not found"."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers.actors import Actor
from motcua.feedback import selectors, services
from motcua.feedback.forms import field_errors
from motcua.feedback.models import PetitionStatus
from motcua.workspace import selectors as page_selectors

PAGE_SIZE = 25
RATINGS_DAYS = 30
RATINGS_SHOWN = 100


@require_safe
@login_required
def petitions(request: HttpRequest) -> HttpResponse:
    actor = Actor.for_user(request.user)
    status = request.GET.get("status", "")
    page = Paginator(page_selectors.petitions(actor, status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/staff/petitions.html", {
        "actor": actor, "page": page, "status": status, "statuses": PetitionStatus.choices,
        "PetitionStatus": PetitionStatus})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def petition(request: HttpRequest, code: str) -> HttpResponse:
    actor = Actor.for_user(request.user)
    try:
        found = selectors.petition_for(actor, code)
    except NotFound:
        raise Http404 from None
    errors: dict[str, list[str]] = {}
    values = {"answer": found.answer, "publish": found.published}
    status = 200
    if request.method == "POST":
        publish = request.POST.get("publish") == "on"
        try:
            services.answer_petition(actor=actor, code=code, answer=request.POST.get("answer", ""), publish=publish)
        except NotFound:
            raise Http404 from None
        except MotCuaError as exc:
            errors, status = field_errors(exc), exc.status
            values = {"answer": request.POST.get("answer", ""), "publish": publish}
        else:
            messages.success(request, _("Answer to %(code)s saved.") % {"code": code})
            return redirect("feedback_staff:petition", code=code)
    return render(request, "feedback/staff/petition.html", {
        "actor": actor, "p": found, "values": values, "errors": errors,
        "events": selectors.petition_events(found),
        "PetitionStatus": PetitionStatus}, status=status)


@require_safe
@login_required
def ratings(request: HttpRequest) -> HttpResponse:
    """The ratings of the staff member's agencies over the last 30 days, with the average and the counts."""
    actor = Actor.for_user(request.user)
    now = timezone.now()
    since = now - timedelta(days=RATINGS_DAYS)
    agencies = list(selectors.staff_agencies(actor))
    summary = selectors.satisfaction([a.pk for a in agencies], since, now)
    return render(request, "feedback/staff/ratings.html", {
        "actor": actor, "agencies": agencies, "summary": summary, "days": RATINGS_DAYS,
        "share": round(summary.share_satisfied * 100) if summary.share_satisfied is not None else None,
        "scores": [(score, label, summary.by_score.get(score, 0)) for score, label in selectors.Score.choices],
        "rows": page_selectors.latest_ratings(actor, since, now, RATINGS_SHOWN), "shown": RATINGS_SHOWN})
