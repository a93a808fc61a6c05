"""Every persona signs in through the real login form (staff type their TOTP code), sees their own
home page, and walks the pages their navigation offers; axe-core checks each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hmis_onboarding.permissions import STAFF_ROLES, Role

from .conftest import check_a11y, sign_in

PREFERENCES = ("Account", "Notification preferences")
MY_ACCESS = ("Account", "My HMIS access")
CATALOG = ("Training", "Course catalog")
IMPORTS = ("Training", "Progress imports")
MINE = ("Training", "My onboarding")
PROGRESS = ("Training", "Training progress")
# What each persona's navigation offers besides Home: (section, page). A section with one page is a
# plain link; a section with several opens a submenu.
NAV_BY_ROLE = {
    Role.ATA: [
        ("Requests", "Access requests"),
        ("Requests", "New access request"),
        MINE,
        CATALOG,
        PROGRESS,
        ("Agencies", "My agency"),
        ("Agencies", "HMIS licenses"),
        ("Agencies", "Access reviews"),
        MY_ACCESS,
        PREFERENCES,
    ],
    Role.AGENCY_SUPERVISOR: [
        ("Requests", "Access requests"),
        MINE,
        CATALOG,
        PROGRESS,
        ("Agencies", "My agency"),
        ("Agencies", "HMIS licenses"),
        ("Agencies", "Access reviews"),
        MY_ACCESS,
        PREFERENCES,
    ],
    Role.EXECUTIVE_DIRECTOR: [
        MINE,
        CATALOG,
        PROGRESS,
        ("Agencies", "My agency"),
        MY_ACCESS,
        PREFERENCES,
    ],
    Role.AGENCY_USER: [
        MINE,
        CATALOG,
        MY_ACCESS,
        PREFERENCES,
    ],
    Role.HELP_DESK: [
        ("Requests", "Help Desk queue"),
        ("Requests", "Access requests"),
        ("Requests", "Sample client reviews"),
        CATALOG,
        PROGRESS,
        IMPORTS,
        ("Training", "Rollout plans"),
        ("Agencies", "Agencies"),
        ("Agencies", "Programs"),
        ("Agencies", "Agreements to countersign"),
        ("Agencies", "HMIS licenses"),
        ("Agencies", "Access reviews"),
        ("Administration", "Metrics"),
        ("Administration", "E-mail outbox"),
        ("Administration", "Audit trail"),
        PREFERENCES,
    ],
    Role.CE_TEAM: [
        ("Requests", "CE queue"),
        ("Requests", "HRS approvals"),
        ("Requests", "Access requests"),
        CATALOG,
        PROGRESS,
        ("Training", "Rollout plans"),
        ("Agencies", "Agencies"),
        ("Agencies", "Programs"),
        ("Agencies", "Agreements to countersign"),
        ("Agencies", "HRS hosts"),
        ("Administration", "Metrics"),
        PREFERENCES,
    ],
    Role.IMPLEMENTATION_TEAM: [
        ("Requests", "Access requests"),
        CATALOG,
        PROGRESS,
        ("Training", "Rollout plans"),
        ("Agencies", "Agencies"),
        ("Agencies", "Programs"),
        ("Administration", "Metrics"),
        PREFERENCES,
    ],
    Role.COC_ADMIN: [
        ("Requests", "Access requests"),
        CATALOG,
        PROGRESS,
        IMPORTS,
        ("Training", "Rollout plans"),
        ("Agencies", "Agencies"),
        ("Agencies", "Programs"),
        ("Agencies", "Agreements to countersign"),
        ("Administration", "Metrics"),
        ("Administration", "CoC settings"),
        ("Administration", "Agreement setup"),
        ("Administration", "Access-request pathway"),
        ("Administration", "Calendar and reminders"),
        ("Administration", "LMS settings"),
        ("Administration", "API tokens"),
        ("Administration", "E-mail outbox"),
        ("Administration", "Audit trail"),
        PREFERENCES,
    ],
    Role.AUDITOR: [
        ("Requests", "Access requests"),
        CATALOG,
        PROGRESS,
        ("Training", "Rollout plans"),
        ("Agencies", "Agencies"),
        ("Agencies", "Programs"),
        ("Agencies", "HMIS licenses"),
        ("Agencies", "Access reviews"),
        ("Administration", "Metrics"),
        ("Administration", "Audit trail"),
        PREFERENCES,
    ],
}
NAV_ALWAYS = [("Account", "My account"), ("Account", "Switch CoC")]


def top_level(entries):
    """The labels of the primary navigation: a section's page if it is alone, else the section."""
    sections: dict[str, list[str]] = {}
    for section, label in entries:
        sections.setdefault(section, []).append(label)
    return [labels[0] if len(labels) == 1 else section for section, labels in sections.items()]


def go_to(page: Page, entries, section: str, label: str) -> None:
    """Open a page from the primary navigation, through its section's submenu when it has one."""
    nav = primary_nav(page)
    # Outside a CoC (the chooser, account pages) the navigation is flat.
    button = nav.get_by_role("button", name=section, exact=True)
    if len([1 for s, _ in entries if s == section]) > 1 and button.count():
        button.click()
    nav.get_by_role("link", name=label, exact=True).click()


def primary_nav(page: Page):
    return page.get_by_role("navigation", name="Primary navigation")


def assert_home_for(page: Page, role: Role, tenant, waiting_agency) -> None:
    """Each persona's home page shows their own slice of the CoC and nothing of another tenant."""
    main = page.locator("main")
    expect(main).not_to_contain_text("Beta")
    if role in STAFF_ROLES:
        expect(page.get_by_role("heading", level=1)).to_have_text(tenant.continuum.name)
        expect(main).to_contain_text(Role(role).label)
        waiting = page.get_by_role("region", name="Waiting for you")
        expect(waiting.get_by_role("link", name=waiting_agency.name)).to_be_visible()
        if role in (Role.HELP_DESK, Role.COC_ADMIN, Role.AUDITOR):
            expect(page.get_by_role("region", name="Recent activity")).to_be_visible()
    elif role == Role.AGENCY_USER:
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        expect(main).to_contain_text(f"Agency user at {tenant.agency.name}")
        helpers = main.locator("h2:has-text('Who can help') + ul")
        expect(helpers).to_contain_text(tenant["ata"].email)
        expect(main).to_contain_text("Two-factor authentication is off")
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text(tenant.agency.name)
        people = page.get_by_role("table", name="People and their roles")
        for colleague in ("ata", "agency_supervisor", "agency_user", "executive_director"):
            expect(people).to_contain_text(tenant[colleague].email)
        # Someone of another agency in the same CoC stays out of sight.
        expect(people).not_to_contain_text(tenant["other_ata"].email)


def walk_account_pages(page: Page, role: Role) -> None:
    """My account's own navigation: password, two-factor authentication and sessions."""
    account_nav = page.get_by_role("navigation", name="My account")
    account_nav.get_by_role("link", name="Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("change password", re.I))
    check_a11y(page, f"{role.value}-account-password")

    account_nav.get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("two-factor authentication", re.I))
    if role in STAFF_ROLES:
        expect(page.locator("main")).to_contain_text("authenticator app is active")
        # Staff must keep two-factor authentication: there is no way to switch it off.
        expect(page.get_by_role("link", name="Deactivate")).to_have_count(0)
    else:
        expect(page.locator("main")).to_contain_text("authenticator app is not active")
        expect(page.get_by_role("link", name="Activate")).to_be_visible()
    check_a11y(page, f"{role.value}-account-2fa")

    account_nav.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    expect(page.get_by_role("table")).to_contain_text("Current")
    check_a11y(page, f"{role.value}-account-sessions")


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_it_shows_each_persona_their_home_and_pages(
    page: Page, live_server, tenant_a, waiting_agency, role: Role
):
    staff = role in STAFF_ROLES
    from training.services import catalog_load, catalog_spec

    catalog_load(continuum=tenant_a.continuum, spec=catalog_spec("chicago"))
    sign_in(
        page, live_server, tenant_a[role.value], totp=staff, screenshot="login" if role == Role.ATA else ""
    )
    expect(page).to_have_url(f"{live_server.url}/{tenant_a.continuum.slug}/")
    expect(page.get_by_role("status")).to_contain_text("Successfully signed in")
    assert_home_for(page, role, tenant_a, waiting_agency)
    check_a11y(page, f"{role.value}-home")

    nav = primary_nav(page)
    entries = NAV_BY_ROLE[role] + NAV_ALWAYS
    labels = [
        label.strip()
        for label in nav.locator(
            ".usa-nav__primary > li > a, .usa-nav__primary > li > button"
        ).all_inner_texts()
    ]
    assert labels == ["Home", *top_level(entries)]

    for section, label in NAV_BY_ROLE[role]:
        go_to(page, entries, section, label)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The page is marked current in the navigation (inside its closed submenu, if it has one).
        expect(nav.locator('a[aria-current="page"]')).to_have_text(label)
        slug = label.lower().replace(" ", "-")
        check_a11y(page, f"{role.value}-{slug}")
        if label == "Agencies":
            table = page.get_by_role("table", name=f"Agencies of {tenant_a.continuum.name}")
            expect(table).to_contain_text(tenant_a.agency.name)
            expect(table).to_contain_text(waiting_agency.name)
            table.get_by_role("link", name=tenant_a.agency.name).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.agency.name)
            expect(page.get_by_role("region", name="History")).to_be_visible()
            check_a11y(page, f"{role.value}-agency-detail")
        elif label == "Course catalog":
            courses = page.get_by_role("table", name=re.compile("^Courses of"))
            expect(courses).to_contain_text("Introduction to HMIS")
            expect(courses).to_contain_text("Part 2: HMIS Specific Data Guidelines")
        elif label == "My agency":
            expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.agency.name)
        elif label == "Audit trail":
            events = page.get_by_role("table", name="Audit events, newest first")
            expect(events).to_contain_text("continuum.settings_changed")
        elif label == "CoC settings":
            expect(page.get_by_label("Name")).to_have_value(tenant_a.continuum.name)
            idle = page.get_by_label("Idle timeout minutes")
            idle.fill("1")
            page.get_by_role("button", name="Save settings").click()
            expect(idle).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_role("alert").first).to_be_visible()
            check_a11y(page, f"{role.value}-coc-settings-error")
            idle.fill("30")
            page.get_by_role("button", name="Save settings").click()
            expect(page.get_by_role("status")).to_contain_text("Settings saved")
            expect(page.get_by_role("region", name="History")).to_contain_text("idle_timeout_minutes")
            check_a11y(page, f"{role.value}-coc-settings-saved")

    go_to(page, entries, "Account", "Switch CoC")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a Continuum of Care")
    expect(page.get_by_role("link", name=f"Go to {tenant_a.continuum.name}")).to_be_visible()
    check_a11y(page, f"{role.value}-switch-coc")

    go_to(page, entries, "Account", "My account")
    expect(page).to_have_url(re.compile(r"/accounts/email/$"))
    expect(page.locator("main")).to_contain_text(tenant_a[role.value].email)
    check_a11y(page, f"{role.value}-account-email")
    walk_account_pages(page, role)

    primary_nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    check_a11y(page, f"{role.value}-signed-out")
