"""The sign-in page as a browser shows it: styled, labelled, and clean under axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import check_a11y


def test_it_serves_an_accessible_sign_in_page(page: Page, live_server):
    # The session's shared browser (tests/e2e/conftest.py): a second sync_playwright() in the same
    # process would fail once pytest-playwright's event loop is running.
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_be_visible()
    # check_a11y also proves USWDS, app.css and the scripts came from our own static files.
    check_a11y(page, "login-empty")
