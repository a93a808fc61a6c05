"""Credentials (issue 6): onboarding after approval, the End User Agreement, issuance against the
license pool, suspension, offboarding and reactivation through a new request."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from access_requests import credentials, services
from access_requests.credential_config import install_end_user_agreement
from access_requests.models import (
    EndUserAgreementVersion,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
)
from access_requests.readiness import (
    person_ready_for_sample_client,
    register_learning_path_check,
    unregister_learning_path_check,
)
from hmis_onboarding.models import AuditEvent, Notification

from .credential_helpers import a_project, onboarding_for, ready_onboarding, setup_coc
from .factories import MembershipFactory, UserFactory
from .test_access_requests import chicago, submitted  # noqa: F401  (fixture and helper)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    return tenant_a


def issue(tenant, onboarding, username="alopez", projects=None):
    return credentials.hmis_account_issue(
        onboarding=onboarding,
        actor=tenant["help_desk"],
        hmis_username=username,
        hmis_role="Case Manager",
        projects=projects if projects is not None else [a_project(tenant, agency=onboarding.agency)],
    )


# --- Onboarding from approval ------------------------------------------------------------------------


def test_it_starts_one_onboarding_per_person_when_a_request_is_approved(
    chicago,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from access_requests import credential_config

    credential_config.install_chicago(chicago.continuum)
    req = submitted(chicago, people=[("Ana", "Lopez", "ana@agency.org"), ("Ben", "Ito", "ben@agency.org")])
    for step in services.CHECKLIST_STEPS:
        services.access_request_confirm_step(access_request=req, reviewer=chicago["help_desk"], step=step)
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_approve(access_request=req, reviewer=chicago["help_desk"])
    onboardings = Onboarding.objects.filter(access_request=req).order_by("user__email")
    assert [o.user.email for o in onboardings] == ["ana@agency.org", "ben@agency.org"]
    assert {o.stage for o in onboardings} == {OnboardingStage.TRAINING}
    assert onboardings[0].project_types == [1]
    # Idempotent: a second signal changes nothing.
    credentials.onboarding_start(access_request=req)
    assert Onboarding.objects.filter(access_request=req).count() == 2


def test_it_exempts_read_only_users_and_hpcc_projects_from_the_sample_client(coc):
    hpcc = a_project(coc, "HPCC Desk", 6, funded_hpcc=True)
    assert "HPCC" in onboarding_for(coc, projects=[hpcc]).sample_client_exempt_reason
    assert (
        "Read-only" in onboarding_for(coc, read_only=True, name=("Rae", "Only")).sample_client_exempt_reason
    )
    assert onboarding_for(coc, name=("Sam", "Shelter")).sample_client_exempt_reason == ""
    mixed = onboarding_for(coc, projects=[hpcc, a_project(coc)], name=("Max", "Mixed"))
    assert mixed.sample_client_exempt_reason == ""


def test_it_reads_the_learning_path_hook_and_the_staff_override(coc):
    onboarding = onboarding_for(coc)
    user = onboarding.user
    assert not person_ready_for_sample_client(coc.continuum, user)

    def complete(continuum, person):
        return True if person == user else None

    register_learning_path_check(complete)
    try:
        assert person_ready_for_sample_client(coc.continuum, user)
    finally:
        unregister_learning_path_check(complete)
    with pytest.raises(PermissionDenied):
        credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["ata"])
    confirmed = credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])
    assert confirmed.training_confirmed_by == coc["help_desk"] and confirmed.training_confirmed_at
    assert confirmed.stage == OnboardingStage.SAMPLE_CLIENT
    assert person_ready_for_sample_client(coc.continuum, user)
    assert AuditEvent.objects.filter(
        action="onboarding.training_confirmed", object_id=str(onboarding.pk)
    ).exists()


# --- End User Agreement ------------------------------------------------------------------------------


def test_it_signs_the_end_user_agreement_as_a_pdf_and_tells_the_ata(coc):
    onboarding = onboarding_for(coc, stage=OnboardingStage.AGREEMENT)
    with pytest.raises(PermissionDenied):
        credentials.eua_sign(onboarding=onboarding, actor=coc["ata"], signed_name="Ana Lopez")
    with pytest.raises(ValidationError, match="full name"):
        credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Someone Else")
    signature = credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name=" ana  LOPEZ ")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(signature.document.read())).pages)
    assert "HMIS End User Agreement" in text
    assert "Ana Lopez" in " ".join(text.split()).title()
    assert "Version 2026.1" in text and coc.agency.name in text
    assert "will ever ask me for my password" in " ".join(text.split())
    assert "private" in signature.document.path
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.READY
    # The access clock: the CoC's business days from the signature (LA's rule: 3).
    from access_requests.configuration import policy_for
    from hmis_onboarding.business_calendar import add_business_days

    days = policy_for(coc.continuum).sla_business_days
    assert onboarding.credential_due_on == add_business_days(coc.continuum, signature.signed_at, days)
    to = set(
        Notification.objects.filter(dedupe_key__startswith=f"eua:{signature.pk}:").values_list(
            "to_email", flat=True
        )
    )
    assert coc["ata"].email in to and coc["agency_supervisor"].email in to
    with pytest.raises(services.RequestConflict, match="already signed"):
        credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")


def test_it_refuses_the_agreement_before_the_sample_client_is_passed(coc):
    onboarding = onboarding_for(coc, stage=OnboardingStage.SAMPLE_CLIENT)
    with pytest.raises(services.RequestConflict):
        credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")


def test_it_asks_credentialed_people_to_re_sign_a_new_version(coc):
    onboarding = ready_onboarding(coc)
    credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    issue(coc, onboarding)
    install_end_user_agreement(coc.continuum, label="2027.1")
    assert (
        EndUserAgreementVersion.objects.get(continuum=coc.continuum, kind="end_user", is_current=True).label
        == "2027.1"
    )
    onboarding.refresh_from_db()
    signature = credentials.eua_sign(onboarding=onboarding, actor=onboarding.user, signed_name="Ana Lopez")
    assert signature.version.label == "2027.1"
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.CREDENTIALED


# --- Issuance ----------------------------------------------------------------------------------------


def test_it_issues_a_credential_that_takes_one_license(coc):
    coc.agency.license_pool_size = 1
    coc.agency.save()
    onboarding = ready_onboarding(coc)
    with pytest.raises(PermissionDenied):
        credentials.hmis_account_issue(
            onboarding=onboarding,
            actor=coc["ata"],
            hmis_username="x1",
            hmis_role="r",
            projects=[a_project(coc)],
        )
    account = issue(coc, onboarding)
    assert account.issued_by == coc["help_desk"] and account.issued_at
    assert account.hmis_role == "Case Manager" and list(account.projects.all()) == [a_project(coc)]
    assert credentials.licenses_held(coc.agency) == 1
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.CREDENTIALED
    # Passwords are neither stored nor e-mailed.
    assert not any("password" in f.name for f in HmisAccount._meta.get_fields())
    bodies = Notification.objects.filter(dedupe_key__startswith=f"hmis_account:{account.pk}:issued")
    assert bodies.count() == 2 and all("nobody will ever ask you for it" in n.body_text for n in bodies)
    # The pool is full: the next person waits for a free license.
    other = ready_onboarding(coc, name=("Ben", "Ito"))
    with pytest.raises(ValidationError, match="no free license"):
        issue(coc, other, username="bito")
    assert HmisAccount.objects.filter(agency=coc.agency).count() == 1


def test_it_never_issues_a_second_live_credential(coc):
    onboarding = ready_onboarding(coc)
    issue(coc, onboarding)
    again = ready_onboarding(coc, user=onboarding.user)
    with pytest.raises(services.RequestConflict, match="already holds"):
        issue(coc, again, username="alopez2")


def test_it_refuses_a_taken_username_and_bad_input_without_writing(coc):
    issue(coc, ready_onboarding(coc))
    other = ready_onboarding(coc, name=("Ben", "Ito"))
    with pytest.raises(ValidationError, match="taken"):
        issue(coc, other, username="ALOPEZ")
    with pytest.raises(ValidationError):
        issue(coc, other, username="no spaces allowed")
    with pytest.raises(ValidationError):
        issue(coc, other, projects=[a_project(coc, "Elsewhere", agency=coc.other_agency)])
    assert HmisAccount.objects.count() == 1


# --- Lifecycle ---------------------------------------------------------------------------------------


def _issued(coc, **kw):
    onboarding = ready_onboarding(coc, **kw)
    return issue(coc, onboarding, username=onboarding.user.email.split("@")[0])


def test_it_offboards_the_same_day_and_frees_the_license(coc):
    account = _issued(coc)
    with pytest.raises(PermissionDenied):
        credentials.hmis_account_offboard(account=account, actor=coc["other_ata"])
    with pytest.raises(PermissionDenied):
        credentials.hmis_account_offboard(account=account, actor=coc["agency_user"])
    account = credentials.hmis_account_offboard(account=account, actor=coc["ata"], note="Last day Friday")
    assert account.status == HmisAccountStatus.REVOKED and "Left the agency" in account.status_reason
    assert account.status_changed_at.date() == dt.datetime.now(dt.UTC).date()
    assert credentials.licenses_held(coc.agency) == 0
    assert Onboarding.objects.get(pk=account.onboarding_id).stage == OnboardingStage.CLOSED
    assert AuditEvent.objects.filter(action="hmis_account.offboarded", object_id=str(account.pk)).exists()
    assert Notification.objects.filter(dedupe_key__startswith=f"hmis_account:{account.pk}:revoked").exists()


def test_it_lets_the_ce_team_remove_an_hrs_and_reactivates_only_through_a_new_request(coc):
    account = _issued(coc)
    with pytest.raises(PermissionDenied):
        credentials.hmis_account_suspend(account=account, actor=coc["ata"], reason="hrs_removed")
    account = credentials.hmis_account_suspend(account=account, actor=coc["ce_team"], reason="hrs_removed")
    assert account.status == HmisAccountStatus.SUSPENDED and account.holds_license
    # A new request (new onboarding) brings the same account back, without a second license.
    again = ready_onboarding(coc, user=account.user)
    reactivated = issue(coc, again, username=account.hmis_username)
    assert reactivated.pk == account.pk and reactivated.status == HmisAccountStatus.ACTIVE
    assert HmisAccount.objects.filter(agency=coc.agency).count() == 1
    assert AuditEvent.objects.filter(action="hmis_account.reactivated").exists()


def test_it_warns_then_suspends_inactive_accounts_once(coc):
    account = _issued(coc)
    today = dt.date(2026, 9, 1)
    HmisAccount.objects.filter(pk=account.pk).update(last_activity_on=dt.date(2026, 3, 10))
    assert credentials.inactivity_sweep(continuum=coc.continuum, today=today) == {"warned": 1, "suspended": 0}
    assert credentials.inactivity_sweep(continuum=coc.continuum, today=today) == {"warned": 0, "suspended": 0}
    assert Notification.objects.filter(dedupe_key__contains="inactivity_warning").count() == 2  # person + ATA
    later = dt.date(2026, 9, 20)
    assert credentials.inactivity_sweep(continuum=coc.continuum, today=later) == {"warned": 0, "suspended": 1}
    assert credentials.inactivity_sweep(continuum=coc.continuum, today=later) == {"warned": 0, "suspended": 0}
    account.refresh_from_db()
    assert account.status == HmisAccountStatus.SUSPENDED and "Inactive" in account.status_reason
    assert AuditEvent.objects.filter(action="hmis_account.suspended", actor_label="system").count() == 1


def test_it_suspends_accounts_when_the_agency_agreement_lapses(coc):
    from .test_access_requests import apa, make_eligible

    account = _issued(coc)
    other = _issued(coc, agency=coc.other_agency, name=("Ola", "Other"))
    apa(coc)  # an APA type gates access; only the other agency holds a current one
    make_eligible(coc, coc.other_agency)
    assert credentials.agreement_lapse_sweep(continuum=coc.continuum) == 1
    account.refresh_from_db()
    other.refresh_from_db()
    assert account.status == HmisAccountStatus.SUSPENDED and other.status == HmisAccountStatus.ACTIVE
    assert credentials.agreement_lapse_sweep(continuum=coc.continuum) == 0


def test_it_runs_the_lifecycle_sweep_task_per_continuum(coc, tenant_b):
    from access_requests.tasks import sweep_access_lifecycle_for_continuum

    result = sweep_access_lifecycle_for_continuum(coc.continuum.pk)
    assert result == {
        "warned": 0,
        "suspended": 0,
        "agreement_lapsed": 0,
        "assignments_expired": 0,
        "onboardings_closed_idle": 0,
        "review_escalated": 0,
        "review_suspended": 0,
    }
    assert sweep_access_lifecycle_for_continuum(999999) == {}


def test_it_keeps_tenants_apart(coc, tenant_b):
    onboarding = ready_onboarding(coc)
    outsider = UserFactory()
    MembershipFactory(user=outsider, continuum=tenant_b.continuum, role="help_desk")
    with pytest.raises(PermissionDenied):
        credentials.hmis_account_issue(
            onboarding=onboarding,
            actor=tenant_b["help_desk"],
            hmis_username="zz",
            hmis_role="r",
            projects=[a_project(coc)],
        )


def test_it_asks_the_training_app_whether_the_learning_path_is_complete(coc):
    from training.models import LearningPath

    onboarding = onboarding_for(coc)
    user = onboarding.user
    assert not person_ready_for_sample_client(coc.continuum, user)  # no path: nothing to go on
    LearningPath.objects.create(
        continuum=coc.continuum,
        user=user,
        needs={},
        assigned_at="2026-01-01T00:00:00Z",
        recomputed_at="2026-01-01T00:00:00Z",
    )
    from access_requests.readiness import training_learning_path

    assert training_learning_path(coc.continuum, user) is not None
    # The staff override counts whatever the path says.
    credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])
    assert person_ready_for_sample_client(coc.continuum, user)
