"""Insight pages in a browser: the metrics page with its charts and filters, the audit viewer's search,
API tokens (created, shown once, used, revoked) and the API documentation served from static files."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access_requests.models import RequestStatus
from hmis_onboarding.models import MetricSnapshot

from ..test_access_requests import account
from ..test_metrics import chicago, make_request  # noqa: F401  (fixture and helper)
from .conftest import PHONE, SCREENSHOT_DIR, assert_no_horizontal_overflow, check_a11y, sign_in


@pytest.fixture
def busy(chicago):  # noqa: F811
    chicago.agency.license_pool_size = 5
    chicago.agency.save(update_fields=["license_pool_size"])
    for days in (1, 2, 4, 9):
        make_request(chicago, status=RequestStatus.APPROVED, submitted_days_ago=30, decided_after_days=days)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=8, due_in_days=2)
    make_request(chicago, status=RequestStatus.IN_REVIEW, submitted_days_ago=2, agency=chicago.other_agency)
    account(chicago, "ana@agency.org")
    # Training: one complete path, one stalled in the introduction, one session half full.
    from training import services

    from ..test_training_metrics import enrol, instructor_led, person_with_path, register, session

    services.catalog_load(continuum=chicago.continuum, spec=services.catalog_spec("chicago"))
    done = person_with_path(chicago, assigned=12, complete=True)
    enrol(chicago, done, "intro-to-hmis", completed=6)
    stuck = person_with_path(chicago, assigned=40, percent=30, idle=30)
    enrol(chicago, stuck, "intro-to-hmis", percent=30, idle=30)
    lab = session(chicago, instructor_led(chicago), capacity=4)
    register(chicago, lab, done)
    register(chicago, lab, stuck)
    return chicago


def test_it_shows_the_metrics_with_charts_tables_and_filters(new_context, live_server, busy):
    page = new_context().new_page()
    sign_in(page, live_server, busy["coc_admin"], totp=True)
    page.goto(f"{live_server.url}/{busy.continuum.slug}/metrics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Onboarding metrics")
    chart = page.get_by_role("img", name="Days from submission to decision, per queue")
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name=re.compile("Service level per queue"))
    expect(table.get_by_role("row", name=re.compile("HMIS Help Desk"))).to_contain_text("50% on time")
    check_a11y(page, "metrics")
    expect(page.get_by_role("img", name="People per learning-path stage")).to_be_visible()
    stalls = page.get_by_role("table", name=re.compile("Courses where people stall"))
    expect(stalls.get_by_role("row", name=re.compile("Introduction to HMIS"))).to_contain_text("1")
    fill = page.get_by_role("table", name=re.compile("Instructor-led sessions: seats filled"))
    expect(fill.get_by_role("row", name=re.compile("HMIS lab"))).to_contain_text("50% full")
    page.get_by_role("heading", name="People per learning-path stage").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "metrics-training.png"))

    # The figures come from the roll-up, with their time in the CoC's zone; "Refresh now" recomputes.
    expect(page.get_by_text(re.compile(r"Figures as of .* C[SD]T"))).to_be_visible()
    status = page.get_by_role("table", name=re.compile("Access requests by status"))
    expect(status.get_by_role("row", name=re.compile("^Submitted"))).to_contain_text("1")
    make_request(busy, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    MetricSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(minutes=10))
    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_role("status")).to_contain_text("Figures refreshed: as of")
    expect(status.get_by_role("row", name=re.compile("^Submitted"))).to_contain_text("2")
    check_a11y(page, "metrics-refreshed")
    page.screenshot(path=str(SCREENSHOT_DIR / "metrics-refreshed.png"))

    page.get_by_label("Agency", exact=True).select_option(label=busy.other_agency.name)
    page.get_by_role("button", name="Apply filters").click()
    status = page.get_by_role("table", name=re.compile("Access requests by status"))
    expect(status.get_by_role("row", name=re.compile("^In review"))).to_contain_text("1")
    expect(status.get_by_role("row", name=re.compile("^Approved"))).to_contain_text("0")
    check_a11y(page, "metrics-filtered")

    later = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    page.get_by_label("Submitted from").fill(later)
    page.get_by_label("Submitted until").fill((timezone.localdate() - dt.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("comes before its start")
    check_a11y(page, "metrics-bad-period")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/{busy.continuum.slug}/metrics/")
    assert_no_horizontal_overflow(page)
    check_a11y(page, "metrics-phone")


def test_it_searches_the_audit_trail(new_context, live_server, busy):
    page = new_context().new_page()
    sign_in(page, live_server, busy["auditor"], totp=True)
    page.goto(f"{live_server.url}/{busy.continuum.slug}/audit/")
    page.get_by_label("Action starts with").fill("hmis_project")
    page.get_by_role("button", name="Search").click()
    events = page.get_by_role("table", name=re.compile("Audit events, newest first"))
    expect(events).to_contain_text("hmis_project.created")
    expect(events).not_to_contain_text("login")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", re.compile("action=hmis_project.*format=csv")
    )
    check_a11y(page, "audit-search")


def test_it_creates_shows_once_and_revokes_an_api_token(new_context, live_server, busy):
    page = new_context().new_page()
    sign_in(page, live_server, busy["coc_admin"], totp=True)
    page.goto(f"{live_server.url}/{busy.continuum.slug}/api-tokens/")
    check_a11y(page, "api-tokens-empty")
    page.get_by_label("Name").fill("TalentLMS sync")
    page.get_by_label("Acts as").select_option(label="Auditor (read-only)")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("New token").input_value()
    assert key.startswith("hmis_")
    check_a11y(page, "api-tokens-created")

    api = page.context.request
    url = f"{live_server.url}/api/{busy.continuum.slug}/audit-events/"
    assert api.get(url, headers={"Authorization": f"Bearer {key}"}).status == 200

    page.reload()
    expect(page.get_by_label("New token")).to_have_count(0)
    page.get_by_role("button", name="Revoke the token TalentLMS sync").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.get_by_role("table", name="Tokens")).to_contain_text("Revoked")
    check_a11y(page, "api-tokens-revoked")
    assert api.get(url, headers={"Authorization": f"Bearer {key}"}).status == 401


def test_it_serves_the_api_documentation_without_a_cdn(new_context, live_server, db):
    page = new_context().new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("HMIS Onboarding API")
    page.screenshot(path="var/screenshots/api-docs.png", full_page=False)
    assert [u for u in outside if not u.startswith("data:")] == []


def test_it_changes_the_pathway_and_the_ata_sees_it_at_once(new_context, live_server, chicago):  # noqa: F811
    admin = new_context().new_page()
    sign_in(admin, live_server, chicago["coc_admin"], totp=True)
    admin.goto(f"{live_server.url}/{chicago.continuum.slug}/pathway/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Access-request pathway")
    check_a11y(admin, "pathway")
    admin.get_by_role("link", name=re.compile("^Edit Current agency user")).click()
    check_a11y(admin, "pathway-request-form")
    offered = admin.get_by_label("Offered to ATAs")
    offered.focus()
    admin.keyboard.press("Space")  # USWDS draws the box on the label; the input itself is off-screen
    expect(offered).not_to_be_checked()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status")).to_contain_text("saved")
    forms = admin.get_by_role("table", name=re.compile("Request forms"))
    expect(forms.get_by_role("row", name=re.compile("^Current agency user"))).to_contain_text("No")

    admin.get_by_label("Review service level (business days)").fill("0")
    admin.get_by_role("button", name="Save thresholds").click()
    expect(admin.locator("main")).to_contain_text("greater than or equal to 1")
    check_a11y(admin, "pathway-error")

    ata = new_context().new_page()
    sign_in(ata, live_server, chicago["ata"], totp=False)
    ata.goto(f"{live_server.url}/{chicago.continuum.slug}/requests/new/")
    expect(ata.locator("main")).not_to_contain_text("Current agency user(s) that require new project access")
    expect(ata.locator("main")).to_contain_text("New agency user")


def test_it_edits_the_ces_role_matrix(new_context, live_server, tenant_a):
    from access_requests import configuration
    from access_requests.models import CesRole

    configuration.install_los_angeles(tenant_a.continuum)
    role = CesRole.objects.filter(continuum=tenant_a.continuum).order_by("rank").first()
    page = new_context().new_page()
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{live_server.url}/{tenant_a.continuum.slug}/pathway/")
    check_a11y(page, "pathway-ces-matrix")
    box = page.get_by_label(f"{role.name}: Enter Vacancy Form")
    was = box.is_checked()
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save the role matrix").click()
    expect(page.get_by_role("status")).to_contain_text("1 role changed")
    role.refresh_from_db()
    assert ("enter_vacancy_form" in role.permissions) is not was
