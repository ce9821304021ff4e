"""The catalogue exchange format (docs/catalog-format.md) as pydantic models: the one place its rules live.

Import validates a whole file against :class:`CatalogFile` before anything is written; the API reuses the
output models. Rule violations raise ``PydanticCustomError`` with our own error codes so that
:mod:`motcua.catalog.services` can show them in Vietnamese and English.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from motcua.catalog.eforms import EFormField
from motcua.catalog.result_fields import default_book

FORMAT_NAME: Literal["motcua-catalog"] = "motcua-catalog"
FORMAT_VERSION: Literal[1] = 1
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{2,39}$")
FIELD_CODE_PATTERN = re.compile(r"^[0-9A-Za-z._-]{1,20}$")

LevelT = Literal["central", "province", "commune", "district"]
OnlineLevelT = Literal["full", "partial", "none"]
ChannelT = Literal["online", "counter", "post_office", "home_pickup"]
DeliveryT = Literal["counter", "post", "electronic"]
StatusT = Literal["active", "suspended", "abolished"]
FeeTimingT = Literal["before_reception", "before_return", "on_delivery"]
RoleT = Literal["reception", "postal", "processing", "leader", "signer", "supervisor"]
AgencyKindT = Literal["service_center", "commune_one_stop", "specialized", "post_office", "people_committee"]

CENT = Decimal("0.01")
# Two decimals always, so that "5", 5 and "5.00" are the same content (idempotent import, stable hash).
Days = Annotated[Decimal, Field(ge=0, le=3650, decimal_places=2), AfterValidator(lambda d: d.quantize(CENT))]
Text = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicate_value", "a value is listed twice")
    return values


class FieldIn(_Strict):
    code: str
    name_vi: Annotated[str, Field(min_length=1, max_length=300)]
    name_en: Annotated[str, Field(max_length=300)] = ""

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not FIELD_CODE_PATTERN.match(value):
            raise PydanticCustomError("invalid_field_code", "not a field code: {value}", {"value": value})
        return value


class ComponentIn(_Strict):
    name_vi: Annotated[str, Field(min_length=1, max_length=500)]
    name_en: Text = ""
    originals: Annotated[int, Field(ge=0, le=99)] = 1
    copies: Annotated[int, Field(ge=0, le=99)] = 0
    required: bool = True
    reusable: bool = False
    filled_by_eform: bool = False
    template_name: Annotated[str, Field(max_length=300)] = ""
    template_url: Text = ""

    @model_validator(mode="after")
    def _some_paper(self) -> ComponentIn:
        if self.originals == 0 and self.copies == 0:
            raise PydanticCustomError("no_copies", "originals and copies cannot both be 0")
        return self


class ExemptionIn(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    name_vi: Annotated[str, Field(min_length=1, max_length=300)]
    name_en: Text = ""
    percent: Annotated[int, Field(ge=1, le=100)] = 100


class FeeIn(_Strict):
    name_vi: Annotated[str, Field(min_length=1, max_length=500)]
    amount: Annotated[int, Field(ge=0, le=10**12)]
    note: LongText = ""
    exemptions: list[ExemptionIn] = []
    per_field: Annotated[str, Field(pattern=r"^([a-z][a-z0-9_]{0,39})?$")] = ""


class ResultIn(_Strict):
    name_vi: Annotated[str, Field(min_length=1, max_length=500)]
    name_en: Text = ""


class ResultTemplateIn(_Strict):
    """A result template (``catalog.ResultTemplate``); ``result`` names one of the procedure's results by its
    ``name_vi`` (empty: none). Its body is checked against the usable fields at import (``catalog.services``)."""

    name: Annotated[str, Field(min_length=1, max_length=300)]
    result: Text = ""
    book: Annotated[str, Field(max_length=20)] = ""
    body: Annotated[str, Field(min_length=1, max_length=32000)]  # an Excel cell holds 32,767
    valid_for_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    paper: Literal["A4", "A5", "A4-landscape"] = "A4"

    @model_validator(mode="after")
    def _book(self) -> ResultTemplateIn:
        if not self.book:  # as the model does, so that the fingerprint of a re-import is the same
            self.book = default_book(self.result or self.name)
        return self


class StepIn(_Strict):
    name_vi: Annotated[str, Field(min_length=1, max_length=500)]
    role: RoleT
    agency_kind: AgencyKindT
    days: Days


class ProcedureIn(_Strict):
    code: str
    name_vi: Annotated[str, Field(min_length=1, max_length=500)]
    name_en: Text = ""
    field: str
    level: LevelT
    implementing_body: Text = ""
    processing_days: Days
    processing_note: LongText = ""
    requirements: LongText = ""
    how_to: LongText = ""
    legal_basis: list[Text] = []
    online_level: OnlineLevelT
    channels: Annotated[list[ChannelT], Field(min_length=1)]
    result_delivery: Annotated[list[DeliveryT], Field(min_length=1)]
    boundary_free: bool = False
    unsigned_results_allowed: bool = False
    fee_timing: FeeTimingT = "before_return"
    results: list[ResultIn] = []
    components: list[ComponentIn] = []
    fees: list[FeeIn] = []
    workflow: list[StepIn] = []
    eform: list[EFormField] = []
    result_templates: list[ResultTemplateIn] = []
    decision_no: Annotated[str, Field(max_length=200)] = ""
    effective_from: date | None = None
    status: StatusT = "active"
    source: Text = ""
    agencies: list[str] = []

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE_PATTERN.match(value):
            raise PydanticCustomError("invalid_procedure_code", "not a procedure code: {value}", {"value": value})
        return value

    _channels_unique = field_validator("channels", "result_delivery", "agencies")(_unique)

    @model_validator(mode="after")
    def _consistent(self) -> ProcedureIn:
        if "online" in self.channels and self.online_level == "none":
            raise PydanticCustomError("online_not_offered", "the online channel needs an online service level")
        if "electronic" in self.result_delivery and self.online_level != "full":
            raise PydanticCustomError(
                "electronic_needs_full", "electronic results need a full online service"
            )
        if not self.eform and any(c.filled_by_eform for c in self.components):
            raise PydanticCustomError(
                "no_eform_to_fill", "a component is filled in by the e-form, but the procedure has no e-form")
        numbers = {f.name for f in self.eform if f.type == "number"}
        for fee in self.fees:
            if fee.per_field and fee.per_field not in numbers:
                raise PydanticCustomError(
                    "unknown_per_field", "the fee {name} is per {field}, which is not a number field of the e-form",
                    {"name": fee.name_vi, "field": fee.per_field},
                )
        results = {r.name_vi for r in self.results}
        for template in self.result_templates:
            if template.result and template.result not in results:
                raise PydanticCustomError(
                    "unknown_template_result", "the result template {name} is for {result}, which is not one of the "
                    "procedure's results", {"name": template.name, "result": template.result},
                )
        total = sum((step.days for step in self.workflow), Decimal(0))
        if total > self.processing_days:
            raise PydanticCustomError(
                "workflow_too_long",
                "the workflow steps take {total} working days, more than the deadline of {days}",
                {"total": str(total), "days": str(self.processing_days)},
            )
        return self

    def content(self) -> dict[str, object]:
        """What a version is made of: everything but the deployment detail of which agencies receive it.

        An empty e-form or exemption list is left out, so that versions stored before they existed keep their
        fingerprint (a re-import does not make new versions of unchanged procedures)."""
        content = self.model_dump(mode="json", exclude={"agencies"})
        if not content.get("eform"):
            content.pop("eform", None)
        if not content.get("result_templates"):
            content.pop("result_templates", None)
        for component in content.get("components") or []:
            if not component.get("filled_by_eform"):
                component.pop("filled_by_eform", None)
        for fee in content.get("fees") or []:
            if not fee.get("exemptions"):
                fee.pop("exemptions", None)
            if not fee.get("per_field"):
                fee.pop("per_field", None)
        return content


class CatalogFile(_Strict):
    format: Literal["motcua-catalog"] = FORMAT_NAME
    format_version: Literal[1] = FORMAT_VERSION
    exported_at: str | None = None
    fields: list[FieldIn] = []
    procedures: list[ProcedureIn] = []
