"""The queue in the admin: service areas are configured here; tickets, appointments and their events are read."""

from __future__ import annotations

from django.contrib import admin

from motcua.counters.models import Appointment, QueueEvent, ServiceArea, Ticket


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin[ServiceArea]):
    list_display = ("letter", "name", "agency", "slot_minutes", "slot_capacity", "order", "is_active")
    list_filter = ("is_active", "agency")
    search_fields = ("name", "letter", "agency__name")
    filter_horizontal = ("fields", "counters")
    autocomplete_fields = ("agency",)


class ReadOnly(admin.ModelAdmin):
    """Changed only by the services (each change recorded as a QueueEvent)."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnly):
    list_display = ("__str__", "status", "issued_at", "called_at", "counter", "called_count")
    list_filter = ("status", "day")
    list_select_related = ("area", "counter")


@admin.register(Appointment)
class AppointmentAdmin(ReadOnly):
    list_display = ("area", "starts_at", "status", "reminder_at", "reminder_sent_at")
    list_filter = ("status",)
    list_select_related = ("area",)


@admin.register(QueueEvent)
class QueueEventAdmin(ReadOnly):
    list_display = ("action", "at", "ticket", "appointment", "actor")
    list_filter = ("action",)
