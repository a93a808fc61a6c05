"""The agency directory's search and filters (django-filter), shared by the page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from hmis_onboarding.api import IdFilter

from .models import Agency, Agreement, AgreementStatus, HmisProject, HudProjectType
from .participation import Standing, agreement_standings

YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


class AgencyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Name contains", method="filter_name")
    hmis_participating = django_filters.BooleanFilter(label="HMIS-participating", widget=YES_NO)
    coc_member = django_filters.BooleanFilter(label="CoC member", widget=YES_NO)
    victim_service_provider = django_filters.BooleanFilter(label="Victim service provider", widget=YES_NO)
    direct_services_provider = django_filters.BooleanFilter(label="Provides direct services", widget=YES_NO)
    has_ata = django_filters.BooleanFilter(label="Has an ATA", widget=YES_NO)
    participation = django_filters.ChoiceFilter(
        label="Participation agreement",
        choices=Standing.CHOICES,
        method="filter_participation",
        empty_label="Any",
    )

    class Meta:
        model = Agency
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet[Agency], name: str, value: str) -> QuerySet[Agency]:
        value = value.strip()[:100]
        return queryset.filter(name__icontains=value) if value else queryset

    def filter_participation(self, queryset: QuerySet[Agency], name: str, value: str) -> QuerySet[Agency]:
        """Standing is computed (dates, versions), not stored: compute it for the CoC's agencies, then
        keep those whose gating agreement is in the chosen state."""
        continuum = self.request.continuum if self.request is not None else None
        if continuum is None or not value:
            return queryset
        agencies = list(queryset)
        standings = agreement_standings(continuum=continuum, agencies=agencies)
        keep = [
            agency.pk
            for agency in agencies
            if any(s.state == value for s in standings[agency.pk].values() if s.agreement_type.gates)
        ]
        return queryset.filter(pk__in=keep)


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Program or agency name contains", method="filter_name")
    hud_project_type = django_filters.ChoiceFilter(
        label="HUD project type", choices=HudProjectType.choices, empty_label="Any"
    )
    is_active = django_filters.BooleanFilter(label="Active", widget=YES_NO)
    funding = django_filters.ChoiceFilter(
        label="Funding",
        empty_label="Any",
        method="filter_funding",
        choices=[
            ("funded_path", "PATH"),
            ("funded_ssvf", "SSVF"),
            ("funded_esg", "ESG"),
            ("funded_hpcc", "HPCC"),
            ("funded_state_homeless_prevention", "State Homeless Prevention"),
        ],
    )
    agency = IdFilter(field_name="agency_id", widget=forms.HiddenInput)

    class Meta:
        model = HmisProject
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet[HmisProject], name: str, value: str) -> QuerySet[HmisProject]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(agency__name__icontains=value))

    def filter_funding(self, queryset: QuerySet[HmisProject], name: str, value: str) -> QuerySet[HmisProject]:
        return queryset.filter(**{value: True}) if value else queryset


class AgreementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices, empty_label="Any")
    agency = IdFilter(field_name="agency_id")
    agreement_type = IdFilter(field_name="agreement_type_id")

    class Meta:
        model = Agreement
        fields: list[str] = []
