"""The postal app in the admin: the postal services per point are edited here; pickups, shipments, carrier updates
and hand-over records are read-only — only their services change them, each change an event in the dossier's log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core.admin import ReadOnlyAdmin
from motcua.postal.models import CarrierUpdate, HandoverBatch, HandoverItem, Pickup, PostalService, Shipment


@admin.register(PostalService)
class PostalServiceAdmin(admin.ModelAdmin):
    list_display = ("point", "procedure", "phase", "home_pickup", "pickup_postage", "return_postage")
    list_filter = ("phase", "home_pickup")
    autocomplete_fields = ("procedure",)
    filter_horizontal = ("service_area",)
    raw_id_fields = ("point",)


@admin.register(Pickup)
class PickupAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "point", "status", "window_start", "courier")
    list_filter = ("status",)
    raw_id_fields = ("dossier", "point", "commune", "courier", "requested_by")
    readonly_fields = ("checklist", "signatures")


class UpdateInline(admin.TabularInline):
    model = CarrierUpdate
    fields = ("received_at", "source", "status", "carrier_status", "carrier_time", "outcome", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ("waybill", "order_number", "dossier", "status", "cod_amount", "created_at", "delivered_at",
                    "discrepancy")
    list_filter = ("status", "gave_up")
    search_fields = ("waybill", "order_number", "dossier__code")
    date_hierarchy = "created_at"
    list_select_related = ("dossier",)
    inlines = [UpdateInline]


@admin.register(CarrierUpdate)
class CarrierUpdateAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "shipment", "source", "status", "outcome", "reason", "signature_valid")
    list_filter = ("outcome", "source", "signature_valid")
    search_fields = ("shipment__waybill", "reason")
    list_select_related = ("shipment",)


class ItemInline(admin.TabularInline):
    model = HandoverItem
    fields = ("code", "originals", "copies", "fee", "state", "confirmed_at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HandoverBatch)
class HandoverBatchAdmin(ReadOnlyAdmin):
    list_display = ("number", "direction", "giver", "receiver", "status", "item_count", "missing_count",
                    "extra_count", "giver_signed_at", "receiver_signed_at")
    list_filter = ("direction", "status")
    search_fields = ("number", "items__code")
    list_select_related = ("giver", "receiver")
    inlines = [ItemInline]
