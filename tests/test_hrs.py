"""Housing Resource Specialists (issue 6, seed 000): the HRS variant of the sample client (CoC
setting), the individual HRS Agreement signed in the application, the Coordinated Entry team's
approval before the Help Desk issues Coordinated Entry access, and the pages for both."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from access_requests import credentials, hrs, services
from access_requests.models import (
    CeDecision,
    CredentialPolicy,
    HmisAccountStatus,
    HrsSampleClient,
    OnboardingStage,
)
from hmis_onboarding.models import AuditEvent, Notification

from .credential_helpers import a_project, approve_host, onboarding_for, setup_coc
from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    tenant_a.continuum.ce_team_email = "ces@example.org"
    tenant_a.continuum.help_desk_email = "helpdesk@example.org"
    tenant_a.continuum.save()
    approve_host(tenant_a)
    return tenant_a


def hrs_person(tenant, **kw):
    """An HRS-only person (no projects) whose training the Help Desk confirmed."""
    onboarding = onboarding_for(tenant, hrs=True, projects=kw.pop("projects", []), **kw)
    return credentials.onboarding_confirm_training(onboarding=onboarding, actor=tenant["help_desk"])


def sign_both(onboarding, name="Ana Lopez"):
    credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name=name)
    onboarding.refresh_from_db()
    credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name=name)
    onboarding.refresh_from_db()
    return onboarding


def issue(tenant, onboarding, projects=()):
    return credentials.hmis_account_issue(
        onboarding=onboarding,
        actor=tenant["help_desk"],
        hmis_username="alopez",
        hmis_role="Housing Resource Specialist",
        projects=list(projects),
    )


def recipients(prefix: str) -> set[str]:
    return set(Notification.objects.filter(dedupe_key__startswith=prefix).values_list("to_email", flat=True))


# --- The HRS variant of the sample client ------------------------------------------------------------


@pytest.mark.parametrize(
    "setting,with_projects,exempt",
    [
        (HrsSampleClient.WITH_PROJECTS, False, True),
        (HrsSampleClient.WITH_PROJECTS, True, False),
        (HrsSampleClient.REQUIRED, False, False),
        (HrsSampleClient.REPLACED_BY_HRS_TRAINING, True, True),
    ],
)
def test_it_follows_the_cocs_hrs_sample_client_setting(coc, setting, with_projects, exempt):
    CredentialPolicy.objects.filter(continuum=coc.continuum).update(hrs_sample_client=setting)
    projects = [a_project(coc)] if with_projects else []
    onboarding = onboarding_for(coc, hrs=True, projects=projects)
    assert onboarding.is_hrs and onboarding.ce_decision == CeDecision.PENDING
    assert bool(onboarding.sample_client_exempt_reason) is exempt
    if exempt:
        assert "HRS training instead of the sample client" in onboarding.sample_client_exempt_reason


def test_it_needs_no_ce_decision_for_other_requests(coc):
    onboarding = onboarding_for(coc)
    assert not onboarding.is_hrs and onboarding.ce_decision == CeDecision.NOT_NEEDED


# --- The HRS Agreement -------------------------------------------------------------------------------


def test_it_signs_the_hrs_agreement_into_a_pdf_and_tells_the_ata_and_supervisor(
    coc, django_capture_on_commit_callbacks
):
    onboarding = hrs_person(coc)
    assert onboarding.stage == OnboardingStage.AGREEMENT
    signature = credentials.hrs_agreement_sign(
        onboarding=onboarding, actor=onboarding.user, signed_name="  ana   LOPEZ "
    )
    assert signature.version.kind == "hrs" and signature.document.name.startswith("hrs-agreements/")
    with signature.document.open("rb") as fh:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(fh.read())).pages)
    assert "Housing Resource Specialist Agreement" in text
    assert "Standardized Housing Assessment" in text
    assert "/s/ ana LOPEZ" in text and onboarding.user.email in text
    assert f"Host agency: {coc.agency.name}" in text
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.AGREEMENT  # the End User Agreement is still due
    told = recipients(f"hrs:{signature.pk}:")
    assert {coc["ata"].email, coc["agency_supervisor"].email, "ces@example.org"} <= told
    assert AuditEvent.objects.filter(action="hrs_agreement.signed", actor=onboarding.user).exists()

    credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.READY and onboarding.credential_due_on


def test_it_moves_to_ready_only_when_both_agreements_are_signed_in_either_order(coc):
    onboarding = hrs_person(coc)
    credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.AGREEMENT
    credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.READY


def test_it_refuses_a_wrong_name_another_signer_and_a_second_signature(coc):
    onboarding = hrs_person(coc)
    with pytest.raises(ValidationError, match="Ana Lopez"):
        credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name="A Lopez")
    with pytest.raises(PermissionDenied):
        credentials.hrs_agreement_sign(onboarding=onboarding, actor=coc["ata"], signed_name="Ana Lopez")
    credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    with pytest.raises(services.RequestConflict, match="already signed"):
        credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    assert onboarding.signatures.filter(version__kind="hrs").count() == 1


def test_it_refuses_the_hrs_agreement_to_people_who_are_not_hrs_or_still_in_training(coc):
    regular = onboarding_for(coc, stage=OnboardingStage.AGREEMENT)
    with pytest.raises(PermissionDenied, match="Housing Resource Specialists"):
        credentials.hrs_agreement_sign(onboarding=regular, actor=regular.user, signed_name="Ana Lopez")
    in_training = onboarding_for(coc, hrs=True, projects=[], name=("Ben", "Ito"))
    with pytest.raises(services.RequestConflict, match="comes after"):
        credentials.hrs_agreement_sign(onboarding=in_training, actor=in_training.user, signed_name="Ben Ito")
    assert not in_training.signatures.exists()


# --- The Coordinated Entry team's approval -----------------------------------------------------------


def test_it_refuses_credentials_until_the_ce_team_approves(coc, django_capture_on_commit_callbacks):
    onboarding = sign_both(hrs_person(coc))
    with pytest.raises(services.RequestConflict, match="Coordinated Entry team must approve"):
        issue(coc, onboarding)
    assert not onboarding.hmis_accounts.exists()

    hrs.hrs_ce_approve(onboarding=onboarding, actor=coc["ce_team"])
    onboarding.refresh_from_db()
    assert onboarding.ce_decision == CeDecision.APPROVED and onboarding.ce_decided_by == coc["ce_team"]
    assert {onboarding.user.email, coc["ata"].email, "helpdesk@example.org"} <= recipients(
        f"onboarding:{onboarding.pk}:ce_approved"
    )
    assert AuditEvent.objects.filter(action="onboarding.ce_approved", actor=coc["ce_team"]).exists()
    # HRS-only access needs no agency project: Coordinated Entry is the CoC's project.
    account = issue(coc, onboarding)
    assert account.status == HmisAccountStatus.ACTIVE


def test_it_lets_only_the_ce_team_of_the_coc_decide(coc, tenant_b):
    onboarding = sign_both(hrs_person(coc))
    outsider = UserFactory()
    MembershipFactory(user=outsider, continuum=tenant_b.continuum, role="ce_team")
    for actor in (coc["help_desk"], coc["ata"], coc["coc_admin"], onboarding.user, outsider):
        with pytest.raises(PermissionDenied):
            hrs.hrs_ce_approve(onboarding=onboarding, actor=actor)
        with pytest.raises(PermissionDenied):
            hrs.hrs_ce_decline(onboarding=onboarding, actor=actor, reason="No")
    onboarding.refresh_from_db()
    assert onboarding.ce_decision == CeDecision.PENDING


def test_it_refuses_a_decision_before_the_hrs_agreement_and_a_second_decision(coc):
    onboarding = hrs_person(coc)
    with pytest.raises(services.RequestConflict, match="has not signed"):
        hrs.hrs_ce_approve(onboarding=onboarding, actor=coc["ce_team"])
    credentials.hrs_agreement_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    hrs.hrs_ce_approve(onboarding=onboarding, actor=coc["ce_team"])
    with pytest.raises(services.RequestConflict, match="Already decided"):
        hrs.hrs_ce_decline(onboarding=onboarding, actor=coc["ce_team"], reason="Changed our mind")
    regular = onboarding_for(coc, stage=OnboardingStage.READY, name=("Ben", "Ito"))
    with pytest.raises(services.RequestConflict, match="not requested as a Housing Resource Specialist"):
        hrs.hrs_ce_approve(onboarding=regular, actor=coc["ce_team"])


def test_it_refuses_approval_when_the_agency_is_no_longer_an_hrs_host(coc, client):
    from agencies.models import HrsHost

    onboarding = sign_both(hrs_person(coc))
    HrsHost.objects.filter(agency=coc.agency).update(status="revoked")
    with pytest.raises(services.RequestConflict, match="not an approved Housing Resource Specialist host"):
        hrs.hrs_ce_approve(onboarding=onboarding, actor=coc["ce_team"])
    client.force_login(coc["ce_team"])
    page = client.get(reverse("ce_approval", args=[coc.continuum.slug, onboarding.pk])).content.decode()
    assert "approve the host first" in page and "Approve as Housing Resource Specialist" not in page
    # Declining stays possible.
    hrs.hrs_ce_decline(onboarding=onboarding, actor=coc["ce_team"], reason="Host approval revoked.")
    onboarding.refresh_from_db()
    assert onboarding.ce_decision == CeDecision.DECLINED


def test_it_declines_with_a_reason_and_closes_the_onboarding(coc, django_capture_on_commit_callbacks):
    onboarding = sign_both(hrs_person(coc))
    with pytest.raises(ValidationError, match="reason"):
        hrs.hrs_ce_decline(onboarding=onboarding, actor=coc["ce_team"], reason="  ")
    hrs.hrs_ce_decline(
        onboarding=onboarding, actor=coc["ce_team"], reason="The host agency has no HRS position open."
    )
    onboarding.refresh_from_db()
    assert onboarding.ce_decision == CeDecision.DECLINED and onboarding.stage == OnboardingStage.CLOSED
    assert "no HRS position open" in onboarding.closed_reason
    assert {onboarding.user.email, coc["ata"].email} <= recipients(f"onboarding:{onboarding.pk}:ce_declined")
    assert AuditEvent.objects.filter(action="onboarding.ce_declined").exists()
    with pytest.raises(services.RequestConflict):
        issue(coc, onboarding)


# --- Pages -------------------------------------------------------------------------------------------


def test_it_lists_people_ready_for_the_ce_team_and_records_the_approval(coc, client):
    ready = sign_both(hrs_person(coc))
    waiting = onboarding_for(coc, hrs=True, projects=[], name=("Ben", "Ito"))
    client.force_login(coc["ce_team"])
    page = client.get(reverse("ce_approvals", args=[coc.continuum.slug])).content.decode()
    ready_part, _, rest = page.partition("On their way")
    assert "Ana Lopez" in ready_part and "Ben Ito" not in ready_part and "Ben Ito" in rest

    url = reverse("ce_approval", args=[coc.continuum.slug, ready.pk])
    response = client.post(url, {"decision": "decline", "reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.ce_decision == CeDecision.APPROVED
    # Someone not yet at the decision: the page explains, nothing changes.
    response = client.post(
        reverse("ce_approval", args=[coc.continuum.slug, waiting.pk]), {"decision": "approve"}
    )
    assert response.status_code == 400 and "HRS Agreement" in response.content.decode()


def test_it_shows_the_issuance_refusal_on_the_help_desk_form(coc, client):
    onboarding = sign_both(hrs_person(coc))
    client.force_login(coc["help_desk"])
    response = client.post(
        reverse("credential_issue", args=[coc.continuum.slug, onboarding.pk]),
        {"hmis_username": "alopez", "hmis_role": "HRS"},
    )
    assert response.status_code == 400
    assert "Coordinated Entry team must approve" in response.content.decode()


def test_it_signs_on_the_hrs_page_and_serves_the_pdf_as_an_attachment_to_permitted_people(coc, client):
    onboarding = hrs_person(coc)
    url = reverse("hrs_agreement_sign", args=[coc.continuum.slug, onboarding.pk])
    client.force_login(onboarding.user)
    page = client.get(url)
    assert page.status_code == 200 and "Standardized Housing Assessment" in page.content.decode()
    response = client.post(url, {"signed_name": "Someone Else", "agree": "on"})
    assert response.status_code == 400 and "Ana Lopez" in response.content.decode()
    assert client.post(url, {"signed_name": "Ana Lopez", "agree": "on"}).status_code == 302
    signature = onboarding.signatures.get(version__kind="hrs")

    pdf_url = reverse("hrs_agreement_document", args=[coc.continuum.slug, signature.pk])
    for person in (onboarding.user, coc["ata"], coc["ce_team"], coc["help_desk"]):
        client.force_login(person)
        response = client.get(pdf_url)
        assert response.status_code == 200, person
        assert response["Content-Disposition"].startswith("attachment;")
        text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
        assert "Housing Resource Specialist Agreement" in text
    for person in (coc["other_ata"], coc["agency_user"]):
        client.force_login(person)
        assert client.get(pdf_url).status_code == 404
    # The End User Agreement's address does not serve an HRS signature.
    client.force_login(onboarding.user)
    assert client.get(reverse("eua_document", args=[coc.continuum.slug, signature.pk])).status_code == 404


def test_it_hides_the_hrs_page_from_other_people_and_non_hrs_onboardings(coc, client):
    onboarding = hrs_person(coc)
    client.force_login(coc["ata"])
    assert (
        client.get(reverse("hrs_agreement_sign", args=[coc.continuum.slug, onboarding.pk])).status_code == 404
    )
    regular = onboarding_for(coc, stage=OnboardingStage.AGREEMENT, name=("Ben", "Ito"))
    client.force_login(regular.user)
    assert client.get(reverse("hrs_agreement_sign", args=[coc.continuum.slug, regular.pk])).status_code == 404


def test_it_shows_the_hrs_steps_on_the_trainees_tracker(coc):
    from training.tracker import my_tracker

    onboarding = hrs_person(coc)
    stages = {s.key: s for s in my_tracker(continuum=coc.continuum, user=onboarding.user).stages}
    assert stages["hrs_agreement"].status == "current" and stages["ce_approval"].status == "upcoming"
    sign_both(onboarding)
    stages = {s.key: s for s in my_tracker(continuum=coc.continuum, user=onboarding.user).stages}
    assert stages["hrs_agreement"].status == "done"
    assert (
        stages["ce_approval"].status == "current" and stages["ce_approval"].holder == "Coordinated Entry team"
    )
    assert stages["credentials"].status == "upcoming"
    hrs.hrs_ce_approve(onboarding=onboarding, actor=coc["ce_team"])
    stages = {s.key: s for s in my_tracker(continuum=coc.continuum, user=onboarding.user).stages}
    assert stages["ce_approval"].status == "done" and stages["credentials"].status == "current"
    regular = onboarding_for(coc, name=("Ben", "Ito"))
    keys = [s.key for s in my_tracker(continuum=coc.continuum, user=regular.user).stages]
    assert "hrs_agreement" not in keys and "ce_approval" not in keys
