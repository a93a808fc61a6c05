"""Training pages in a browser: the Help Desk checks an LMS progress export, reads the row-level
errors, confirms, and the trainee's project course unlocks; the CoC admin's LMS settings page never
shows the stored key. axe-core checks each page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from training import services
from training.models import Enrollment
from training.path import Needs, ProjectNeed

from ..factories import UserFactory
from .conftest import check_a11y, sign_in


def test_the_help_desk_imports_progress_and_a_restricted_course_unlocks(
    page: Page, live_server, tenant_a, tmp_path
):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    trainee = UserFactory(email="ana@agency.org", full_name="Ana Diaz")
    services.lms_account_request(continuum=continuum, person=trainee, email="ana@agency.org")
    services.learning_path_assign(
        continuum=continuum, person=trainee, needs=Needs(projects=(ProjectNeed(1),))
    )
    project = Enrollment.objects.get(user=trainee, course__code="es-th-sh")
    assert project.state == "restricted"

    export = tmp_path / "talentlms-progress.csv"
    export.write_text(
        "Email,Course,Progress (%),Completion date\n"
        "ana@agency.org,Introduction to HMIS,100,14/01/2026\n"
        "someone.else@agency.org,Introduction to HMIS,100,14/01/2026\n"
    )
    sign_in(page, live_server, tenant_a["help_desk"], totp=True)
    page.goto(f"{live_server.url}/{continuum.slug}/training/imports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("LMS progress imports")
    check_a11y(page, "help-desk-progress-imports")
    page.locator("input[type=file]").set_input_files(str(export))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("talentlms-progress.csv")
    errors = page.get_by_role("table", name="Rows with errors and the reason for each")
    expect(errors).to_contain_text("someone.else@agency.org")
    expect(errors).to_contain_text("No LMS account in this CoC uses this e-mail.")
    expect(page.locator("main")).to_contain_text("Nothing has been written yet")
    check_a11y(page, "help-desk-progress-import-preview")
    project.refresh_from_db()
    assert project.state == "restricted"

    page.get_by_role("button", name="Confirm and apply").click()
    expect(page.get_by_role("status").first).to_contain_text("Import applied: 0 new and 1 updated")
    check_a11y(page, "help-desk-progress-import-applied")
    project.refresh_from_db()
    assert project.state == "available"


def test_the_lms_settings_page_never_shows_the_key(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{live_server.url}/{continuum.slug}/training/lms/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning management system")
    page.get_by_label("Portal address").fill("https://chicago-coc.talentlms.com")
    page.get_by_label("API key").fill("sk-e2e-secret-key")
    page.get_by_role("button", name="Save LMS settings").click()
    expect(page.get_by_role("status").first).to_contain_text("LMS settings saved")
    expect(page.get_by_label("API key")).to_have_value("")
    assert "sk-e2e-secret-key" not in page.content()
    expect(page.locator("main")).to_contain_text(re.compile(r"API key: stored"))
    check_a11y(page, "coc-admin-lms-settings")
