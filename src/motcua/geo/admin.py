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
    list_display = ("old_code", "old_name", "old_kind", "old_district", "new_unit", "divided", "is_primary",
                    "effective_date", "decision")
    list_filter = ("old_kind", "divided", "effective_date", "old_province_code")
    search_fields = ("old_code", "old_name", "old_district", "new_unit__name")
    list_select_related = ("new_unit",)
    raw_id_fields = ("new_unit", "old_unit")
