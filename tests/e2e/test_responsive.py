"""On a phone and at 200 % zoom the navigation folds behind a menu button that works, and no page
scrolls sideways (WCAG 1.4.4 Resize text, 1.4.10 Reflow)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_no_horizontal_overflow, check_a11y, sign_in

# A 1280 px wide window at 200 % zoom lays out like a 640 px one with twice the pixel density.
ZOOMED_200 = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}
ON_PHONE = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def open_menu(page: Page):
    nav = page.get_by_role("navigation", name="Primary navigation")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    menu.click()
    expect(nav).to_be_visible()
    return nav


def open_item(nav, section: str, label: str) -> None:
    """Click a navigation page, opening its section's submenu first when the section has one."""
    button = nav.get_by_role("button", name=section, exact=True)
    if button.count():
        button.click()
    nav.get_by_role("link", name=label, exact=True).click()


def walk(page: Page, name: str, nav_labels: list[tuple[str, str]]) -> None:
    """Open the menu on each page, go to the next page through it, and check that none of them
    scrolls sideways."""
    assert_no_horizontal_overflow(page)
    check_a11y(page, f"{name}-home")
    nav = open_menu(page)
    check_a11y(page, f"{name}-menu-open", full_page=False)
    nav.get_by_role("button", name="Close").click()
    expect(nav).to_be_hidden()
    for section, label in nav_labels:
        nav = open_menu(page)
        open_item(nav, section, label)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_overflow(page)
        check_a11y(page, f"{name}-{label.lower().replace(' ', '-')}")


@pytest.mark.parametrize(
    ("context_args", "name"), [(ON_PHONE, "phone"), (ZOOMED_200, "zoom200")], ids=["phone", "zoom200"]
)
def test_it_keeps_the_navigation_usable_and_nothing_overflows(
    new_context, live_server, tenant_a, waiting_agency, context_args: dict, name: str
):
    page = new_context(**context_args).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert_no_horizontal_overflow(page)
    check_a11y(page, f"{name}-login")

    from training.services import catalog_load, catalog_spec

    catalog_load(continuum=tenant_a.continuum, spec=catalog_spec("chicago"))
    sign_in(page, live_server, tenant_a["coc_admin"], totp=True)
    walk(
        page,
        name,
        [
            ("Training", "Course catalog"),
            ("Training", "Progress imports"),
            ("Administration", "LMS settings"),
            ("Agencies", "Agencies"),
            ("Administration", "Audit trail"),
            ("Administration", "CoC settings"),
            ("Account", "My account"),
        ],
    )

    account_nav = page.get_by_role("navigation", name="My account")
    account_nav.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    assert_no_horizontal_overflow(page)
    check_a11y(page, f"{name}-sessions")

    page.goto(f"{live_server.url}/{tenant_a.continuum.slug}/agencies/{tenant_a.agency.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.agency.name)
    assert_no_horizontal_overflow(page)
    check_a11y(page, f"{name}-agency-detail")


def test_it_lets_an_agency_user_on_a_phone_reach_everything(new_context, live_server, tenant_a):
    page = new_context(**ON_PHONE).new_page()
    sign_in(page, live_server, tenant_a["agency_user"], totp=False)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    walk(page, "phone-agency-user", [("Account", "My account")])
    nav = open_menu(page)
    nav.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def focus_ring(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.name || '').trim(),
                  outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
        }"""
    )


def assert_focus_visible(page: Page) -> dict:
    ring = focus_ring(page)
    assert ring["outline"] != "none" and ring["width"] >= 2, f"no visible focus indicator on {ring}"
    return ring


def test_it_shows_where_keyboard_focus_is(page: Page, live_server, tenant_a):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    skip = assert_focus_visible(page)
    assert skip["text"] == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["tag"] == "input"

    sign_in(page, live_server, tenant_a["help_desk"], totp=True)
    nav = page.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("link", name="Home").focus()
    # Focus that arrives by keyboard, not by a script, is what :focus-visible is for.
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["text"] == "Requests"  # the section's submenu button
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["text"] == "Help Desk queue"  # its first page
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["text"] == "Access requests"
    check_a11y(page, "keyboard-focus-nav", full_page=False)
