"""The official slips of a dossier as PDF, after the forms of Circular 01/2018/TT-VPCP (Mẫu số 01–05).

- ``receipt`` (Mẫu 01): receipt of the dossier and appointment for the result;
- ``supplement`` (Mẫu 02): request to supplement or complete the dossier;
- ``refusal`` (Mẫu 03): refusal to receive and handle the dossier;
- ``apology`` (Mẫu 04): apology and new appointment date (its title follows the dossier's one-stop rules);
- ``control`` (Mẫu 05): control of the handling process, one row per hand-over (:func:`control_rows`).

The slips are legal forms, so their text is fixed Vietnamese in the templates
(``dossiers/templates/dossiers/slips/``); this module only gathers the facts, formats moments in Vietnam time
(dd/mm/yyyy, HH:MM) and amounts in đồng (dots as thousands separators), and renders the HTML with WeasyPrint.
Nothing is fetched from the network: the QR code is an inline SVG data URI and only ``data:`` URLs are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency
from motcua.agencies.selectors import superior_body
from motcua.core.calendar import WorkingCalendar
from motcua.core.errors import NotFound
from motcua.core.formats import moment, qr_data_uri, vnd, working_days
from motcua.dossiers import deadlines, rules, selectors
from motcua.dossiers.messages import tracking_url
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import EventKind, Status
from motcua.geo.models import AdministrativeUnit
from motcua.signing.services import seal_document

SLIP_KINDS: dict[str, Promise] = {
    "receipt": _("Receipt and appointment for the result (form 01)"),
    "supplement": _("Request to supplement the dossier (form 02)"),
    "refusal": _("Refusal to receive the dossier (form 03)"),
    "apology": _("Apology and new appointment date (form 04)"),
    "control": _("Control slip of the handling process (form 05)"),
}

# The form number of each slip in the Circular's appendix.
FORM_NUMBERS = {"receipt": "01", "supplement": "02", "refusal": "03", "apology": "04", "control": "05"}

# Events that hand the dossier over even when the workflow step does not change.
HANDOVER_ACTIONS = frozenset({
    EventKind.SUBMIT, EventKind.RECEIVE, EventKind.TRANSFER, EventKind.FORWARD, EventKind.APPROVE,
    EventKind.ISSUE_RESULT, EventKind.SEND_BACK, EventKind.RETURN_RESULT,
})
# Hand-overs by which the applicant gives the dossier to the one-stop point (nothing to judge on time).
FROM_APPLICANT = frozenset({EventKind.SUBMIT, EventKind.RECEIVE})

# The receipt prints the address of the satisfaction survey, which belongs to ``feedback``, a higher app: it
# registers the function that gives a dossier's survey address (:func:`survey_url_with`, from its AppConfig.ready).
_survey_url: Callable[[str], str] | None = None


def survey_url_with(func: Callable[[str], str]) -> None:
    """Register the function that gives the survey address printed on a dossier's receipt (by dossier code)."""
    global _survey_url
    _survey_url = func


# Likewise the bank transfer QR code (VietQR) printed on the receipt while a fee is due belongs to ``payments``:
# it registers the function that gives it for a dossier (:func:`transfer_qr_with`): a mapping with ``data_uri``,
# ``amount``, ``bank_bin``, ``account``, ``account_name`` and ``note``, or None when nothing is to be paid.
_transfer_qr: Callable[[Dossier], Mapping[str, Any] | None] | None = None


def transfer_qr_with(func: Callable[[Dossier], Mapping[str, Any] | None]) -> None:
    """Register the function that gives the VietQR block printed on a dossier's receipt slip."""
    global _transfer_qr
    _transfer_qr = func



def place_name(agency: Agency) -> str:
    """The province printed before the date: ``Quảng Ninh`` (without ``Tỉnh``/``Thành phố``)."""
    unit: AdministrativeUnit | None = agency.unit
    while unit is not None and not unit.is_province and unit.parent_id is not None:
        unit = unit.parent
    name = unit.name if unit is not None else ""
    for prefix in ("Thành phố ", "Tỉnh ", "TP. "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# --- the control slip's rows ---------------------------------------------------------------------------

# The control slip (Mẫu 05) is a form of the law, printed in Vietnamese whatever the reader's language.
HANDOVER_LABELS: dict[str, str] = {
    EventKind.SUBMIT: "Nộp hồ sơ",
    EventKind.RECEIVE: "Tiếp nhận hồ sơ",
    EventKind.FORWARD: "Chuyển bước tiếp theo",
    EventKind.APPROVE: "Phê duyệt",
    EventKind.ISSUE_RESULT: "Ký, ban hành kết quả",
    EventKind.SEND_BACK: "Trả lại bước trước",
    EventKind.RETURN_RESULT: "Trả kết quả",
}


def handover_label(action: str, from_step: int | None, to_step: int | None) -> str:
    """What the control slip calls a hand-over: a transfer inside one step is a transfer to another agency."""
    if action == EventKind.TRANSFER:
        return "Chuyển cơ quan khác giải quyết" if from_step == to_step else "Chuyển hồ sơ đến cơ quan giải quyết"
    return HANDOVER_LABELS.get(action, action)



def _step_due(cal: WorkingCalendar, state: dict[str, Any], plan: list[dict[str, Any]], index: int | None
              ) -> datetime | None:
    """The due moment of the step being left, as the dossier recorded it (pauses and supplements included);
    computed with ``deadlines.step_due`` from the step's start when the log does not carry it."""
    if index is None or not 0 <= index < len(plan):
        return None
    due = moment(state.get("step_due_at"))
    if due is not None:
        return due.value
    started = moment(state.get("step_started_at"))
    return deadlines.step_due(cal, started.value, plan[index]) if started is not None else None


def control_rows(dossier: Dossier, events: list[Event] | None = None,
                 calendar: WorkingCalendar | None = None) -> list[dict[str, Any]]:
    """One row per hand-over of the dossier, oldest first, for the control slip (Mẫu 05) and elsewhere.

    A hand-over is an event that moves the dossier to another workflow step, or one of ``HANDOVER_ACTIONS``
    (submission, acceptance, transfer, forward, approval, issuing, sending back, returning the result). The
    dossier's state is replayed from the events' ``changes`` so each row uses the plan, step start and step due
    moment in force at that time. Each row is a dict:

    ``seq``, ``action``, ``label`` (the slip's Vietnamese name for it), ``at`` (aware datetime) and
    ``moment`` (:class:`Moment`);
    ``from_step``/``to_step`` (indexes) and ``from_step_name``/``to_step_name``;
    ``giver_agency``/``giver_name`` (for a submission: no agency, the applicant's name);
    ``receiver_agency``/``receiver_name`` (for a return of the result: no agency, who received it);
    ``from_applicant``/``to_applicant`` (bools);
    ``due_at`` (the due moment of the step handed on, or ``None``) and ``due`` (:class:`Moment`);
    ``timeliness``: ``"early"``, ``"on_time"``, ``"late"`` (``Timeliness`` values) or ``""`` when not judged.
    """
    if events is None:
        events = list(Event.objects.filter(dossier=dossier).select_related("agency").order_by("seq"))
    cal = calendar or deadlines.calendar()
    state: dict[str, Any] = {}
    raw: list[dict[str, Any]] = []
    agency_ids: set[int] = set()
    for event in events:
        before = dict(state)
        state.update(event.changes or {})
        handover = event.action in HANDOVER_ACTIONS or (
            event.from_step is not None and event.to_step is not None and event.from_step != event.to_step
        )
        if not handover:
            continue
        plan_before: list[dict[str, Any]] = before.get("plan") or state.get("plan") or dossier.plan
        plan_after: list[dict[str, Any]] = state.get("plan") or dossier.plan
        from_applicant = event.action in FROM_APPLICANT
        to_applicant = event.action == EventKind.RETURN_RESULT
        receiver_id: int | None = None
        if from_applicant:
            receiver_id = dossier.receiving_agency_id
        elif not to_applicant and event.to_step is not None and 0 <= event.to_step < len(plan_after):
            receiver_id = plan_after[event.to_step].get("agency")
        due_at = None
        if not from_applicant:
            due_at = _step_due(cal, before, plan_before, event.from_step)
        row: dict[str, Any] = {
            "seq": event.seq,
            "action": event.action,
            "label": handover_label(event.action, event.from_step, event.to_step),
            "at": event.at,
            "moment": moment(event.at),
            "from_step": event.from_step,
            "to_step": event.to_step,
            "from_step_name": _step_name(plan_before, event.from_step),
            "to_step_name": _step_name(plan_after, event.to_step),
            "giver_id": None if from_applicant else event.agency_id,
            "giver_name": dossier.applicant_name if from_applicant else event.actor_name,
            "receiver_id": receiver_id,
            "receiver_name": (
                (state.get("returned_to") or dossier.returned_to or dossier.applicant_name) if to_applicant
                else event.actor_name if from_applicant and dossier.paper
                else ""
            ),
            "from_applicant": from_applicant,
            "to_applicant": to_applicant,
            "due_at": due_at,
            "due": moment(due_at),
            "timeliness": str(deadlines.judge(event.at, due_at)) if due_at is not None and not from_applicant else "",
        }
        agency_ids.update(a for a in (row["giver_id"], receiver_id) if a)
        raw.append(row)
    names = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    for row in raw:
        row["giver_agency"] = names.get(row.pop("giver_id"), "")
        row["receiver_agency"] = names.get(row.pop("receiver_id"), "")
    return raw


def handed_in(components: list[Any]) -> list[Any]:
    """The components actually handed in, for the receipt (form 01): received, and given on paper (an original
    or a copy counted) or as a file (``c.files``: an online dossier's documents). Never a "0/0" line."""
    result = []
    for component in components:
        files = len(component.attachments.all())
        if component.received and (component.originals or component.copies or files):
            component.files = files
            result.append(component)
    return result


def _step_name(plan: list[dict[str, Any]], index: int | None) -> str:
    if index is None or not 0 <= index < len(plan):
        return ""
    return str(plan[index].get("name", ""))


# --- which slips, and rendering ------------------------------------------------------------------------


def _events(dossier: Dossier) -> list[Event]:
    return list(Event.objects.filter(dossier=dossier).select_related("agency", "agency__parent").order_by("seq"))


def _last(events: list[Event], *actions: str) -> Event | None:
    for event in reversed(events):
        if event.action in actions:
            return event
    return None


def _available(dossier: Dossier, events: list[Event]) -> list[str]:
    ready = {
        "receipt": dossier.received_at is not None,
        "supplement": _last(events, EventKind.REQUEST_SUPPLEMENT) is not None,
        "refusal": dossier.status == Status.REFUSED,
        "apology": dossier.apology_due_at is not None,
        "control": dossier.received_at is not None,
    }
    return [kind for kind in SLIP_KINDS if ready[kind]]


def available_slips(dossier: Dossier) -> list[str]:
    """The slips that exist for the dossier now, in the order of ``SLIP_KINDS``."""
    return _available(dossier, _events(dossier))


def slip_context(dossier: Dossier, kind: str, whole: bool = True) -> dict[str, Any]:
    """Everything the slip templates print, from the dossier as stored now (not the possibly stale instance).
    ``whole``: the applicant's personal data as is (the applicant, handling staff), else masked
    (``dossiers.selectors.sees_personal_data`` decides).

    Raises :class:`NotFound` (``slip_not_available``) for an unknown kind or a slip that does not exist yet.
    """
    fresh = (
        Dossier.objects.select_related("version", "procedure", "receiving_agency__parent",
                                       "receiving_agency__unit__parent", "competent_unit")
        .filter(pk=dossier.pk).first()
    )
    events = _events(fresh) if fresh is not None else []
    if fresh is None or kind not in SLIP_KINDS or kind not in _available(fresh, events):
        raise NotFound("slip_not_available", _("This slip does not exist for dossier %(code)s yet."),
                       {"code": dossier.code}, "kind")
    dossier = fresh
    ruleset = rules.ruleset(dossier.rules_version)
    agency = dossier.receiving_agency
    received_by = _last(events, EventKind.RECEIVE) or _last(events, EventKind.SUBMIT)
    url = tracking_url(dossier)
    components = list(dossier.components.prefetch_related("attachments"))
    context: dict[str, Any] = {
        "kind": kind,
        "form_number": FORM_NUMBERS[kind],
        "dossier": dossier,
        "applicant": selectors.applicant_data(dossier, whole=whole),
        "code": dossier.code,
        "rules": ruleset,
        "agency": agency,
        # the commune that handles a boundary-free dossier (received at another commune's point, or online)
        "competent_unit": dossier.competent_unit,
        "superior": superior_body(agency),
        "place": place_name(agency),
        "tracking_url": url,
        "qr": qr_data_uri(url),
        "procedure": dossier.version.name_vi,
        "processing_days": working_days(dossier.version.processing_days),
        "fee": vnd(dossier.fee_total),
        "components": components,
        # only what was handed in: received, with its originals/copies, or given as files (online)
        "received_components": handed_in(components),
        "submitted": moment(dossier.submitted_at),
        "received": moment(dossier.received_at),
        "due": moment(dossier.due_at),
        "promised": moment(dossier.promised_at),
        "officer": received_by.actor_name if received_by else "",
        "issued": moment(dossier.received_at or dossier.submitted_at),
    }
    if kind == "supplement":
        event = _last(events, EventKind.REQUEST_SUPPLEMENT)
        assert event is not None
        context.update(
            event=event, issued=moment(event.at), officer=event.actor_name,
            missing=list(event.data.get("missing") or []),
            requesting_agency=event.agency or agency,
            at_reception=event.data.get("phase") == "reception",
        )
    elif kind == "refusal":
        event = _last(events, EventKind.REFUSE)
        context.update(
            event=event, issued=moment(event.at if event else dossier.closed_at), officer=event.actor_name if event
            else "", reasons=str((event.data.get("reasons") if event else "") or ""),
            refusing_agency=(event.agency if event else None) or agency,
        )
    elif kind == "apology":
        event = _last(events, EventKind.APOLOGIZE)
        issuer = (event.agency if event else None) or agency
        context.update(
            event=event, issued=moment(event.at if event else None) or context["received"],
            officer=event.actor_name if event else "",
            reason=str((event.data.get("reason") if event else "") or ""),
            previous_due=moment(event.data.get("previous_due_at") if event else None) or context["due"],
            new_due=moment(dossier.apology_due_at), apology_title=ruleset.apology_title,
            agency=issuer, superior=superior_body(issuer), receiving_agency=agency,
        )
    elif kind == "receipt":
        # the one-minute satisfaction survey of this receipt (Decision 766/QĐ-TTg: satisfaction), beside tracking
        survey = _survey_url(dossier.code) if _survey_url is not None else ""
        context.update(survey_url=survey, survey_qr=qr_data_uri(survey) if survey else "",
                       transfer=_transfer_qr(dossier) if _transfer_qr is not None else None)
    elif kind == "control":
        rows = control_rows(dossier, events)
        handling = []
        for step in dossier.plan:
            if step.get("agency") and step["agency"] != agency.pk and step["agency"] not in handling:
                handling.append(step["agency"])
        names = dict(Agency.objects.filter(pk__in=handling).values_list("pk", "name"))
        context.update(
            rows=rows, handling_agencies=[names[a] for a in handling if a in names],
        )
    return context


def render_slip_html(dossier: Dossier, kind: str, whole: bool = True) -> str:
    context = slip_context(dossier, kind, whole)
    with translation.override("vi"):
        return render_to_string(f"dossiers/slips/{kind}.html", context)


def render_slip(dossier: Dossier, kind: str, whole: bool = True) -> bytes:
    """The slip ``kind`` of ``dossier`` as an A4 PDF. Raises :class:`NotFound` (``slip_not_available``).
    Its QR code points to ``MOTCUA_PUBLIC_URL``, else to the address the slip is requested from;
    ``whole=False`` masks the applicant's ID number, contacts and address."""
    from weasyprint import HTML, URLFetcher

    html = render_slip_html(dossier, kind, whole)
    fetcher = URLFetcher(allowed_protocols=["data"])  # no network, no files: only the inline QR code
    pdf = bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())
    return seal_document(pdf, reason=f"Phiếu của hồ sơ {dossier.code}")
