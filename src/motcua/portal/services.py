"""The online submission wizard and the applicant's own actions (supplement, withdraw), as services.

The wizard keeps everything in a :class:`~motcua.portal.models.Draft`: each step saves what was typed *before*
validating it, so nothing is lost on an error, a closed tab or an expired session. Submitting turns the draft into
a dossier in one transaction through ``dossiers.services`` (the same rules as the API and the counter), with the
draft's id as the idempotency key: a double click, or a retry after a lost response, returns the same dossier.
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from datetime import timedelta
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticError

from motcua.accounts import assisted
from motcua.accounts.decorators import citizen_of
from motcua.accounts.selectors import identity_of
from motcua.agencies.models import Agency, AgencyKind
from motcua.catalog import eforms, fees
from motcua.catalog.models import Channel, Delivery, Level, ProcedureVersion
from motcua.catalog.selectors import procedure_version
from motcua.core.errors import MotCuaError, ValidationFailed, from_pydantic
from motcua.core.files import atomic_with_files
from motcua.core.text import fold
from motcua.core.uploads import CheckedFile, check_upload
from motcua.documents import services as warehouse
from motcua.documents.pdf import as_pdf, pdf_name
from motcua.dossiers import routing
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.integrity import Subject, open_checked
from motcua.dossiers.machine import authorize
from motcua.dossiers.models import AlertSubject, AttachmentKind, Dossier
from motcua.dossiers.schema import Applicant
from motcua.dossiers.statuses import EventKind
from motcua.geo.models import AdministrativeUnit
from motcua.portal.models import DRAFT_DAYS, Draft, DraftFile
from motcua.portal.selectors import missing_items
from motcua.postal import rules as postal_rules
from motcua.postal.services import pickups

ONLINE_POINT_KINDS = (AgencyKind.SERVICE_CENTER, AgencyKind.COMMUNE_ONE_STOP)
# how the papers reach the agency: uploaded online, or collected at home by the post (``postal``)
HANDIN_ONLINE, HANDIN_PICKUP = "online", "pickup"
PICKUP_KEYS = ("address", "commune", "contact_name", "contact_phone", "day", "start", "end")


class DraftExpired(MotCuaError):
    status = 410


def online_version(code: str) -> ProcedureVersion:
    version = procedure_version(code)
    if not version.submits_online():
        raise MotCuaError("not_online", _("This procedure cannot be submitted online; see where to submit it."))
    return version


def receiving_points(version: ProcedureVersion) -> list[Agency]:
    """The one-stop points an online dossier of this procedure can be sent to."""
    agencies = Agency.objects.filter(is_active=True, kind__in=ONLINE_POINT_KINDS)
    if not version.boundary_free:
        agencies = agencies.filter(procedures=version.procedure)
    agencies = routing.routable_points(version, agencies)  # offered only where the dossier can be routed
    return list(agencies.select_related("unit").order_by("kind", "name"))


def start(*, owner: Any, code: str) -> Draft:
    """A new draft for procedure ``code``, with the applicant's details taken from their account."""
    version = online_version(code)
    citizen = citizen_of(owner)
    applicant = {}
    if citizen is not None:
        applicant = {"kind": citizen.kind, "name": citizen.full_name, "id_number": citizen.id_number,
                     "phone": citizen.phone, "email": citizen.email, "address": citizen.address}
    points = receiving_points(version)
    point = points[0] if len(points) == 1 else _nearest(points, citizen.address if citizen else "")
    delivery = Delivery.ELECTRONIC if Delivery.ELECTRONIC in version.result_delivery else version.result_delivery[0]
    home = _commune_in(competent_communes(version, point or (points[0] if points else None)),
                       citizen.address if citizen else "")
    return Draft.objects.create(owner=owner, version=version, data={
        "applicant": applicant, "form": {}, "receiving_agency": point.identifier_code if point else "",
        "competent_unit": home.code if home else "",
        "delivery": delivery, "delivery_address": citizen.address if citizen else "", "exemptions": [],
    })


def start_assisted(*, actor: Actor, consent_id: Any, code: str) -> Draft:
    """A draft for procedure ``code`` in the account of the citizen who consented, filled by ``actor`` (assisted
    filing): her details come from her account, as for her own drafts. Refused without a usable consent or
    without a procedure chosen."""
    with transaction.atomic():
        consent = assisted.usable(actor=actor, consent_id=consent_id, lock=True)
        if not code.strip():
            raise MotCuaError("procedure_required", _("Choose the procedure to file for the citizen."),
                              location="procedure")
        draft = start(owner=consent.citizen.user, code=code)
        draft.assisted_consent = consent
        draft.save(update_fields=["assisted_consent"])
    return draft


def check_assisted(draft: Draft, actor: Actor) -> None:
    """Raise why ``actor``, filling a citizen's draft on her behalf, may not go on (the consent withdrawn, expired,
    another's); the refusal is logged. The citizen herself always may."""
    consent = draft.assisted_consent
    if consent is None or actor.user_id == draft.owner_id:
        return
    try:
        assisted.check(consent, actor)
    except MotCuaError as exc:
        assisted.refused(consent=consent, actor=actor, error=exc)
        raise


def competent_communes(version: ProcedureVersion, point: Agency | None) -> list[AdministrativeUnit]:
    """The communes the wizard offers as competent (a boundary-free commune-level procedure: any commune of the
    province; none otherwise: the chosen point's commune handles it)."""
    return routing.competent_communes(version, point)


def asks_commune(version: ProcedureVersion) -> bool:
    """The wizard asks which commune is competent: the procedure is boundary-free and handled by a commune."""
    return version.boundary_free and version.level == Level.COMMUNE


def _commune_in(units: list[AdministrativeUnit], address: str) -> AdministrativeUnit | None:
    """The commune or ward named in an address, if exactly one of ``units`` is (the wizard's default)."""
    folded = f" {fold(address)} "
    found = [u for u in units if f" {fold(u.name)} " in folded]
    return found[0] if len(found) == 1 else None


def _nearest(points: list[Agency], address: str) -> Agency | None:
    """The one-stop point of the commune or ward named in the applicant's address, if exactly one matches."""
    folded = f" {fold(address)} "
    matches = [a for a in points if a.unit_id and f" {fold(a.unit.name)} " in folded]
    local = [a for a in matches if not a.unit.is_province]  # the ward's point before the province's center
    chosen = local or matches
    return chosen[0] if len(chosen) == 1 else None


def _touch(draft: Draft) -> None:
    draft.expires_at = timezone.now() + timedelta(days=DRAFT_DAYS)
    draft.save()


def _check_open(draft: Draft) -> None:
    if draft.dossier_id is not None:
        raise MotCuaError("draft_submitted", _("This draft was already submitted as dossier %(code)s."),
                          {"code": draft.dossier.code if draft.dossier else ""})
    if draft.expired:
        raise DraftExpired("draft_expired", _("This draft expired on %(date)s. Start again: what you entered is "
                                              "copied into a new draft."),
                           {"date": timezone.localtime(draft.expires_at).strftime("%d/%m/%Y")})


# --- step 1: the applicant, the e-form and where to send it ----------------------------------------------------


def save_details(*, draft: Draft, applicant: dict[str, str], form: dict[str, Any], receiving_agency: str,
                 handin: str = HANDIN_ONLINE, pickup: dict[str, str] | None = None, competent_unit: str = "") -> None:
    """Keep what was typed, then check it; raises :class:`ValidationFailed` with every error.

    The applicant is the account holder (``dossiers.services.own_applicant``, the rule ``create_dossier``
    applies): name, ID number and contacts come from the account; a different one is refused."""
    _check_open(draft)
    holder = identity_of(draft.owner)  # the applicant of every dossier the wizard sends
    if holder is not None:
        applicant = dossier_services.own_applicant(applicant, holder)
    draft.data = {**draft.data, "applicant": applicant, "form": form, "receiving_agency": receiving_agency,
                  "competent_unit": competent_unit.strip()[:20],
                  # a dossier filed on a citizen's behalf is online (assisted filing): no home pickup
                  "handin": handin if handin == HANDIN_PICKUP and draft.assisted_consent_id is None else HANDIN_ONLINE,
                  "pickup": {key: str(value).strip()[:500] for key, value in (pickup or {}).items()
                             if key in PICKUP_KEYS}}
    _touch(draft)
    errors = details_errors(draft)
    if errors:
        raise ValidationFailed(errors)


def details_errors(draft: Draft) -> list[MotCuaError]:
    errors: list[MotCuaError] = []
    data = draft.data
    try:
        applicant = Applicant.model_validate({"kind": "person", **(data.get("applicant") or {})})
    except PydanticError as exc:  # reported field by field, as the wizard's inputs are named
        errors.extend(from_pydantic(e, "applicant." + ".".join(str(p) for p in e["loc"])) for e in exc.errors())
    else:
        errors.extend(dossier_services.check_applicant(applicant))
    try:
        eforms.clean(eforms.fields_of(draft.version), data.get("form") or {})
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if by_pickup(draft):
        try:
            pickups.check_booking(procedure=draft.version.procedure.code, booking=booking_of(draft))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        return errors
    points = {a.identifier_code: a for a in receiving_points(draft.version)}
    point = points.get(data.get("receiving_agency") or "")
    if point is None:
        errors.append(MotCuaError("receiving_agency_required", _("Choose the one-stop point to send the dossier to."),
                                  location="receiving_agency"))
    errors.extend(commune_errors(draft, point))
    return errors


def commune_errors(draft: Draft, point: Agency | None) -> list[MotCuaError]:
    """The competent commune of a boundary-free commune-level procedure: chosen, and one the dossier can go to
    from ``point`` (``dossiers.routing.choose_competent_unit``: of this province, existing; a merged commune
    stands for its successor, which :func:`save_details` then keeps)."""
    if not asks_commune(draft.version):
        return []
    code = str(draft.data.get("competent_unit") or "")
    if not code:
        return [MotCuaError("competent_unit_required",
                            _("Choose the commune whose People's Committee handles your dossier."),
                            location="competent_unit")]
    if point is None:
        return []
    try:
        unit = routing.choose_competent_unit(draft.version, point, code)
    except MotCuaError as exc:
        return [exc]
    if unit is not None and unit.code != code:  # merged away: keep the commune that replaced it
        draft.data = {**draft.data, "competent_unit": unit.code}
        draft.save(update_fields=["data"])
    return []


# --- home pickup: the post collects the papers at the applicant's address (``postal``) ---------------------------

def pickup_offered(version: ProcedureVersion) -> bool:
    return postal_rules.pickup_offered(version)


def by_pickup(draft: Draft) -> bool:
    """The applicant chose to have the post collect the papers (and the procedure still offers it)."""
    return draft.data.get("handin") == HANDIN_PICKUP and postal_rules.pickup_offered(draft.version)


def booking_of(draft: Draft) -> pickups.Booking:
    typed = draft.data.get("pickup") or {}
    return pickups.Booking(
        address=typed.get("address", ""), commune=typed.get("commune", ""),
        contact_name=typed.get("contact_name", ""), contact_phone=typed.get("contact_phone", ""),
        start=pickups.moment_of(typed.get("day", ""), typed.get("start", "")),
        end=pickups.moment_of(typed.get("day", ""), typed.get("end", "")),
    )


# --- step 2: the documents -------------------------------------------------------------------------------------


def components(draft: Draft) -> list[Any]:
    return list(draft.version.components.all())


def upload(*, draft: Draft, order: int, file: IO[bytes], name: str, size: int | None = None) -> DraftFile:
    """Check a file by its content and size, make it a PDF, and keep it for component ``order``."""
    _check_open(draft)
    _component(draft, order)
    checked = check_upload(file, name, size, location=f"c{order}")
    pdf = as_pdf(file, checked.content_type, name)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        DraftFile.objects.filter(draft=draft, order=order).delete()
        item = DraftFile(draft=draft, order=order, original_name=pdf_name(name)[:255], size=len(pdf), sha256=digest)
        item.file.save(item.original_name, ContentFile(pdf), save=False)
        item.save()
        _touch(draft)
    return item


def pick(*, draft: Draft, order: int, document_id: int) -> DraftFile:
    """Use a document of the applicant's data warehouse for component ``order`` (no new upload)."""
    _check_open(draft)
    component = _component(draft, order)
    document = warehouse.offers_for(draft.owner_id, component.name_vi).filter(pk=document_id).first()
    if document is None:
        raise MotCuaError("document_not_found", _("That document is not in your data warehouse for this item."),
                          location=f"c{order}")
    with transaction.atomic():
        DraftFile.objects.filter(draft=draft, order=order).delete()
        item = DraftFile.objects.create(draft=draft, order=order, stored=document, original_name=document.title[:255],
                                        size=document.size, sha256=document.sha256)
        _touch(draft)
    return item


def remove(*, draft: Draft, order: int) -> None:
    _check_open(draft)
    DraftFile.objects.filter(draft=draft, order=order).delete()
    _touch(draft)


def _component(draft: Draft, order: int) -> Any:
    items = components(draft)
    if not 1 <= order <= len(items):
        raise MotCuaError("unknown_component", _("The procedure has no component number %(order)s."),
                          {"order": order}, f"c{order}")
    return items[order - 1]


def by_eform(component: Any) -> bool:
    """The component is the declaration the procedure's e-form replaces: the applicant filled it in at step 1."""
    return bool(component.filled_by_eform and component.version.eform)


def must_upload(component: Any) -> bool:
    """A required component must be attached online unless the state already holds it (``reusable``: the
    agency takes it from the national databases by the applicant's ID; Decree 45/2020 forbids asking again) or
    it is the declaration the e-form already is."""
    return bool(component.required and not component.reusable and not by_eform(component))


def documents_errors(draft: Draft) -> list[MotCuaError]:
    if by_pickup(draft):
        return []  # the courier collects the papers; files attached now are a bonus
    given = set(draft.files.values_list("order", flat=True))
    return [
        MotCuaError("document_required", _("Attach “%(name)s”."), {"name": c.name_vi}, f"c{i}")
        for i, c in enumerate(components(draft), start=1) if must_upload(c) and i not in given
    ]


# --- step 3: how the result is received, and the fee -----------------------------------------------------------


def save_delivery(*, draft: Draft, delivery: str, address: str, exemptions: list[str]) -> None:
    _check_open(draft)
    draft.data = {**draft.data, "delivery": delivery, "delivery_address": address.strip()[:500],
                  "exemptions": sorted(set(exemptions))}
    _touch(draft)
    errors = delivery_errors(draft)
    if errors:
        raise ValidationFailed(errors)


def delivery_errors(draft: Draft) -> list[MotCuaError]:
    data, version = draft.data, draft.version
    errors = []
    if data.get("delivery") not in version.result_delivery:
        errors.append(MotCuaError("delivery_not_offered", _("Choose how to receive the result."), location="delivery"))
    if data.get("delivery") == Delivery.POST and not data.get("delivery_address"):
        errors.append(MotCuaError("address_required", _("Give the address the post should deliver the result to."),
                                  location="delivery_address"))
    offered = {e["code"] for e in fees.exemptions_of(version)}
    if set(data.get("exemptions") or []) - offered:
        errors.append(MotCuaError("unknown_exemption", _("Choose exemptions from the list."), location="exemptions"))
    return errors


def quote(draft: Draft) -> fees.FeeQuote:
    return fees.quote(draft.version, draft.data.get("exemptions") or [], draft.data.get("form") or {})


# --- step 4: review and submit ---------------------------------------------------------------------------------


def all_errors(draft: Draft) -> dict[str, list[MotCuaError]]:
    return {"details": details_errors(draft), "documents": documents_errors(draft),
            "delivery": delivery_errors(draft)}


def submit(*, draft_id: Any, actor: Actor) -> Dossier:
    """Turn the draft into an online dossier with its files, once (a repeated submit returns the same dossier)."""
    with atomic_with_files():
        draft = Draft.objects.select_for_update(of=("self",)).select_related(
            "version", "version__procedure", "owner__citizen").prefetch_related(
            "version__components").get(Q(owner_id=actor.user_id) | Q(assisted_consent__staff_id=actor.user_id),
                                        pk=draft_id)  # components: read twice below
        if draft.dossier_id is not None:
            return Dossier.objects.get(pk=draft.dossier_id)
        _check_open(draft)
        on_behalf = None
        consent = None
        if draft.assisted_consent_id is not None and draft.owner_id != actor.user_id:
            consent = assisted.usable(actor=actor, consent_id=draft.assisted_consent_id, lock=True)
            holder = identity_of(draft.owner)
            assert holder is not None
            on_behalf = dossier_services.OnBehalf(account=draft.owner_id, identity=holder,
                                                  note=assisted.event_note(consent), data=assisted.event_data(consent))
        errors = [error for group in all_errors(draft).values() for error in group]
        if errors:
            raise ValidationFailed(errors)
        data = draft.data
        files = list(draft.files.select_related("stored").order_by("order"))
        given = {f.order for f in files}
        # the declaration the e-form replaces arrives as the e-form's data (form_data)
        eform = [i for i, c in enumerate(components(draft), start=1) if by_eform(c) and i not in given]
        payload = {
            "procedure": draft.version.procedure.code, "channel": Channel.ONLINE,
            "receiving_agency": data["receiving_agency"], "applicant": {"kind": "person", **data["applicant"]},
            "competent_unit": data.get("competent_unit", "") if asks_commune(draft.version) else "",
            "components": sorted([{"order": f.order, "originals": 0, "copies": 1, "received": True} for f in files]
                                 + [{"order": i, "originals": 0, "copies": 0, "received": True} for i in eform],
                                 key=lambda item: item["order"]),
            "delivery": data["delivery"], "delivery_address": data.get("delivery_address", ""),
            "form": data.get("form") or {}, "exemptions": data.get("exemptions") or [],
        }
        if by_pickup(draft) and on_behalf is None:  # a paper dossier: the courier receives the components on collection
            payload["components"] = []
            dossier, _pickup = pickups.book(actor=actor, data=payload, booking=booking_of(draft),
                                            idempotency_key=f"draft:{draft.pk}")
        else:
            if on_behalf is not None:
                payload["channel"] = Channel.ONLINE
                payload.pop("handin", None)
            dossier, _new = dossier_services.create_dossier(actor=actor, idempotency_key=f"draft:{draft.pk}",
                                                            data=payload, on_behalf=on_behalf)
            if consent is not None:
                assisted.record_use(consent=consent, actor=actor, dossier=dossier)
        # her documents, attached as her own dossier's; filed on her behalf, the staff member who uploaded them
        # is the events' actor, for their agency, with the consent's data
        owner = Actor.for_user(draft.owner) if on_behalf is not None else None
        filed_by = {"filed_on_behalf_by": actor.user_id, "on_behalf": on_behalf.data} if on_behalf is not None else {}
        with ExitStack() as handles:  # the draft's files, each opened until the transaction ends
            dossier_services.attach_files(dossier.code, actor=actor, on_behalf_of=owner,
                                          agency_id=on_behalf.agency_id if on_behalf is not None else None, files=[
                dossier_services.NewFile(
                    handles.enter_context((item.stored.file if item.stored is not None else item.file).open("rb")),
                    item.original_name, AttachmentKind.SCAN, item.order,
                    extra={**({"from_warehouse": item.stored_id} if item.stored_id else {}), **filed_by} or None,
                    checked=CheckedFile(item.stored.content_type if item.stored else "application/pdf", item.size,
                                        item.sha256),
                )
                for item in files
            ])
        draft.dossier = dossier
        draft.save(update_fields=["dossier", "updated_at"])
    return dossier


def open_draft_file(item: DraftFile) -> IO[bytes]:
    """The file given for a draft's component, checked against the SHA-256 recorded when it was given (a
    data-warehouse document against its own): ``dossiers.integrity.FileAltered`` if it was changed since."""
    if item.stored is not None:
        return warehouse.open_document(item.stored)
    return open_checked(item.file, item.sha256, Subject(AlertSubject.DRAFT_FILE, item.pk))


def restart(*, draft: Draft) -> Draft:
    """A new draft from an expired one, on the version in force now, with what was entered and the files of
    the components that are still asked for."""
    fresh = start(owner=draft.owner, code=draft.version.procedure.code)
    fresh.data = {**fresh.data, **{k: v for k, v in draft.data.items() if v}}
    fresh.save()
    by_name = {c.name_vi: i for i, c in enumerate(components(fresh), start=1)}
    old = components(draft)
    for item in draft.files.all():
        name = old[item.order - 1].name_vi if item.order <= len(old) else None
        if name in by_name:
            DraftFile.objects.create(draft=fresh, order=by_name[name], file=item.file.name if item.file else "",
                                     stored=item.stored, original_name=item.original_name, size=item.size,
                                     sha256=item.sha256)
    return fresh


# --- after submission: the applicant's own actions --------------------------------------------------------------


def supplement(*, dossier: Dossier, actor: Actor, files: dict[int, Any], note: str = "") -> Dossier:
    """Answer a supplement request online: one file per missing item, then the dossier goes back to the agency.
    The machine decides first (as it decides whether the page shows the form), before any file is read."""
    authorize(dossier, EventKind.SUPPLEMENT, actor)
    missing = missing_items(dossier)
    if not missing:
        raise MotCuaError("no_supplement_requested", _("No supplement is requested for this dossier now."))
    if not files:
        raise ValidationFailed([MotCuaError("supplement_file_required",
                                            _("Attach at least one of the requested documents."), location="m0")])
    by_name = {c.name: c.order for c in dossier.components.all()}
    with atomic_with_files():  # a later file refused: the earlier ones are not kept either
        received = []
        for index, upload_file in sorted(files.items()):
            if not 0 <= index < len(missing):
                continue
            checked = check_upload(upload_file, upload_file.name, upload_file.size, location=f"m{index}")
            pdf = as_pdf(upload_file, checked.content_type, upload_file.name)
            order = by_name.get(missing[index]["document"])
            dossier_services.attach(dossier.code, actor=actor, file=ContentFile(pdf), name=pdf_name(upload_file.name),
                                    kind=AttachmentKind.SUPPLEMENT, component=order,
                                    extra={"missing": missing[index]["document"]})
            if order is not None:
                received.append(order)
        return dossier_services.perform(dossier.code, EventKind.SUPPLEMENT, actor=actor,
                                        params={"received": received, "note": note[:2000]})
