"""CoC pathway configuration in a browser: the CoC administrator adds a course, is refused a
prerequisite cycle (named on the form), edits bundles and recency windows; configures a rollout
plan (an overlapping phase is refused on the form) and finds every change in the configuration
history. axe-core checks each page; screenshots go to var/screenshots."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from rollout.gates import request_submission_closed_reason
from rollout.selectors import today_in
from training import services

from .conftest import check_a11y, sign_in
from .test_credential_flow import tick


def test_the_coc_admin_edits_the_course_catalog_and_is_refused_a_cycle(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    base = f"{live_server.url}/{continuum.slug}"
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{base}/training/catalog/")
    page.get_by_role("link", name="Add a course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New course")
    check_a11y(page, "config-course-new")
    page.get_by_label("Code").fill("street-outreach-refresher")
    page.get_by_label("Name", exact=True).fill("Street Outreach refresher")
    page.get_by_label("Who takes it").select_option(label="People whose projects, programs or roles match")
    tick(page, page.get_by_label("Street Outreach"))
    page.get_by_label("Recency window (months)").fill("12")
    page.get_by_role("button", name="Add course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Street Outreach refresher")
    expect(page.get_by_role("status")).to_contain_text("added to the catalog")

    # It requires Introduction to HMIS; then Introduction to HMIS requiring it is a cycle.
    form = page.get_by_role("form", name="Add a prerequisite")
    form.get_by_label("Requires").select_option(label="Introduction to HMIS")
    form.get_by_role("button", name="Add prerequisite").click()
    expect(page.get_by_role("status")).to_contain_text("now requires “Introduction to HMIS”")
    check_a11y(page, "config-course-edit")
    page.goto(f"{base}/training/catalog/")
    page.get_by_role("link", name="Introduction to HMIS", exact=True).click()
    form = page.get_by_role("form", name="Add a prerequisite")
    form.get_by_label("Requires").select_option(label="Street Outreach refresher")
    form.get_by_role("button", name="Add prerequisite").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Introduction to HMIS → Street Outreach refresher → Introduction to HMIS"
    )
    check_a11y(page, "config-course-cycle-refused")

    page.goto(f"{base}/training/catalog/bundles/")
    expect(page.get_by_role("table", name=f"Bundles of {continuum.name}")).to_contain_text(
        "Families - Permanent Housing"
    )
    check_a11y(page, "config-bundles")
    page.goto(f"{base}/training/catalog/policy/")
    page.get_by_label("Project-specific course recency window (months)").fill("4")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status")).to_contain_text("Training policy saved")
    expect(page.get_by_role("region", name="History")).to_contain_text("project_course_recency_months")
    check_a11y(page, "config-training-policy")


def test_the_coc_admin_configures_a_rollout_plan_and_reads_the_history(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    today = today_in(continuum)
    base = f"{live_server.url}/{continuum.slug}"
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{base}/rollout/")
    page.get_by_role("link", name="New plan").click()
    check_a11y(page, "config-rollout-new")
    page.get_by_label("Name").fill("New access request forms")
    page.get_by_label("Summary").fill("The new forms replace the old ones.")
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Configure “New access request forms”")

    page.get_by_role("link", name="Add a phase").click()
    page.get_by_label("Name").fill("ATA trainings")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_label("From its start: new access request forms accept submissions").select_option("off")
    page.get_by_role("button", name="Save phase").click()
    expect(page.get_by_role("status")).to_contain_text("Phase “ATA trainings” saved")
    assert "ATA trainings" in request_submission_closed_reason(continuum)

    page.get_by_role("link", name="Add a phase").click()
    page.get_by_label("Name").fill("Overlap")
    page.get_by_label("Starts on").fill((today + dt.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Save phase").click()
    expect(page.get_by_role("alert").first).to_contain_text("phases follow one another without overlapping")
    check_a11y(page, "config-rollout-phase-refused")
    page.get_by_label("Starts on").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_label("Name").fill("Implementation")
    page.get_by_label("From its start: new access request forms accept submissions").select_option("on")
    page.get_by_role("button", name="Save phase").click()

    page.get_by_role("link", name="Add an obligation").click()
    page.get_by_label("What must be completed").fill("Complete the LMS course “HMIS Access Process”")
    page.get_by_label("Deadline", exact=True).fill((today + dt.timedelta(days=10)).isoformat())
    tick(page, page.get_by_label("Completed the LMS course"))
    check_a11y(page, "config-rollout-obligation")
    page.get_by_role("button", name="Save obligation").click()
    phases = page.get_by_role("table", name="Phases")
    expect(phases).to_contain_text("Implementation")
    expect(page.get_by_role("table", name="Obligations")).to_contain_text("HMIS Access Process")
    check_a11y(page, "config-rollout-plan")

    page.goto(f"{base}/configuration/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Configuration history")
    changes = page.get_by_role("list", name="Configuration changes, newest first")
    expect(changes).to_contain_text("Rollout plans: Obligation created")
    expect(changes).to_contain_text("Rollout plans: Phase created — New access request forms: Implementation")
    page.get_by_label("Area").select_option(label="Rollout plans")
    page.get_by_role("button", name="Show").click()
    expect(changes.get_by_role("listitem")).to_have_count(4)
    check_a11y(page, "config-history")
