"""Staff see every message sent to applicants, find the failed ones and resend them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.services import resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "dossier", "template", "status", "attempts",
                    "sent_at", "next_attempt_at")
    list_filter = ("status", "channel", "language", "template")
    search_fields = ("recipient", "dossier__code")
    list_select_related = ("dossier",)
    date_hierarchy = "created_at"
    actions = ["resend_failed"]
    readonly_fields = ("user", "dossier", "channel", "recipient", "template", "language", "subject", "body",
                       "status", "attempts", "last_error", "created_at", "next_attempt_at", "sent_at",
                       "provider_message_id")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Resend the selected failed or overdue messages"), permissions=["change"])
    def resend_failed(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = sum(resend(n) for n in queryset.filter(status__in=[NotificationStatus.FAILED,
                                                                  NotificationStatus.QUEUED]))
        skipped = queryset.count() - done
        self.message_user(request, ngettext("%(count)d message queued again.", "%(count)d messages queued again.",
                                            done) % {"count": done}, messages.SUCCESS)
        if skipped:
            text = ngettext("%(count)d message was neither failed nor overdue and was left alone.",
                            "%(count)d messages were neither failed nor overdue and were left alone.", skipped)
            self.message_user(request, text % {"count": skipped}, messages.WARNING)
