"""E-mails about instructor-led sessions: a seat freed for the first person waiting, the reminder on
the business day before the session (through the reminders run, sent once), and the cancellation
notice to everyone registered or waiting."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.models import AuditEvent, ContinuumNotificationSettings, Notification
from hmis_onboarding.reminders import reminders_due, reminders_run
from training import services, sessions
from training.models import Course, SessionRegistration, TrainingSession

from .factories import MembershipFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db


@pytest.fixture
def la(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("los-angeles"))
    return tenant_a


def schedule(tenant, starts_at: dt.datetime, capacity: int = 1, now: dt.datetime | None = None):
    return sessions.session_create(
        continuum=tenant.continuum,
        course=Course.objects.get(continuum=tenant.continuum, code="hmis-10"),
        starts_at=starts_at,
        duration_minutes=None,
        capacity=capacity,
        location="Room 4, 811 Wilshire",
        webinar_url="https://example.org/webinar",
        trainer=tenant["help_desk"],
        actor=tenant["help_desk"],
        now=now,
    )


def member(tenant, email: str, name: str):
    person = UserFactory(email=email, full_name=name)
    MembershipFactory(user=person, continuum=tenant.continuum, role="agency_user", agency=tenant.agency)
    return person


def session_mail(person):
    return Notification.objects.filter(recipient=person, kind="training_session")


def test_it_tells_the_first_person_waiting_that_they_have_a_seat(la):
    session = schedule(la, timezone.now() + dt.timedelta(days=5))
    first, second, third = (member(la, f"p{i}@example.org", f"Person {i}") for i in range(3))
    now = timezone.now()
    seat = sessions.session_register(session=session, person=first, actor=first, now=now)
    for i, person in enumerate((second, third), 1):
        sessions.session_register(
            session=session, person=person, actor=person, now=now + dt.timedelta(seconds=i)
        )
    assert not session_mail(second).exists()

    sessions.registration_cancel(registration=seat, actor=first)
    mail = session_mail(second).get()
    assert "You have a seat in" in mail.subject
    assert "first on the waitlist" in mail.body_text and "Room 4, 811 Wilshire" in mail.body_text
    assert not session_mail(third).exists() and not session_mail(first).exists()


def test_it_reminds_people_with_a_seat_on_the_business_day_before_once(la):
    created = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CHICAGO)  # Monday
    with time_machine.travel(created, tick=False) as clock:
        type(la["ata"]).objects.update(last_login=timezone.now())
        monday_session = schedule(la, dt.datetime(2026, 3, 9, 10, 0, tzinfo=CHICAGO), capacity=1)
        seated = member(la, "seated@example.org", "Sam Seated")
        waiting = member(la, "waiting@example.org", "Wes Waiting")
        type(seated).objects.filter(pk__in=[seated.pk, waiting.pk]).update(last_login=timezone.now())
        sessions.session_register(session=monday_session, person=seated, actor=seated)
        sessions.session_register(session=monday_session, person=waiting, actor=waiting)

        def run(day: dt.date) -> None:
            clock.move_to(dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=CHICAGO))
            for continuum_id, due_day in reminders_due():
                reminders_run(continuum_id=continuum_id, day=due_day)

        run(dt.date(2026, 3, 5))  # Thursday: not yet
        assert not session_mail(seated).exists()
        run(dt.date(2026, 3, 6))  # Friday, the last business day before Monday's session
        mail = session_mail(seated).get()
        assert "Monday, March 9, 2026 at 10:00 AM (America/Chicago)" in mail.body_text
        assert not session_mail(waiting).exists()
        # A forced second run of the day and Monday's run send nothing more.
        ContinuumNotificationSettings.objects.update(last_run_on=None)
        reminders_run(continuum_id=la.continuum.pk, day=dt.date(2026, 3, 6))
        run(dt.date(2026, 3, 9))
        assert session_mail(seated).count() == 1


def test_it_cancels_a_session_and_tells_everyone_registered_or_waiting_once(la):
    session = schedule(la, timezone.now() + dt.timedelta(days=5))
    seated = member(la, "seated@example.org", "Sam Seated")
    waiting = member(la, "waiting@example.org", "Wes Waiting")
    sessions.session_register(session=session, person=seated, actor=seated)
    sessions.session_register(session=session, person=waiting, actor=waiting)
    with pytest.raises(PermissionDenied):
        sessions.session_cancel(session=session, reason="Trainer ill", actor=la["ata"])
    with pytest.raises(ValidationError, match="Say why"):
        sessions.session_cancel(session=session, reason=" ", actor=la["help_desk"])

    assert sessions.session_cancel(session=session, reason="Trainer ill", actor=la["help_desk"]) == 2
    session.refresh_from_db()
    assert session.is_cancelled
    for person, subtitle in ((seated, "you registered for"), (waiting, "you were waiting for")):
        mail = session_mail(person).get()
        assert (
            "is cancelled" in mail.subject
            and subtitle in mail.body_text
            and "Reason: Trainer ill" in mail.body_text
        )
    with pytest.raises(ValidationError, match="already cancelled"):
        sessions.session_cancel(session=session, reason="Again", actor=la["help_desk"])
    assert session_mail(seated).count() == 1
    assert AuditEvent.objects.filter(action="training.session_cancelled").count() == 1
    # A cancelled session has no attendance.
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    seat = SessionRegistration.objects.get(session=session, user=seated)
    with pytest.raises(ValidationError, match="cancelled"):
        sessions.attendance_record(registration=seat, attendance="present", actor=la["help_desk"])


def test_it_lets_training_staff_cancel_on_the_roster_page(client, la, tenant_b):
    session = schedule(la, timezone.now() + dt.timedelta(days=5))
    sessions.session_register(session=session, person=la["agency_user"], actor=la["agency_user"])
    roster = reverse("training_session_roster", args=[la.continuum.slug, session.pk])
    client.force_login(la["ata"])
    assert client.post(roster, {"action": "cancel_session", "reason": "x"}).status_code == 403
    client.force_login(tenant_b["help_desk"])
    assert client.post(roster, {"action": "cancel_session", "reason": "Room flooded"}).status_code == 404
    client.force_login(la["help_desk"])
    response = client.post(roster, {"action": "cancel_session", "reason": ""}, follow=True)
    assert b"Say why the session is cancelled" in response.content
    assert not TrainingSession.objects.get(pk=session.pk).is_cancelled
    response = client.post(roster, {"action": "cancel_session", "reason": "Room flooded"}, follow=True)
    assert b"Session cancelled. 1 person was told by e-mail." in response.content
    assert b"This session is cancelled" in response.content and b"Cancel the session" not in response.content
    assert session_mail(la["agency_user"]).count() == 1
