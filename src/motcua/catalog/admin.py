"""Catalogue administration, in Vietnamese. A version in force is read-only: change it by drafting the next one."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from motcua.catalog import models as m
from motcua.catalog.eforms import EFormField
from motcua.catalog.schema import ExemptionIn
from motcua.catalog.services import draft_next_version, refresh_version
from motcua.core.errors import MotCuaError


@admin.register(m.Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_en")
    search_fields = ("code", "name_vi", "name_en")


class VersionInline(admin.TabularInline):
    model = m.ProcedureVersion
    fields = ("number", "name_vi", "effective_from", "effective_to", "status")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "current_name", "created_at")
    search_fields = ("code", "versions__name_vi")
    filter_horizontal = ("agencies",)
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[m.Procedure]:
        # the name of the version in force (else the latest), in the list's one query rather than two per row
        versions = m.ProcedureVersion.objects.filter(procedure=OuterRef("pk"))
        return super().get_queryset(request).annotate(current_name_vi=Coalesce(
            Subquery(versions.in_force().order_by("-number").values("name_vi")[:1]),
            Subquery(versions.order_by("-number").values("name_vi")[:1]),
        ))

    @admin.display(description=_("name"))
    def current_name(self, obj: m.Procedure) -> str:
        return getattr(obj, "current_name_vi", None) or "—"


class _ChildInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj: m.ProcedureVersion | None) -> bool:
        return obj is None or obj.is_editable()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ComponentInline(_ChildInline):
    model = m.Component


class SchemaListField(forms.JSONField):
    """A list of JSON objects edited as text, each checked against a pydantic model (e-form fields, exemptions)."""

    def __init__(self, *args: Any, item: Any, **kwargs: Any) -> None:
        self.item = item
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> list[Any]:
        data = super().clean(value)
        if data in (None, ""):
            return []
        if not isinstance(data, list):
            raise forms.ValidationError(_("A JSON list is expected: [{…}, {…}]."))
        try:
            return [self.item.model_validate(entry).model_dump(mode="json") for entry in data]
        except PydanticValidationError as exc:
            raise forms.ValidationError(str(exc)) from None


class FeeForm(forms.ModelForm):
    exemptions = SchemaListField(
        label=_("exemptions"), item=ExemptionIn,
        help_text=_('JSON list, e.g. [{"code": "poor_household", "name_vi": "Hộ nghèo", "percent": 100}].'),
    )

    class Meta:
        model = m.FeeItem
        fields = "__all__"  # noqa: DJ007


class FeeInline(_ChildInline):
    model = m.FeeItem
    form = FeeForm


class ResultInline(_ChildInline):
    model = m.ResultDocument


class StepInline(_ChildInline):
    model = m.WorkflowStep


class LinesField(forms.Field):
    """A list of texts edited one per line (legal basis)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> str:
        return "\n".join(value) if isinstance(value, list) else (value or "")

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class VersionForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("submission channels"), choices=m.Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    result_delivery = forms.MultipleChoiceField(
        label=_("result delivery"), choices=m.Delivery.choices, widget=forms.CheckboxSelectMultiple
    )
    legal_basis = LinesField(label=_("legal basis"), required=False, help_text=_("One document per line."))
    eform = SchemaListField(
        label=_("e-form fields"), item=EFormField,
        help_text=_('JSON list, e.g. [{"name": "spouse_name", "label_vi": "Họ tên", "required": true}]; '
                    "see docs/catalog-format.md."),
    )

    class Meta:
        model = m.ProcedureVersion
        # The admin derives its field list from this form: every field, four of them redefined above.
        fields = "__all__"  # noqa: DJ007


@admin.register(m.ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ("procedure", "number", "name_vi", "field", "level", "processing_days", "online_level",
                    "effective_from", "effective_to", "status")
    list_filter = ("level", "online_level", "status", "field", "boundary_free")
    search_fields = ("procedure__code", "name_vi", "name_en", "search_text")
    list_select_related = ("procedure", "field")
    readonly_fields = ("procedure", "number", "effective_to", "content_hash", "created_at")
    inlines = [ComponentInline, FeeInline, ResultInline, StepInline]
    actions = ["draft_next"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New procedures come through import (or the "draft next version" action), which keeps versions linear.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_editable():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        refresh_version(form.instance)

    @admin.action(description=_("Draft the next version (takes effect tomorrow; edit it before then)"))
    def draft_next(self, request: HttpRequest, queryset: QuerySet[m.ProcedureVersion]) -> None:
        tomorrow = timezone.localdate() + timedelta(days=1)
        for version in queryset.select_related("procedure", "field"):
            try:
                new = draft_next_version(version, effective_from=tomorrow)
            except MotCuaError as exc:
                self.message_user(request, f"{version.procedure.code}: {exc.text()}", messages.ERROR)
            else:
                self.message_user(request, _("Drafted %(version)s.") % {"version": new}, messages.SUCCESS)
