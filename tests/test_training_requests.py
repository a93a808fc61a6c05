"""Approval of an access request gives each approved person their LMS account record and the
learning path the request calls for (training listens to `access_request_approved`)."""

from __future__ import annotations

import pytest

from access_requests import configuration
from access_requests import services as request_services
from access_requests.models import CesRole
from agencies import services as agency_services
from training import services
from training.models import LearningPath, LmsAccount
from training.path import StepState

from .test_access_requests import draft, make_eligible, project

pytestmark = pytest.mark.django_db


def approve(req, reviewer, capture):
    req = request_services.access_request_submit(access_request=req, actor=req.created_by)
    for step in request_services.CHECKLIST_STEPS:
        request_services.access_request_confirm_step(access_request=req, reviewer=reviewer, step=step)
    with capture(execute=True):
        return request_services.access_request_approve(access_request=req, reviewer=reviewer)


def path_of(tenant, email):
    person = LmsAccount.objects.get(email=email).user
    return services.selectors.learning_path_result(tenant.continuum, person)


@pytest.fixture
def chicago(tenant_a):
    configuration.install_chicago(tenant_a.continuum)
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a)
    return tenant_a


def test_an_approved_bundle_gets_accounts_and_paths_for_its_projects(
    chicago, django_capture_on_commit_callbacks
):
    outreach = project(chicago, name="PATH Outreach", hud_type=4, funded_path=True)
    req = draft(
        chicago,
        people=(("Ana", "Lopez", "ana@agency.org"), ("Ben", "Ito", "ben@agency.org")),
        projects=[chicago.shelter, outreach],
    )
    approve(req, chicago["help_desk"], django_capture_on_commit_callbacks)
    for email in ("ana@agency.org", "ben@agency.org"):
        path = path_of(chicago, email)
        keys = [s.key for s in path.steps]
        assert keys[:2] == ["intro-to-hmis", "data-management"]
        assert {"es-th-sh", "outreach-path", "sample-client-instructions"} <= set(keys)
        assert path.step("es-th-sh").state == StepState.RESTRICTED
        assert LearningPath.objects.get(user__email=email).source == f"access_request:{req.pk}"
    assert LmsAccount.objects.filter(status="pending").count() == 2


def test_a_read_only_request_gets_the_alternate_intro(chicago, django_capture_on_commit_callbacks):
    approve(draft(chicago, read_only=True), chicago["help_desk"], django_capture_on_commit_callbacks)
    assert [s.key for s in path_of(chicago, "ana@agency.org").steps] == ["intro-to-hmis-read-only"]


def test_an_hrs_request_gets_the_hrs_training(chicago, django_capture_on_commit_callbacks):
    chicago.agency.direct_services_provider = True
    chicago.agency.save()
    agency_services.hrs_host_approve(agency=chicago.agency, actor=chicago["ce_team"])
    approve(
        draft(chicago, code="hrs-1474", projects=[]), chicago["ce_team"], django_capture_on_commit_callbacks
    )
    assert [s.key for s in path_of(chicago, "ana@agency.org").steps] == ["hrs-training"]


def test_current_users_keep_their_foundations_and_train_for_the_new_project(
    chicago, django_capture_on_commit_callbacks
):
    housing = project(chicago, name="Scattered-site PSH", hud_type=3)
    from .factories import MembershipFactory, UserFactory

    current = UserFactory(email="carla@agency.org")
    MembershipFactory(user=current, continuum=chicago.continuum, agency=chicago.agency, role="agency_user")
    req = draft(
        chicago,
        code="new-project-access",
        people=(("Carla", "Ruiz", "carla@agency.org"),),
        projects=[housing],
    )
    approve(req, chicago["help_desk"], django_capture_on_commit_callbacks)
    path = path_of(chicago, "carla@agency.org")
    assert path.step("intro-to-hmis").state == StepState.CREDITED
    assert path.step("data-management").state == StepState.CREDITED
    assert path.step("bundle:psh-rrh").state == StepState.AVAILABLE


def test_la_registrations_follow_the_ces_roles(tenant_a, django_capture_on_commit_callbacks):
    configuration.install_los_angeles(tenant_a.continuum)
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("los-angeles"))
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a)
    matcher = CesRole.objects.get(continuum=tenant_a.continuum, code="community-matcher")
    req = draft(tenant_a, code="ces-user-registration", ces_roles=[matcher])
    approve(req, tenant_a["help_desk"], django_capture_on_commit_callbacks)
    path = path_of(tenant_a, "ana@agency.org")
    assert [s.key for s in path.steps] == ["hmis-10", "hmis-509-full", "hmis-510"]
    assert not path.needs_sample_client


def test_assigning_again_changes_nothing(chicago, django_capture_on_commit_callbacks):
    req = approve(draft(chicago), chicago["help_desk"], django_capture_on_commit_callbacks)
    from hmis_onboarding.models import AuditEvent

    before = (AuditEvent.objects.count(), LearningPath.objects.count(), LmsAccount.objects.count())
    services.learning_paths_for_request(access_request=req)
    assert (AuditEvent.objects.count(), LearningPath.objects.count(), LmsAccount.objects.count()) == before
