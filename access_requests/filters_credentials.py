"""API filters (django-filter) for people, onboardings, the sample client and HMIS accounts.

Filters that look through a person's memberships or onboardings go through the scoped selectors, so
a filter never matches on a role or stage the caller could not see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from agencies.selectors import visible_memberships
from hmis_onboarding.api import IdFilter
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Role

from . import credential_selectors
from .models import (
    AssignmentStatus,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
    RoundOutcome,
    SampleClientAssignment,
    SampleClientRound,
)


class PersonFilter(filters.FilterSet):
    agency = IdFilter(method="by_agency", label="Holds a role at this agency (id)")
    role = filters.ChoiceFilter(method="by_role", choices=Role.choices, label="Holds this role")
    stage = filters.ChoiceFilter(
        method="by_stage", choices=OnboardingStage.choices, label="Has an onboarding at this stage"
    )

    class Meta:
        model = User
        fields = ["agency", "role", "stage"]

    def _memberships(self) -> QuerySet:
        return visible_memberships(continuum=self.request.continuum, user=self.request.user)

    def by_agency(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(pk__in=self._memberships().filter(agency_id=value).values("user_id"))

    def by_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=self._memberships().filter(role=value).values("user_id"))

    def by_stage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        onboardings = credential_selectors.people_onboardings(
            continuum=self.request.continuum, user=self.request.user
        )
        return queryset.filter(pk__in=onboardings.filter(stage=value).values("user_id"))


class OnboardingFilter(filters.FilterSet):
    agency = IdFilter(field_name="agency_id", label="Agency (id)")
    stage = filters.ChoiceFilter(choices=OnboardingStage.choices)
    exempt = filters.BooleanFilter(method="by_exempt", label="Skips the sample client")

    class Meta:
        model = Onboarding
        fields = ["agency", "stage", "exempt"]

    def by_exempt(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return (
            queryset.exclude(sample_client_exempt_reason="")
            if value
            else queryset.filter(sample_client_exempt_reason="")
        )


class AssignmentFilter(filters.FilterSet):
    agency = IdFilter(field_name="agency_id", label="Agency (id)")
    onboarding = IdFilter(field_name="onboarding_id", label="Onboarding (id)")
    status = filters.ChoiceFilter(choices=AssignmentStatus.choices)

    class Meta:
        model = SampleClientAssignment
        fields = ["agency", "onboarding", "status"]


class RoundFilter(filters.FilterSet):
    agency = IdFilter(field_name="assignment__agency_id", label="Agency (id)")
    assignment = IdFilter(field_name="assignment_id", label="Assignment (id)")
    outcome = filters.ChoiceFilter(choices=RoundOutcome.choices)
    awaiting_review = filters.BooleanFilter(
        field_name="reviewed_at", lookup_expr="isnull", label="Waiting for the Help Desk's review"
    )

    class Meta:
        model = SampleClientRound
        fields = ["agency", "assignment", "outcome", "awaiting_review"]


class HmisAccountFilter(filters.FilterSet):
    agency = IdFilter(field_name="agency_id", label="Agency (id)")
    status = filters.ChoiceFilter(choices=HmisAccountStatus.choices)
    holds_license = filters.BooleanFilter(method="by_license", label="Holds one of the agency's licenses")

    class Meta:
        model = HmisAccount
        fields = ["agency", "status", "holds_license"]

    def by_license(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        revoked = {"status": HmisAccountStatus.REVOKED}
        return queryset.exclude(**revoked) if value else queryset.filter(**revoked)
