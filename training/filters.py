"""Filters of the training progress view (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField

from hmis_onboarding.widgets import FixedChoices, LeanSelect


class TraineeProgressFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or e-mail")
    # Choices are (id, name) pairs, not model instances: a metro CoC offers 900 agencies.
    agency = django_filters.ChoiceFilter(
        choices=(),
        label="Agency",
        empty_label="Any agency",
        method="by_agency",
        widget=LeanSelect,
        # What a model choice says: the refused value (another agency's id) is not repeated.
        error_messages={"invalid_choice": ModelChoiceField.default_error_messages["invalid_choice"]},
    )
    status = django_filters.ChoiceFilter(
        choices=[("training", "In training"), ("stalled", "Stalled"), ("complete", "Training complete")],
        empty_label="Anyone",
        method="by_status",
        label="Status",
        widget=LeanSelect,
    )

    def __init__(self, *args, agencies: QuerySet, stalled_before, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["agency"].extra["choices"] = FixedChoices(list(agencies.values_list("pk", "name")))
        self.stalled_before = stalled_before

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(user__full_name__icontains=value) | Q(user__email__icontains=value))

    def by_agency(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(agency_id=int(value)) if value else queryset

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "complete":
            return queryset.filter(is_complete=True)
        if value == "stalled":
            return queryset.filter(is_complete=False, progress_at__lt=self.stalled_before)
        if value == "training":
            return queryset.filter(is_complete=False)
        return queryset
