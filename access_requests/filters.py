"""Queue filters (django-filter): type, agency, SLA state, assignee, age, search, sort — on the queue
pages and, by name, on the API's request list."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters

from hmis_onboarding.api import IdFilter
from hmis_onboarding.widgets import FixedChoices, LeanSelect

from .models import AccessRequest, Queue, RequestStatus
from .selectors import SlaState


class QueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    # (id, name) pairs read with one plain query: a ModelChoiceFilter iterates its queryset through a
    # server-side cursor (DECLARE, FETCH, CLOSE) on every render.
    request_type = django_filters.ChoiceFilter(
        method="by_request_type", choices=(), label="Form", empty_label="Any form", widget=LeanSelect
    )
    # Choices are (id, name) pairs, not model instances: a metro CoC offers 900 agencies.
    agency = django_filters.ChoiceFilter(
        method="by_agency", choices=(), label="Agency", empty_label="Any agency", widget=LeanSelect
    )
    sla_state = django_filters.ChoiceFilter(
        choices=[(k, v) for k, v in SlaState.LABELS.items() if k != SlaState.CLOSED],
        label="SLA",
        empty_label="Any",
        widget=LeanSelect,
    )
    assignee = django_filters.ChoiceFilter(
        method="by_assignee",
        choices=[("me", "Assigned to me"), ("none", "Unassigned"), ("others", "Assigned to others")],
        label="Assignee",
        empty_label="Anyone",
        widget=LeanSelect,
    )
    older_than = django_filters.NumberFilter(
        method="by_age", label="Waiting more than (days)", min_value=0, max_value=3650
    )
    sort = django_filters.OrderingFilter(
        fields=(("submitted_at", "age"),),
        field_labels={"submitted_at": "Oldest first", "-age": "Newest first"},  # descending: by param
        label="Sort",
        empty_label="Oldest first",
        widget=LeanSelect,
    )

    def __init__(self, *args, request_types, agencies, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["request_type"].extra["choices"] = FixedChoices(
            list(request_types.values_list("pk", "name"))
        )
        self.filters["agency"].extra["choices"] = FixedChoices(list(agencies.values_list("pk", "name")))
        self.user = user

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(agency__name__icontains=value)
            | Q(people__email__icontains=value)
            | Q(people__last_name__icontains=value)
            | Q(people__first_name__icontains=value)
        )
        if value.lstrip("#").isdigit():
            condition |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(condition).distinct()

    def narrows(self) -> bool:
        """Does any filter (not the sort) leave rows out? If not, the queue's own counts say how many
        rows match. Call after is_valid()."""
        return any(value not in (None, "") for key, value in self.form.cleaned_data.items() if key != "sort")

    def by_request_type(self, queryset, name, value):
        return queryset.filter(request_type_id=int(value)) if value else queryset

    def by_agency(self, queryset, name, value):
        return queryset.filter(agency_id=int(value)) if value else queryset

    def by_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "others":
            return queryset.filter(assignee__isnull=False).exclude(assignee=self.user)
        return queryset

    def by_age(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(submitted_at__lt=timezone.now() - datetime.timedelta(days=int(value)))


class AccessRequestApiFilter(filters.FilterSet):
    """The API's request list: the queue's filters by name (form by code, agency by id), plus status
    and queue. Unknown values are a 400 with the reason, as everywhere in the API."""

    status = filters.ChoiceFilter(choices=RequestStatus.choices)
    queue = filters.ChoiceFilter(choices=Queue.choices)
    request_type = filters.CharFilter(field_name="request_type__code", label="Form (code, e.g. new-users)")
    agency = IdFilter(field_name="agency_id", label="Agency (id)")
    sla_state = filters.ChoiceFilter(choices=list(SlaState.LABELS.items()), label="SLA state")
    assignee = filters.ChoiceFilter(
        method="by_assignee",
        choices=[("me", "Assigned to me"), ("none", "Unassigned"), ("others", "Assigned to others")],
    )
    older_than = filters.NumberFilter(
        method="by_age", label="Waiting more than (days)", min_value=0, max_value=3650
    )
    q = filters.CharFilter(method="search", label="Search: agency, a person's name or e-mail, #id")
    sort = filters.OrderingFilter(fields=(("submitted_at", "age"),), label="age (oldest first) or -age")

    search = QueueFilter.search
    by_assignee = QueueFilter.by_assignee
    by_age = QueueFilter.by_age

    class Meta:
        model = AccessRequest
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = getattr(self.request, "user", None)
