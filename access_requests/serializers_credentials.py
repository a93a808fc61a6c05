"""API serializers for people, onboardings, the sample client (assignments, rounds, reviews), HMIS
accounts and licenses (issue 8 over issue 6's records). Reads only; writes go through the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Membership
from hmis_onboarding.models import User

from .credential_config import project_type_label
from .credentials import SuspensionReason
from .models import (
    ElementReview,
    HmisAccount,
    Onboarding,
    RoundOutcome,
    RubricElement,
    SampleClientAssignment,
    SampleClientRound,
)

MAX_ID = 2**31 - 1


# --- HMIS accounts -----------------------------------------------------------------------------------


class HmisAccountSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    person = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    projects = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    issued_by = serializers.CharField(source="issued_by.email", default=None, allow_null=True, read_only=True)
    holds_license = serializers.BooleanField(read_only=True)

    class Meta:
        model = HmisAccount
        fields = [
            "id",
            "agency",
            "agency_name",
            "person",
            "email",
            "full_name",
            "hmis_username",
            "hmis_role",
            "project_types",
            "projects",
            "status",
            "status_reason",
            "status_changed_at",
            "holds_license",
            "issued_at",
            "issued_by",
            "onboarding",
            "last_activity_on",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    onboarding = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    hmis_username = serializers.CharField(max_length=100)
    hmis_role = serializers.CharField(max_length=60)
    projects = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=200, default=list
    )


class SuspendSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[
            (SuspensionReason.HELP_DESK, SuspensionReason.LABELS[SuspensionReason.HELP_DESK]),
            (SuspensionReason.HRS_REMOVED, SuspensionReason.LABELS[SuspensionReason.HRS_REMOVED]),
        ],
        help_text="help_desk (the Help Desk) or hrs_removed (the Coordinated Entry team).",
    )


class OffboardSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LicenseHolderSerializer(serializers.ModelSerializer):
    class Meta:
        model = HmisAccount
        fields = ["id", "full_name", "email", "hmis_username", "status"]
        read_only_fields = fields


class LicenseSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="pk", read_only=True)
    agency_name = serializers.CharField(source="name", read_only=True)
    license_pool_size = serializers.IntegerField(read_only=True)
    used = serializers.IntegerField(source="licenses_used", read_only=True)
    free = serializers.SerializerMethodField()
    holders = LicenseHolderSerializer(many=True, read_only=True)

    def get_free(self, agency: Any) -> int:
        return max(0, agency.license_pool_size - agency.licenses_used)


# --- Onboardings ---------------------------------------------------------------------------------------


class OnboardingSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    person = serializers.IntegerField(source="user_id", read_only=True)
    full_name = serializers.CharField(source="person.full_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    access_request = serializers.IntegerField(source="access_request_id", read_only=True)
    project_type_labels = serializers.SerializerMethodField()
    sample_client_exempt = serializers.SerializerMethodField()
    training_confirmed_by = serializers.CharField(
        source="training_confirmed_by.email", default=None, allow_null=True, read_only=True
    )
    sample_client_expires_at = serializers.SerializerMethodField(
        help_text="When the open sample client assignment runs out (null when none is open)."
    )

    class Meta:
        model = Onboarding
        fields = [
            "id",
            "agency",
            "agency_name",
            "person",
            "full_name",
            "email",
            "access_request",
            "stage",
            "read_only",
            "project_types",
            "project_type_labels",
            "sample_client_exempt",
            "sample_client_exempt_reason",
            "training_confirmed_at",
            "training_confirmed_by",
            "sample_client_expires_at",
            "credential_due_on",
            "is_hrs",
            "ce_decision",
            "ce_decided_at",
            "closed_at",
            "closed_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_project_type_labels(self, onboarding: Onboarding) -> list[str]:
        return [project_type_label(t) for t in onboarding.project_types or []]

    def get_sample_client_exempt(self, onboarding: Onboarding) -> bool:
        return bool(onboarding.sample_client_exempt_reason)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_sample_client_expires_at(self, onboarding: Onboarding) -> Any:
        open_ = [a for a in getattr(onboarding, "open_assignments", []) if a.expires_at]
        if not open_:
            return None
        return serializers.DateTimeField().to_representation(open_[0].expires_at)


# --- Sample client ---------------------------------------------------------------------------------


class ElementReviewSerializer(serializers.ModelSerializer):
    element = serializers.IntegerField(source="element_id", read_only=True)
    code = serializers.CharField(source="element.code", read_only=True)
    name = serializers.CharField(source="element.name", read_only=True)

    class Meta:
        model = ElementReview
        fields = ["element", "code", "name", "errors", "comment"]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    assignment = serializers.IntegerField(source="assignment_id", read_only=True)
    agency = serializers.IntegerField(source="assignment.agency_id", read_only=True)
    full_name = serializers.CharField(source="assignment.onboarding.person.full_name", read_only=True)
    reviewed_by = serializers.CharField(
        source="reviewed_by.email", default=None, allow_null=True, read_only=True
    )
    element_reviews = ElementReviewSerializer(many=True, read_only=True)

    class Meta:
        model = SampleClientRound
        fields = [
            "id",
            "assignment",
            "agency",
            "full_name",
            "number",
            "submitted_at",
            "client_reference",
            "note",
            "reviewed_at",
            "reviewed_by",
            "outcome",
            "total_errors",
            "element_reviews",
            "feedback",
            "walkthrough_at",
            "walkthrough_link",
            "walkthrough_with",
            "redo_course",
        ]
        read_only_fields = fields


class RubricElementSerializer(serializers.ModelSerializer):
    class Meta:
        model = RubricElement
        fields = ["id", "code", "name", "guidance"]
        read_only_fields = fields


class RoundDetailSerializer(RoundSerializer):
    rubric = serializers.SerializerMethodField(
        help_text="The elements a review of this round scores (the project type's rubric)."
    )

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "rubric"]
        read_only_fields = fields

    @extend_schema_field(RubricElementSerializer(many=True))
    def get_rubric(self, rnd: SampleClientRound) -> list[dict]:
        return RubricElementSerializer(self.context["rubric"], many=True).data


class AssignmentSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    onboarding = serializers.IntegerField(source="onboarding_id", read_only=True)
    person = serializers.IntegerField(source="user_id", read_only=True)
    full_name = serializers.CharField(source="onboarding.person.full_name", read_only=True)
    project_type_label = serializers.SerializerMethodField()
    rounds = RoundSerializer(many=True, read_only=True)

    class Meta:
        model = SampleClientAssignment
        fields = [
            "id",
            "agency",
            "agency_name",
            "onboarding",
            "person",
            "full_name",
            "project_type",
            "project_type_label",
            "scenario",
            "status",
            "requested_at",
            "opened_at",
            "expires_at",
            "failed_rounds",
            "closed_at",
            "closed_reason",
            "rounds",
        ]
        read_only_fields = fields

    def get_project_type_label(self, assignment: SampleClientAssignment) -> str:
        return project_type_label(assignment.project_type)


class AssignmentDetailSerializer(AssignmentSerializer):
    waitlist_position = serializers.SerializerMethodField(
        help_text="1 = next to get a seat (null unless waiting for a seat)."
    )

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "waitlist_position"]
        read_only_fields = fields

    def get_waitlist_position(self, assignment: SampleClientAssignment) -> int | None:
        from .sample_client import waitlist_position

        return waitlist_position(assignment)


class SubmitSerializer(serializers.Serializer):
    client_reference = serializers.CharField(
        max_length=100, help_text="The sample client's ID in the HMIS training site."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ElementResultSerializer(serializers.Serializer):
    element = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A rubric element's id.")
    errors = serializers.IntegerField(min_value=0, max_value=99)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=RoundOutcome.choices)
    results = ElementResultSerializer(
        many=True, required=False, help_text="Errors and a comment per rubric element (others count 0)."
    )
    feedback = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    walkthrough_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    walkthrough_link = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    walkthrough_with = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    redo_course = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_results(self, value: list[dict]) -> list[dict]:
        elements = [r["element"] for r in value]
        if len(elements) != len(set(elements)):
            raise serializers.ValidationError("Give each element once.")
        return value


# --- People --------------------------------------------------------------------------------------------


class MembershipBriefSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="agency_id", read_only=True, allow_null=True)
    agency_name = serializers.CharField(source="agency.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["agency", "agency_name", "role"]
        read_only_fields = fields


class OnboardingBriefSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = Onboarding
        fields = ["id", "agency", "agency_name", "stage", "sample_client_exempt_reason", "credential_due_on"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    memberships = MembershipBriefSerializer(source="visible_memberships", many=True, read_only=True)
    onboardings = OnboardingBriefSerializer(source="visible_onboardings", many=True, read_only=True)
    hmis_accounts = HmisAccountSerializer(source="visible_accounts", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "memberships", "onboardings", "hmis_accounts"]
        read_only_fields = fields
