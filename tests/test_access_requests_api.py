"""The access-request API: same rules and scoping as the pages."""

from __future__ import annotations

import pytest

from access_requests.models import AccessRequest, RequestStatus

from .test_access_requests import chicago, submitted  # noqa: F401  (fixture and helper)

pytestmark = pytest.mark.django_db


def api(tenant, path=""):
    return f"/api/{tenant.continuum.slug}/access-requests/{path}"


def test_it_files_and_submits_a_bundle_in_one_call(client, chicago):  # noqa: F811
    client.force_login(chicago["ata"])
    response = client.post(
        api(chicago),
        {
            "agency": chicago.agency.pk,
            "request_type": "new-users",
            "people": [
                {"first_name": "Ana", "last_name": "Lopez", "email": "ana@x.org"},
                {"first_name": "Ben", "last_name": "Ito", "email": "ben@x.org"},
            ],
            "projects": [chicago.shelter.pk],
            "responsibilities": "Intake.",
            "submit": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and len(body["people"]) == 2
    assert body["people"][0]["suggested_type"] == "new-users"


def test_it_writes_nothing_when_any_part_is_invalid(client, chicago):  # noqa: F811
    client.force_login(chicago["ata"])
    response = client.post(
        api(chicago),
        {
            "agency": chicago.agency.pk,
            "request_type": "returning-user",
            "people": [
                {"first_name": "A", "last_name": "B", "email": "a@x.org"},
                {"first_name": "C", "last_name": "D", "email": "c@x.org"},
            ],
            "projects": [chicago.shelter.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "one person each" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_it_runs_the_review_through_the_api_and_answers_409_to_the_late_reviewer(client, chicago):  # noqa: F811
    req = submitted(chicago)
    client.force_login(chicago["help_desk"])
    for step in ("enrollments", "training_account", "license"):
        assert client.post(api(chicago, f"{req.pk}/checklist/"), {"step": step}).status_code == 200
    assert client.post(api(chicago, f"{req.pk}/approve/")).json()["status"] == "approved"
    response = client.post(api(chicago, f"{req.pk}/reject/"), {"text": "Too late."})
    assert response.status_code == 409
    assert "approved now" in response.json()["detail"]


def test_it_refuses_outsiders_and_the_wrong_role(client, chicago, tenant_b):  # noqa: F811
    req = submitted(chicago)
    client.force_login(tenant_b["help_desk"])
    assert client.get(api(chicago)).status_code == 404
    client.force_login(chicago["other_ata"])
    assert client.get(api(chicago, f"{req.pk}/")).status_code == 404
    listed = client.get(api(chicago)).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert req.pk not in [row["id"] for row in rows]
    client.force_login(chicago["agency_user"])
    assert client.get(api(chicago)).status_code == 403
    client.force_login(chicago["ata"])
    assert client.post(api(chicago, f"{req.pk}/approve/")).status_code == 403
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.SUBMITTED
    client.logout()
    assert client.get(api(chicago)).status_code == 401
