"""Issue 6 in the browser: the trainee submits the sample client, the Help Desk asks for corrections,
the trainee resubmits, the Help Desk passes it, the trainee signs the End User Agreement, the Help
Desk records the credential, and the ATA sees it and the license count change. axe on every page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from access_requests import credentials

from ..credential_helpers import a_project, onboarding_for, setup_coc
from .conftest import check_a11y, sign_in


def tick(page, locator) -> None:
    """USWDS hides the native radio / checkbox behind its label: operate it by keyboard."""
    locator.focus()
    page.keyboard.press("Space")
    expect(locator).to_be_checked()


def test_it_takes_a_trainee_from_sample_client_to_credential(new_context, live_server, tenant_a):
    tenant = tenant_a
    setup_coc(tenant)
    tenant.agency.license_pool_size = 3
    tenant.agency.save()
    project = a_project(tenant, "Overnight Shelter", 1)
    person = tenant["agency_user"]
    onboarding = onboarding_for(tenant, user=person, name=("Agency", "User"), projects=[project])
    credentials.onboarding_confirm_training(onboarding=onboarding, actor=tenant["help_desk"])
    base = f"{live_server.url}/{tenant.continuum.slug}"

    ata = new_context().new_page()
    sign_in(ata, live_server, tenant["ata"], totp=False)
    ata.goto(f"{base}/licenses/")
    expect(ata.get_by_test_id(f"used-{tenant.agency.pk}")).to_have_text("0")
    check_a11y(ata, "licenses-before")

    trainee = new_context().new_page()
    sign_in(trainee, live_server, person, totp=False)
    trainee.goto(f"{base}/my-access/")
    check_a11y(trainee, "my-access-training-done")
    trainee.get_by_role("button", name="Sign up for the sample client").click()
    expect(trainee.get_by_text("Your sample client assignment is open.")).to_be_visible()
    trainee.get_by_label("Sample client ID in the HMIS training site").fill("SC-101")
    trainee.get_by_role("button", name="Submit for review").click()
    expect(trainee.get_by_role("heading", name=re.compile("Round 1 — waiting for review"))).to_be_visible()
    check_a11y(trainee, "my-access-submitted")

    desk = new_context().new_page()
    sign_in(desk, live_server, tenant["help_desk"], totp=True)
    desk.goto(f"{base}/sample-clients/")
    check_a11y(desk, "sample-client-queue")
    desk.get_by_role("link", name="Agency User").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("round 1")
    check_a11y(desk, "sample-client-review")
    desk.get_by_label("3.03 Date of Birth: errors").fill("1")
    desk.get_by_label("3.03 Date of Birth: comment").fill("The year is off by one")
    tick(desk, desk.get_by_label("Corrections needed"))
    desk.get_by_label("Feedback for the person").fill("Check the date of birth against the scenario.")
    desk.get_by_role("button", name="Save the review").click()
    expect(desk.get_by_text("Review saved")).to_be_visible()

    trainee.goto(f"{base}/my-access/")
    expect(trainee.get_by_role("heading", name=re.compile("Round 1 — Corrections needed"))).to_be_visible()
    expect(trainee.get_by_role("table", name="Round 1: errors per data element")).to_contain_text(
        "The year is off by one"
    )
    check_a11y(trainee, "my-access-corrections")
    trainee.get_by_label("Sample client ID in the HMIS training site").fill("SC-102")
    trainee.get_by_role("button", name="Submit for review").click()

    desk.goto(f"{base}/sample-clients/")
    desk.get_by_role("link", name="Agency User").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("round 2")
    tick(desk, desk.get_by_label("Pass", exact=True))
    desk.get_by_role("button", name="Save the review").click()
    expect(desk.get_by_text("Review saved")).to_be_visible()

    trainee.goto(f"{base}/my-access/")
    expect(trainee.get_by_role("heading", name=re.compile("HMIS End User Agreement"))).to_be_visible()
    check_a11y(trainee, "my-access-agreement")
    trainee.get_by_label("Type your full name to sign").fill("Agency User")
    tick(trainee, trainee.get_by_label("I have read the End User Agreement and agree to it."))
    trainee.get_by_role("button", name="Sign the agreement").click()
    expect(
        trainee.get_by_role("link", name=re.compile(r"End User Agreement 2026\.1 \(PDF\)"))
    ).to_be_visible()

    desk.goto(f"{base}/sample-clients/")
    desk.get_by_role("link", name="Agency User").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Record the credential")
    check_a11y(desk, "credential-issue")
    desk.get_by_label("HMIS username").fill("auser")
    desk.get_by_label("HMIS role").fill("Case Manager")
    tick(desk, desk.get_by_label("Overnight Shelter"))
    desk.get_by_role("button", name="Record the credential").click()
    expect(desk.get_by_text("Credential recorded")).to_be_visible()

    trainee.goto(f"{base}/my-access/")
    expect(trainee.get_by_text("auser")).to_be_visible()
    check_a11y(trainee, "my-access-credentialed")

    ata.goto(f"{base}/licenses/")
    expect(ata.get_by_test_id(f"used-{tenant.agency.pk}")).to_have_text("1")
    expect(ata.get_by_test_id(f"free-{tenant.agency.pk}")).to_have_text("2")
    expect(ata.get_by_role("table", name=re.compile("Who holds the licenses"))).to_contain_text("auser")
    check_a11y(ata, "licenses-after")
