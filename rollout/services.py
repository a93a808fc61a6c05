"""Writes of rollout plans: recording who met an obligation, and the plans' configuration (plans,
phases, obligations) by CoC administrators."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import Continuum, Membership
from hmis_onboarding.audit import audit_record, audited_save, snapshot
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from .models import CompletionSource, ObligationCompletion, RolloutObligation, RolloutPhase, RolloutPlan
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


# --- Plan configuration (CoC administrators) -------------------------------------------------------------
# Every change is validated, audited with before → after (the configuration history reads those
# events) and read from the database by the next request: switches apply without a restart.

PLAN_FIELDS = ["name", "summary", "is_active"]
PHASE_FIELDS = ["name", "starts_on", "ends_on", "description", "switches"]
OBLIGATION_FIELDS = [
    "title",
    "instructions",
    "role",
    "available_from",
    "due_on",
    "lms_course_name",
    "accepted_sources",
    "consequence",
]


def _require_configure(continuum: Any, actor: User) -> None:
    if not access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM):
        raise PermissionDenied("Only the CoC's administrators change rollout plans.")


def _refuse_unknown(given: dict[str, Any], allowed: list[str], what: str) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"Not a {what} field: {', '.join(sorted(unknown))}")


def _day(value: datetime.date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def rollout_plan_save(
    *, continuum: Any, actor: User, plan: RolloutPlan | None = None, **fields: Any
) -> RolloutPlan:
    """Create a plan (plan=None) or change one."""
    _require_configure(continuum, actor)
    _refuse_unknown(fields, PLAN_FIELDS, "rollout plan")
    if "name" in fields:
        fields["name"] = " ".join(str(fields["name"]).split())
        if not fields["name"]:
            raise ValidationError({"name": "Give the plan a name."})
    with transaction.atomic():
        # One plan change at a time per CoC, so two administrators cannot both create the same name.
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        if plan is None:
            locked = RolloutPlan(continuum=continuum)
            before: dict[str, Any] = {}
        else:
            if plan.continuum_id != continuum.pk:
                raise PermissionDenied("The plan belongs to another Continuum of Care.")
            locked = RolloutPlan.objects.select_for_update().get(pk=plan.pk)
            before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        clash = RolloutPlan.objects.filter(continuum=continuum, name__iexact=locked.name).exclude(
            pk=locked.pk
        )
        if clash.exists():
            raise ValidationError({"name": f"A plan named “{locked.name}” already exists."})
        locked.full_clean()
        audited_save(
            locked,
            list(fields),
            before,
            created=plan is None,
            action="rollout.plan",
            actor=actor,
            continuum=continuum,
        )
    return locked


def check_phase_order(phases: list[RolloutPhase]) -> None:
    """Phases follow one another: each starts on or after the previous one ends (they may share the
    handover day), and a phase without an end date can only be the last one."""
    ordered = sorted(phases, key=lambda p: (p.starts_on, p.ends_on or datetime.date.max))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.ends_on is None:
            raise ValidationError(
                f"“{earlier.name}” has no end date, so it must be the last phase, but “{later.name}” "
                f"starts on {_day(later.starts_on)}. Give “{earlier.name}” an end date first."
            )
        if later.starts_on < earlier.ends_on:
            raise ValidationError(
                f"“{later.name}” would start on {_day(later.starts_on)}, before “{earlier.name}” ends on "
                f"{_day(earlier.ends_on)}: phases follow one another without overlapping."
            )


def rollout_phase_save(
    *, plan: RolloutPlan, actor: User, phase: RolloutPhase | None = None, **fields: Any
) -> RolloutPhase:
    """Add a phase to a plan (phase=None) or change one; the plan's phases must stay in order."""
    continuum = plan.continuum
    _require_configure(continuum, actor)
    _refuse_unknown(fields, PHASE_FIELDS, "rollout phase")
    if "switches" in fields:
        fields["switches"] = {str(k): bool(v) for k, v in (fields["switches"] or {}).items()}
    with transaction.atomic():
        locked_plan = RolloutPlan.objects.select_for_update().get(pk=plan.pk, continuum=continuum)
        if phase is None:
            locked = RolloutPhase(continuum=continuum, plan=locked_plan)
            before: dict[str, Any] = {}
        else:
            locked = RolloutPhase.objects.select_for_update().get(pk=phase.pk, plan=locked_plan)
            before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["continuum", "plan"])
        others = list(RolloutPhase.objects.filter(plan=locked_plan).exclude(pk=locked.pk))
        check_phase_order([*others, locked])
        audited_save(
            locked,
            list(fields),
            before,
            created=phase is None,
            action="rollout.phase",
            actor=actor,
            continuum=continuum,
            metadata={"plan": locked_plan.pk},
        )
    return locked


def rollout_phase_delete(*, phase: RolloutPhase, actor: User) -> None:
    continuum = phase.continuum
    _require_configure(continuum, actor)
    with transaction.atomic():
        locked = RolloutPhase.objects.select_for_update().filter(pk=phase.pk).first()
        if locked is None:
            return
        before = snapshot(locked, PHASE_FIELDS)
        audit_record(
            action="rollout.phase_deleted",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before=before,
            metadata={"plan": locked.plan_id},
        )
        locked.delete()


def rollout_obligation_save(
    *, plan: RolloutPlan, actor: User, obligation: RolloutObligation | None = None, **fields: Any
) -> RolloutObligation:
    """Add an obligation (obligation=None) or change one. Who it applies to cannot change once
    completions are recorded (they were recorded for holders of that role)."""
    continuum = plan.continuum
    _require_configure(continuum, actor)
    _refuse_unknown(fields, OBLIGATION_FIELDS, "rollout obligation")
    if "accepted_sources" in fields:
        sources = [str(s) for s in fields["accepted_sources"] or []]
        unknown = set(sources) - set(CompletionSource.values)
        if unknown:
            raise ValidationError({"accepted_sources": f"Unknown sources: {', '.join(sorted(unknown))}."})
        fields["accepted_sources"] = [s for s in CompletionSource.values if s in sources]
    if "role" in fields and fields["role"] not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    with transaction.atomic():
        locked_plan = RolloutPlan.objects.select_for_update().get(pk=plan.pk, continuum=continuum)
        if obligation is None:
            locked = RolloutObligation(continuum=continuum, plan=locked_plan)
            before: dict[str, Any] = {}
        else:
            locked = RolloutObligation.objects.select_for_update().get(pk=obligation.pk, plan=locked_plan)
            before = snapshot(locked, list(fields))
        if (
            obligation is not None
            and fields.get("role", locked.role) != locked.role
            and ObligationCompletion.objects.filter(obligation=locked).exists()
        ):
            raise ValidationError(
                {
                    "role": "Completions are already recorded for this obligation, so who it applies to "
                    "cannot change. Add a new obligation instead."
                }
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        if locked.available_from and locked.due_on and locked.due_on < locked.available_from:
            raise ValidationError(
                {
                    "due_on": f"The deadline ({_day(locked.due_on)}) cannot come before the obligation is "
                    f"available ({_day(locked.available_from)})."
                }
            )
        locked.full_clean(exclude=["continuum", "plan"])
        audited_save(
            locked,
            list(fields),
            before,
            created=obligation is None,
            action="rollout.obligation",
            actor=actor,
            continuum=continuum,
            metadata={"plan": locked_plan.pk},
        )
    return locked


def rollout_obligation_delete(*, obligation: RolloutObligation, actor: User) -> None:
    """Remove an obligation nobody has met yet; recorded completions are kept as evidence."""
    continuum = obligation.continuum
    _require_configure(continuum, actor)
    with transaction.atomic():
        locked = RolloutObligation.objects.select_for_update().filter(pk=obligation.pk).first()
        if locked is None:
            return
        if ObligationCompletion.objects.filter(obligation=locked).exists():
            raise ValidationError(
                "Completions are recorded for this obligation; it stays as the record of who met it. "
                "Move its deadline or deactivate the plan instead."
            )
        audit_record(
            action="rollout.obligation_deleted",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before=snapshot(locked, OBLIGATION_FIELDS),
            metadata={"plan": locked.plan_id},
        )
        locked.delete()
