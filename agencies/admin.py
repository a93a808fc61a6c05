from django.contrib import admin

from .models import Agency, Continuum, Membership


@admin.register(Continuum)
class ContinuumAdmin(admin.ModelAdmin):
    list_display = ["name", "coc_code", "slug", "timezone", "idle_timeout_minutes"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "continuum", "hmis_participating", "coc_member", "victim_service_provider"]
    list_filter = ["continuum", "victim_service_provider", "hmis_participating"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "continuum", "agency", "role", "is_active"]
    list_filter = ["continuum", "role", "is_active"]
    search_fields = ["user__email", "user__full_name", "agency__name"]
    autocomplete_fields = ["user", "agency"]
