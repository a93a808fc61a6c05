"""Instructor-led sessions: registration with a first-come waitlist and promotion on cancel,
attendance completing the course on the learning path, the HMIS 10 Acknowledgement Form, and the
pages' scoping (other tenant 404, wrong role 403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.models import AuditEvent
from training import selectors, services, sessions
from training.demo import seed_session_demo
from training.models import (
    AcknowledgementSignature,
    Course,
    Enrollment,
    SessionRegistration,
    TrainingSession,
)
from training.path import Needs

from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def la(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("los-angeles"))
    return tenant_a


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"continuum_slug": tenant.continuum.slug, **kwargs})


def course(tenant, code: str = "hmis-10") -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


def schedule(tenant, code: str = "hmis-10", capacity: int = 2, days: int = 3) -> TrainingSession:
    return sessions.session_create(
        continuum=tenant.continuum,
        course=course(tenant, code),
        starts_at=timezone.now() + dt.timedelta(days=days),
        duration_minutes=None,
        capacity=capacity,
        webinar_url="https://example.org/webinar",
        trainer=tenant["help_desk"],
        actor=tenant["help_desk"],
    )


def member(tenant, email: str):
    person = UserFactory(email=email)
    MembershipFactory(user=person, continuum=tenant.continuum, role="agency_user", agency=tenant.agency)
    return person


# --- Services ------------------------------------------------------------------------------------------
def test_it_refuses_sessions_of_self_paced_courses_and_from_non_staff(la):
    with pytest.raises(PermissionDenied):
        sessions.session_create(
            continuum=la.continuum,
            course=course(la),
            starts_at=timezone.now() + dt.timedelta(days=1),
            duration_minutes=None,
            capacity=5,
            location="Room 1",
            actor=la["ata"],
        )
    self_paced = Course.objects.filter(continuum=la.continuum, kind=Course.Kind.SELF_PACED).first()
    if self_paced is not None:
        with pytest.raises(ValidationError):
            sessions.session_create(
                continuum=la.continuum,
                course=self_paced,
                starts_at=timezone.now() + dt.timedelta(days=1),
                duration_minutes=60,
                capacity=5,
                location="Room 1",
                actor=la["help_desk"],
            )
    session = schedule(la)
    assert session.duration_minutes == 180
    assert AuditEvent.objects.filter(action="training.session_created").count() == 1


def test_it_waitlists_when_full_and_promotes_first_come_on_cancel(la):
    session = schedule(la, capacity=1)
    first, second, third = (member(la, f"p{i}@example.org") for i in range(3))
    now = timezone.now()
    r1 = sessions.session_register(session=session, person=first, actor=first, now=now)
    r2 = sessions.session_register(
        session=session, person=second, actor=second, now=now + dt.timedelta(seconds=1)
    )
    r3 = sessions.session_register(
        session=session, person=third, actor=third, now=now + dt.timedelta(seconds=2)
    )
    assert [r1.status, r2.status, r3.status] == ["registered", "waitlisted", "waitlisted"]
    with pytest.raises(ValidationError):
        sessions.session_register(session=session, person=first, actor=first)
    promoted = sessions.registration_cancel(registration=r1, actor=first)
    assert promoted.pk == r2.pk
    r2.refresh_from_db()
    r3.refresh_from_db()
    assert (r2.status, r3.status) == ("registered", "waitlisted")
    # A waitlisted person leaving frees no seat.
    assert sessions.registration_cancel(registration=r3, actor=third) is None
    assert AuditEvent.objects.filter(action="training.session_promoted_from_waitlist").count() == 1


def test_it_lets_an_ata_register_only_people_of_their_agency(la):
    session = schedule(la, capacity=5)
    person = la["agency_user"]
    registration = sessions.session_register(session=session, person=person, actor=la["ata"])
    assert registration.registered_by == la["ata"]
    with pytest.raises(PermissionDenied):
        sessions.session_register(session=schedule(la, "hmis-511"), person=person, actor=la["other_ata"])


def test_it_refuses_registration_for_a_started_session(la):
    session = schedule(la)
    with pytest.raises(ValidationError):
        sessions.session_register(
            session=session,
            person=la["agency_user"],
            actor=la["agency_user"],
            now=session.starts_at + dt.timedelta(minutes=1),
        )


def test_it_completes_the_course_from_attendance_and_advances_the_path(la):
    person = la["agency_user"]
    services.learning_path_assign(
        continuum=la.continuum,
        person=person,
        needs=Needs(projects=(), training_roles=frozenset({"housing-navigator"}), new_user=True),
        source="test",
    )
    session = schedule(la)
    registration = sessions.session_register(session=session, person=person, actor=person)
    with pytest.raises(ValidationError):
        sessions.attendance_record(registration=registration, attendance="present", actor=la["help_desk"])
    later = session.ends_at + dt.timedelta(minutes=5)
    with pytest.raises(PermissionDenied):
        sessions.attendance_record(registration=registration, attendance="present", actor=person, now=later)
    sessions.attendance_record(
        registration=registration, attendance="present", actor=la["help_desk"], now=later
    )
    enrollment = Enrollment.objects.get(user=person, course=course(la))
    assert enrollment.state == Enrollment.State.COMPLETED
    assert enrollment.source == Enrollment.Source.SESSION_ATTENDANCE
    result = selectors.learning_path_result(la.continuum, person)
    step = next(s for s in result.steps if s.key == "hmis-10")
    assert step.state == "completed"
    with pytest.raises(ValidationError):
        sessions.attendance_record(
            registration=registration, attendance="absent", actor=la["help_desk"], now=later
        )


def test_it_signs_the_acknowledgement_once_after_hmis_10_attendance(la):
    person = la["agency_user"]
    with pytest.raises(ValidationError):
        sessions.acknowledgement_sign(
            continuum=la.continuum, person=person, typed_name=person.full_name or "A B", actor=person
        )
    session = schedule(la)
    registration = sessions.session_register(session=session, person=person, actor=person)
    sessions.attendance_record(
        registration=registration,
        attendance="present",
        actor=la["help_desk"],
        now=session.ends_at,
    )
    with pytest.raises(PermissionDenied):
        sessions.acknowledgement_sign(
            continuum=la.continuum, person=person, typed_name="X Y", actor=la["ata"]
        )
    name = person.full_name or "Pat Example"
    signature = sessions.acknowledgement_sign(
        continuum=la.continuum, person=person, typed_name=name, actor=person
    )
    assert signature.text_version == sessions.ACKNOWLEDGEMENT_VERSION
    assert signature.text == sessions.ACKNOWLEDGEMENT_TEXT
    assert AuditEvent.objects.filter(action="training.acknowledgement_signed").count() == 1
    with pytest.raises(ValidationError):
        sessions.acknowledgement_sign(continuum=la.continuum, person=person, typed_name=name, actor=person)


def test_it_seeds_demo_sessions_idempotently(la):
    la.continuum.slug = "los-angeles"
    la.continuum.save(update_fields=["slug"])
    created = seed_session_demo()
    assert created == 5 and TrainingSession.objects.filter(continuum=la.continuum).count() == 5
    assert seed_session_demo() == 0


# --- Pages ---------------------------------------------------------------------------------------------
def test_it_lets_a_member_register_and_cancel_on_the_sessions_page(client, la):
    session = schedule(la, capacity=1)
    person = la["agency_user"]
    client.force_login(person)
    response = client.get(url("training_sessions", la))
    assert response.status_code == 200 and b"HMIS 10" in response.content
    response = client.post(url("training_sessions", la), {"action": "register", "session": session.pk})
    assert response.status_code == 302
    registration = SessionRegistration.objects.get(session=session, user=person)
    assert registration.status == "registered"
    assert client.post(url("training_sessions", la), {"action": "bogus"}).status_code == 400
    assert (
        client.post(url("training_sessions", la), {"action": "register", "session": "x"}).status_code == 400
    )
    # Someone else's registration is not there for this person.
    other = member(la, "other@example.org")
    other_reg = sessions.session_register(session=session, person=other, actor=other)
    assert (
        client.post(
            url("training_sessions", la), {"action": "cancel", "registration": other_reg.pk}
        ).status_code
        == 404
    )
    client.post(url("training_sessions", la), {"action": "cancel", "registration": registration.pk})
    registration.refresh_from_db()
    other_reg.refresh_from_db()
    assert (registration.status, other_reg.status) == ("cancelled", "registered")


def test_it_lets_an_ata_register_their_person_on_the_page(client, la):
    session = schedule(la)
    client.force_login(la["ata"])
    payload = {"action": "register_for", "for-person": la["agency_user"].pk, "for-session": session.pk}
    assert client.post(url("training_sessions", la), payload).status_code == 302
    assert SessionRegistration.objects.filter(session=session, user=la["agency_user"]).exists()
    payload["for-person"] = la["other_ata"].pk
    assert client.post(url("training_sessions", la), payload).status_code == 400


def test_it_shows_the_roster_to_training_staff_and_records_attendance(client, la, tenant_b):
    session = schedule(la)
    registration = sessions.session_register(
        session=session, person=la["agency_user"], actor=la["agency_user"]
    )
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - dt.timedelta(hours=4))
    roster = url("training_session_roster", la, session_id=session.pk)
    for role in ("ata", "agency_user", "auditor"):
        client.force_login(la[role])
        assert client.get(roster).status_code == 403, role
        assert client.get(url("training_session_schedule", la)).status_code == 403, role
    client.force_login(tenant_b["help_desk"])
    assert client.get(roster).status_code == 404
    client.force_login(la["help_desk"])
    response = client.get(roster)
    assert response.status_code == 200 and str(la["agency_user"]).encode() in response.content
    assert client.post(roster, {"registration": registration.pk, "attendance": "present"}).status_code == 302
    registration.refresh_from_db()
    assert registration.attendance == "present"
    assert client.post(roster, {"registration": "x"}).status_code == 400
    assert client.get(url("training_session_roster", la, session_id=999999)).status_code == 404


def test_it_schedules_a_session_in_the_continuums_time_zone(client, la):
    client.force_login(la["help_desk"])
    day = timezone.localdate() + dt.timedelta(days=10)
    payload = {
        "course": course(la, "hmis-511").pk,
        "date": day.isoformat(),
        "start_time": "13:00",
        "capacity": 12,
        "webinar_url": "https://example.org/w",
        "trainer": la["help_desk"].pk,
    }
    response = client.post(url("training_session_schedule", la), payload)
    assert response.status_code == 302
    session = TrainingSession.objects.get(continuum=la.continuum)
    local = timezone.localtime(session.starts_at, la.continuum.tzinfo)
    assert (local.date(), local.hour) == (day, 13)
    payload.pop("webinar_url")
    response = client.post(url("training_session_schedule", la), payload)
    assert response.status_code == 400 and b"location or a webinar link" in response.content
    assert client.get(url("training_session_schedule", la)).status_code == 200


def test_it_opens_the_acknowledgement_form_after_attendance(client, la, tenant_b):
    person = la["agency_user"]
    client.force_login(person)
    response = client.get(url("training_acknowledgement", la))
    assert response.status_code == 200 and b"after your attendance" in response.content
    assert client.post(url("training_acknowledgement", la), {"typed_name": "Someone"}).status_code == 400
    assert not AcknowledgementSignature.objects.exists()
    session = schedule(la)
    registration = sessions.session_register(session=session, person=person, actor=person)
    sessions.attendance_record(
        registration=registration, attendance="present", actor=la["help_desk"], now=session.ends_at
    )
    name = person.full_name or "Pat Example"
    assert client.post(url("training_acknowledgement", la), {"typed_name": name}).status_code == 302
    assert AcknowledgementSignature.objects.get(user=person).typed_name == name
    client.force_login(tenant_b["agency_user"])
    assert client.get(url("training_acknowledgement", la)).status_code == 404
    assert client.get(url("training_sessions", la)).status_code == 404
