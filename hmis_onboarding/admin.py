from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEvent,
    ContinuumCalendar,
    ContinuumHoliday,
    ContinuumNotificationSettings,
    Notification,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail can be searched, never edited."""

    list_display = ["occurred_at", "actor_label", "continuum", "action", "object_repr", "ip_address"]
    list_filter = ["action", "continuum"]
    search_fields = ["actor_label", "action", "object_repr"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContinuumCalendar)
class ContinuumCalendarAdmin(admin.ModelAdmin):
    list_display = ["continuum", "workday_start", "workday_end"]


@admin.register(ContinuumHoliday)
class ContinuumHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "continuum"]
    list_filter = ["continuum"]
    date_hierarchy = "date"


@admin.register(ContinuumNotificationSettings)
class ContinuumNotificationSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "continuum",
        "digest_hour",
        "reminder_offsets",
        "escalation_delay_business_days",
        "last_run_on",
    ]
    readonly_fields = ["last_run_on"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox changes through its services (staff retry from the outbox page)."""

    list_display = ["created_at", "to_email", "kind", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "continuum"]
    search_fields = ["to_email", "subject", "dedupe_key", "message_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
