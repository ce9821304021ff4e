"""The questions asked, read-only: the supervisor looks for those the assistant could not answer, to add a
synonym to the catalogue (``catalog.Synonym``)."""

from django.contrib import admin
from django.http import HttpRequest

from motcua.assistant.models import Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "text", "status", "matched_code", "score", "channel", "language")
    list_filter = ("status", "channel", "language")
    search_fields = ("folded", "matched_code")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
