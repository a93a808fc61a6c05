"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core on every page, screenshots.

Playwright's own browser download cannot work offline, so the session's one browser is the system
Chromium (scripts/ensure_chromium.sh installs it in CI). Each test opens its own context, so every
persona starts with empty cookies while the browser process is shared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page, expect

from agencies.services import continuum_update_settings, membership_grant
from hmis_onboarding.permissions import Role
from tests.conftest import fresh_totp_code as _fresh_totp_code
from tests.conftest import totp_code
from tests.factories import PASSWORD, TOTP_SECRET, AgencyFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
PHONE = {"width": 375, "height": 812}

_axe = Axe()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def waiting_agency(tenant_a):
    """Some history for the audit trail, and an agency without an ATA for the Help Desk to chase."""
    continuum_update_settings(
        continuum=tenant_a.continuum, actor=tenant_a["coc_admin"], hmis_lead_name="Alpha HMIS Lead"
    )
    membership_grant(
        continuum=tenant_a.continuum,
        user=UserFactory(email="alpha.new-hire@example.org"),
        role=Role.AGENCY_USER,
        agency=tenant_a.agency,
        actor=tenant_a["ata"],
    )
    return AgencyFactory(continuum=tenant_a.continuum, name="Alpha Night Shelter")


@pytest.fixture(scope="session", autouse=True)
def _screenshot_index():
    """var/screenshots/index.txt lists every page checked in this run, with its address."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / "index.txt").write_text("")


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"
        )
        for node in violation["nodes"][:5]:
            target = ", ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def check_a11y(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot (the full page unless told otherwise) to var/screenshots/<name>.png, then
    fail on any WCAG 2.1 A/AA violation that axe-core finds, listing each with the elements at fault."""
    page.wait_for_load_state("load")
    # The USWDS menu slides in; colours measured mid-animation would be wrong.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    assert_styled(page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=full_page)
    results = _axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    path = page.url.split("/", 3)[-1]
    with (SCREENSHOT_DIR / "index.txt").open("a") as index:
        index.write(f"{name}.png\t/{path}\t{len(violations)} axe violations\n")
    if violations:
        raise AssertionError(
            f"axe found WCAG 2.1 A/AA violations on {name} ({page.url}):\n{format_violations(violations)}"
        )


def assert_styled(page: Page) -> None:
    """USWDS and app.css really loaded (a missing static file would still render, unstyled)."""
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Source Sans Pro" in font, f"USWDS stylesheet did not load on {page.url} (body font: {font})"
    app_css = page.evaluate(
        "[...document.styleSheets].some(s => (s.href || '').endsWith('/css/app.css') && s.cssRules.length)"
    )
    assert app_css, f"app.css did not load on {page.url}"
    failed = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.responseStatus >= 400).map(e => e.name)"
    )
    assert not failed, f"static files failed to load on {page.url}: {failed}"
    # uswds.min.js announces itself once loaded; it wires up the menu button and accordions.
    assert page.evaluate("window.uswdsPresent === true"), f"uswds.min.js did not load on {page.url}"
    assert page.evaluate("typeof window.htmx === 'object'"), f"htmx did not load on {page.url}"


def fresh_totp_code(secret: str = TOTP_SECRET) -> str:
    """A browser is slower than the test client: leave four seconds for the page round trip."""
    return _fresh_totp_code(secret, margin=4)


def wrong_totp_code(secret: str = TOTP_SECRET) -> str:
    valid = {totp_code(secret, offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def sign_in(page: Page, live_server, user, *, totp: bool, next_path: str = "", screenshot: str = "") -> None:
    """Sign in through the real login form; staff then type their authenticator code."""
    page.goto(f"{live_server.url}/accounts/login/{next_path}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    if screenshot:
        check_a11y(page, screenshot)
    page.get_by_role("button", name="Sign in").click()
    if totp:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label(re.compile("code", re.I)).fill(fresh_totp_code())
        page.get_by_role("button", name=re.compile("sign in|verify|continue", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))


_OVERFLOWING_ELEMENTS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => el.closest('.app-table-wrap') !== null;
  return [...document.querySelectorAll('body *')]
    .filter((el) => !inScroller(el) && el.getBoundingClientRect().right > width + 1)
    .filter((el) => getComputedStyle(el).visibility !== 'hidden' && el.getClientRects().length > 0)
    .slice(0, 8)
    .map((el) => {
      const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).join('.') : '';
      return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (classes ? '.' + classes : '') +
        ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)';
    });
}"""


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing makes the page scroll sideways (WCAG 1.4.10 Reflow); wide tables scroll inside their
    own wrapper instead."""
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll_width > client_width + 1:
        culprits = page.evaluate(_OVERFLOWING_ELEMENTS_JS)
        raise AssertionError(
            f"{page.url} scrolls sideways: {scroll_width}px of content in a {client_width}px viewport; "
            f"overflowing: {', '.join(culprits) or 'unknown'}"
        )


def confirm_access(page: Page, name: str) -> None:
    """allauth asks for the password again before two-factor changes ("Confirm Access"). People with
    an authenticator are offered their code first; they take the password option, since the code
    they just signed in with cannot be used twice."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check_a11y(page, name)
    password_field = page.get_by_label("Password", exact=True)
    if not password_field.count():
        page.get_by_role("link", name=re.compile("password", re.I)).click()
        expect(password_field).to_be_visible()
    password_field.fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Confirm Access")
