from django.contrib import admin

from motcua.agencies.models import Agency, Counter, Membership


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0
    filter_horizontal = ("fields",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("identifier_code", "name", "kind", "unit", "hotline", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("identifier_code", "name", "name_en", "address")
    list_select_related = ("unit",)
    raw_id_fields = ("unit", "parent")
    inlines = [CounterInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role", "is_active")
    list_filter = ("role", "is_active", "agency__kind")
    search_fields = ("user__username", "user__first_name", "user__last_name", "agency__name")
    list_select_related = ("user", "agency")
    raw_id_fields = ("user", "agency")
