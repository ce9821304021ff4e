"""The API's response models, query parameters and action bodies: every name in the OpenAPI document is unique.

Response models are plain pydantic (the endpoints return dicts). Measured on a 20-item search page: 0.09 ms to
validate and dump, against 1.46 ms with ninja's ``Schema`` (which wraps every nested object to read Django
models). What the services validate themselves (``DossierIn``, the actions' ``Params``) stays in
``dossiers/schema.py``; an action's body here is its ``Params`` plus the ``revision`` the caller last saw.

Enumerated values are listed in the document (``enum``); where the service refuses an unknown value with its own
error code (``unknown_status``, ``unknown_level``…), the parameter is validated there, not by the schema, so that
the code stays what it was.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, JsonValue, create_model

from motcua.agencies.models import AgencyKind, Role
from motcua.catalog.eforms import FieldType
from motcua.catalog.models import Channel, Delivery, Level, OnlineLevel
from motcua.catalog.models import Status as VersionStatus
from motcua.core.values import Integer, IsoDate
from motcua.dossiers.machine import ACTIONS
from motcua.dossiers.models import ApplicantKind, AttachmentKind, Timeliness
from motcua.dossiers.schema import ACTION_PARAMS
from motcua.dossiers.slips import SLIP_KINDS
from motcua.dossiers.statuses import EventKind, Status


def one_of(values: list[str], description: str = "") -> Any:
    """A text field whose valid values the document lists (``enum``)."""
    enum: list[JsonValue] = list(values)
    return Field(json_schema_extra={"enum": enum}, description=description or None)


EVENT_KINDS = list(EventKind.values)
ACTION_NAMES = list(ACTIONS)

StatusName = Annotated[str, one_of(list(Status.values))]
ChannelName = Annotated[str, one_of(list(Channel.values))]
DeliveryName = Annotated[str, one_of(list(Delivery.values))]
RoleName = Annotated[str, one_of(list(Role.values))]
AgencyKindName = Annotated[str, one_of(list(AgencyKind.values))]
ActionName = Annotated[str, one_of(ACTION_NAMES)]
EventKindName = Annotated[str, one_of(EVENT_KINDS)]
# a certified copy is made by certifying a component (``services.certification``), never uploaded as one
AttachmentKindName = Annotated[str, one_of([k for k in AttachmentKind.values if k != AttachmentKind.CERTIFIED_COPY])]


class Out(BaseModel):
    """A response model."""


class ErrorOut(Out):
    """Every refusal: a stable code, the message in Vietnamese and English, where the fault is, and for
    ``validation_failed`` each error found."""

    error: str
    message: dict[str, str]
    location: str | None = None
    errors: list[ErrorOut] | None = None


# The refusals every operation may answer (the input boundary refuses bad text with 400 and oversized bodies with
# 413 before any endpoint runs); the authenticated ones add 401 and 403.
PUBLIC_ERRORS: dict[int, type] = {400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}
ERRORS: dict[int, type] = {**PUBLIC_ERRORS, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}


# --- the catalogue -----------------------------------------------------------------------------------------------


class CatalogFieldOut(Out):
    code: str
    name: str
    name_en: str


class FeeOut(Out):
    name: str
    amount: int
    note: str


class ProcedureItem(Out):
    code: str
    name: str
    name_en: str
    field: CatalogFieldOut
    level: Annotated[str, one_of(list(Level.values))]
    processing_days: float
    online_level: Annotated[str, one_of(list(OnlineLevel.values))]
    boundary_free: bool
    fees: list[FeeOut]
    url: str


class ProcedureComponentOut(Out):
    order: int = Field(description="The component's number: what `POST /dossiers` takes in `components[].order`")
    name: str
    name_en: str
    originals: int
    copies: int
    required: bool
    reusable: bool
    filled_by_eform: bool
    template_name: str
    template_url: str


class WorkflowStepOut(Out):
    name: str
    role: RoleName
    agency_kind: AgencyKindName
    days: float


class AgencyOut(Out):
    identifier_code: str
    name: str
    kind: AgencyKindName
    address: str
    hotline: str


class EFormChoiceOut(Out):
    value: str
    label_vi: str
    label_en: str


class EFormFieldOut(Out):
    """One field of the procedure's e-form: ``POST /dossiers`` sends its value in ``form`` under ``name``."""

    name: str
    label_vi: str
    label_en: str
    type: Annotated[str, one_of(list(FieldType.__args__))]
    required: bool
    help_vi: str
    help_en: str
    max_length: int
    min_value: float | None
    max_value: float | None
    choices: list[EFormChoiceOut] = Field(description="For a `select`: the values it accepts")


class ProcedureDetail(ProcedureItem):
    version: int
    effective_from: str
    status: Annotated[str, one_of(list(VersionStatus.values))]
    implementing_body: str
    processing_note: str
    requirements: str
    how_to: str
    legal_basis: list[str]
    channels: list[ChannelName]
    result_delivery: list[DeliveryName]
    components: list[ProcedureComponentOut]
    eform: list[EFormFieldOut]
    results: list[str]
    workflow: list[WorkflowStepOut]
    agencies: list[AgencyOut]
    decision_no: str


class ProcedurePage(Out):
    count: int
    limit: int
    offset: int
    items: list[ProcedureItem]


class ProcedureSearch(BaseModel):
    q: str = Field("", description="words, with or without diacritics (at most 200 characters)")
    field: str = Field("", description="field code")
    level: Annotated[str, one_of(["", *Level.values])] = ""
    agency: str = Field("", description="identifier code of a receiving agency")
    boundary_free: bool = Field(False, description="only procedures received regardless of administrative "
                                "boundaries (any service point of the province)")
    limit: Integer = Field(20, ge=1, le=100)
    offset: Integer = Field(0, ge=0, le=100_000)


class DueDateOut(Out):
    code: str
    processing_days: float
    received_at: datetime
    due_at: datetime


# --- dossiers --------------------------------------------------------------------------------------------------


class DossierComponentOut(Out):
    order: int
    name: str
    required: bool
    originals: int
    copies: int
    received: bool


class AttachmentOut(Out):
    id: int
    kind: AttachmentKindName
    name: str
    content_type: str
    size: int
    sha256: str
    component: int | None


class PlanStepOut(Out):
    number: int
    name: str
    role: RoleName
    agency: str


class ApplicantOut(Out):
    kind: Annotated[str, one_of(list(ApplicantKind.values))]
    name: str
    id_number: str
    phone: str
    email: str
    address: str


class DossierSummary(Out):
    code: str
    status: StatusName
    status_label: str
    national_status: int | None
    procedure: str
    procedure_name: str
    channel: ChannelName
    receiving_agency: str
    current_agency: str | None
    current_role: Annotated[str, one_of(["", *Role.values])]
    step: int
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    step_due_at: datetime | None
    apology_due_at: datetime | None
    overdue: bool
    step_overdue: bool
    ack_overdue: bool = Field(description="An online dossier not yet accepted after 8 working hours")
    timeliness: Annotated[str, one_of(["", *Timeliness.values])]
    revision: int


class CompetentUnitOut(Out):
    code: str = Field(description="The administrative unit's code (5 digits for a commune)")
    name: str


class DossierDetail(DossierSummary):
    competent_unit: CompetentUnitOut | None = Field(
        description="The commune competent for a commune-level dossier (received regardless of boundary when it "
                    "is not the receiving point's); null for a province-level one")
    applicant: ApplicantOut
    delivery: DeliveryName
    delivery_address: str
    fee_total: int
    fee_due: int = Field(description="What is still to pay (VND); while it is not 0 the result is not released "
                                     "and the applicant does not see its file")
    rules_version: str
    plan: list[PlanStepOut]
    assignee: str | None
    components: list[DossierComponentOut]
    attachments: list[AttachmentOut]
    returned_at: datetime | None
    returned_to: str
    allowed_actions: list[ActionName] = Field(
        description="The actions the caller may take now (`POST /dossiers/{code}/actions/<name>`)")


class DossierPage(Out):
    items: list[DossierSummary]
    limit: int
    offset: int
    has_more: bool = Field(description="Lists are not counted (millions of rows); page until false.")


class DossierSearch(BaseModel):
    status: Annotated[str, one_of(["", *Status.values])] = ""
    agency: str = Field(default="", description="Identifier code: held or received there")
    procedure: str = ""
    overdue: bool | None = None
    received_from: IsoDate | None = None
    received_to: IsoDate | None = None
    limit: Integer = Field(default=25, ge=1, le=100)
    offset: Integer = Field(default=0, ge=0, le=100_000)


class EventOut(Out):
    seq: int
    action: EventKindName
    at: datetime
    actor: str
    role: str
    agency: str | None
    from_status: Annotated[str, one_of(["", *Status.values])]
    to_status: StatusName
    from_step: int | None
    to_step: int | None
    note: str
    data: dict[str, Any]
    hash: str


class MilestoneOut(Out):
    at: datetime
    action: EventKindName
    label: str


class TrackOut(Out):
    code: str
    procedure: str
    procedure_code: str
    received_at_agency: str
    status: StatusName
    status_label: str
    national_status: int | None
    step: str
    step_agency: str
    submitted_at: datetime
    due_at: datetime | None
    overdue: bool
    returned_at: datetime | None
    milestones: list[MilestoneOut]


SlipKind = Annotated[str, one_of(list(SLIP_KINDS))]


def _body(action: str) -> type[BaseModel]:
    """The body of ``POST /dossiers/{code}/actions/<action>``: the action's parameters (``dossiers.schema``) and
    the ``revision`` the caller last saw; any other key is refused (422 ``extra_forbidden`` naming it)."""
    params = ACTION_PARAMS[action]
    model: type[BaseModel] = create_model(
        f"{params.__name__}Action",
        __base__=params,
        __doc__=f"The body of the action `{action}`. " + (
            "With the `revision` you last saw: if the dossier changed since, you get 409 `dossier_changed`."),
        revision=(Integer | None, Field(default=None, description="The dossier's revision you last saw")),
    )
    return model


ACTION_BODIES: dict[str, type[BaseModel]] = {action: _body(action) for action in ACTION_NAMES}


# --- verification of results (public) ----------------------------------------------------------------------------


class SignatureOut(Out):
    signer_name: str
    organization: str
    issuer_name: str
    kind: Literal["signature", "seal"]
    signing_time: datetime | None
    timestamp_time: datetime | None = Field(description="The trusted time of an RFC 3161 timestamp, if any")
    intact: bool
    trusted: bool
    revocation: Literal["good", "revoked", "unknown"] = Field(description="At signing time")
    covers_whole_file: bool


class RegisteredResultOut(Out):
    """What the register says of a result, as much as a stranger may see (no ID number, no address)."""

    document: str
    agency: str
    register_number: str
    issued_at: datetime
    valid_until: date | None
    holder: str = Field(description="The holder's name, given names as initials (a business: its name)")
    dossier_code: str
    procedure_code: str
    verification_code: str = Field(description="Checks this result alone: GET /api/v1/verify/{verification_code}")


class VerificationOut(Out):
    verdict: Literal["valid", "valid_not_registered", "altered", "unsigned", "untrusted", "storage_altered",
                     "not_a_pdf", "choose"]
    verdict_label: str
    result: RegisteredResultOut | None
    matches_register: bool | None = Field(description="The file is byte for byte the one the register holds")
    sha256: str
    signatures: list[SignatureOut]
