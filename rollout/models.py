"""Rollout plans (DESIGN.md §3, issue 7): configuration, one plan per change a CoC rolls out.

A plan has dated phases; a phase may switch product behaviour on or off from its start date (the
latest started phase that sets a switch decides it), and obligations with a deadline that every
person holding a role (the ATAs) must meet; CoC staff record each person's completion and its source.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from agencies.models import Continuum
from hmis_onboarding.permissions import Role


class Switch(models.TextChoices):
    """Behaviour a phase can turn on or off. Only switches the product enforces belong here."""

    REQUEST_FORMS = "request_forms", "New access request forms accept submissions"
    LEGACY_REQUEST_FORMS = "legacy_request_forms", "Old request forms (outside this system) accepted"


# What a switch is when no started phase sets it: the product works as before any rollout.
SWITCH_DEFAULTS: dict[str, bool] = {Switch.REQUEST_FORMS: True, Switch.LEGACY_REQUEST_FORMS: False}


class RolloutPlan(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="rollout_plans")
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="What changes, in a sentence or two, for ATAs.")
    is_active = models.BooleanField(
        default=True, help_text="Inactive plans switch nothing, create no reminders and are hidden from ATAs."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["continuum", "name"], name="rollout_plan_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RolloutPhase(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RolloutPlan, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: the phase lasts from then on.")
    description = models.TextField(blank=True)
    switches = models.JSONField(
        default=dict, blank=True, help_text="Switch → on (true) / off (false) from the phase's start date."
    )

    class Meta:
        ordering = ["starts_on", "pk"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.name}"

    def clean(self) -> None:
        if self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A phase cannot end before it starts."})
        unknown = set(self.switches or {}) - set(Switch.values)
        if unknown:
            raise ValidationError({"switches": f"Unknown switches: {', '.join(sorted(unknown))}."})

    def is_current(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @property
    def switch_list(self) -> list[tuple[str, bool]]:
        return [(Switch(key).label, bool(on)) for key, on in sorted((self.switches or {}).items())]


class CompletionSource(models.TextChoices):
    LIVE_TRAINING = "live_training", "Attended a live training"
    LMS_COURSE = "lms_course", "Completed the LMS course"
    RECORDING = "recording", "Watched the recording and confirmed"
    EXEMPTION = "exemption", "Exempted by CoC staff"


class RolloutObligation(models.Model):
    """Something every holder of `role` must complete by `due_on` (e.g. every ATA: the live ATA
    training or the LMS course)."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RolloutPlan, on_delete=models.CASCADE, related_name="obligations")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="How to meet it, shown to the people concerned.")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.ATA)
    available_from = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    lms_course_name = models.CharField(max_length=200, blank=True)
    accepted_sources = models.JSONField(
        default=list, blank=True, help_text="Completion sources that count; empty: any."
    )
    consequence = models.CharField(
        max_length=200,
        default="Subject to removal of access",
        help_text="What CoC staff may do once the deadline has passed.",
    )

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def source_choices(self) -> list[tuple[str, str]]:
        accepted = set(self.accepted_sources or [])
        return [(v, label) for v, label in CompletionSource.choices if not accepted or v in accepted]


class ObligationCompletion(models.Model):
    """One person's completion of one obligation, recorded by CoC staff with where it came from."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    obligation = models.ForeignKey(RolloutObligation, on_delete=models.CASCADE, related_name="completions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField()
    source = models.CharField(max_length=20, choices=CompletionSource.choices)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "person"], name="rollout_completion_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.obligation}"
