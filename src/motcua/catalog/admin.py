"""Catalogue administration, in Vietnamese. A version in force is read-only: change it by drafting the next one."""

import secrets
from datetime import timedelta
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from pydantic import ValidationError as PydanticValidationError

from motcua.catalog import models as m
from motcua.catalog.eforms import EFormField, fields_of
from motcua.catalog.result_fields import sample_values, usable_fields
from motcua.catalog.result_templates import TemplateInvalid, check_template, render_pdf, sample_heading
from motcua.catalog.schema import ExemptionIn
from motcua.catalog.services import draft_next_version, refresh_version
from motcua.core.errors import MotCuaError
from motcua.core.responses import private_pdf


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


class ResultTemplateInline(_ChildInline):
    """The version's result templates, listed; each is written (with its preview) on its own page."""

    model = m.ResultTemplate
    fields = ("name", "result", "book", "valid_for_days", "paper")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
    inlines = [ComponentInline, FeeInline, ResultInline, StepInline, ResultTemplateInline]
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


# --- result templates, with their usable fields and a live preview ---------------------------------------------

PREVIEW_SECONDS = 600  # how long a rendered preview can be opened


class ResultTemplateForm(forms.ModelForm):
    class Meta:
        model = m.ResultTemplate
        fields = ("version", "result", "order", "name", "book", "body", "valid_for_days", "paper")
        widgets = {"body": forms.Textarea(attrs={"rows": 20, "class": "vLargeTextField", "spellcheck": "false"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # only versions prepared ahead take templates (one in force is read-only): a short list to choose from
        editable = m.ProcedureVersion.objects.filter(effective_from__gt=timezone.localdate())
        version, result = self.fields.get("version"), self.fields.get("result")  # absent when read-only
        if isinstance(version, forms.ModelChoiceField):
            version.queryset = editable.select_related("procedure")
        if isinstance(result, forms.ModelChoiceField):
            result.queryset = m.ResultDocument.objects.filter(version__in=editable)

    def clean_version(self) -> m.ProcedureVersion:
        version: m.ProcedureVersion = self.cleaned_data["version"]
        if not version.is_editable():
            raise forms.ValidationError(_("A version in force is read-only: draft the next version and add the "
                                          "template to it."))
        return version


@admin.register(m.ResultTemplate)
class ResultTemplateAdmin(admin.ModelAdmin):
    """A result template: checked when saved (``ResultTemplate.clean``), with the list of the fields it may use
    and a preview (htmx) of the body being typed, rendered on sample values (nothing is read or written)."""

    form = ResultTemplateForm
    change_form_template = "admin/catalog/resulttemplate/change_form.html"
    list_display = ("name", "version", "result", "book", "valid_for_days", "paper")
    list_select_related = ("version__procedure", "result")
    search_fields = ("name", "version__procedure__code", "version__name_vi")

    def get_queryset(self, request: HttpRequest) -> QuerySet[m.ResultTemplate]:
        return super().get_queryset(request).select_related("version__procedure", "result")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.version.is_editable():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.version.is_editable():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: m.ResultTemplate, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        refresh_version(obj.version)  # the templates are part of the version's content (its fingerprint)

    def delete_model(self, request: HttpRequest, obj: m.ResultTemplate) -> None:
        version = obj.version
        super().delete_model(request, obj)
        refresh_version(version)

    def get_urls(self) -> list[URLPattern]:
        return [
            path("preview/", self.admin_site.admin_view(self.preview), name="catalog_resulttemplate_preview"),
            # shown in a frame of the template's own page: framed by this site only
            path("preview/<str:token>.pdf", self.admin_site.admin_view(
                csp_replace({"frame-ancestors": [SELF]})(xframe_options_sameorigin(self.preview_pdf))),  # type: ignore[arg-type]
                 name="catalog_resulttemplate_preview_pdf"),
            *super().get_urls(),
        ]

    def _version(self, value: Any) -> m.ProcedureVersion | None:
        return m.ProcedureVersion.objects.filter(pk=value).first() if str(value or "").isdigit() else None

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Any = None) -> HttpResponse:
        version = obj.version if obj is not None else self._version(request.GET.get("version")
                                                                    or request.POST.get("version"))
        context["usable_fields"] = usable_fields(fields_of(version) if version else [])
        context["preview_url"] = reverse("admin:catalog_resulttemplate_preview")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview(self, request: HttpRequest) -> HttpResponse:
        """The body being typed, rendered on sample values: a frame with the PDF, or the template's error."""
        if request.method != "POST":
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = self._version(request.POST.get("version"))
        eform = fields_of(version) if version else []
        body = request.POST.get("body", "")
        paper = request.POST.get("paper", m.Paper.A4)
        context: dict[str, Any] = {}
        try:
            check_template(body, eform)
            pdf = render_pdf(body, sample_values(eform), paper=paper, heading=sample_heading(paper))
        except TemplateInvalid as exc:
            context["error"] = exc.text()
        else:
            token = secrets.token_urlsafe(16)
            cache.set(f"motcua:result-preview:{request.user.pk}:{token}", pdf, PREVIEW_SECONDS)
            context["pdf_url"] = reverse("admin:catalog_resulttemplate_preview_pdf", args=[token])
        return TemplateResponse(request, "admin/catalog/resulttemplate/_preview.html", context)

    def preview_pdf(self, request: HttpRequest, token: str) -> HttpResponse:
        pdf = cache.get(f"motcua:result-preview:{request.user.pk}:{token}")
        if pdf is None:
            raise Http404
        return private_pdf(pdf, "xem-truoc.pdf")


@admin.register(m.Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """The words people use, for the virtual assistant (docs/assistant.md)."""

    list_display = ("phrase", "meaning", "procedure", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("phrase", "meaning", "procedure__code")
    autocomplete_fields = ("procedure",)
