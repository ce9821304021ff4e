"""The online submission wizard: start, the four steps, start again, a file given for a draft. Views parse, call
``portal.services`` / ``portal.selectors`` and render; the rules live in the services and in ``dossiers``. Pages
need a signed-in citizen with a verified contact (``accounts.decorators``), or staff filing on her behalf
(:mod:`motcua.portal.views.assisted`); a step posted after the session expired is kept (``views.pending``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from motcua.accounts.decorators import citizen_required
from motcua.accounts.selectors import identity_of
from motcua.catalog import eforms, fees
from motcua.catalog.models import Delivery, OnlineLevel
from motcua.core.errors import FormErrors, MotCuaError, NotFound, ValidationFailed
from motcua.core.responses import file_refused, private_file
from motcua.dossiers.integrity import FileAltered
from motcua.portal import selectors, services
from motcua.portal.models import Draft
from motcua.portal.views import assisted
from motcua.portal.views.pending import Values, actor, pending
from motcua.postal.selectors import pickups as postal_selectors

STEPS = [("details", gettext_lazy("Your details")), ("documents", gettext_lazy("Documents")),
         ("delivery", gettext_lazy("Result and fee")), ("review", gettext_lazy("Review and submit"))]
APPLICANT_DETAILS = gettext_lazy("Applicant's details")  # the first step's name for staff filing on her behalf
# the ways to receive the result, in the citizen's words (staff pages use the neutral labels of ``Delivery``)
YOUR_DELIVERY = {**dict(Delivery.choices), Delivery.POST: gettext_lazy("By post to your address")}


def _guard(request: HttpRequest, draft: Draft) -> HttpResponse | None:
    """A submitted draft shows its dossier, an expired one offers to start again (staff: ``assisted.guard``)."""
    stopped = assisted.guard(request, draft)
    if stopped is not None:
        return stopped
    if draft.dossier is not None:
        return redirect("portal:my_dossier", code=draft.dossier.code)
    if draft.expired:
        return render(request, "portal/wizard/expired.html", {"draft": draft}, status=410)
    return None


def _context(request: HttpRequest, draft: Draft, step: str, **extra: Any) -> dict[str, Any]:
    names = [name for name, _label in STEPS]
    # filled by a staff member on the citizen's behalf: the pages say so, and whose the draft is (to staff only)
    on_behalf = assisted.context(request, draft)
    steps = [(name, APPLICANT_DETAILS if name == "details" and on_behalf["assisted"] else label)
             for name, label in STEPS]
    return {"draft": draft, "v": draft.version, "steps": steps, "step": step, "step_number": names.index(step) + 1,
            "data": draft.data, "full_online": draft.version.online_level == OnlineLevel.FULL,
            "by_post": draft.data.get("delivery") == Delivery.POST,
            "by_pickup": draft.data.get("handin") == services.HANDIN_PICKUP, **on_behalf, **extra}


# --- starting -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required
def start(request: HttpRequest, code: str) -> HttpResponse:
    try:
        version = services.online_version(code)
    except NotFound:
        raise Http404 from None
    except MotCuaError as exc:
        messages.warning(request, exc.text())
        return redirect("portal:procedure", code=code)
    if request.method == "POST":
        draft = services.start(owner=request.user, code=code)
        return redirect("portal:wizard", draft_id=draft.pk, step="details")
    drafts = selectors.open_drafts(request.user, version.procedure)
    return render(request, "portal/wizard/start.html", {
        "v": version, "drafts": drafts, "quote": fees.quote(version),
        "full_online": version.online_level == OnlineLevel.FULL, "by_post": Delivery.POST in version.result_delivery})


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required
def restart(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = assisted.draft_of(request, draft_id)
    if request.method != "POST":  # the address opened directly: the draft's page (it offers to start again)
        return redirect("portal:wizard", draft_id=draft.pk, step="details")
    fresh = services.restart(draft=draft)
    messages.success(request, _("A new draft was started with what you had entered."))
    return redirect("portal:wizard", draft_id=fresh.pk, step="details")


# --- the steps ------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@assisted.citizen_or_assisting
def wizard(request: HttpRequest, draft_id: Any, step: str) -> HttpResponse:
    handlers = {"details": _details, "documents": _documents, "delivery": _delivery, "review": _review}
    if step not in handlers:
        raise Http404
    draft = assisted.draft_of(request, draft_id)
    guarded = _guard(request, draft)
    if guarded is not None:
        return guarded
    return handlers[step](request, draft)


def _next(draft: Draft, step: str) -> HttpResponse:
    names = [name for name, _label in STEPS]
    return redirect("portal:wizard", draft_id=draft.pk, step=names[names.index(step) + 1])


def _details_values(values: Any, draft: Draft) -> tuple[dict[str, str], dict[str, Any], str]:
    keys = ("name", "id_number", "phone", "email", "address")
    applicant = {key: str(values.get(f"applicant_{key}", "")).strip() for key in keys}
    applicant["kind"] = (draft.data.get("applicant") or {}).get("kind", "person")
    form = {f.name: values.get(f"form_{f.name}", "") for f in eforms.fields_of(draft.version)}
    return applicant, form, str(values.get("receiving_agency", "")).strip()


def _pickup_values(values: Any) -> tuple[str, dict[str, str]]:
    """How the papers are handed in, and the home pickup's fields (``pickup_<key>``)."""
    return (str(values.get("handin", services.HANDIN_ONLINE)),
            {key: str(values.get(f"pickup_{key}", "")) for key in services.PICKUP_KEYS})


def _details(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    status = 200
    stashed = pending(request)
    source = request.POST if request.method == "POST" else (Values(stashed) if stashed else None)
    if source is not None:
        applicant, form, point = _details_values(source, draft)
        handin, pickup = _pickup_values(source)
        try:
            services.save_details(draft=draft, applicant=applicant, form=form, receiving_agency=point,
                                  handin=handin, pickup=pickup,
                                  # a post without the field (an older page) keeps the commune already chosen
                                  competent_unit=str(source.get("competent_unit",
                                                                draft.data.get("competent_unit", ""))).strip())
        except MotCuaError as exc:
            errors, status = FormErrors.of(exc), exc.status
        else:
            if request.method == "POST":
                return _next(draft, "details")
        if stashed:
            messages.info(request, _("What you typed before signing in again was kept."))
    fields = [
        {"f": f, "value": (draft.data.get("form") or {}).get(f.name, ""), "errs": errors.fields.get(f"form_{f.name}")}
        for f in eforms.fields_of(draft.version)
    ]
    points = services.receiving_points(draft.version)
    context = _context(request, draft, "details", errors=errors, fields=fields,
                       points=points, applicant=draft.data.get("applicant") or {},
                       holder=identity_of(draft.owner), **_pickup_context(draft), **_commune_context(draft, points))
    return render(request, "portal/wizard/details.html", context, status=status)


def _commune_context(draft: Draft, points: list[Any]) -> dict[str, Any]:
    """The competent commune asked for a boundary-free commune-level procedure (any point receives it; this
    commune's People's Committee handles it)."""
    if not services.asks_commune(draft.version):
        return {"asks_commune": False}
    chosen = next((p for p in points if p.identifier_code == draft.data.get("receiving_agency")), None)
    return {"asks_commune": True,
            "communes": services.competent_communes(draft.version, chosen or (points[0] if points else None))}


def _pickup_context(draft: Draft) -> dict[str, Any]:
    """The home pickup choice of the details step (offered only where a post point collects this procedure)."""
    if not services.pickup_offered(draft.version) or draft.assisted_consent_id is not None:
        return {"pickup_offered": False}  # a dossier filed on a citizen's behalf is online (assisted filing)
    typed = draft.data.get("pickup") or {}
    applicant = draft.data.get("applicant") or {}
    return {"pickup_offered": True, "pickup_chosen": draft.data.get("handin") == services.HANDIN_PICKUP,
            "pickup": {"address": applicant.get("address", ""), "contact_name": applicant.get("name", ""),
                       "contact_phone": applicant.get("phone", ""), **{k: v for k, v in typed.items() if v}},
            "pickup_communes": postal_selectors.pickup_communes(draft.version)}


def _save_documents(request: HttpRequest, draft: Draft) -> list[MotCuaError]:
    """Apply what the documents step posted, component by component; the problems met on the way."""
    problems: list[MotCuaError] = []
    for index, _component in enumerate(services.components(draft), start=1):
        try:
            if request.POST.get(f"c{index}-remove"):
                services.remove(draft=draft, order=index)
            elif f"c{index}-file" in request.FILES:
                upload = request.FILES.getlist(f"c{index}-file")[-1]
                services.upload(draft=draft, order=index, file=upload, name=upload.name or "file", size=upload.size)
            elif request.POST.get(f"c{index}-stored"):
                services.pick(draft=draft, order=index, document_id=int(request.POST[f"c{index}-stored"]))
        except (MotCuaError, ValueError) as exc:
            problems.append(exc if isinstance(exc, MotCuaError) else MotCuaError(
                "invalid", _("Choose a document from the list."), location=f"c{index}"))
    return problems


def _documents(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    if request.method == "POST":
        problems = _save_documents(request, draft)
        if not problems and "continue" in request.POST:
            problems = services.documents_errors(draft)
            if not problems:
                return _next(draft, "documents")
        if problems:
            errors = FormErrors.of(ValidationFailed(problems))
        elif "continue" not in request.POST:
            messages.success(request, _("Saved."))
            return redirect("portal:wizard", draft_id=draft.pk, step="documents")
    given = selectors.given_files(draft)
    rows = [
        {"i": i, "c": c, "given": given.get(i), "errs": errors.fields.get(f"c{i}"),
         "offers": selectors.offers(draft.owner_id, c.name_vi)}
        for i, c in enumerate(services.components(draft), start=1)
    ]
    return render(request, "portal/wizard/documents.html",
                  _context(request, draft, "documents", rows=rows, errors=errors, by_pickup=services.by_pickup(draft)),
                  status=422 if errors else 200)


def _delivery(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    stashed = pending(request)
    source = request.POST if request.method == "POST" else (Values(stashed) if stashed else None)
    if source is not None:
        exemptions = request.POST.getlist("exemptions") if request.method == "POST" else list(
            (stashed or {}).get("exemptions", []))
        try:
            services.save_delivery(draft=draft, delivery=str(source.get("delivery", "")),
                                   address=str(source.get("delivery_address", "")), exemptions=exemptions)
        except MotCuaError as exc:
            errors = FormErrors.of(exc)
        else:
            if request.method == "POST":
                return _next(draft, "delivery")
    version = draft.version
    options = [(value, label, value == Delivery.ELECTRONIC) for value, label in YOUR_DELIVERY.items()
               if value in version.result_delivery]
    context = _context(request, draft, "delivery", errors=errors, options=options, quote=services.quote(draft),
                       exemptions=fees.exemptions_of(version))
    return render(request, "portal/wizard/delivery.html", context, status=422 if errors else 200)


def _review(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    if request.method == "POST":
        if not request.POST.get("declare"):
            errors = FormErrors.of(MotCuaError("declaration_required",
                                               _("Confirm that the information is true before submitting."),
                                               location="declare"))
        else:
            try:
                dossier = services.submit(draft_id=draft.pk, actor=actor(request))
            except MotCuaError as exc:
                errors = FormErrors.of(exc)
            else:
                done = assisted.submitted(request, draft, dossier)
                if done is not None:
                    return done
                messages.success(request, _("Your dossier %(code)s was submitted.") % {"code": dossier.code})
                return redirect("portal:my_dossier", code=dossier.code)
    problems = services.all_errors(draft)
    given = selectors.given_files(draft)
    point = next((a for a in services.receiving_points(draft.version)
                  if a.identifier_code == draft.data.get("receiving_agency")), None)
    communes = services.competent_communes(draft.version, point) if services.asks_commune(draft.version) else []
    context = _context(
        request, draft, "review", errors=errors, problems=[(name, label, problems[name]) for name, label in STEPS
                                                  if problems.get(name)],
        quote=services.quote(draft),
        fields=eforms.display(eforms.fields_of(draft.version), draft.data.get("form") or {}, get_language() or "vi"),
        documents=[(i, c, given.get(i)) for i, c in enumerate(services.components(draft), start=1)],
        point=point, commune=next((u for u in communes if u.code == draft.data.get("competent_unit")), None),
        by_pickup=services.by_pickup(draft), pickup=draft.data.get("pickup") or {},
        delivery_label=YOUR_DELIVERY.get(draft.data.get("delivery", ""), ""),
    )
    return render(request, "portal/wizard/review.html", context, status=422 if errors else 200)


@require_safe
@assisted.citizen_or_assisting
def draft_file(request: HttpRequest, draft_id: Any, order: int) -> HttpResponseBase:
    """A file given for a draft's component (an upload as PDF, or the warehouse document), to look at it again."""
    draft = assisted.draft_of(request, draft_id)
    assisted.check_file(request, draft)
    item = selectors.given_file(draft, order)
    if item is None:
        raise Http404
    try:
        handle = services.open_draft_file(item)
    except FileAltered as exc:
        return file_refused(request, exc)
    return private_file(handle, "application/pdf", item.original_name)
