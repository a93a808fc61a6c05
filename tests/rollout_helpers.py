"""Builders of rollout plans for tests."""

from __future__ import annotations

import datetime as dt

from rollout.models import ObligationCompletion, RolloutObligation, RolloutPhase, RolloutPlan


def make_plan(continuum, *, name: str = "2026 HMIS Access Request Process", **fields) -> RolloutPlan:
    return RolloutPlan.objects.create(continuum=continuum, name=name, **fields)


def make_phase(
    plan, name: str, starts_on: dt.date, ends_on: dt.date | None = None, **switches
) -> RolloutPhase:
    return RolloutPhase.objects.create(
        continuum=plan.continuum,
        plan=plan,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        switches=switches,
    )


def make_obligation(
    plan, *, due_on: dt.date, available_from: dt.date | None = None, **fields
) -> RolloutObligation:
    values = {
        "title": "Attend a live ATA training or complete the LMS course “HMIS Access Process”",
        "lms_course_name": "HMIS Access Process",
        "accepted_sources": ["live_training", "lms_course"],
    }
    values.update(fields)
    return RolloutObligation.objects.create(
        continuum=plan.continuum, plan=plan, due_on=due_on, available_from=available_from, **values
    )


def complete(
    obligation, person, recorded_by, on: dt.date, source: str = "lms_course"
) -> ObligationCompletion:
    return ObligationCompletion.objects.create(
        continuum=obligation.continuum,
        obligation=obligation,
        person=person,
        completed_on=on,
        source=source,
        recorded_by=recorded_by,
    )
