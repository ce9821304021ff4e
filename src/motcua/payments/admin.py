"""Payments and the gateway's notifications in the admin: read-only, since only the gateway's signed
notifications may change a payment (``payments.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.payments.models import Payment, PaymentNotice


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoticeInline(admin.TabularInline):
    model = PaymentNotice
    fields = ("received_at", "source", "outcome", "reason", "remote_addr")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ("order_ref", "dossier", "amount", "status", "gateway", "receipt_number", "created_at", "paid_at")
    list_filter = ("status", "gateway")
    search_fields = ("order_ref", "receipt_number", "dossier__code", "gateway_transaction")
    date_hierarchy = "created_at"
    list_select_related = ("dossier",)
    inlines = [NoticeInline]


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnly):
    list_display = ("received_at", "source", "outcome", "reason", "payment", "remote_addr")
    list_filter = ("outcome", "source", "reason")
    search_fields = ("payment__order_ref", "payment__dossier__code")
    list_select_related = ("payment",)
