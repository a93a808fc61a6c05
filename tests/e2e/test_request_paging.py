"""Long lists page: the ATA's request list and the Help Desk queue show 50 requests at a time, say
which ones and of how many, and page by keyboard with the filters kept. axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from access_requests import configuration

from ..test_access_requests import make_eligible, project, submitted
from .conftest import check_a11y, sign_in
from .test_access_request_flow import press


@pytest.fixture
def busy_agency(tenant_a):
    """An agency with 55 requests waiting for the Help Desk."""
    configuration.install_chicago(tenant_a.continuum)
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a, name="Overnight Shelter")
    for number in range(55):
        submitted(tenant_a, people=[("Pat", f"Number{number}", f"pat{number}@agency.org")])
    return tenant_a


def test_the_ata_and_the_help_desk_page_through_55_requests(new_context, live_server, busy_agency):
    tenant = busy_agency
    slug = tenant.continuum.slug

    ata = new_context().new_page()
    sign_in(ata, live_server, tenant["ata"], totp=False)
    ata.goto(f"{live_server.url}/{slug}/requests/")
    expect(ata.get_by_text("Showing 1–50 of 55 requests, newest first.")).to_be_visible()
    expect(ata.locator("table tbody tr")).to_have_count(50)
    expect(ata.get_by_role("navigation", name="Pages of access requests")).to_contain_text("Page 1 of 2")
    check_a11y(ata, "requests-list-page-1")
    press(ata, ata.get_by_role("link", name="Next page"))
    expect(ata.get_by_text("Showing 51–55 of 55 requests, newest first.")).to_be_visible()
    expect(ata.locator("table tbody tr")).to_have_count(5)
    check_a11y(ata, "requests-list-page-2")
    press(ata, ata.get_by_role("link", name="Previous page"))
    expect(ata.get_by_text("Showing 1–50 of 55 requests, newest first.")).to_be_visible()

    desk = new_context().new_page()
    sign_in(desk, live_server, tenant["help_desk"], totp=True)
    desk.goto(f"{live_server.url}/{slug}/queue/help-desk/?sort=-age")
    expect(desk.get_by_text("Showing 1–50 of 55 matching requests, newest first.")).to_be_visible()
    check_a11y(desk, "queue-page-1")
    press(desk, desk.get_by_role("link", name="Next page"))
    # The sort is kept from page to page.
    expect(desk.get_by_text("Showing 51–55 of 55 matching requests, newest first.")).to_be_visible()
    assert "sort=-age" in desk.url and "page=2" in desk.url
    check_a11y(desk, "queue-page-2")
