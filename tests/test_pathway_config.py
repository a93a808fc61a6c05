"""The access-request pathway configuration: thresholds, request forms and the CES role matrix —
validated, audited, and in effect on the next request."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access_requests import configuration
from access_requests.models import CesRole, RequestPolicy, RequestType
from hmis_onboarding.models import AuditEvent

from .test_access_requests import chicago, submitted  # noqa: F401  (fixture and helper)

pytestmark = pytest.mark.django_db


def url(tenant, path: str = "") -> str:
    return f"/{tenant.continuum.slug}/pathway/{path}"


def test_it_changes_the_sla_and_the_next_submission_uses_it(chicago, client):  # noqa: F811
    client.force_login(chicago["coc_admin"])
    response = client.post(
        url(chicago),
        {
            "inactivity_window_months": 6,
            "sla_business_days": 10,
            "separately_trained_project_types": [3, 4],
            "separately_trained_funding": ["path"],
        },
    )
    assert response.status_code == 302
    policy = RequestPolicy.objects.get(continuum=chicago.continuum)
    assert policy.sla_business_days == 10 and policy.separately_trained_project_types == [3, 4]
    event = AuditEvent.objects.get(action="request_policy.changed")
    assert event.before["sla_business_days"] == 5 and event.after["sla_business_days"] == 10
    req = submitted(chicago)
    assert (req.sla_due_on - req.submitted_at.date()).days >= 10


def test_it_refuses_out_of_range_thresholds_on_the_form(chicago, client):  # noqa: F811
    client.force_login(chicago["coc_admin"])
    response = client.post(url(chicago), {"inactivity_window_months": 0, "sla_business_days": 500})
    assert response.status_code == 200
    body = response.content.decode()
    assert "greater than or equal to 1" in body and "less than or equal to 60" in body
    assert RequestPolicy.objects.get(continuum=chicago.continuum).sla_business_days == 5


def test_it_hides_a_deactivated_form_from_atas_at_once(chicago, client):  # noqa: F811
    rtype = RequestType.objects.get(continuum=chicago.continuum, code="new-project-access")
    client.force_login(chicago["coc_admin"])
    data = {
        "name": rtype.name,
        "short_name": rtype.short_name,
        "description": rtype.description,
        "eligibility": rtype.eligibility,
        "queue": rtype.queue,
        "requires_projects": "on",
        "position": rtype.position,
    }
    response = client.post(url(chicago, f"forms/{rtype.pk}/"), data, follow=True)
    assert response.redirect_chain[-1][0] == url(chicago)
    rtype.refresh_from_db()
    assert rtype.is_active is False
    assert AuditEvent.objects.filter(action="request_type.changed", object_id=str(rtype.pk)).exists()
    client.force_login(chicago["ata"])
    assert rtype.name not in client.get(f"/{chicago.continuum.slug}/requests/new/").content.decode()


def test_it_keeps_hrs_forms_with_the_ce_team_and_one_form_active(chicago):  # noqa: F811
    admin = chicago["coc_admin"]
    hrs = RequestType.objects.get(continuum=chicago.continuum, code="hrs-1474")
    with pytest.raises(ValidationError, match="Coordinated Entry"):
        configuration.request_type_update(request_type=hrs, actor=admin, queue="help_desk")
    types = list(RequestType.objects.filter(continuum=chicago.continuum, is_active=True))
    for rtype in types[:-1]:
        configuration.request_type_update(request_type=rtype, actor=admin, is_active=False)
    with pytest.raises(ValidationError, match="last active form"):
        configuration.request_type_update(request_type=types[-1], actor=admin, is_active=False)
    with pytest.raises(ValidationError, match="no active CES roles"):
        configuration.request_type_update(request_type=types[-1], actor=admin, uses_ces_roles=True)


def test_it_edits_the_ces_matrix_with_unique_ranks(tenant_a, client):
    configuration.install_los_angeles(tenant_a.continuum)
    roles = list(CesRole.objects.filter(continuum=tenant_a.continuum).order_by("rank"))
    first, second = roles[0], roles[1]
    client.force_login(tenant_a["coc_admin"])
    form = {f"rank-{r.pk}": r.rank for r in roles}
    for role in roles:
        form[f"perm-{role.pk}"] = role.permissions
    form[f"perm-{first.pk}"] = ["enter_ces_survey", "view_housing_resource_list"]
    assert client.post(url(tenant_a, "ces-roles/"), form).status_code == 302
    first.refresh_from_db()
    assert first.permissions == ["enter_ces_survey", "view_housing_resource_list"]
    assert AuditEvent.objects.filter(action="ces_role.changed", object_id=str(first.pk)).count() == 1

    form[f"rank-{first.pk}"] = second.rank
    response = client.post(url(tenant_a, "ces-roles/"), form, follow=True)
    assert "share a rank" in response.content.decode()
    first.refresh_from_db()
    assert first.rank != second.rank
    form[f"rank-{first.pk}"] = "abc"
    response = client.post(url(tenant_a, "ces-roles/"), form, follow=True)
    assert "whole number" in response.content.decode()


def test_it_keeps_the_pathway_to_coc_administrators(chicago, tenant_b, client):  # noqa: F811
    with pytest.raises(PermissionDenied):
        configuration.request_policy_update(
            continuum=chicago.continuum, actor=chicago["help_desk"], sla_business_days=1
        )
    client.force_login(chicago["help_desk"])
    assert client.get(url(chicago)).status_code == 403
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url(chicago)).status_code == 404
    rtype = RequestType.objects.filter(continuum=chicago.continuum).first()
    # Another CoC's administrator cannot reach this CoC's form through their own CoC.
    assert client.get(url(tenant_b, f"forms/{rtype.pk}/")).status_code == 404
