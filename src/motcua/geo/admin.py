from django.contrib import admin

from motcua.geo.models import AdministrativeUnit, UnitMerge


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active", "parent")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)


@admin.register(UnitMerge)
class UnitMergeAdmin(admin.ModelAdmin):
    list_display = ("old_code", "old_name", "old_kind", "new_unit", "effective_date", "decision")
    list_filter = ("old_kind", "effective_date")
    search_fields = ("old_code", "old_name", "new_unit__name")
    raw_id_fields = ("new_unit",)
