"""The citizen's pages: the online submission wizard, "my dossiers" and the data warehouse.

Views parse, call ``portal.services`` and render; the rules live in the services and in ``dossiers``.
Every page needs a signed-in citizen account with a verified contact (``accounts.decorators``). A wizard step
posted after the session expired is not lost: what was typed is kept in the session, the citizen signs in again
and comes back to the same step with it filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from motcua.accounts.decorators import citizen_of, citizen_required
from motcua.accounts.selectors import identity_of
from motcua.catalog import eforms
from motcua.catalog.models import Delivery, OnlineLevel
from motcua.core.errors import FormErrors, MotCuaError, NotFound, ValidationFailed
from motcua.core.responses import private_file, private_pdf
from motcua.documents import services as warehouse
from motcua.dossiers import machine
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier
from motcua.dossiers.services import perform
from motcua.dossiers.slips import available_slips, render_slip
from motcua.payments import fees
from motcua.portal import services
from motcua.portal.models import Draft, DraftFile

STEPS = [("details", gettext_lazy("Your details")), ("documents", gettext_lazy("Documents")),
         ("delivery", gettext_lazy("Result and fee")), ("review", gettext_lazy("Review and submit"))]
PENDING = "wizard_pending"
# the ways to receive the result, in the citizen's words (staff pages use the neutral labels of ``Delivery``)
YOUR_DELIVERY = {**dict(Delivery.choices), Delivery.POST: gettext_lazy("By post to your address")}


def _pending_safe(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Keep a step's typed values when the session has expired, then ask the citizen to sign in again.

    The wizard's steps come back to the same step; the dossier page's actions (POST only: supplement, withdraw)
    come back to the dossier page, since signing in ends with a GET of ``next``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and citizen_of(request.user) is None:
            values = {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}
            request.session[PENDING] = {"path": request.path, "values": values}
            messages.info(request, _("Your session ended. Sign in again: what you typed is kept."))
            back = reverse("portal:my_dossier", kwargs={"code": kwargs["code"]}) if "code" in kwargs else request.path
            return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": back}))
        return citizen_required(view)(request, *args, **kwargs)

    return wrapper


def _pending(request: HttpRequest) -> dict[str, list[str]] | None:
    stash = request.session.get(PENDING)
    if stash and stash.get("path") == request.path:
        del request.session[PENDING]
        return dict(stash["values"])
    return None


def _user_id(request: HttpRequest) -> int:
    assert request.user.pk is not None  # the views below require a signed-in citizen
    return int(request.user.pk)


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _draft(request: HttpRequest, draft_id: Any) -> Draft:
    draft = Draft.objects.select_related("version", "version__procedure", "version__field", "dossier").prefetch_related(
        "version__components").filter(
        pk=draft_id, owner_id=request.user.pk).first()
    if draft is None:
        raise Http404
    return draft


def _guard(request: HttpRequest, draft: Draft) -> HttpResponse | None:
    """A submitted draft shows its dossier; an expired one offers to start again with what it holds."""
    if draft.dossier is not None:
        return redirect("portal:my_dossier", code=draft.dossier.code)
    if draft.expired:
        return render(request, "portal/wizard/expired.html", {"draft": draft}, status=410)
    return None


def _context(draft: Draft, step: str, **extra: Any) -> dict[str, Any]:
    names = [name for name, _label in STEPS]
    return {"draft": draft, "v": draft.version, "steps": STEPS, "step": step, "step_number": names.index(step) + 1,
            "data": draft.data, **extra}


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
    drafts = services.open_drafts(request.user).filter(version__procedure=version.procedure)
    return render(request, "portal/wizard/start.html", {"v": version, "drafts": drafts,
                                                         "quote": fees.quote(version)})


@require_POST
@citizen_required
def restart(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    fresh = services.restart(draft=draft)
    messages.success(request, _("A new draft was started with what you had entered."))
    return redirect("portal:wizard", draft_id=fresh.pk, step="details")


# --- the steps ------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_pending_safe
def wizard(request: HttpRequest, draft_id: Any, step: str) -> HttpResponse:
    handlers = {"details": _details, "documents": _documents, "delivery": _delivery, "review": _review}
    if step not in handlers:
        raise Http404
    draft = _draft(request, draft_id)
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


class _Values(dict[str, Any]):
    """Stashed ``getlist`` values read like a QueryDict's single values."""

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key, default)
        return value[-1] if isinstance(value, list) and value else value


def _details(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    status = 200
    pending = _pending(request)
    source = request.POST if request.method == "POST" else (_Values(pending) if pending else None)
    if source is not None:
        applicant, form, point = _details_values(source, draft)
        try:
            services.save_details(draft=draft, applicant=applicant, form=form, receiving_agency=point)
        except MotCuaError as exc:
            errors, status = FormErrors.of(exc), exc.status
        else:
            if request.method == "POST":
                return _next(draft, "details")
        if pending:
            messages.info(request, _("What you typed before signing in again was kept."))
    fields = [
        {"f": f, "value": (draft.data.get("form") or {}).get(f.name, ""), "errs": errors.fields.get(f"form_{f.name}")}
        for f in eforms.fields_of(draft.version)
    ]
    context = _context(draft, "details", errors=errors, fields=fields,
                       points=services.receiving_points(draft.version), applicant=draft.data.get("applicant") or {},
                       holder=identity_of(request.user))
    return render(request, "portal/wizard/details.html", context, status=status)


def _documents(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    if request.method == "POST":
        problems: list[MotCuaError] = []
        for index, _component in enumerate(services.components(draft), start=1):
            try:
                if request.POST.get(f"c{index}-remove"):
                    services.remove(draft=draft, order=index)
                elif f"c{index}-file" in request.FILES:
                    upload = request.FILES.getlist(f"c{index}-file")[-1]
                    services.upload(draft=draft, order=index, file=upload, name=upload.name or "file",
                                    size=upload.size)
                elif request.POST.get(f"c{index}-stored"):
                    services.pick(draft=draft, order=index, document_id=int(request.POST[f"c{index}-stored"]))
            except (MotCuaError, ValueError) as exc:
                problems.append(exc if isinstance(exc, MotCuaError) else MotCuaError(
                    "invalid", _("Choose a document from the list."), location=f"c{index}"))
        if not problems and "continue" in request.POST:
            problems = services.documents_errors(draft)
            if not problems:
                return _next(draft, "documents")
        if problems:
            errors = FormErrors.of(ValidationFailed(problems))
        elif "continue" not in request.POST:
            messages.success(request, _("Saved."))
            return redirect("portal:wizard", draft_id=draft.pk, step="documents")
    given = {f.order: f for f in draft.files.select_related("stored")}
    rows = [
        {"i": i, "c": c, "given": given.get(i), "errs": errors.fields.get(f"c{i}"),
         "offers": list(warehouse.offers_for(draft.owner_id, c.name_vi)[:5])}
        for i, c in enumerate(services.components(draft), start=1)
    ]
    return render(request, "portal/wizard/documents.html", _context(draft, "documents", rows=rows, errors=errors),
                  status=422 if errors else 200)


def _delivery(request: HttpRequest, draft: Draft) -> HttpResponse:
    errors = FormErrors()
    pending = _pending(request)
    source = request.POST if request.method == "POST" else (_Values(pending) if pending else None)
    if source is not None:
        exemptions = request.POST.getlist("exemptions") if request.method == "POST" else list(
            (pending or {}).get("exemptions", []))
        try:
            services.save_delivery(draft=draft, delivery=str(source.get("delivery", "")),
                                   address=str(source.get("delivery_address", "")), exemptions=exemptions)
        except MotCuaError as exc:
            errors = FormErrors.of(exc)
        else:
            if request.method == "POST":
                return _next(draft, "delivery")
    version = draft.version
    options = [(value, label) for value, label in YOUR_DELIVERY.items() if value in version.result_delivery]
    context = _context(draft, "delivery", errors=errors, options=options, quote=services.quote(draft),
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
                dossier = services.submit(draft_id=draft.pk, actor=_actor(request))
            except MotCuaError as exc:
                errors = FormErrors.of(exc)
            else:
                messages.success(request, _("Your dossier %(code)s was submitted.") % {"code": dossier.code})
                return redirect("portal:my_dossier", code=dossier.code)
    problems = services.all_errors(draft)
    given = {f.order: f for f in draft.files.select_related("stored")}
    context = _context(
        draft, "review", errors=errors, problems=[(name, label, problems[name]) for name, label in STEPS
                                                  if problems.get(name)],
        quote=services.quote(draft),
        fields=eforms.display(eforms.fields_of(draft.version), draft.data.get("form") or {}, get_language() or "vi"),
        documents=[(i, c, given.get(i)) for i, c in enumerate(services.components(draft), start=1)],
        point=next((a for a in services.receiving_points(draft.version)
                    if a.identifier_code == draft.data.get("receiving_agency")), None),
        delivery_label=YOUR_DELIVERY.get(draft.data.get("delivery", ""), ""),
    )
    return render(request, "portal/wizard/review.html", context, status=422 if errors else 200)


@require_safe
@citizen_required
def draft_file(request: HttpRequest, draft_id: Any, order: int) -> HttpResponseBase:
    """A file given for a draft's component (an upload as PDF, or the warehouse document), to look at it again."""
    item = DraftFile.objects.select_related("stored").filter(draft=_draft(request, draft_id), order=order).first()
    if item is None:
        raise Http404
    source = item.stored.file if item.stored is not None else item.file
    return private_file(source, "application/pdf", item.original_name)


# --- my dossiers ----------------------------------------------------------------------------------------


@require_safe
@citizen_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    dossiers = Dossier.objects.filter(applicant_user_id=request.user.pk).select_related("version").order_by(
        "-submitted_at", "-pk")
    page = Paginator(dossiers, 20).get_page(request.GET.get("page"))
    return render(request, "portal/mine/list.html", {"page": page, "drafts": services.open_drafts(request.user)})


def _own(request: HttpRequest, code: str) -> Dossier:
    try:
        return services.find_own(request.user.pk, code)
    except NotFound:
        raise Http404 from None


@never_cache
@require_safe
@citizen_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    return _dossier_page(request, _own(request, code))


def _dossier_page(request: HttpRequest, dossier: Dossier, errors: FormErrors | None = None,
                  status: int = 200) -> HttpResponse:
    actor = _actor(request)
    tracked = dossier_selectors.track(dossier.code)
    results = []
    if dossier.result_issued_at is not None:
        results = list(Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT))
    context = {
        "dossier": dossier, "t": tracked, "slips": available_slips(dossier), "results": results,
        "files": Attachment.objects.filter(dossier=dossier).exclude(kind=AttachmentKind.RESULT),
        "missing": services.missing_items(dossier), "errors": errors or FormErrors(),
        "full_online": dossier.version.online_level == OnlineLevel.FULL,
        # the page asks the machine, as the POST handlers below do through the services
        "can_withdraw": machine.may(dossier, "withdraw", actor),
        "can_supplement": machine.may(dossier, "supplement", actor),
    }
    return render(request, "portal/mine/detail.html", context, status=status)


@require_POST
@_pending_safe
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own(request, code)
    files = {}
    for key, upload in request.FILES.items():
        if key.startswith("m") and key[1:].isdigit():
            files[int(key[1:])] = upload
    try:
        services.supplement(dossier=dossier, actor=_actor(request), files=files, note=request.POST.get("note", ""))
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("Thank you: your documents were sent and the dossier went back to the agency."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_POST
@_pending_safe
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own(request, code)
    try:
        perform(dossier.code, "withdraw", actor=_actor(request),
                params={"reason": request.POST.get("reason", "").strip() or _("Withdrawn by the applicant online")})
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("The dossier was withdrawn."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_safe
@citizen_required
def my_file(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    dossier = _own(request, code)
    item = Attachment.objects.filter(dossier=dossier, pk=pk).first()
    if item is None or (item.kind == AttachmentKind.RESULT and dossier.result_issued_at is None):
        raise Http404
    return private_file(item.file, item.content_type, item.original_name)


@require_safe
@citizen_required
def my_slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    dossier = _own(request, code)
    if kind not in available_slips(dossier):
        raise Http404
    pdf = render_slip(dossier, kind)
    return private_pdf(pdf, f"{dossier.code}-{kind}.pdf")


# --- the data warehouse ---------------------------------------------------------------------------------


@require_safe
@citizen_required
def warehouse_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/warehouse.html", {
        "documents": warehouse.owned(_user_id(request)), "citizen": citizen_of(request.user),
        "dossier_count": Dossier.objects.filter(applicant_user_id=request.user.pk).count(),
    })


@require_safe
@citizen_required
def warehouse_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    document = warehouse.owned(_user_id(request)).filter(pk=pk).first()
    if document is None:
        raise Http404
    return private_file(document.file, document.content_type, f"{document.title[:80]}.pdf")


@require_safe
@citizen_required
def warehouse_archive(request: HttpRequest) -> HttpResponse:
    """All of it at once: personal data, dossiers and documents, as a ZIP (Law 91/2025: the data subject's
    right to obtain their data)."""
    response = HttpResponse(warehouse.export_archive(request.user), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="kho-du-lieu.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
