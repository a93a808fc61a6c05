"""Catalog configuration for HMIS Lead superusers. Prerequisites are edited on the CoC's catalog
page instead (its service refuses cycles and records each change in the audit trail)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models, transaction

from .models import Course, CourseBundle, CoursePart, LmsConfiguration, Prerequisite, TrainingPolicy
from .services import learning_paths_refresh


class RefreshPathsOnSave:
    """A catalog change may open or close courses on existing paths: recompute them."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        continuum = obj.continuum
        transaction.on_commit(lambda: learning_paths_refresh(continuum=continuum))


class CoursePartInline(admin.TabularInline):
    model = CoursePart
    fields = ["position", "title", "lms_unit_name", "topics"]
    extra = 0


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "course"
    fields = ["requires", "min_percent"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "prerequisites (edit them on the CoC's training catalog page)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(RefreshPathsOnSave, admin.ModelAdmin):
    list_display = ["name", "continuum", "kind", "category", "applies_to", "lms_course_id", "is_active"]
    list_filter = ["continuum", "kind", "category", "applies_to", "is_active"]
    search_fields = ["name", "code", "lms_course_id"]
    inlines = [CoursePartInline, PrerequisiteInline]

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if isinstance(inline_form.instance, CoursePart):
                inline_form.instance.continuum_id = form.instance.continuum_id
        super().save_formset(request, form, formset, change)


@admin.register(CourseBundle)
class CourseBundleAdmin(RefreshPathsOnSave, admin.ModelAdmin):
    list_display = ["name", "continuum", "code"]
    list_filter = ["continuum"]


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(RefreshPathsOnSave, admin.ModelAdmin):
    list_display = [
        "continuum",
        "project_course_recency_months",
        "foundation_recency_months",
        "sample_client_required",
    ]


@admin.register(LmsConfiguration)
class LmsConfigurationAdmin(admin.ModelAdmin):
    """The API key is set on the CoC's LMS settings page; here it is neither shown nor editable."""

    list_display = ["continuum", "provider", "base_url", "enabled", "poll_interval_minutes", "api_key_set_at"]
    readonly_fields = ["api_key_set_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
