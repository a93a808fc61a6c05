"""The last steps to a credential, configured by a CoC administrator (issue 8): the credential
policy, the agreement texts and the sample client rubric — validated, audited, restorable from the
configuration history, and in effect on the next request."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access_requests import credential_settings, credentials, sample_client
from access_requests.models import (
    AssignmentStatus,
    CredentialPolicy,
    EndUserAgreementVersion,
    OnboardingStage,
    RoundOutcome,
    RubricElement,
)
from hmis_onboarding.models import AuditEvent, Notification

from .credential_helpers import a_project, onboarding_for, ready_onboarding, setup_coc

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    return tenant_a


def url(tenant, path: str = "") -> str:
    return f"/{tenant.continuum.slug}/pathway/{path}"


def policy_data(**overrides):
    data = {
        "sample_client_seats": 8,
        "sample_client_days": 10,
        "sample_client_max_failed_rounds": 3,
        "sample_client_exempt_funding": ["funded_hpcc", "funded_state_homeless_prevention"],
        "hrs_sample_client": "with_projects",
        "inactivity_warning_days": 14,
        "access_review_days": 14,
        "access_review_grace_days": 7,
    }
    data.update(overrides)
    return data


def signed_up(coc, name):
    onboarding = onboarding_for(coc, name=name)
    onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])
    return sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)


# --- Credential policy -------------------------------------------------------------------------------


def test_it_saves_the_policy_with_before_and_after_in_the_audit_trail(coc, client):
    client.force_login(coc["coc_admin"])
    page = client.get(url(coc, "credential-policy/")).content.decode()
    assert "Sample client seats open at one time" in page and "State Homeless Prevention" in page
    response = client.post(
        url(coc, "credential-policy/"),
        policy_data(sample_client_days=15, sample_client_exempt_funding=["funded_path"]),
        follow=True,
    )
    assert "Credential policy saved" in response.content.decode()
    policy = CredentialPolicy.objects.get(continuum=coc.continuum)
    assert policy.sample_client_days == 15 and policy.sample_client_exempt_funding == ["funded_path"]
    event = AuditEvent.objects.get(action="credential_policy.changed")
    assert event.actor_id == coc["coc_admin"].pk
    assert (event.before["sample_client_days"], event.after["sample_client_days"]) == (10, 15)
    assert event.after["sample_client_exempt_funding"] == ["funded_path"]


def test_it_refuses_out_of_range_values_and_unknown_funding_on_the_form(coc, client):
    client.force_login(coc["coc_admin"])
    response = client.post(
        url(coc, "credential-policy/"),
        policy_data(sample_client_seats=0, sample_client_days=500, sample_client_exempt_funding=["bogus"]),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "greater than or equal to 1" in body
    assert "less than or equal to 120" in body
    assert "Select a valid choice. bogus" in body
    assert CredentialPolicy.objects.get(continuum=coc.continuum).sample_client_seats == 8
    assert not AuditEvent.objects.filter(action="credential_policy.changed").exists()


def test_it_refuses_unknown_funding_and_other_roles_in_the_service(coc):
    with pytest.raises(ValidationError, match="Not a funding source"):
        credential_settings.credential_policy_update(
            continuum=coc.continuum, actor=coc["coc_admin"], sample_client_exempt_funding=["funded_x"]
        )
    with pytest.raises(PermissionDenied):
        credential_settings.credential_policy_update(
            continuum=coc.continuum, actor=coc["help_desk"], sample_client_seats=3
        )


def test_it_lets_only_the_cocs_administrators_in(coc, tenant_b, client):
    for role in ("help_desk", "ata", "agency_user", "auditor"):
        client.force_login(coc[role])
        assert client.get(url(coc, "credential-policy/")).status_code == 403
        assert (
            client.post(url(coc, "credential-policy/"), policy_data(sample_client_seats=1)).status_code == 403
        )
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url(coc, "credential-policy/")).status_code == 404
    assert CredentialPolicy.objects.get(continuum=coc.continuum).sample_client_seats == 8


def test_it_applies_fewer_seats_to_the_next_sign_up_and_more_seats_to_the_waitlist(coc):
    admin = coc["coc_admin"]
    credential_settings.credential_policy_update(continuum=coc.continuum, actor=admin, sample_client_seats=1)
    first = signed_up(coc, ("Ana", "Lopez"))
    second = signed_up(coc, ("Ben", "Ito"))
    assert (first.status, second.status) == (AssignmentStatus.OPEN, AssignmentStatus.WAITLISTED)
    credential_settings.credential_policy_update(continuum=coc.continuum, actor=admin, sample_client_seats=2)
    second.refresh_from_db()
    assert second.status == AssignmentStatus.OPEN


def test_it_applies_new_exempt_funding_to_the_next_approval(coc):
    path = a_project(coc, "PATH Outreach", 4, funded_path=True)
    assert onboarding_for(coc, projects=[path]).sample_client_exempt_reason == ""
    credential_settings.credential_policy_update(
        continuum=coc.continuum, actor=coc["coc_admin"], sample_client_exempt_funding=["funded_path"]
    )
    later = onboarding_for(coc, projects=[path], name=("Ben", "Ito"))
    assert "PATH" in later.sample_client_exempt_reason


def test_it_restores_the_policy_from_the_configuration_history(coc, client):
    admin = coc["coc_admin"]
    credential_settings.credential_policy_update(
        continuum=coc.continuum, actor=admin, sample_client_days=30, inactivity_warning_days=21
    )
    change = AuditEvent.objects.get(action="credential_policy.changed")
    client.force_login(admin)
    history = client.get(f"/{coc.continuum.slug}/configuration/history/?area=credential").content.decode()
    assert "Credential: policy, agreements and rubric" in history and "Restore the values" in history
    client.post(f"/{coc.continuum.slug}/configuration/history/{change.pk}/restore/")
    policy = CredentialPolicy.objects.get(continuum=coc.continuum)
    assert (policy.sample_client_days, policy.inactivity_warning_days) == (10, 14)
    restore = AuditEvent.objects.filter(action="credential_policy.changed").latest("id")
    assert restore.pk != change.pk and restore.after["sample_client_days"] == 10


# --- Agreement texts ---------------------------------------------------------------------------------


def credentialed(coc, name=("Ana", "Lopez")):
    onboarding = ready_onboarding(coc, name=name)
    credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name=" ".join(name))
    credentials.hmis_account_issue(
        onboarding=onboarding,
        actor=coc["help_desk"],
        hmis_username=name[0].lower(),
        hmis_role="Case Manager",
        projects=list(onboarding.access_request.projects.all()),
    )
    onboarding.refresh_from_db()
    return onboarding


def must_sign(client, onboarding) -> bool:
    client.force_login(onboarding.user)
    body = client.get(f"/{onboarding.continuum.slug}/my-access/").content.decode()
    return "Sign the agreement</button>" in body


def test_it_publishes_a_new_version_that_asks_credentialed_people_to_re_sign(coc, client):
    onboarding = credentialed(coc)
    assert onboarding.stage == OnboardingStage.CREDENTIALED and not must_sign(client, onboarding)
    client.force_login(coc["coc_admin"])
    form = client.get(url(coc, "agreements/end_user/new/")).content.decode()
    assert "Version 2026.1 is current" in form
    response = client.post(
        url(coc, "agreements/end_user/new/"),
        {
            "label": "2027.1",
            "body": "I keep my password to myself.\n\nI report breaches.",
            "requires_resign": "on",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Version 2027.1 of the HMIS End User Agreement is now current" in body
    current = EndUserAgreementVersion.objects.get(continuum=coc.continuum, kind="end_user", is_current=True)
    assert current.label == "2027.1" and current.paragraphs == [
        "I keep my password to myself.",
        "I report breaches.",
    ]
    event = AuditEvent.objects.get(action="agreement_version.published")
    assert (event.before["current"], event.after["current"]) == ("2026.1", "2027.1")
    assert Notification.objects.filter(
        recipient=onboarding.user, dedupe_key__startswith=f"agreement_version:{current.pk}:resign"
    ).exists()
    assert must_sign(client, onboarding)
    signature = credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    assert signature.version == current and not must_sign(client, onboarding)


def test_it_keeps_earlier_signatures_for_a_correction_that_needs_no_re_signing(coc, client):
    onboarding = credentialed(coc)
    credential_settings.agreement_version_publish(
        continuum=coc.continuum,
        actor=coc["coc_admin"],
        kind="end_user",
        label="2026.2",
        body="A corrected text.",
        requires_resign=False,
    )
    assert not must_sign(client, onboarding)
    assert not Notification.objects.filter(dedupe_key__contains=":resign").exists()
    client.force_login(coc["coc_admin"])
    page = client.get(url(coc, "agreements/")).content.decode()
    assert "2026.2" in page and "2026.1" in page and "Earlier version" in page


def test_it_refuses_a_duplicate_label_or_an_empty_text_and_keeps_the_current_version(coc, client):
    client.force_login(coc["coc_admin"])
    response = client.post(url(coc, "agreements/end_user/new/"), {"label": "2026.1", "body": "Text."})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    response = client.post(url(coc, "agreements/end_user/new/"), {"label": "2027.1", "body": "  "})
    assert "This field is required" in response.content.decode()
    current = EndUserAgreementVersion.objects.get(continuum=coc.continuum, kind="end_user", is_current=True)
    assert current.label == "2026.1"
    assert not AuditEvent.objects.filter(action="agreement_version.published").exists()
    assert client.get(url(coc, "agreements/nonsense/new/")).status_code == 404


def test_it_lets_only_the_cocs_administrators_publish(coc, tenant_b, client):
    data = {"label": "2027.1", "body": "Text.", "requires_resign": "on"}
    for role in ("help_desk", "ata", "auditor"):
        client.force_login(coc[role])
        assert client.get(url(coc, "agreements/")).status_code == 403
        assert client.post(url(coc, "agreements/end_user/new/"), data).status_code == 403
    client.force_login(tenant_b["coc_admin"])
    assert client.post(url(coc, "agreements/end_user/new/"), data).status_code == 404
    assert not EndUserAgreementVersion.objects.filter(label="2027.1").exists()


# --- Sample client rubric ----------------------------------------------------------------------------


def reviewed_round(coc, outcome=RoundOutcome.CORRECTIONS, errors=None):
    assignment = signed_up(coc, ("Ana", "Lopez"))
    rnd = sample_client.sample_client_submit(
        assignment=assignment, actor=assignment.user, client_reference="SC-1"
    )
    results = [
        sample_client.ElementResult(e.pk, (errors or {}).get(e.code, 0), "")
        for e in sample_client.rubric_for(coc.continuum, assignment.project_type)
    ]
    sample_client.sample_client_review(
        round=rnd, reviewer=coc["help_desk"], results=results, outcome=outcome, feedback="Fix the sex field."
    )
    return assignment, rnd


def test_it_adds_an_element_for_some_project_types_only(coc, client):
    client.force_login(coc["coc_admin"])
    response = client.post(
        url(coc, "rubric/new/"),
        {
            "code": "4.18",
            "name": "Housing Assessment Disposition",
            "guidance": "At exit.",
            "project_types": [4, 14],
            "position": 40,
            "is_active": "on",
        },
        follow=True,
    )
    assert "Rubric element 4.18 Housing Assessment Disposition saved." in response.content.decode()
    element = RubricElement.objects.get(continuum=coc.continuum, code="4.18")
    assert element.project_types == [4, 14]
    assert element in sample_client.rubric_for(coc.continuum, 4)
    assert element not in sample_client.rubric_for(coc.continuum, 1)
    event = AuditEvent.objects.get(action="rubric_element.changed")
    assert event.before == {} and event.after["code"] == "4.18"
    page = client.get(url(coc, "rubric/")).content.decode()
    assert "4.18 Housing Assessment Disposition" in page and "Street Outreach" in page


def test_it_deactivates_an_element_for_new_reviews_and_keeps_past_scores(coc, client):
    assignment, rnd = reviewed_round(coc, errors={"4.21": 2})
    element = RubricElement.objects.get(continuum=coc.continuum, code="4.21")
    client.force_login(coc["coc_admin"])
    data = {
        "code": element.code,
        "name": element.name,
        "guidance": element.guidance,
        "position": element.position,
    }
    response = client.post(url(coc, f"rubric/{element.pk}/"), data, follow=True)
    assert response.redirect_chain[-1][0] == url(coc, "rubric/")
    assert "Deactivated" in response.content.decode()
    element.refresh_from_db()
    assert element.is_active is False
    event = AuditEvent.objects.get(action="rubric_element.changed")
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)
    assert element not in sample_client.rubric_for(coc.continuum, assignment.project_type)
    past = {r.element.code: r.errors for r in rnd.element_reviews.select_related("element")}
    assert past["4.21"] == 2
    second = sample_client.sample_client_submit(
        assignment=assignment, actor=assignment.user, client_reference="SC-2"
    )
    client.force_login(coc["help_desk"])
    review_page = client.get(f"/{coc.continuum.slug}/sample-clients/rounds/{second.pk}/").content.decode()
    assert "3.01 Name" in review_page and "4.21 Sex" not in review_page


def test_it_refuses_a_duplicate_code_and_unknown_project_types(coc, client):
    client.force_login(coc["coc_admin"])
    response = client.post(url(coc, "rubric/new/"), {"code": "3.01", "name": "Name again", "position": 1})
    assert response.status_code == 200 and "already has an element 3.01" in response.content.decode()
    response = client.post(
        url(coc, "rubric/new/"), {"code": "9.99", "name": "X", "position": 1, "project_types": [77]}
    )
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="Not a HUD project type"):
        credential_settings.rubric_element_save(
            continuum=coc.continuum, actor=coc["coc_admin"], code="9.98", name="Y", project_types=[77]
        )
    assert not RubricElement.objects.filter(code__in=["9.99", "9.98"]).exists()
    assert not AuditEvent.objects.filter(action="rubric_element.changed").exists()


def test_it_lets_only_the_cocs_administrators_change_the_rubric(coc, tenant_b, client):
    element = RubricElement.objects.get(continuum=coc.continuum, code="3.01")
    data = {"code": "3.01", "name": "Changed", "position": 1, "is_active": "on"}
    for role in ("help_desk", "ata", "auditor"):
        client.force_login(coc[role])
        assert client.get(url(coc, "rubric/")).status_code == 403
        assert client.post(url(coc, f"rubric/{element.pk}/"), data).status_code == 403
    setup_coc(tenant_b)
    client.force_login(tenant_b["coc_admin"])
    assert client.post(url(coc, f"rubric/{element.pk}/"), data).status_code == 404
    other = RubricElement.objects.get(continuum=tenant_b.continuum, code="3.01")
    client.force_login(coc["coc_admin"])
    assert client.get(url(coc, f"rubric/{other.pk}/")).status_code == 404
    element.refresh_from_db()
    assert element.name == "Name"
