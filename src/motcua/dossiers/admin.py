"""Staff see the integrity alerts (altered or lost stored files) and mark them resolved; the chain seals are
listed read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.dossiers.models import ChainSeal, IntegrityAlert


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("1", str(_("Not resolved"))), ("0", str(_("Resolved")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[IntegrityAlert]) -> QuerySet[IntegrityAlert]:
        if self.value() in ("0", "1"):
            return queryset.filter(resolved_at__isnull=self.value() == "1")
        return queryset


@admin.register(IntegrityAlert)
class IntegrityAlertAdmin(admin.ModelAdmin):
    list_display = ("detected_at", "subject", "object_id", "dossier", "agency", "problem", "resolved_at")
    list_filter = (OpenFilter, "subject")
    search_fields = ("dossier__code", "path", "expected", "found")
    list_select_related = ("dossier", "agency")
    date_hierarchy = "detected_at"
    readonly_fields = ("subject", "object_id", "path", "dossier", "agency", "problem", "expected", "found",
                       "detected_at", "resolved_at", "resolved_by")
    fields = (*readonly_fields, "resolution")
    actions = ["mark_resolved"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IntegrityAlert | None = None) -> bool:
        return False

    @admin.action(description=_("Mark the selected alerts resolved (the files were restored)"),
                  permissions=["change"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[IntegrityAlert]) -> None:
        done = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now(), resolved_by=request.user)
        self.message_user(request, ngettext("%(count)d alert marked resolved.", "%(count)d alerts marked resolved.",
                                            done) % {"count": done}, messages.SUCCESS)


@admin.register(ChainSeal)
class ChainSealAdmin(admin.ModelAdmin):
    list_display = ("sealed_at", "dossier_count", "root", "signer", "timestamp")
    date_hierarchy = "sealed_at"
    exclude = ("leaves", "signature")
    readonly_fields = ("sealed_at", "dossier_count", "root", "previous", "signer", "timestamp")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ChainSeal | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ChainSeal | None = None) -> bool:
        return False
