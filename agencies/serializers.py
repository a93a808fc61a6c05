"""API representations. Thin: reads come from selectors, writes go through services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Agency, Agreement, AgreementType, HmisProject, HudProjectType
from .participation import AgreementStanding, Eligibility, Reason
from .selectors import AGENCY_LIST_FIELDS


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    who_must_act = serializers.CharField()
    agreement_type_id = serializers.IntegerField(allow_null=True)


class EligibilitySerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)
    warnings = ReasonSerializer(many=True)


class StandingSerializer(serializers.Serializer):
    agreement_type_id = serializers.IntegerField()
    agreement_type = serializers.CharField()
    state = serializers.CharField()
    label = serializers.CharField()
    counts_until = serializers.DateField(allow_null=True)
    current_agreement_id = serializers.IntegerField(allow_null=True)
    pending_agreement_id = serializers.IntegerField(allow_null=True)


def standing_data(standing: AgreementStanding) -> dict[str, Any]:
    return {
        "agreement_type_id": standing.agreement_type.pk,
        "agreement_type": standing.agreement_type.short_name,
        "state": standing.state,
        "label": standing.label,
        "counts_until": standing.counts_until,
        "current_agreement_id": standing.current.pk if standing.current else None,
        "pending_agreement_id": standing.pending.pk if standing.pending else None,
    }


def eligibility_data(eligibility: Eligibility) -> dict[str, Any]:
    def reasons(items: tuple[Reason, ...]) -> list[dict[str, Any]]:
        return [r.as_dict() for r in items]

    return {
        "allowed": eligibility.allowed,
        "reasons": reasons(eligibility.reasons),
        "warnings": reasons(eligibility.warnings),
    }


class AgencySerializer(serializers.ModelSerializer):
    has_ata = serializers.BooleanField(read_only=True)
    agreements = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "hmis_participating",
            "coc_member",
            "victim_service_provider",
            "direct_services_provider",
            "license_pool_size",
            "ces_roles",
            "has_ata",
            "agreements",
        ]
        read_only_fields = fields

    @extend_schema_field(StandingSerializer(many=True))
    def get_agreements(self, agency: Agency) -> list[dict[str, Any]]:
        return agreements_data(self.context.get("standings", {}).get(agency.pk, {}))


def agreements_data(standings: dict[int, Any]) -> list[dict[str, Any]]:
    return [standing_data(s) for s in sorted(standings.values(), key=lambda s: s.agreement_type.name)]


def agency_list_data(
    rows: Iterable[Mapping[str, Any]], standings: Mapping[int, dict[int, Any]]
) -> list[dict[str, Any]]:
    """`AgencySerializer(many=True).data` for plain rows of `selectors.agency_page_rows` and the
    standings of `participation.list_standings`, without model instances or DRF's per-field work
    (the list's main cost after the queries); tests/agencies/test_api.py checks both give the same
    JSON."""
    data = []
    for row in rows:
        item = {name: row[name] for name in AGENCY_LIST_FIELDS}
        item["agreements"] = agreements_data(standings.get(row["id"], {}))
        data.append(item)
    return data


class AgencyDetailSerializer(AgencySerializer):
    access_requests = serializers.SerializerMethodField(
        help_text="Whether the agency may file HMIS access requests now, and every reason why not."
    )

    class Meta(AgencySerializer.Meta):
        fields = [*AgencySerializer.Meta.fields, "contact_email", "contact_phone", "access_requests"]
        read_only_fields = fields

    @extend_schema_field(EligibilitySerializer)
    def get_access_requests(self, agency: Agency) -> dict[str, Any]:
        return eligibility_data(self.context["eligibility"])


class AgreementTypeSerializer(serializers.ModelSerializer):
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = AgreementType
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "signer_roles",
            "requires_countersignature",
            "countersigner_roles",
            "renewal_months",
            "gates",
            "is_active",
            "current_version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_version(self, agreement_type: AgreementType) -> str | None:
        latest = max(agreement_type.versions.all(), key=lambda v: v.number, default=None)
        return latest.label if latest else None


class AgreementSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    agreement_type_code = serializers.CharField(source="agreement_type.code", read_only=True)
    version = serializers.CharField(source="version.label", read_only=True)
    document_url = serializers.SerializerMethodField()
    executed_document_url = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "agency",
            "agency_name",
            "agreement_type",
            "agreement_type_code",
            "version",
            "status",
            "method",
            "signer_name",
            "signer_title",
            "signed_on",
            "countersigner_name",
            "countersigner_title",
            "countersigned_at",
            "executed_on",
            "expires_on",
            "returned_reason",
            "document_pages",
            "document_sha256",
            "document_url",
            "executed_document_url",
        ]
        read_only_fields = fields

    def _url(self, name: str, agreement: Agreement) -> str:
        return reverse(name, args=[agreement.continuum.slug, agreement.pk])

    @extend_schema_field(serializers.CharField())
    def get_document_url(self, agreement: Agreement) -> str:
        return self._url("api_agreement-document", agreement)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_executed_document_url(self, agreement: Agreement) -> str | None:
        return (
            self._url("api_agreement-executed-document", agreement) if agreement.executed_document else None
        )


class CountersignSerializer(serializers.Serializer):
    countersigner_name = serializers.CharField(max_length=200)
    countersigner_title = serializers.CharField(max_length=200)


class HmisProjectSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    hud_project_type = serializers.ChoiceField(choices=HudProjectType.choices)
    hud_project_type_label = serializers.CharField(source="get_hud_project_type_display", read_only=True)
    funding = serializers.ListField(source="funding_labels", child=serializers.CharField(), read_only=True)
    ready_for_ces = serializers.BooleanField(read_only=True)

    class Meta:
        model = HmisProject
        fields = [
            "id",
            "agency",
            "agency_name",
            "name",
            "hud_project_type",
            "hud_project_type_label",
            "ces_program_type",
            "hmis_project_id",
            "funded_path",
            "funded_ssvf",
            "funded_esg",
            "funded_hpcc",
            "funded_state_homeless_prevention",
            "funding",
            "is_active",
            "setup_confirmed_at",
            "ready_for_ces",
        ]
        read_only_fields = ["id", "agency_name", "setup_confirmed_at"]
        # Uniqueness (agency, name) is checked by the service's full_clean, inside the tenant.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # The agency is chosen among the caller's visible agencies (set by the view), never by raw id.
        fields["agency"] = serializers.PrimaryKeyRelatedField(
            queryset=self.context.get("agencies", Agency.objects.none())
        )
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["agency"].read_only = True
        return fields
