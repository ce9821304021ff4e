from django.contrib import admin

from motcua.core.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "decision")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name", "decision")
