"""The last steps to a credential, configured in a browser: the CoC administrator goes from the
pathway page to the credential policy (an out-of-range value is refused on the form), publishes a new
End User Agreement version and deactivates a rubric element. axe-core checks each page; screenshots
go to var/screenshots."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.credential_helpers import setup_coc

from .conftest import check_a11y, sign_in
from .test_credential_flow import tick


def test_the_coc_admin_configures_the_last_steps_to_a_credential(page: Page, live_server, tenant_a):
    continuum = tenant_a.continuum
    setup_coc(tenant_a)
    base = f"{live_server.url}/{continuum.slug}"
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{base}/pathway/")
    page.get_by_role("link", name="Credential policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credential policy")
    page.get_by_label("Sample client seats open at one time").fill("0")
    page.get_by_role("button", name="Save the credential policy").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 1.")).to_be_visible()
    check_a11y(page, "config-credential-policy-refused")
    page.get_by_label("Sample client seats open at one time").fill("12")
    tick(page, page.get_by_label("PATH"))
    page.get_by_role("button", name="Save the credential policy").click()
    expect(page.get_by_role("status")).to_contain_text("Credential policy saved")
    expect(page.get_by_label("Sample client seats open at one time")).to_have_value("12")
    check_a11y(page, "config-credential-policy")

    page.get_by_role("link", name="Access-request pathway").click()
    page.get_by_role("link", name="Agreement texts").click()
    page.get_by_role("link", name="Publish a new version of the HMIS End User Agreement").click()
    check_a11y(page, "config-agreement-publish")
    page.get_by_label("Version label").fill("2027.1")
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Version 2027.1 of the HMIS End User Agreement is now current"
    )
    expect(page.get_by_role("table", name="HMIS End User Agreement")).to_contain_text("2027.1")
    check_a11y(page, "config-agreements")

    page.goto(f"{base}/pathway/rubric/")
    page.get_by_role("link", name="Edit 4.21 Sex").click()
    check_a11y(page, "config-rubric-element")
    tick_off = page.get_by_label("Checked in new reviews")
    tick_off.focus()
    page.keyboard.press("Space")
    expect(tick_off).not_to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Rubric element 4.21 Sex saved")
    expect(page.get_by_role("row", name="4.21 Sex")).to_contain_text("Deactivated")
    check_a11y(page, "config-rubric")
