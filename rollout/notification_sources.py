"""Reminders about rollout deadlines (see hmis_onboarding/reminders.py): each person who has not met
an obligation is reminded on the CoC's offset days before it is due, on the day and while overdue;
after the escalation delay the CoC's administrators hear about it too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from agencies.models import Membership
from hmis_onboarding.notifications import NotificationKind, absolute_url, register_notification_kind
from hmis_onboarding.permissions import Role
from hmis_onboarding.reminders import ReminderItem, register_reminder_source

from .selectors import open_obligations_by_person

ROLLOUT_DEADLINE = register_notification_kind(
    NotificationKind(
        key="rollout_deadline",
        label="Rollout deadlines",
        description="Trainings or courses you must complete by a rollout deadline, and (for CoC "
        "administrators) the people who missed one.",
        audience=frozenset({Role.ATA, Role.COC_ADMIN}),
    )
)


@register_reminder_source("rollout_obligations")
def rollout_obligations(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    open_items = [
        (obligation, people)
        for obligation, people in open_obligations_by_person(continuum)
        if people and (obligation.available_from is None or obligation.available_from <= today)
    ]
    if not open_items:
        return
    admins = tuple(
        m.user
        for m in Membership.objects.filter(
            continuum=continuum, role=Role.COC_ADMIN, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    )
    home = reverse("tenant_home", args=[continuum.slug])
    for obligation, people in open_items:
        how = f" (LMS course “{obligation.lms_course_name}”)" if obligation.lms_course_name else ""
        due = f"{obligation.due_on:%B} {obligation.due_on.day}, {obligation.due_on.year}"
        plan_url = absolute_url(reverse("rollout_plan_detail", args=[continuum.slug, obligation.plan_id]))
        for user_id, (person, agencies) in people.items():
            where = f" ({', '.join(agencies)})" if agencies else ""
            yield ReminderItem(
                recipient=person,
                kind=ROLLOUT_DEADLINE.key,
                key=f"obligation:{obligation.pk}:user:{user_id}",
                text=f"{obligation.title}{how} by {due}. {obligation.consequence} if not completed.",
                url=home,
                about=obligation.plan.name,
                due_date=obligation.due_on,
                escalate_to=admins,
                escalation_text=(
                    f"{person.get_full_name()}{where} has not completed “{obligation.title}” "
                    f"(due {due}): {obligation.consequence.lower()}. See {obligation.plan.name}: "
                    f"{plan_url}"
                ),
            )
