from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from hmis_onboarding.api import iso_datetime_formatter

from .models import AccessRequest, RequestedPerson, RequestMessage


class RequestedPersonSerializer(serializers.ModelSerializer):
    suggested_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RequestedPerson
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "suggested_type",
            "suggestion_reason",
            "credited_training",
            "credit_note",
        ]
        read_only_fields = ["id", "suggested_type", "suggestion_reason", "credited_training", "credit_note"]


class RequestMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.email", read_only=True)

    class Meta:
        model = RequestMessage
        fields = ["id", "kind", "author", "body", "created_at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    request_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency = serializers.PrimaryKeyRelatedField(read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    people = RequestedPersonSerializer(many=True, read_only=True)
    projects = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    ces_roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    assignee = serializers.CharField(source="assignee.email", default=None, read_only=True)
    sla_state = serializers.CharField(read_only=True, default=None)

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "agency",
            "agency_name",
            "request_type",
            "queue",
            "status",
            "read_only",
            "responsibilities",
            "people",
            "projects",
            "ces_roles",
            "assignee",
            "submitted_at",
            "sla_due_on",
            "sla_state",
            "enrollments_confirmed_at",
            "training_account_created_at",
            "license_use_confirmed_at",
            "decided_at",
            "decision_reason",
            "correct_type",
            "resubmission_of",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- The list, without DRF's per-field machinery ---------------------------------------------------
# `AccessRequestSerializer` over 50 model instances with three prefetched relations cost several
# times the query itself. The list reads plain rows (`selectors.request_list_rows` and
# `selectors.request_list_relations`) and builds the same JSON here; `AccessRequestSerializer` stays
# the schema and the body of every other answer. tests/test_access_requests_api.py checks that both
# give the same data.
_DATE = serializers.DateField()
LIST_DATETIMES = (
    "submitted_at",
    "enrollments_confirmed_at",
    "training_account_created_at",
    "license_use_confirmed_at",
    "decided_at",
    "created_at",
    "updated_at",
)


def access_request_list_data(
    rows: Iterable[Mapping[str, Any]], related: Mapping[str, Mapping[int, list[Any]]]
) -> list[dict[str, Any]]:
    """`AccessRequestSerializer(many=True).data` for rows of `selectors.request_list_rows`."""
    dt, people, projects, ces_roles = (
        iso_datetime_formatter(),
        related["people"],
        related["projects"],
        related["ces_roles"],
    )
    data = []
    for row in rows:
        pk = row["id"]
        item = {
            "id": pk,
            "agency": row["agency_id"],
            "agency_name": row["agency__name"],
            "request_type": row["request_type__code"],
            "queue": row["queue"],
            "status": row["status"],
            "read_only": row["read_only"],
            "responsibilities": row["responsibilities"],
            "people": people.get(pk, []),
            "projects": projects.get(pk, []),
            "ces_roles": ces_roles.get(pk, []),
            "assignee": row["assignee__email"],
            "submitted_at": None,
            "sla_due_on": _DATE.to_representation(row["sla_due_on"]) if row["sla_due_on"] else None,
            "sla_state": row["sla_state"],
            "enrollments_confirmed_at": None,
            "training_account_created_at": None,
            "license_use_confirmed_at": None,
            "decided_at": None,
            "decision_reason": row["decision_reason"],
            "correct_type": row["correct_type_id"],
            "resubmission_of": row["resubmission_of_id"],
            "created_at": None,
            "updated_at": None,
        }
        for name in LIST_DATETIMES:
            item[name] = dt(row[name])
        data.append(item)
    return data


class PersonInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField()


class AccessRequestCreateSerializer(serializers.Serializer):
    agency = serializers.IntegerField()
    request_type = serializers.SlugField(help_text="The form's code, e.g. new-users.")
    people = PersonInputSerializer(many=True, allow_empty=False)
    projects = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    ces_roles = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    responsibilities = serializers.CharField(allow_blank=True, required=False, default="")
    read_only = serializers.BooleanField(required=False, default=False)
    submit = serializers.BooleanField(required=False, default=False, help_text="Submit at once.")


class TextSerializer(serializers.Serializer):
    text = serializers.CharField()


class ReturnSerializer(serializers.Serializer):
    correct_type = serializers.SlugField()
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.EmailField(allow_null=True)


class ChecklistSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["enrollments", "training_account", "license"])
    done = serializers.BooleanField(default=True)
