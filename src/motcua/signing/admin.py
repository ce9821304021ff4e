from django.contrib import admin

from motcua.signing.models import SigningIdentity


@admin.register(SigningIdentity)
class SigningIdentityAdmin(admin.ModelAdmin):
    list_display = ("subject_name", "purpose", "backend", "user", "agency", "not_after", "active")
    list_filter = ("purpose", "backend", "active")
    search_fields = ("subject_name", "serial", "user__username", "agency__name")
    raw_id_fields = ("user", "agency")
    readonly_fields = ("subject_name", "issuer_name", "serial", "not_before", "not_after")
