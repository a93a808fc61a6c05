"""Registration under concurrency: 30 rounds × 6 people racing for a session with 2 seats give
exactly 2 seats taken and the rest on the waitlist. Needs PostgreSQL's row locks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from training.models import Course, SessionRegistration, TrainingSession

from .factories import MembershipFactory, UserFactory

ROUNDS = 30
THREADS = 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_it_never_gives_more_seats_than_the_capacity(tenants):
    from training import sessions

    coc = tenants[0]
    course = Course.objects.create(
        continuum=coc.continuum,
        code="race",
        name="Race",
        kind=Course.Kind.INSTRUCTOR_LED,
        duration_minutes=60,
    )
    people = []
    for index in range(THREADS):
        person = UserFactory(email=f"seat{index}@example.org")
        MembershipFactory(user=person, continuum=coc.continuum, role="agency_user", agency=coc.agency)
        people.append(person)
    over = 0
    for number in range(ROUNDS):
        session = TrainingSession.objects.create(
            continuum=coc.continuum,
            course=course,
            starts_at=timezone.now() + dt.timedelta(days=1, minutes=number),
            duration_minutes=60,
            capacity=2,
            location="Room 1",
        )
        barrier = threading.Barrier(THREADS)
        errors: list[str] = []

        def act(index: int, session=session, barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait()
                sessions.session_register(session=session, person=people[index], actor=people[index])
            except Exception as error:  # noqa: BLE001 - any failure is a test failure, reported below
                errors.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=act, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Each round's session is the same course: cancel so the next round may register again.
        registrations = SessionRegistration.objects.filter(session=session)
        seats = registrations.filter(status=SessionRegistration.Status.REGISTERED).count()
        assert not errors, errors
        assert registrations.count() == THREADS
        over += max(0, seats - 2)
        assert seats == 2
        TrainingSession.objects.filter(pk=session.pk).update(is_cancelled=True)
    assert over == 0
