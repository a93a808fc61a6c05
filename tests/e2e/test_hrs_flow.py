"""Housing Resource Specialists in the browser: the person signs the HRS Agreement (and the End User
Agreement) on their own pages, the Help Desk's issuance is refused until the Coordinated Entry team
approves, the CE team approves on its page, then the Help Desk records the credential. axe on every
page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from access_requests import credentials

from ..credential_helpers import approve_host, onboarding_for, setup_coc
from .conftest import check_a11y, sign_in
from .test_credential_flow import tick


def test_it_takes_an_hrs_person_through_the_agreement_and_the_ce_teams_approval(
    new_context, live_server, tenant_a
):
    tenant = tenant_a
    setup_coc(tenant)
    approve_host(tenant)
    person = tenant["agency_user"]
    onboarding = onboarding_for(tenant, user=person, name=("Agency", "User"), projects=[], hrs=True)
    credentials.onboarding_confirm_training(onboarding=onboarding, actor=tenant["help_desk"])
    waiting = onboarding_for(tenant, name=("Ben", "Ito"), projects=[], hrs=True)
    base = f"{live_server.url}/{tenant.continuum.slug}"

    trainee = new_context().new_page()
    sign_in(trainee, live_server, person, totp=False)
    trainee.goto(f"{base}/my-access/")
    check_a11y(trainee, "hrs-my-access")
    trainee.get_by_role("link", name="Read and sign the Housing Resource Specialist Agreement").click()
    expect(trainee.get_by_role("heading", level=1)).to_have_text("Housing Resource Specialist Agreement")
    check_a11y(trainee, "hrs-agreement-sign")
    trainee.get_by_label("Type your full name to sign").fill("Agency Userr")
    tick(
        trainee,
        trainee.get_by_label("I have read the Housing Resource Specialist Agreement and agree to it."),
    )
    trainee.get_by_role("button", name="Sign the HRS Agreement").click()
    expect(
        trainee.get_by_text("Type your full name as it appears on the request: Agency User.")
    ).to_be_visible()
    check_a11y(trainee, "hrs-agreement-wrong-name")
    trainee.get_by_label("Type your full name to sign").fill("Agency User")
    # The refused form keeps the box ticked.
    expect(
        trainee.get_by_label("I have read the Housing Resource Specialist Agreement and agree to it.")
    ).to_be_checked()
    trainee.get_by_role("button", name="Sign the HRS Agreement").click()
    expect(
        trainee.get_by_text("the Coordinated Entry team approves your Coordinated Entry access next")
    ).to_be_visible()
    expect(
        trainee.get_by_role("link", name=re.compile(r"Housing Resource Specialist Agreement 2026\.1 \(PDF\)"))
    ).to_be_visible()
    trainee.get_by_label("Type your full name to sign").fill("Agency User")
    tick(trainee, trainee.get_by_label("I have read the End User Agreement and agree to it."))
    trainee.get_by_role("button", name="Sign the agreement").click()
    expect(
        trainee.get_by_text("Coordinated Entry approval: Awaiting the Coordinated Entry team.")
    ).to_be_visible()

    desk = new_context().new_page()
    sign_in(desk, live_server, tenant["help_desk"], totp=True)
    desk.goto(f"{base}/sample-clients/")
    expect(desk.get_by_text("HRS: awaiting CE approval")).to_be_visible()
    desk.get_by_role("link", name="Agency User").click()
    desk.get_by_label("HMIS username").fill("auser")
    desk.get_by_label("HMIS role").fill("Housing Resource Specialist")
    desk.get_by_role("button", name="Record the credential").click()
    expect(desk.get_by_text(re.compile("the Coordinated Entry team must approve them"))).to_be_visible()
    check_a11y(desk, "hrs-credential-refused")

    ce = new_context().new_page()
    sign_in(ce, live_server, tenant["ce_team"], totp=True)
    ce.goto(f"{base}/ce-approvals/")
    expect(ce.get_by_role("heading", level=1)).to_have_text("Housing Resource Specialist approvals")
    expect(ce.get_by_role("table", name=re.compile("signed the HRS Agreement"))).to_contain_text(
        "Agency User"
    )
    expect(ce.get_by_role("table", name=re.compile("still in training"))).to_contain_text("Ben Ito")
    check_a11y(ce, "hrs-ce-approvals")
    ce.get_by_role("link", name="Agency User").click()
    expect(ce.get_by_role("heading", level=1)).to_have_text("Housing Resource Specialist: Agency User")
    check_a11y(ce, "hrs-ce-approval")
    ce.get_by_role("button", name="Decline").click()
    expect(ce.get_by_text("This field is required.")).to_be_visible()
    check_a11y(ce, "hrs-ce-decline-without-reason")
    ce.get_by_role("button", name="Approve as Housing Resource Specialist").click()
    expect(ce.get_by_text("Agency User is approved")).to_be_visible()
    expect(ce.get_by_role("table", name=re.compile("latest decisions"))).to_contain_text(
        "Approved by the Coordinated Entry team"
    )
    check_a11y(ce, "hrs-ce-approvals-after")

    desk.goto(f"{base}/sample-clients/")
    desk.get_by_role("link", name="Agency User").click()
    desk.get_by_label("HMIS username").fill("auser")
    desk.get_by_label("HMIS role").fill("Housing Resource Specialist")
    desk.get_by_role("button", name="Record the credential").click()
    expect(desk.get_by_text("Credential recorded")).to_be_visible()

    trainee.goto(f"{base}/my-access/")
    expect(trainee.get_by_text("auser")).to_be_visible()
    assert waiting.pk  # still on its way, untouched by the approval
