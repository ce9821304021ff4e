"""Citizen accounts in the administration: find an account to help its owner (verification codes are not shown:
only their hashes are stored, and they expire in minutes)."""

from __future__ import annotations

from django.contrib import admin

from motcua.accounts.models import Citizen


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ("full_name", "kind", "id_number", "phone", "email", "created_at")
    list_filter = ("kind", "language")
    search_fields = ("full_name", "id_number", "phone", "email")
    readonly_fields = ("user", "oidc_subject", "phone_verified_at", "email_verified_at", "created_at")
