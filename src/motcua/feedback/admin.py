"""Administration of ratings and petitions. Answers are given in the staff workspace (which records who answered
and notifies the sender); here administrators can look things up and correct data."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.feedback.models import Petition, PetitionEvent, Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("created_at", "score", "channel", "agency", "counter", "dossier")
    list_filter = ("channel", "score", "guidance_clear", "staff_courteous", "on_time")
    search_fields = ("dossier__code", "agency__name", "comment")
    list_select_related = ("agency", "counter", "dossier")
    raw_id_fields = ("dossier", "agency", "counter", "user")
    date_hierarchy = "created_at"


class PetitionEventInline(admin.TabularInline):
    model = PetitionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "actor_name", "at", "data")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "subject", "agency", "status", "published", "created_at", "answered_at")
    list_filter = ("kind", "status", "published", "consent_to_publish")
    search_fields = ("code", "subject", "dossier_code", "agency__name")
    list_select_related = ("agency",)
    raw_id_fields = ("agency", "sender_user", "answered_by", "published_by")
    readonly_fields = ("code", "created_at")
    date_hierarchy = "created_at"
    inlines = [PetitionEventInline]
