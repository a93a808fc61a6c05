"""E-mails about instructor-led sessions, through the outbox (called inside the transaction of the
change): a seat freed up for someone on the waitlist, a session cancelled, and — as a reminder source
— the session tomorrow (on the last business day before it). Dedupe keys name the session, the
person and the start time, so each e-mail goes once, and again only if the session is moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.notifications import (
    Delivery,
    NotificationKind,
    absolute_url,
    notification_enqueue,
    register_notification_kind,
)
from hmis_onboarding.permissions import AGENCY_ROLES
from hmis_onboarding.reminders import ReminderItem, register_reminder_source

from .models import SessionRegistration, TrainingSession

SESSION_UPDATES = register_notification_kind(
    NotificationKind(
        key="training_session",
        label="Training sessions you registered for",
        description="A seat freed up for you on the waitlist, a session cancelled, and a reminder the "
        "business day before your session.",
        audience=frozenset(AGENCY_ROLES),
        default_delivery=Delivery.IMMEDIATE,
    )
)


def session_when(session: TrainingSession) -> str:
    local = timezone.localtime(session.starts_at, session.continuum.tzinfo)
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%A, %B} {local.day}, {local.year} at {hour} ({session.continuum.timezone})"


def session_where(session: TrainingSession) -> str:
    parts = [p for p in (session.location, session.webinar_url) if p]
    return " · ".join(parts) or "See the Sessions page."


def _stamp(session: TrainingSession) -> str:
    return session.starts_at.strftime("%Y%m%dT%H%M%SZ")


def _enqueue(session: TrainingSession, registration: SessionRegistration, key: str, **context: Any) -> bool:
    continuum = session.continuum
    _, created = notification_enqueue(
        continuum=continuum,
        kind=SESSION_UPDATES.key,
        dedupe_key=key,
        subject=f"{continuum.name}: {context['headline']}",
        template="session_update",
        context={
            "session": session,
            "when": session_when(session),
            "where": session_where(session),
            "link": absolute_url(reverse("training_sessions", args=[continuum.slug])),
            **context,
        },
        recipient=registration.user,
    )
    return created


def notify_promoted(session: TrainingSession, registration: SessionRegistration) -> bool:
    """The person waiting first got the freed seat."""
    return _enqueue(
        session,
        registration,
        f"session:{session.pk}:promoted:{registration.pk}:{registration.queued_at:%Y%m%dT%H%M%S.%f}",
        headline=f"You have a seat in {session.course.name}",
        subtitle="A seat freed up and you were first on the waitlist.",
        lines=["If you can no longer attend, cancel on the Sessions page so the next person gets the seat."],
    )


def notify_cancelled(session: TrainingSession, registration: SessionRegistration, reason: str) -> bool:
    waiting = registration.status == SessionRegistration.Status.WAITLISTED
    local = timezone.localtime(session.starts_at, session.continuum.tzinfo)
    return _enqueue(
        session,
        registration,
        f"session:{session.pk}:cancelled:{registration.user_id}",
        headline=f"{session.course.name} on {local:%b} {local.day} is cancelled",
        subtitle=(
            "The session you were waiting for is cancelled."
            if waiting
            else "The session you registered for is cancelled."
        ),
        lines=[f"Reason: {reason}", "Register for another session of this course on the Sessions page."],
    )


@register_reminder_source("training_sessions_tomorrow")
def training_sessions_tomorrow(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    """Everyone with a seat in a session held after today and before or on the next business day."""
    cal = calendar_for(continuum)
    if not cal.is_business_day(today):
        return
    next_day = cal.add_business_days(today, 1)
    start = dt.datetime(today.year, today.month, today.day, tzinfo=cal.tz) + dt.timedelta(days=1)
    end = dt.datetime(next_day.year, next_day.month, next_day.day, tzinfo=cal.tz) + dt.timedelta(days=1)
    seats = (
        SessionRegistration.objects.filter(
            continuum=continuum,
            status=SessionRegistration.Status.REGISTERED,
            session__is_cancelled=False,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
            user__is_active=True,
        )
        .select_related("session__course", "session__continuum", "user")
        .order_by("session__starts_at", "pk")
    )
    url = reverse("training_sessions", args=[continuum.slug])
    for registration in seats:
        session = registration.session
        yield ReminderItem(
            recipient=registration.user,
            kind=SESSION_UPDATES.key,
            key=f"session:{session.pk}:registration:{registration.pk}:{_stamp(session)}",
            text=f"Your {session.course.name} session is on {session_when(session)}. "
            f"Where: {session_where(session)}.",
            url=url,
            person=registration.user,
        )
