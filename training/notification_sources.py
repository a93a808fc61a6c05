"""Reminders about people on their way through training (see hmis_onboarding/reminders.py).

- Trainees stalled: a person still in the training stage whose learning path has not moved for the
  CoC's `stalled_after_days` — to their agency's ATAs, grouped under the person in the daily digest;
  after the escalation delay (business days) the agency's supervisors hear about it too, or the
  CoC's Help Desk when the agency has no supervisor.
- Sample-client corrections outstanding: the last reviewed round of an open sample client came back
  "corrections needed" and nothing was resubmitted for `corrections_reminder_days` — to the ATAs and
  the trainee; escalated the same way.

Each source reads in a fixed number of queries, whatever the number of people.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from access_requests.models import (
    AssignmentStatus,
    Onboarding,
    OnboardingStage,
    RoundOutcome,
    SampleClientRound,
)
from agencies.models import Membership
from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.models import User
from hmis_onboarding.notifications import NotificationKind, register_notification_kind
from hmis_onboarding.permissions import Role
from hmis_onboarding.reminders import ReminderItem, register_reminder_source

from . import session_notify  # noqa: F401  (registers the session-tomorrow reminder source)
from .models import LearningPath
from .selectors import training_policy

TRAINEE_STALLED = register_notification_kind(
    NotificationKind(
        key="trainee_stalled",
        label="People stalled in training",
        description="People of your agency whose training has not moved for a while; supervisors hear "
        "about them once the ATA has had time to act.",
        audience=frozenset({Role.ATA, Role.AGENCY_SUPERVISOR, Role.HELP_DESK}),
    )
)
CORRECTIONS_OUTSTANDING = register_notification_kind(
    NotificationKind(
        key="sample_client_corrections",
        label="Sample client corrections not resubmitted",
        description="Sample clients returned with corrections needed that have not been resubmitted.",
        audience=frozenset({Role.ATA, Role.AGENCY_SUPERVISOR, Role.AGENCY_USER, Role.HELP_DESK}),
    )
)


def _agency_people(continuum: Any, agency_ids: set[int]) -> dict[tuple[int | None, str], list[User]]:
    """(agency id, role) → active ATAs and supervisors of these agencies, and (None, help desk) → the
    CoC's Help Desk, in one query."""
    out: dict[tuple[int | None, str], list[User]] = defaultdict(list)
    rows = Membership.objects.filter(
        Q(agency_id__in=agency_ids, role__in=[Role.ATA, Role.AGENCY_SUPERVISOR]) | Q(role=Role.HELP_DESK),
        continuum=continuum,
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    for m in rows.order_by("user_id"):
        out[(None if m.role == Role.HELP_DESK else m.agency_id, m.role)].append(m.user)
    return out


def _escalation_contacts(
    people: dict[tuple[int | None, str], list[User]], agency_id: int
) -> tuple[User, ...]:
    """The agency's supervisors, else the CoC's Help Desk."""
    return tuple(people.get((agency_id, Role.AGENCY_SUPERVISOR)) or people.get((None, Role.HELP_DESK), ()))


def _start_of(cal: Any, day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the CoC's time zone: whatever happened on the day N days
    ago counts as N days ago, whatever the hour of the run."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=cal.tz)


def _day(value: dt.date) -> str:
    return f"{value:%b} {value.day}"


@register_reminder_source("trainees_stalled")
def trainees_stalled(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    days = training_policy(continuum).stalled_after_days
    cal = calendar_for(continuum)
    cutoff = _start_of(cal, today - dt.timedelta(days=days - 1))
    progress = LearningPath.objects.filter(
        continuum=continuum, user_id=OuterRef("user_id"), is_complete=False
    ).annotate(at=Coalesce("last_progress_at", "assigned_at"))
    stalled = list(
        Onboarding.objects.filter(continuum=continuum, stage=OnboardingStage.TRAINING, user__is_active=True)
        .annotate(progress_at=Subquery(progress.values("at")[:1]))
        .filter(progress_at__lt=cutoff)
        .select_related("user", "agency")
        .order_by("agency_id", "user_id", "pk")
    )
    if not stalled:
        return
    people = _agency_people(continuum, {o.agency_id for o in stalled})
    url = reverse("training_progress", args=[continuum.slug]) + "?status=stalled"
    seen: set[tuple[int, int]] = set()
    for onboarding in stalled:
        if (onboarding.agency_id, onboarding.user_id) in seen:
            continue
        seen.add((onboarding.agency_id, onboarding.user_id))
        person = onboarding.user
        last = cal.local_date(onboarding.progress_at)
        since = last + dt.timedelta(days=days)
        text = (
            f"{person.get_full_name()} has made no training progress since {_day(last)} "
            f"({(today - last).days} days). Check in with them about their next course."
        )
        for ata in people.get((onboarding.agency_id, Role.ATA), []):
            if ata.pk == person.pk:
                continue
            yield ReminderItem(
                recipient=ata,
                kind=TRAINEE_STALLED.key,
                key=f"user:{person.pk}:agency:{onboarding.agency_id}:since:{since.isoformat()}",
                text=text,
                url=url,
                person=person,
                open_since=since,
                escalate_to=_escalation_contacts(people, onboarding.agency_id),
                escalation_text=(
                    f"{person.get_full_name()} ({onboarding.agency.name}) has made no training progress "
                    f"since {_day(last)}, and their ATA was told on {_day(since)}."
                ),
            )


@register_reminder_source("sample_client_corrections_outstanding")
def sample_client_corrections_outstanding(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    days = training_policy(continuum).corrections_reminder_days
    cal = calendar_for(continuum)
    cutoff = _start_of(cal, today - dt.timedelta(days=days - 1))
    later = SampleClientRound.objects.filter(
        assignment_id=OuterRef("assignment_id"), number__gt=OuterRef("number")
    )
    rounds = list(
        SampleClientRound.objects.filter(
            continuum=continuum,
            outcome=RoundOutcome.CORRECTIONS,
            assignment__status=AssignmentStatus.OPEN,
            assignment__user__is_active=True,
            reviewed_at__lt=cutoff,
        )
        .exclude(Exists(later))
        .select_related("assignment__agency", "assignment__user", "assignment__onboarding")
        .order_by("assignment__agency_id", "assignment__user_id", "pk")
    )
    if not rounds:
        return
    people = _agency_people(continuum, {r.assignment.agency_id for r in rounds})
    for rnd in rounds:
        assignment = rnd.assignment
        person = assignment.user
        reviewed = cal.local_date(rnd.reviewed_at)
        since = reviewed + dt.timedelta(days=days)
        expires = cal.local_date(assignment.expires_at) if assignment.expires_at else None
        text = (
            f"{person.get_full_name()}'s sample client (round {rnd.number}) came back with corrections "
            f"needed on {_day(reviewed)} and has not been resubmitted"
            + (f"; the assignment expires on {_day(expires)}." if expires else ".")
        )
        recipients = [
            ata for ata in people.get((assignment.agency_id, Role.ATA), []) if ata.pk != person.pk
        ] + [person]
        for recipient in recipients:
            yield ReminderItem(
                recipient=recipient,
                kind=CORRECTIONS_OUTSTANDING.key,
                key=f"round:{rnd.pk}",
                text=text,
                url=(
                    reverse("my_access", args=[continuum.slug])
                    if recipient.pk == person.pk
                    else reverse(
                        "request_detail", args=[continuum.slug, assignment.onboarding.access_request_id]
                    )
                ),
                person=person,
                open_since=since,
                escalate_to=_escalation_contacts(people, assignment.agency_id),
                escalation_text=(
                    f"{person.get_full_name()} ({assignment.agency.name}) has not resubmitted the sample "
                    f"client returned for corrections on {_day(reviewed)}."
                ),
            )
