"""Issue 3's browser proof: the ATA is told what is missing and who must sign; the executive director
signs the APA in the application; CoC staff countersign it; the ATA can then file an access request.
axe on every page."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from access_requests import configuration
from access_requests.models import AccessRequest, RequestStatus
from agencies.models import Agreement, AgreementStatus

from ..test_access_requests import apa, project
from .conftest import check_a11y, sign_in


def tick(page, locator) -> None:
    """USWDS hides the real radio / checkbox behind its styled label: operate it by keyboard."""
    locator.focus()
    page.keyboard.press("Space")


@pytest.fixture
def unsigned_chicago(tenant_a):
    """Chicago's request forms and an APA the agency has not signed yet."""
    configuration.install_chicago(tenant_a.continuum)
    tenant_a.apa, tenant_a.apa_version = apa(tenant_a)
    tenant_a.shelter = project(tenant_a, name="Overnight Shelter")
    return tenant_a


def test_the_director_signs_staff_countersign_and_the_ata_can_then_file(
    new_context, live_server, unsigned_chicago
):
    tenant = unsigned_chicago
    base = f"{live_server.url}/{tenant.continuum.slug}"

    # The ATA cannot file yet, and is told what is missing and who must sign.
    ata = new_context().new_page()
    sign_in(ata, live_server, tenant["ata"], totp=False)
    ata.goto(f"{base}/requests/new/")
    gate = ata.get_by_role("region", name=f"Why {tenant.agency.name} cannot submit requests")
    expect(gate).to_contain_text("There is no signed Agency Participation Agreement (APA).")
    expect(gate).to_contain_text(
        f"Who must act: The executive director / authorized representative of {tenant.agency.name}."
    )
    check_a11y(ata, "agreement-flow-ata-refused")

    # A draft is allowed; submitting it is refused by the service with the same reason.
    tick(ata, ata.get_by_label(re.compile("^New agency user or users")))
    ata.get_by_role("button", name="Start the request").click()
    expect(ata.get_by_role("heading", level=1)).to_contain_text("New user(s)")
    ata.get_by_label("Paste a list").fill("Ana Lopez, ana@agency.org")
    ata.get_by_role("button", name="Add these people").click()
    expect(ata.get_by_role("status")).to_contain_text("Added 1 person")
    tick(ata, ata.get_by_label(re.compile("^Overnight Shelter")))
    ata.get_by_label("Responsibilities").fill("Overnight intake and shelter enrollments.")
    ata.get_by_role("button", name="Save draft").click()
    expect(ata.get_by_role("status")).to_contain_text("Draft saved")
    request_url = ata.url
    ata.get_by_role("button", name="Submit request").click()
    refusal = ata.get_by_role("status")
    expect(refusal).to_contain_text("There is no signed Agency Participation Agreement (APA).")
    expect(refusal).to_contain_text(
        f"The executive director / authorized representative of {tenant.agency.name}"
    )
    check_a11y(ata, "agreement-flow-submit-refused")
    assert AccessRequest.objects.get(agency=tenant.agency).status == RequestStatus.DRAFT

    # The executive director reads the exact text and signs it by typing their name.
    director = new_context().new_page()
    sign_in(director, live_server, tenant["executive_director"], totp=False)
    director.goto(f"{base}/agencies/{tenant.agency.pk}/")
    check_a11y(director, "agreement-flow-director-agency")
    director.get_by_role("link", name="Sign the Agency Participation Agreement").click()
    expect(director.get_by_role("heading", level=1)).to_have_text("Sign the Agency Participation Agreement")
    expect(director.locator("main")).to_contain_text("The agency agrees to the HMIS policies.")
    check_a11y(director, "agreement-flow-sign")
    director.get_by_label("Your full name (typed signature)").fill("Dana Director")
    director.get_by_label("Your title").fill("Executive Director")
    tick(director, director.get_by_label(re.compile("^I have read this agreement")))
    director.get_by_role("button", name="Sign the agreement").click()
    expect(director.get_by_role("status")).to_contain_text("now waits for the CoC's countersignature")
    check_a11y(director, "agreement-flow-signed")

    agreement = Agreement.objects.get(agency=tenant.agency)
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE
    assert agreement.version == tenant.apa_version
    assert agreement.signer_ip == "127.0.0.1"

    # Signed but not countersigned: still refused, and the ATA now learns the CoC must act.
    ata.goto(f"{base}/requests/new/")
    expect(
        ata.get_by_role("region", name=f"Why {tenant.agency.name} cannot submit requests")
    ).to_contain_text("signed but not yet countersigned by the CoC")

    # A CoC administrator finds it in the queue and countersigns.
    admin = new_context().new_page()
    sign_in(admin, live_server, tenant["coc_admin"], totp=True)
    nav = admin.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("button", name="Agencies", exact=True).click()
    nav.get_by_role("link", name="Agreements to countersign", exact=True).click()
    check_a11y(admin, "agreement-flow-queue")
    admin.get_by_role("table").get_by_role("link", name=tenant.agency.name).click()
    check_a11y(admin, "agreement-flow-countersign")
    admin.get_by_label("Your full name (typed signature)").fill("Casey Admin")
    admin.get_by_label("Your title").fill("HMIS Lead Director")
    tick(admin, admin.get_by_label("I countersign this agreement for the Continuum of Care."))
    admin.get_by_role("button", name="Countersign").click()
    expect(admin.get_by_role("status")).to_contain_text("now executed")
    check_a11y(admin, "agreement-flow-executed")

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EXECUTED
    with agreement.executed_document.open("rb") as handle:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Dana Director" in text and "Casey Admin" in text

    # The ATA can now file the request.
    ata.goto(f"{base}/requests/new/")
    expect(ata.get_by_role("region", name=f"Why {tenant.agency.name} cannot submit requests")).to_have_count(
        0
    )
    ata.goto(request_url)
    ata.get_by_role("button", name="Submit request").click()
    expect(ata.get_by_role("status")).to_contain_text("Request submitted")
    check_a11y(ata, "agreement-flow-request-submitted")
    assert AccessRequest.objects.get(agency=tenant.agency).status == RequestStatus.SUBMITTED
