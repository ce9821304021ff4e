from django.contrib import admin

from motcua.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "is_active")
    list_filter = ("is_active",)
    readonly_fields = ("user", "prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request: object) -> bool:
        return False  # tokens are issued by `motcua create_token`, which shows them once
