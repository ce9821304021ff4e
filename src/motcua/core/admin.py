"""The core's admin: the calendar's overrides, and :class:`ReadOnlyAdmin` for the records only services change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core.models import CalendarOverride


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record that only its services change (a payment, a shipment, a hand-over record: each change an audited
    event), shown in the admin without add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "decision")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name", "decision")
