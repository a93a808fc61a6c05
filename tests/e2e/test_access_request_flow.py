"""An ATA files a bundle of three new users using only the keyboard; the Help Desk asks for more
information; the ATA answers; the Help Desk approves; the ATA sees the outcome. axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from access_requests import configuration

from ..test_access_requests import make_eligible, project
from .conftest import check_a11y, sign_in


def press(page: Page, locator, key: str = "Enter") -> None:
    """Move keyboard focus to a control and operate it with a key, as a keyboard user does."""
    locator.focus()
    page.keyboard.press(key)


def type_into(page: Page, locator, text: str) -> None:
    locator.focus()
    page.keyboard.type(text)


@pytest.fixture
def chicago_like(tenant_a):
    configuration.install_chicago(tenant_a.continuum)
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a, name="Overnight Shelter")
    return tenant_a


def test_it_takes_a_request_from_ata_to_approval(new_context, live_server, chicago_like):
    tenant = chicago_like
    ata = new_context().new_page()
    sign_in(ata, live_server, tenant["ata"], totp=False)
    expect(ata.get_by_role("region", name="Access requests")).to_be_visible()
    check_a11y(ata, "requests-ata-home")

    # The ATA starts a "new users" request, by keyboard.
    ata.goto(f"{live_server.url}/{tenant.continuum.slug}/requests/new/")
    check_a11y(ata, "requests-new")
    type_into(ata, ata.get_by_label("The person's agency e-mail"), "someone.new@agency.org")
    expect(ata.locator("#advice-result")).to_contain_text("Use New agency user or users")
    check_a11y(ata, "requests-new-advice")
    press(ata, ata.get_by_label(re.compile("^New agency user or users")), "Space")
    press(ata, ata.get_by_role("button", name="Start the request"))
    expect(ata.get_by_role("heading", level=1)).to_contain_text("New user(s)")

    type_into(ata, ata.get_by_label("Paste a list"), "Ana Lopez, ana@agency.org")
    ata.keyboard.press("Enter")
    ata.keyboard.type("Ben Ito, ben@agency.org")
    ata.keyboard.press("Enter")
    ata.keyboard.type("Cleo Park, cleo@agency.org")
    press(ata, ata.get_by_role("button", name="Add these people"))
    expect(ata.get_by_role("status")).to_contain_text("Added 3 people")
    people = ata.get_by_role("table", name="People in this request")
    for email in ("ana@agency.org", "ben@agency.org", "cleo@agency.org"):
        expect(people).to_contain_text(email)

    press(ata, ata.get_by_label(re.compile("^Overnight Shelter")), "Space")
    type_into(ata, ata.get_by_label("Responsibilities"), "Overnight intake and shelter enrollments.")
    press(ata, ata.get_by_role("button", name="Save draft"))
    expect(ata.get_by_role("status")).to_contain_text("Draft saved")
    expect(ata.locator("main")).to_contain_text("Everything needed is here.")
    check_a11y(ata, "requests-draft")
    press(ata, ata.get_by_role("button", name="Submit request"))
    expect(ata.get_by_role("status")).to_contain_text("Request submitted")
    request_url = ata.url
    check_a11y(ata, "requests-submitted")

    # The Help Desk finds it in the queue and asks a question.
    desk = new_context().new_page()
    sign_in(desk, live_server, tenant["help_desk"], totp=True)
    nav = desk.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("button", name="Requests", exact=True).click()
    nav.get_by_role("link", name="Help Desk queue", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("HMIS Help Desk queue")
    check_a11y(desk, "requests-queue")
    desk.get_by_role("table").get_by_role("link").first.click()
    desk.get_by_label("What do you need to know?").fill("Will they also work at the day center?")
    desk.get_by_role("button", name="Request more information").click()
    expect(desk.get_by_role("status")).to_contain_text("SLA clock is paused")
    check_a11y(desk, "requests-review-info-requested")

    # The ATA answers.
    ata.goto(request_url)
    expect(ata.locator("main")).to_contain_text("Will they also work at the day center?")
    type_into(ata, ata.get_by_label("Your answer"), "No, only the overnight shelter.")
    press(ata, ata.get_by_role("button", name="Send answer"))
    expect(ata.get_by_role("status")).to_contain_text("Answer sent")

    # The Help Desk completes the checklist and approves.
    desk.reload()
    for _ in range(3):
        desk.get_by_role("button", name=re.compile("^Mark done")).first.click()
    expect(desk.get_by_role("button", name=re.compile("^Mark done"))).to_have_count(0)
    check_a11y(desk, "requests-review-checklist")
    desk.get_by_role("button", name="Approve request").click()
    expect(desk.get_by_role("status")).to_contain_text("Approved")

    # The ATA sees it.
    ata.goto(request_url)
    expect(ata.locator("main")).to_contain_text("Approved")
    expect(ata.locator("main")).to_contain_text("No, only the overnight shelter.")
    check_a11y(ata, "requests-approved")
