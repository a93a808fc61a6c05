from django.contrib import admin

from .models import ObligationCompletion, RolloutObligation, RolloutPhase, RolloutPlan


class PhaseInline(admin.TabularInline):
    model = RolloutPhase
    extra = 0
    exclude = ["continuum"]


class ObligationInline(admin.StackedInline):
    model = RolloutObligation
    extra = 0
    exclude = ["continuum"]


@admin.register(RolloutPlan)
class RolloutPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "continuum", "is_active"]
    list_filter = ["continuum", "is_active"]
    inlines = [PhaseInline, ObligationInline]

    def save_formset(self, request, form, formset, change):
        # Phases and obligations carry their plan's CoC (denormalised for one-filter scoping).
        for obj in formset.save(commit=False):
            obj.continuum = form.instance.continuum
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(ObligationCompletion)
class ObligationCompletionAdmin(admin.ModelAdmin):
    list_display = ["person", "obligation", "completed_on", "source", "recorded_by"]
    list_filter = ["continuum", "source"]
    readonly_fields = ["recorded_at"]
