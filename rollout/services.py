"""Writes of rollout plans: recording who met an obligation (and plan configuration for the demo)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import Membership
from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from .models import CompletionSource, ObligationCompletion, RolloutObligation
from .selectors import today_in


def obligation_completion_record(
    *,
    obligation: RolloutObligation,
    person: User,
    actor: User,
    completed_on: datetime.date,
    source: str,
    note: str = "",
) -> ObligationCompletion:
    """Record (or correct) that `person` met `obligation` on `completed_on`, and how."""
    continuum = obligation.continuum
    if not access_for(continuum, actor).can(Capability.MANAGE_ROLLOUT):
        raise PermissionDenied("Only the Help Desk and CoC administrators record rollout obligations.")
    if not Membership.objects.filter(
        continuum=continuum, user=person, role=obligation.role, is_active=True
    ).exists():
        raise ValidationError(f"{person.get_full_name()} does not hold the role this obligation applies to.")
    if source not in CompletionSource.values or source not in dict(obligation.source_choices):
        raise ValidationError("Choose how the obligation was met.")
    if completed_on > today_in(continuum):
        raise ValidationError("The completion date cannot be in the future.")
    note = note.strip()[:300]
    with transaction.atomic():
        existing = (
            ObligationCompletion.objects.select_for_update()
            .filter(obligation=obligation, person=person)
            .first()
        )
        if existing is None:
            completion = ObligationCompletion.objects.create(
                continuum=continuum,
                obligation=obligation,
                person=person,
                completed_on=completed_on,
                source=source,
                note=note,
                recorded_by=actor,
            )
            before: dict = {}
        else:
            completion = existing
            before = {
                "completed_on": str(existing.completed_on),
                "source": existing.source,
                "note": existing.note,
            }
            completion.completed_on, completion.source, completion.note = completed_on, source, note
            completion.recorded_by = actor
            completion.save(update_fields=["completed_on", "source", "note", "recorded_by"])
        audit_record(
            action="rollout.obligation_completed",
            actor=actor,
            continuum=continuum,
            obj=completion,
            before=before,
            after={"completed_on": str(completed_on), "source": source, "note": note},
            metadata={"obligation": obligation.pk, "person": person.pk},
        )
    return completion
