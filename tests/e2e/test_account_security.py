"""Signing in and out, two-factor authentication, the CoC chooser and error pages, as a person sees
them in the browser; axe-core checks each page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from hmis_onboarding.models import AuditEvent
from hmis_onboarding.permissions import Role
from tests.factories import MembershipFactory, UserFactory

from .conftest import check_a11y, confirm_access, fresh_totp_code, sign_in, wrong_totp_code


def test_it_shows_anonymous_visitors_what_this_is_and_how_to_sign_in(page: Page, live_server, tenant_a):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("HMIS access onboarding for Continuums of Care")
    expect(page.get_by_role("navigation", name="Primary navigation")).to_have_count(0)
    check_a11y(page, "anonymous-landing")

    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(tenant_a["ata"].email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    check_a11y(page, "login-wrong-password")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("password reset", re.I))
    check_a11y(page, "password-reset")

    # A tenant page sends an anonymous visitor to sign in, and brings them back afterwards.
    page.goto(f"{live_server.url}/{tenant_a.continuum.slug}/agencies/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    check_a11y(page, "login-with-next")

    page.goto(f"{live_server.url}/accounts/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found (404)")
    check_a11y(page, "anonymous-404")


def test_it_refuses_a_wrong_authenticator_code_with_a_clear_message(page: Page, live_server, tenant_a):
    help_desk = tenant_a["help_desk"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(help_desk.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("two-factor authentication", re.I))
    check_a11y(page, "2fa-authenticate")

    page.get_by_label("Code").fill(wrong_totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    code_field = page.get_by_label("Code")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Incorrect code")
    check_a11y(page, "2fa-authenticate-wrong-code")
    assert AuditEvent.objects.filter(action="mfa.failed", actor=help_desk).exists()

    code_field.fill(fresh_totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{live_server.url}/{tenant_a.continuum.slug}/")
    expect(page.get_by_role("region", name="Waiting for you")).to_be_visible()


def test_it_lets_an_agency_user_turn_on_two_factor_authentication(page: Page, live_server, tenant_a):
    sign_in(page, live_server, tenant_a["agency_user"], totp=False)
    page.get_by_role("link", name="Turn it on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("two-factor authentication", re.I))
    check_a11y(page, "2fa-index-inactive")
    page.get_by_role("link", name="Activate").click()
    confirm_access(page, "reauthenticate-password")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("activate authenticator app", re.I))
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    check_a11y(page, "2fa-activate")

    page.get_by_label("Authenticator code").fill(wrong_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_label("Authenticator code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Incorrect code")
    check_a11y(page, "2fa-activate-wrong-code")

    page.get_by_label("Authenticator code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("recovery codes", re.I))
    expect(page.get_by_label("Unused codes")).not_to_be_empty()
    check_a11y(page, "2fa-recovery-codes")

    account_nav = page.get_by_role("navigation", name="My account")
    account_nav.get_by_role("link", name="Two-factor authentication").click()
    expect(page.locator("main")).to_contain_text("authenticator app is active")
    check_a11y(page, "2fa-index-active")

    # People outside CoC staff roles may switch it off again.
    # Access was confirmed a moment ago, so allauth does not ask again.
    page.get_by_role("link", name="Deactivate").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("deactivate authenticator app", re.I))
    check_a11y(page, "2fa-deactivate")

    page.goto(f"{live_server.url}/{tenant_a.continuum.slug}/")
    expect(page.locator("main")).to_contain_text("Two-factor authentication is on")
    check_a11y(page, "agency-user-home-2fa-on")


def test_it_lets_staff_generate_recovery_codes(page: Page, live_server, tenant_a):
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Generate").click()
    confirm_access(page, "reauthenticate-staff")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("recovery codes", re.I))
    check_a11y(page, "2fa-recovery-codes-generate")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_label("Unused codes")).not_to_be_empty()
    check_a11y(page, "2fa-recovery-codes-staff")


def test_it_lets_a_person_in_two_cocs_choose_and_switch(page: Page, live_server, tenants):
    alpha, beta = tenants
    person = UserFactory(email="two.cocs@example.org", full_name="Dana Two-Cocs", totp=True)
    MembershipFactory(user=person, continuum=alpha.continuum, role=Role.HELP_DESK)
    MembershipFactory(user=person, continuum=beta.continuum, role=Role.ATA, agency=beta.agency)

    sign_in(page, live_server, person, totp=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a Continuum of Care")
    expect(page.get_by_role("heading", level=2)).to_have_text([alpha.continuum.name, beta.continuum.name])
    check_a11y(page, "choose-coc")

    page.get_by_role("link", name=f"Go to {beta.continuum.name}").click()
    expect(page).to_have_url(f"{live_server.url}/{beta.continuum.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(beta.agency.name)
    expect(page.get_by_role("banner")).to_contain_text(beta.continuum.coc_code)
    check_a11y(page, "choose-coc-beta-home")

    nav = page.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("button", name="Account", exact=True).click()
    nav.get_by_role("link", name="Switch CoC").click()
    page.get_by_role("link", name=f"Go to {alpha.continuum.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(alpha.continuum.name)
    expect(page.get_by_role("region", name="Waiting for you")).to_be_visible()
    check_a11y(page, "choose-coc-alpha-home")

    # The logo goes back to the CoC last visited.
    page.goto(f"{live_server.url}/accounts/email/")
    check_a11y(page, "choose-coc-account")
    page.get_by_role("link", name="HMIS Onboarding").click()
    expect(page).to_have_url(f"{live_server.url}/{alpha.continuum.slug}/")


def test_it_explains_refusals_and_missing_pages(page: Page, live_server, tenant_a, tenant_b):
    sign_in(page, live_server, tenant_a["agency_user"], totp=False)
    slug = tenant_a.continuum.slug

    page.goto(f"{live_server.url}/{slug}/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page (403)")
    check_a11y(page, "error-403")

    response = page.goto(f"{live_server.url}/{slug}/agencies/{tenant_a.other_agency.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found (404)")
    check_a11y(page, "error-404")

    # Another CoC looks exactly like a page that does not exist.
    response = page.goto(f"{live_server.url}/{tenant_b.continuum.slug}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found (404)")
    check_a11y(page, "error-404-other-coc")
    page.get_by_role("link", name="Go to your home page").click()
    expect(page).to_have_url(f"{live_server.url}/{slug}/")
