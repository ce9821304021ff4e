"""Reception at the counter: the form that records a dossier brought in person (or by post), its
procedure-dependent checklist (htmx, when the procedure is picked) and the applicant's check with the national
population database (htmx: it verifies the citizen ID and prefills the name, date of birth and address).

Views parse the request, call ``integrations.population.services.receive`` (``receive_at_counter`` with what the
population check earned) and render; errors come back as
:class:`MotCuaError` and are shown next to the field they name, with everything the officer typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from motcua.agencies.models import Agency, AgencyKind
from motcua.catalog.models import Channel, Delivery, ProcedureVersion
from motcua.catalog.selectors import procedure_version, procedures_received_at
from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import MotCuaError
from motcua.dossiers.actors import Actor
from motcua.dossiers.services import signatures
from motcua.integrations.population import services as population
from motcua.integrations.population.client import enabled as population_connected
from motcua.workspace import selectors
from motcua.workspace.views.base import actor_of

# the submission channels that fit a kind of service point (the procedure's own channels are checked too)
POINT_CHANNELS: dict[str, tuple[str, ...]] = {
    AgencyKind.POST_OFFICE: (Channel.POST_OFFICE, Channel.HOME_PICKUP),
    AgencyKind.SERVICE_CENTER: (Channel.COUNTER,),
    AgencyKind.COMMUNE_ONE_STOP: (Channel.COUNTER,),
}
APPLICANT_FIELDS = ("kind", "name", "id_number", "phone", "email", "address")
# the reception form's fields that show their own errors (components_<n>_… are shown on their row)
RECEIVE_FIELDS = ("procedure", "note", "applicant_birth_date", *(f"applicant_{name}" for name in APPLICANT_FIELDS))
CHECKLIST_FIELDS = ("channel", "delivery", "delivery_address", "counter", "components")
# what the officer may record of each scanned component (``dossiers.services.digitization``)
DIGITIZATION_FIELDS = ("number", "issuing_body", "signer_name", "document_date", "valid_until")


def _point(points: list[Agency], code: str) -> Agency | None:
    return next((p for p in points if p.identifier_code == code), points[0] if points else None)


def _version(code: str) -> tuple[ProcedureVersion | None, MotCuaError | None]:
    if not code:
        return None, None
    try:
        return procedure_version(code), None
    except MotCuaError as exc:
        return None, exc


def _checklist_context(
    version: ProcedureVersion | None, point: Agency | None, values: QueryDict | None, errors: Errors,
) -> dict[str, Any]:
    """Everything the procedure-dependent part of the reception form needs (values typed so far kept)."""
    if version is None or point is None:
        return {"version": None, "errors": errors}
    rows = []
    for index, component in enumerate(selectors.version_components(version)):
        order = index + 1
        prefix = f"c{order}-"
        if values is not None and f"{prefix}originals" in values:
            originals, copies = values.get(f"{prefix}originals", ""), values.get(f"{prefix}copies", "")
            received = f"{prefix}received" in values
        else:
            originals, copies, received = str(component.originals), str(component.copies), False
        row_errors = [
            text for name in ("", "_order", "_originals", "_copies", "_received")
            for text in errors.fields.get(f"components_{index}{name}", [])
        ]
        digitization = {name: (values.get(f"{prefix}{name}", "") if values is not None else "")
                        for name in DIGITIZATION_FIELDS}
        digitization_errors = {name: errors.fields.get(f"components_{index}_{name}", [])
                               for name in DIGITIZATION_FIELDS}
        rows.append({"order": order, "c": component, "prefix": prefix, "originals": originals, "copies": copies,
                     "received": received, "errors": row_errors, "digitization": digitization,
                     "digitization_errors": digitization_errors,
                     "digitization_open": any(digitization.values()) or any(digitization_errors.values())})
    fits = POINT_CHANNELS.get(point.kind, ())
    channels = [c for c in version.channels if c in fits] or [c for c in version.channels if c != Channel.ONLINE]
    return {
        "version": version,
        "point": point,
        "rows": rows,
        "channels": [(c, Channel(c).label) for c in channels],
        "deliveries": [(d, Delivery(d).label) for d in version.result_delivery],
        "counters": selectors.counters(point),
        "units": selectors.competent_units(version, point),
        "values": values if values is not None else {},
        "errors": errors,
    }


def _dossier_data(post: QueryDict, count: int, point: Agency | None) -> dict[str, Any]:
    """The reception form as ``schema.DossierIn`` expects it; numbers are left as typed for the schema to check."""
    components = []
    for order in range(1, count + 1):
        item: dict[str, Any] = {"order": order, "received": f"c{order}-received" in post}
        for name in ("originals", "copies"):
            raw = post.get(f"c{order}-{name}", "").strip()
            if raw:
                item[name] = raw
        components.append(item)
    return {
        "procedure": post.get("procedure", ""),
        "channel": post.get("channel", ""),
        "receiving_agency": point.identifier_code if point else "",
        "counter": post.get("counter", "").strip() or None,
        "competent_unit": post.get("competent_unit", ""),
        "applicant": {name: post.get(f"applicant_{name}", "") for name in APPLICANT_FIELDS},
        "components": components,
        "delivery": post.get("delivery", ""),
        "delivery_address": post.get("delivery_address", ""),
        "receive": post.get("receive") != "0",
        "note": post.get("note", ""),
    }


def _scans(request: HttpRequest, count: int) -> dict[int, UploadedFile]:
    """The uploaded scans by component number."""
    return {order: upload for order in range(1, count + 1) if (upload := request.FILES.get(f"c{order}-scan"))}


def _digitized(post: QueryDict, count: int) -> dict[int, dict[str, Any]]:
    """The digitization metadata typed for each component, by component number (the service checks it)."""
    return {order: {name: post.get(f"c{order}-{name}", "") for name in DIGITIZATION_FIELDS}
            for order in range(1, count + 1)}


def _receive_page(request: HttpRequest, actor: Actor, values: QueryDict | None, errors: Errors,
                  checked: dict[str, str] | None = None) -> HttpResponse:
    source = values if values is not None else request.GET
    points = selectors.receiving_points(actor)
    point = _point(points, source.get("point", ""))
    version, problem = _version(source.get("procedure", ""))
    if problem is not None:
        errors.fields.setdefault("procedure", []).append(problem.text())
    checklist = _checklist_context(version, point, values, errors)
    shown = set(RECEIVE_FIELDS)
    if checklist["version"] is not None:
        shown |= {*CHECKLIST_FIELDS, *(["competent_unit"] if checklist["units"] else [])}
    for key in [k for k in errors.fields if k not in shown and not (version and k.startswith("components_"))]:
        errors.general.extend(errors.fields.pop(key))  # e.g. receiving_agency: no field of its own here
    context = {
        "actor": actor,
        "points": points,
        "point": point,
        "procedures": procedures_received_at(point) if point else [],
        "selected": source.get("procedure", ""),
        "values": values if values is not None else request.GET,
        "kinds": [("person", _("Person")), ("organization", _("Organization or business"))],
        "errors": errors,
        "lost_files": bool(values is not None and request.FILES),
        "can_sign": signatures.may_sign(actor),  # the form asks for the PIN that signs the scans
        "population_connected": population_connected(),
        "population": checked,
        **{f"checklist_{k}": v for k, v in checklist.items()},
    }
    return render(request, "workspace/receive.html", context, status=errors.status if errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def receive(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method != "POST":
        return _receive_page(request, actor, None, Errors())
    post = request.POST
    point = _point(selectors.receiving_points(actor), post.get("point", ""))
    version, _problem = _version(post.get("procedure", ""))
    count = len(selectors.version_components(version))
    try:
        dossier = population.receive(actor=actor, data=_dossier_data(post, count, point),
                                     scans=_scans(request, count), digitized=_digitized(post, count),
                                     pin=post.get("pin", ""), proof=post.get("population_proof", ""))
    except MotCuaError as exc:
        return _receive_page(request, actor, post, Errors.of(exc, {"code": "procedure"}))
    messages.success(request, _("Dossier %(code)s recorded: %(status)s.") % {
        "code": dossier.code, "status": dossier.get_status_display()})
    return redirect(reverse("workspace:dossier", args=[dossier.code]) + "?new=1")


@require_safe
@login_required
def receive_checklist(request: HttpRequest) -> HttpResponse:
    """The procedure-dependent part of the reception form (htmx, when the procedure is picked)."""
    actor = actor_of(request)
    point = _point(selectors.receiving_points(actor), request.GET.get("point", ""))
    version, problem = _version(request.GET.get("procedure", ""))
    errors = Errors()
    if problem is not None:
        errors.general.append(problem.text())
    context = {f"checklist_{k}": v for k, v in _checklist_context(version, point, None, errors).items()}
    return render(request, "workspace/_checklist.html", context)


def _check_message(matches: bool | None, compared: tuple[str, ...]) -> Any:
    """What the officer's check found, saying exactly what was compared: the name, the date of birth, both, or
    nothing (the citizen ID was looked up and the form filled in from the database)."""
    if matches is None:
        return _("Found in the national population database by the citizen ID alone (no name or date of birth was "
                 "typed, so neither was compared): the form is filled in from it. Check the applicant's ID card.")
    both, name = "date_of_birth" in compared and "name" in compared, "name" in compared
    if matches:
        if both:
            return _("Verified with the national population database: the name and date of birth match. The form "
                     "is filled in from it.")
        if name:
            return _("Checked with the national population database: the name matches (no date of birth was typed, "
                     "so it was not compared). The form is filled in from it.")
        return _("Checked with the national population database: the date of birth matches (no name was typed, so "
                 "it was not compared). The form is filled in from it.")
    if both:
        return _("The name or date of birth typed differs from the national population database; the form now "
                 "shows what the database holds. Check the applicant's ID card.")
    if name:
        return _("The name typed differs from the national population database; the form now shows what the "
                 "database holds. Check the applicant's ID card.")
    return _("The date of birth typed differs from the national population database; the form now shows what the "
             "database holds. Check the applicant's ID card.")


@require_POST
@login_required
def population_check(request: HttpRequest) -> HttpResponse:
    """"Check with the population database": the applicant's citizen ID (and name and date of birth, if typed) is
    checked and the name, date of birth and address filled in from the database, with a signed proof the form
    sends back (the dossier is flagged). htmx: the applicant's part of the form; otherwise the whole form."""
    actor = actor_of(request)
    post = request.POST
    point = _point(selectors.receiving_points(actor), post.get("point", ""))
    values = post.copy()
    values.pop("population_proof", None)
    errors = Errors()
    checked: dict[str, str] = {}
    born, problems = population.parse_birth_date(post.get("applicant_birth_date", ""), required=False,
                                                 location="applicant_birth_date")
    try:
        if point is None:
            raise Http404
        if problems:
            raise problems[0]
        result = population.check_at_reception(actor=actor, agency=point, id_number=post.get("applicant_id_number", ""),
                                               full_name=post.get("applicant_name", ""), date_of_birth=born)
    except MotCuaError as exc:
        errors = Errors.of(exc, {"id_number": "applicant_id_number"})
        checked = {"state": "error", "message": exc.text()}
    else:
        person = result.person
        values.update({"applicant_kind": "person", "applicant_id_number": person.id_number,
                       "applicant_name": person.full_name, "applicant_birth_date": person.date_of_birth.isoformat()})
        if person.permanent_address:
            values["applicant_address"] = person.permanent_address
        message = _check_message(result.typed_matches, result.compared)
        checked = {"state": {True: "matched", False: "differs", None: "found"}[result.typed_matches],
                   "message": str(message), "proof": result.proof}
    if not request.headers.get("HX-Request"):
        return _receive_page(request, actor, values, errors, checked)
    return render(request, "workspace/_applicant.html", {
        "values": values, "errors": errors, "population": checked, "population_connected": True,
        "kinds": [("person", _("Person")), ("organization", _("Organization or business"))],
    })
