"""Citizen accounts in the administration: find an account to help its owner (verification codes are not shown:
only their hashes are stored, and they expire in minutes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.accounts.models import AssistedConsent, AssistedConsentLog, Citizen


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ("full_name", "kind", "id_number", "phone", "email", "created_at")
    list_filter = ("kind", "language")
    search_fields = ("full_name", "id_number", "phone", "email")
    readonly_fields = ("user", "oidc_subject", "phone_verified_at", "email_verified_at", "created_at")


class AssistedConsentLogInline(admin.TabularInline):
    model = AssistedConsentLog
    fields = ("at", "action", "user", "dossier", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("user", "dossier")


@admin.register(AssistedConsent)
class AssistedConsentAdmin(admin.ModelAdmin):
    """Assisted filing's consents and their log, read-only (the audit trail: who filed for whom, how she agreed)."""

    list_display = ("citizen", "staff", "agency", "method", "created_at", "granted_at", "withdrawn_at", "expires_at")
    list_filter = ("method",)
    search_fields = ("citizen__full_name", "citizen__id_number", "staff__username")
    list_select_related = ("citizen", "staff", "agency")
    exclude = ("code_hash",)
    inlines = [AssistedConsentLogInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
