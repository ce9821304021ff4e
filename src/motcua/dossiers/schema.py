"""What each dossier action is given, validated at the boundary (API bodies and workspace forms alike).

Yes/no values are strict (``StrictBool``): a JSON ``0`` or ``"no"`` is not a boolean (found by schemathesis:
``"receive": 0`` used to be read as false); the forms pass real booleans."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from motcua.core.values import Integer, IsoDateTime
from motcua.dossiers.statuses import EventKind

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = ""


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["person", "organization"] = "person"
    name: Name
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] = ""
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ComponentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order: Integer = Field(ge=1, description="The component's number in the procedure's list (1, 2, …)")
    originals: Integer = Field(default=0, ge=0, le=99)
    copies: Integer = Field(default=0, ge=0, le=99)
    received: StrictBool = True


class DossierIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "procedure": "1.000894", "channel": "counter",
        "applicant": {"name": "Nguyễn Văn An", "id_number": "022090001234", "phone": "0912345678"},
        "components": [{"order": 1, "originals": 1}],
    }]})
    procedure: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    channel: Literal["online", "counter", "post_office", "home_pickup"]
    receiving_agency: str = Field(default="", description="Identifier code of the receiving point; "
                                  "defaults to the caller's reception point")
    counter: Integer | None = Field(default=None, ge=1)
    competent_unit: str = Field(default="", description="Commune code, for a boundary-free procedure "
                                "received outside the competent commune")
    applicant: Applicant
    components: list[ComponentIn] = Field(default_factory=list)
    delivery: Literal["counter", "post", "electronic"] = "counter"
    delivery_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    receive: StrictBool = Field(default=True, description="At a counter or post office: accept at once "
                          "(needs every required component)")
    form: dict[str, Any] = Field(default_factory=dict, description="The procedure's e-form, by field name "
                                 "(see the procedure's `eform`)")
    exemptions: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Codes of the fee exemptions the applicant declares")
    note: Text = ""


class Missing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: Name
    reason: Reason


class RequestSupplement(Params):
    missing: list[Missing] = Field(min_length=1)


class Supplement(Params):
    received: list[Integer] = Field(default_factory=list, description="Numbers of the components that arrived now")


class Refuse(Params):
    reasons: Reason


class Transfer(Params):
    agency: str = Field(default="", description="Identifier code of another agency, for inter-agency handling")


class Assign(Params):
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]


class Forward(Params):
    pass


class SendBack(Params):
    to_step: Integer = Field(ge=1, description="Number of the earlier step (1 is the first step after reception)")
    reason: Reason


class Pause(Params):
    kind: Literal["financial", "verification", "other"] = "other"
    reason: Reason


class Resume(Params):
    pass


class Approve(Params):
    pass


class IssueResult(Params):
    attachment: Integer | None = Field(
        default=None, description="Id of the draft or result file to issue (default: the latest draft)")
    pin: Annotated[str, StringConstraints(max_length=64)] = Field(
        default="", description="PIN of the signer's certificate: the result is signed with it, then sealed")
    presigned: StrictBool = Field(
        default=False, description="The file is already signed elsewhere: its signatures are checked, not added")


class ReturnResult(Params):
    delivery: Literal["counter", "post", "electronic"]
    recipient: Name


class Withdraw(Params):
    reason: Reason


class Apologize(Params):
    new_due_at: IsoDateTime
    reason: Reason


class Receive(Params):
    received: list[Integer] = Field(default_factory=list, description="Numbers of the components that arrived now")


ACTION_PARAMS: dict[str, type[Params]] = {
    EventKind.RECEIVE: Receive,
    EventKind.REQUEST_SUPPLEMENT: RequestSupplement,
    EventKind.SUPPLEMENT: Supplement,
    EventKind.REFUSE: Refuse,
    EventKind.TRANSFER: Transfer,
    EventKind.ASSIGN: Assign,
    EventKind.FORWARD: Forward,
    EventKind.SEND_BACK: SendBack,
    EventKind.PAUSE: Pause,
    EventKind.RESUME: Resume,
    EventKind.APPROVE: Approve,
    EventKind.ISSUE_RESULT: IssueResult,
    EventKind.RETURN_RESULT: ReturnResult,
    EventKind.WITHDRAW: Withdraw,
    EventKind.APOLOGIZE: Apologize,
}
