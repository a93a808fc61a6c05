"""The rollout plan in the browser: the Help Desk sees every ATA's standing, records a completion
from the LMS report (with a form error first), and the ATA sees their own deadlines on the home
page, on a phone too. axe on every page."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from hmis_onboarding.business_calendar import calendar_for
from rollout.models import Switch
from rollout.selectors import today_in

from ..rollout_helpers import complete, make_obligation, make_phase, make_plan
from .conftest import PHONE, assert_no_horizontal_overflow, check_a11y, sign_in


def test_it_shows_standings_records_a_completion_and_shows_the_ata_their_deadlines(
    new_context, live_server, tenant_a
):
    continuum = tenant_a.continuum
    today, cal = today_in(continuum), calendar_for(continuum)
    plan = make_plan(continuum, summary="New access request forms replace the old ones.")
    make_phase(plan, "ATA trainings", cal.add_business_days(today, -15), cal.add_business_days(today, -5))
    make_phase(
        plan, "Implementation", cal.add_business_days(today, 10), **{Switch.LEGACY_REQUEST_FORMS: False}
    )
    overdue = make_obligation(
        plan, due_on=cal.add_business_days(today, -2), available_from=cal.add_business_days(today, -15)
    )
    at_risk = make_obligation(
        plan,
        title="Confirm your agency's active users",
        lms_course_name="",
        accepted_sources=[],
        due_on=cal.add_business_days(today, 2),
    )
    complete(at_risk, tenant_a["other_ata"], tenant_a["coc_admin"], on=today)

    staff = new_context().new_page()
    sign_in(staff, live_server, tenant_a["help_desk"], totp=True)
    staff.goto(f"{live_server.url}/alpha/rollout/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Rollout plans")
    check_a11y(staff, "rollout-plans")
    staff.get_by_role("link", name="2026 HMIS Access Request Process").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("2026 HMIS Access Request Process")
    section = staff.get_by_role("region", name=overdue.title)
    table = section.get_by_role("table")
    expect(table).to_contain_text(tenant_a["ata"].email)
    expect(table).to_contain_text("Subject to removal of access")
    expect(staff.get_by_role("region", name="Confirm your agency's active users")).to_contain_text("At risk")
    check_a11y(staff, "rollout-plan")

    # A completion date in the future is refused on the form; then the real one is recorded.
    section.get_by_text("Record a completion").click()
    form = section.locator("form")
    form.get_by_label("Person").select_option(label=tenant_a["ata"].get_full_name())
    form.get_by_label("Completed on").fill((today + dt.timedelta(days=3)).isoformat())
    form.get_by_label("How it was met").select_option(label="Completed the LMS course")
    form.get_by_role("button", name="Record completion").click()
    expect(staff.get_by_role("alert").first).to_contain_text("cannot be in the future")
    check_a11y(staff, "rollout-plan-error")
    form = staff.get_by_role("region", name=overdue.title).locator("form")
    form.get_by_label("Person").select_option(label=tenant_a["ata"].get_full_name())
    form.get_by_label("Completed on").fill(today.isoformat())
    form.get_by_label("How it was met").select_option(label="Completed the LMS course")
    form.get_by_label("Note (optional)").fill("TalentLMS completion report")
    form.get_by_role("button", name="Record completion").click()
    expect(staff.get_by_role("status")).to_contain_text("Recorded")
    row = staff.get_by_role("region", name=overdue.title).get_by_role(
        "row", name=tenant_a["ata"].get_full_name()
    )
    expect(row).to_contain_text("Compliant")
    expect(row).to_contain_text("TalentLMS completion report")
    check_a11y(staff, "rollout-plan-recorded")

    # The ATA of the other agency still owes the overdue course: their home page says so, on a phone.
    ata = new_context(viewport=PHONE).new_page()
    sign_in(ata, live_server, tenant_a["other_ata"], totp=False)
    panel = ata.get_by_role("region", name="Your rollout deadlines")
    expect(panel).to_contain_text("HMIS Access Process")
    expect(panel).to_contain_text("Subject to removal of access: contact the Help Desk.")
    expect(panel).to_contain_text("Compliant")
    assert_no_horizontal_overflow(ata)
    check_a11y(ata, "rollout-ata-home-phone")
