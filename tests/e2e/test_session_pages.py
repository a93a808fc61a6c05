"""Instructor-led sessions in a browser: a trainee registers for HMIS 10, the Help Desk marks them
present on the roster, and the trainee signs the HMIS 10 Acknowledgement Form. axe-core checks
each page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from training import services, sessions
from training.models import AcknowledgementSignature, Course, Enrollment, TrainingSession

from .conftest import check_a11y, sign_in


def test_a_trainee_registers_attends_and_signs_the_acknowledgement(new_context, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("los-angeles"))
    trainee, desk = tenant_a["agency_user"], tenant_a["help_desk"]
    session = sessions.session_create(
        continuum=continuum,
        course=Course.objects.get(continuum=continuum, code="hmis-10"),
        starts_at=timezone.now() + dt.timedelta(days=2),
        duration_minutes=None,
        capacity=10,
        webinar_url="https://example.org/webinar/hmis-10",
        trainer=desk,
        actor=desk,
    )
    base = f"{live_server.url}/{continuum.slug}/training"

    person = new_context().new_page()
    sign_in(person, live_server, trainee, totp=False)
    person.goto(f"{base}/sessions/")
    expect(person.get_by_role("heading", level=1)).to_have_text("Training sessions")
    check_a11y(person, "trainee-sessions")
    person.get_by_role("button", name="Register for HMIS 10").click()
    expect(person.get_by_role("status").first).to_contain_text("registered for HMIS 10")

    # The class has happened.
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - dt.timedelta(hours=4))
    staff = new_context().new_page()
    sign_in(staff, live_server, desk, totp=True)
    staff.goto(f"{base}/sessions/{session.pk}/")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Roster: HMIS 10")
    check_a11y(staff, "help-desk-session-roster")
    staff.locator("button[name=attendance][value=present]").click()
    expect(staff.get_by_role("status").first).to_contain_text("present")
    assert Enrollment.objects.get(user=trainee, course__code="hmis-10").state == "completed"

    person.goto(f"{base}/acknowledgement/")
    expect(person.get_by_role("heading", level=1)).to_have_text("HMIS 10 Acknowledgement Form")
    check_a11y(person, "trainee-acknowledgement")
    person.get_by_label("Type your full name to sign").fill(trainee.full_name or "Pat Example")
    person.get_by_role("button", name="Sign the form").click()
    expect(person.get_by_role("status").first).to_contain_text("Acknowledgement Form is signed")
    assert AcknowledgementSignature.objects.filter(user=trainee).exists()
