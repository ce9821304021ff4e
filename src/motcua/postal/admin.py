from django.contrib import admin

from motcua.postal.models import Pickup, PostalService


@admin.register(PostalService)
class PostalServiceAdmin(admin.ModelAdmin):
    list_display = ("point", "procedure", "phase", "home_pickup", "pickup_postage", "return_postage")
    list_filter = ("phase", "home_pickup")
    autocomplete_fields = ("procedure",)
    filter_horizontal = ("service_area",)
    raw_id_fields = ("point",)


@admin.register(Pickup)
class PickupAdmin(admin.ModelAdmin):
    list_display = ("dossier", "point", "status", "window_start", "courier")
    list_filter = ("status",)
    raw_id_fields = ("dossier", "point", "commune", "courier", "requested_by")
    readonly_fields = ("checklist", "signatures")
