"""The trainee's tracker in a browser: a project course shows as restricted, Intro reaches 100 %
(recorded through the service, as a session attendance or the sync would), and after a reload the
course is available. Also on a phone, and the ATA's progress view. axe-core checks each page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from hmis_onboarding.permissions import Role
from training import services
from training.models import Course
from training.path import Needs, ProjectNeed

from ..factories import MembershipFactory, UserFactory
from .conftest import assert_no_horizontal_overflow, check_a11y, sign_in


def test_a_trainee_sees_a_restricted_course_unlock_after_intro_reaches_100(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    trainee = UserFactory(email="ana@agency.org", full_name="Ana Diaz")
    MembershipFactory(user=trainee, continuum=continuum, role=Role.AGENCY_USER, agency=tenant_a.agency)
    services.lms_account_request(continuum=continuum, person=trainee, email="ana@agency.org")
    services.learning_path_assign(
        continuum=continuum, person=trainee, needs=Needs(projects=(ProjectNeed(1),))
    )

    sign_in(page, live_server, trainee, totp=False)
    page.goto(f"{live_server.url}/{continuum.slug}/my-onboarding/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My onboarding")
    course = page.locator("#course-es-th-sh")
    expect(course.locator("[data-state]")).to_have_text("Restricted")
    expect(course).to_contain_text("Opens when you finish: Introduction to HMIS")
    expect(page.get_by_role("progressbar", name="Introduction to HMIS: progress")).to_have_attribute(
        "value", "0"
    )
    check_a11y(page, "trainee-tracker-restricted")

    services.enrollment_record_progress(
        continuum=continuum,
        person=trainee,
        course=Course.objects.get(continuum=continuum, code="intro-to-hmis"),
        percent=100,
        actor=tenant_a["help_desk"],
    )
    page.reload()
    expect(course.locator("[data-state]")).to_have_text("Available")
    expect(page.locator("#course-intro-to-hmis [data-state]")).to_have_text("Completed")
    expect(page.get_by_role("progressbar", name="Introduction to HMIS: progress")).to_have_attribute(
        "value", "100"
    )
    check_a11y(page, "trainee-tracker-unlocked")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert_no_horizontal_overflow(page)
    check_a11y(page, "trainee-tracker-phone")

    page.goto(f"{live_server.url}/{continuum.slug}/")
    expect(page.get_by_role("heading", name="Your training")).to_be_visible()
    check_a11y(page, "trainee-home-panel")


def test_an_ata_sees_their_agencys_trainees_with_the_stalled_highlighted(page: Page, live_server, tenant_a):
    import datetime as dt

    from django.utils import timezone

    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    for email, idle in (("ana@agency.org", 0), ("ben@agency.org", 40)):
        person = UserFactory(email=email)
        MembershipFactory(user=person, continuum=continuum, role=Role.AGENCY_USER, agency=tenant_a.agency)
        services.learning_path_assign(
            continuum=continuum,
            person=person,
            needs=Needs(projects=(ProjectNeed(1),)),
            now=timezone.now() - dt.timedelta(days=idle),
        )
    sign_in(page, live_server, tenant_a["ata"], totp=False)
    page.goto(f"{live_server.url}/{continuum.slug}/training/progress/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Training progress")
    expect(page.locator("tr[data-stalled=true]")).to_contain_text("ben@agency.org")
    check_a11y(page, "ata-training-progress")
    page.get_by_label("Status").select_option("stalled")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    check_a11y(page, "ata-training-progress-stalled")
