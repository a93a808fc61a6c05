from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from hmis_onboarding.api import iso_datetime_formatter

from .models import LearningPath


class LearningPathSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    agency = serializers.IntegerField(source="agency_id", read_only=True, allow_null=True)
    agency_name = serializers.CharField(read_only=True, allow_null=True)
    days_since_progress = serializers.SerializerMethodField()
    stalled = serializers.SerializerMethodField()

    class Meta:
        model = LearningPath
        fields = [
            "id",
            "user_id",
            "email",
            "full_name",
            "agency",
            "agency_name",
            "assigned_at",
            "recomputed_at",
            "is_complete",
            "percent_complete",
            "next_step",
            "last_progress_at",
            "days_since_progress",
            "stalled",
        ]
        read_only_fields = fields

    def get_days_since_progress(self, path: LearningPath) -> int:
        return (self.context["now"] - path.progress_at).days

    def get_stalled(self, path: LearningPath) -> bool:
        return not path.is_complete and path.progress_at < self.context["stalled_before"]


def learning_path_list_data(
    rows: Iterable[Mapping[str, Any]], *, now: dt.datetime, stalled_before: dt.datetime
) -> list[dict[str, Any]]:
    """`LearningPathSerializer(many=True).data` for rows of `selectors.learning_path_rows`, without
    DRF's per-field work (tests/test_training_tracker.py checks that both give the same data)."""
    when = iso_datetime_formatter()
    return [
        {
            "id": row["id"],
            "user_id": row["user_id"],
            "email": row["user__email"],
            "full_name": row["user__full_name"],
            "agency": row["agency_id"],
            "agency_name": row["agency_name"],
            "assigned_at": when(row["assigned_at"]),
            "recomputed_at": when(row["recomputed_at"]),
            "is_complete": row["is_complete"],
            "percent_complete": row["percent_complete"],
            "next_step": row["next_step"],
            "last_progress_at": when(row["last_progress_at"]),
            "days_since_progress": (now - row["progress_at"]).days,
            "stalled": not row["is_complete"] and row["progress_at"] < stalled_before,
        }
        for row in rows
    ]


class StepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    chosen = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    percent = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    requires = serializers.ListField(child=serializers.CharField())
    unlocks = serializers.ListField(child=serializers.CharField())
    waiting_for = serializers.ListField(child=serializers.CharField())
    recency_ok = serializers.SerializerMethodField()

    def get_recency_ok(self, step) -> bool | None:
        return None if step.recency is None else step.recency.ok


class LearningPathDetailSerializer(LearningPathSerializer):
    steps = serializers.SerializerMethodField()
    needs_sample_client = serializers.SerializerMethodField()
    ready_for_sample_client = serializers.SerializerMethodField()

    class Meta(LearningPathSerializer.Meta):
        fields = [
            *LearningPathSerializer.Meta.fields,
            "steps",
            "needs_sample_client",
            "ready_for_sample_client",
        ]
        read_only_fields = fields

    def get_steps(self, path: LearningPath) -> list[dict]:
        result = self.context["result"]
        return StepSerializer(result.steps if result else [], many=True).data

    def get_needs_sample_client(self, path: LearningPath) -> bool:
        result = self.context["result"]
        return bool(result and result.needs_sample_client)

    def get_ready_for_sample_client(self, path: LearningPath) -> bool:
        result = self.context["result"]
        return bool(result and result.ready_for_sample_client)
