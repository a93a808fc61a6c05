"""Pages changed for likely-duplicate LMS accounts, Data Management's parts and session cancellation:
the ATA is told that a returning person may already have an LMS account and hands it over; the
trainee sees Data Management's two parts as sub-bars; the Help Desk cancels a session and everyone
registered is told. axe-core checks each page; screenshots go to var/screenshots."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from hmis_onboarding.models import Notification
from hmis_onboarding.permissions import Role
from training import imports, services, sessions
from training.models import Course, LearningPath, LmsAccount
from training.path import Needs, ProjectNeed

from ..factories import MembershipFactory, UserFactory
from .conftest import assert_no_horizontal_overflow, check_a11y, sign_in


def test_an_ata_is_told_of_an_earlier_lms_account_and_uses_it(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    earlier = UserFactory(full_name="Dana Whitfield", email="dana.w@old-agency.org")
    old = services.lms_account_request(continuum=continuum, person=earlier, email="dana.w@old-agency.org")
    LmsAccount.objects.filter(pk=old.pk).update(lms_user_id="77", status=LmsAccount.Status.LINKED)
    dana = UserFactory(full_name="Dana Whitfield", email="dana@agency-one.org")
    MembershipFactory(user=dana, continuum=continuum, role=Role.AGENCY_USER, agency=tenant_a.agency)
    services.lms_account_request(continuum=continuum, person=dana, email="dana@agency-one.org")
    services.learning_path_assign(continuum=continuum, person=dana, needs=Needs(projects=(ProjectNeed(1),)))

    sign_in(page, live_server, tenant_a["ata"], totp=False)
    page.goto(f"{live_server.url}/{continuum.slug}/training/progress/")
    warning = page.get_by_test_id("lms-duplicate")
    expect(warning).to_contain_text("May already have an LMS account under dana.w@old-agency.org")
    expect(warning).to_contain_text("Update it instead of creating a new one")
    check_a11y(page, "ata-training-progress-lms-duplicate")
    page.get_by_role("button", name="Use the existing account for Dana Whitfield").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "keeps the LMS account they had under dana.w@old-agency.org"
    )
    expect(page.get_by_test_id("lms-duplicate")).to_have_count(0)
    check_a11y(page, "ata-training-progress-lms-duplicate-resolved")
    account = LmsAccount.objects.get(user=dana)
    assert (account.lms_user_id, account.email) == ("77", "dana@agency-one.org")


def test_a_trainee_sees_data_managements_two_parts(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    ana = UserFactory(email="ana@agency.org", full_name="Ana Diaz")
    MembershipFactory(user=ana, continuum=continuum, role=Role.AGENCY_USER, agency=tenant_a.agency)
    services.lms_account_request(continuum=continuum, person=ana, email="ana@agency.org")
    services.learning_path_assign(continuum=continuum, person=ana, needs=Needs(projects=(ProjectNeed(1),)))
    services.enrollment_record_progress(
        continuum=continuum,
        person=ana,
        course=Course.objects.get(continuum=continuum, code="intro-to-hmis"),
        percent=100,
        actor=tenant_a["help_desk"],
    )
    text = (
        "User email,Course,Progress (%),Completion status\n"
        "ana@agency.org,Part 1: Personal Information Security,100,Completed\n"
        "ana@agency.org,Part 2: HMIS Specific Data Guidelines,30,\n"
    )
    record = imports.progress_import_create(
        continuum=continuum,
        actor=tenant_a["help_desk"],
        upload=SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv"),
    )
    imports.progress_import_apply(progress_import=record, actor=tenant_a["help_desk"])

    sign_in(page, live_server, ana, totp=False)
    page.goto(f"{live_server.url}/{continuum.slug}/my-onboarding/")
    course = page.locator("#course-data-management")
    expect(page.get_by_role("progressbar", name="Data Management: progress")).to_have_attribute("value", "65")
    expect(
        course.get_by_role("progressbar", name="Part 1: Personal Information Security: 100% (done)")
    ).to_have_attribute("value", "100")
    expect(
        course.get_by_role("progressbar", name="Part 2: HMIS Specific Data Guidelines: 30%")
    ).to_have_attribute("value", "30")
    expect(course).to_contain_text("The course is complete when every part is.")
    course.scroll_into_view_if_needed()
    check_a11y(page, "trainee-tracker-data-management-parts")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert_no_horizontal_overflow(page)
    page.locator("#course-data-management").scroll_into_view_if_needed()
    check_a11y(page, "trainee-tracker-data-management-parts-phone", full_page=False)
    assert LearningPath.objects.filter(user=ana, is_complete=False).exists()


def test_the_help_desk_cancels_a_session_and_everyone_is_told(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("los-angeles"))
    desk, trainee = tenant_a["help_desk"], tenant_a["agency_user"]
    session = sessions.session_create(
        continuum=continuum,
        course=Course.objects.get(continuum=continuum, code="hmis-10"),
        starts_at=timezone.now() + dt.timedelta(days=3),
        duration_minutes=None,
        capacity=10,
        webinar_url="https://example.org/webinar/hmis-10",
        trainer=desk,
        actor=desk,
    )
    sessions.session_register(session=session, person=trainee, actor=trainee)

    sign_in(page, live_server, desk, totp=True)
    page.goto(f"{live_server.url}/{continuum.slug}/training/sessions/{session.pk}/")
    expect(page.get_by_role("heading", name="Cancel this session")).to_be_visible()
    check_a11y(page, "help-desk-session-roster-cancel")
    page.get_by_label("Reason").fill("The trainer is ill; please register for next week's session.")
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Session cancelled. 1 person was told by e-mail."
    )
    expect(page.get_by_text("This session is cancelled.")).to_be_visible()
    expect(page.get_by_role("heading", name="Cancel this session")).to_have_count(0)
    check_a11y(page, "help-desk-session-roster-cancelled")
    mail = Notification.objects.get(recipient=trainee, kind="training_session")
    assert "is cancelled" in mail.subject and "The trainer is ill" in mail.body_text
