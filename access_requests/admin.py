from django.contrib import admin

from .models import AccessRequest, CesRole, HmisAccount, RequestedPerson, RequestPolicy, RequestType


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "continuum", "eligibility", "queue", "allows_multiple_people", "is_active"]
    list_filter = ["continuum", "queue", "is_active"]


@admin.register(RequestPolicy)
class RequestPolicyAdmin(admin.ModelAdmin):
    list_display = ["continuum", "inactivity_window_months", "sla_business_days"]


@admin.register(CesRole)
class CesRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "continuum", "rank", "hmis_role"]
    list_filter = ["continuum"]


class RequestedPersonInline(admin.TabularInline):
    model = RequestedPerson
    extra = 0
    fields = ["first_name", "last_name", "email", "user", "suggested_type", "credited_training"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Read-only here: requests change only through their services (audited)."""

    list_display = ["pk", "continuum", "agency", "request_type", "status", "submitted_at", "assignee"]
    list_filter = ["continuum", "status", "queue"]
    search_fields = ["agency__name", "people__email"]
    inlines = [RequestedPersonInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HmisAccount)
class HmisAccountAdmin(admin.ModelAdmin):
    list_display = ["hmis_username", "email", "agency", "status", "last_activity_on"]
    list_filter = ["continuum", "status"]
    search_fields = ["hmis_username", "email"]
