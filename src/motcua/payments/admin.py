"""Payments and the gateway's notifications in the admin: read-only, since only the gateway's signed
notifications may change a payment (``payments.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core.admin import ReadOnlyAdmin
from motcua.payments.models import Payment, PaymentNotice, ReconciliationRun, Refund, StatementLine


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
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("order_ref", "dossier", "amount", "status", "gateway", "receipt_number", "created_at", "paid_at")
    list_filter = ("status", "gateway")
    search_fields = ("order_ref", "receipt_number", "dossier__code", "gateway_transaction")
    date_hierarchy = "created_at"
    list_select_related = ("dossier",)
    inlines = [NoticeInline]


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "outcome", "reason", "payment", "remote_addr")
    list_filter = ("outcome", "source", "reason")
    search_fields = ("payment__order_ref", "payment__dossier__code")
    list_select_related = ("payment",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("receipt_number", "payment", "amount", "method", "status", "requested_by_name", "requested_at",
                    "done_at")
    list_filter = ("status", "method")
    search_fields = ("receipt_number", "payment__order_ref", "payment__dossier__code", "gateway_transaction")
    list_select_related = ("payment",)


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyAdmin):
    list_display = ("day", "source", "name", "reference", "amount", "dossier_code", "payment")
    list_filter = ("source", "name")
    search_fields = ("reference", "note", "dossier_code")
    date_hierarchy = "day"
    list_select_related = ("payment",)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "first_day", "last_day", "balanced")
    list_filter = ("balanced",)
