"""The access-request API: same rules and scoping as the pages."""

from __future__ import annotations

import pytest

from access_requests.models import AccessRequest, RequestStatus

from .test_access_requests import chicago, draft, submitted  # noqa: F401  (fixture and helpers)

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


# --- The list: keyset pagination and a lean body (issue 9) ---------------------------------------


def _requests(tenant, n):
    """n submitted requests, newest last; the first has two people, two projects, CES roles and an
    assignee, so every field of the body carries data."""
    from access_requests import services
    from access_requests.models import CesRole

    from .test_access_requests import project

    second = project(tenant, name="Outreach Team", hud_type=4)
    made = []
    for i in range(n):
        people = (("Ana", "Lopez", f"ana{i}@agency.org"), ("Ben", "Ito", f"ben{i}@agency.org"))
        made.append(submitted(tenant, people=people[: 2 if i == 0 else 1], projects=[tenant.shelter, second]))
    roles = [
        CesRole.objects.create(continuum=tenant.continuum, code=code, name=code, rank=rank, hmis_role="r")
        for code, rank in (("matcher", 2), ("assessor", 1))
    ]
    made[0].ces_roles.add(*roles)
    services.access_request_claim(access_request=made[0], reviewer=tenant["help_desk"])
    return made


def test_its_list_body_is_exactly_the_serializers(client, chicago):  # noqa: F811
    import json

    from rest_framework.renderers import JSONRenderer

    from access_requests import selectors
    from access_requests.serializers import AccessRequestSerializer

    _requests(chicago, 3)
    draft_only = draft(chicago)
    for who in ("help_desk", "ata"):
        client.force_login(chicago[who])
        listed = client.get(api(chicago)).json()["results"]
        objects = selectors.request_list(continuum=chicago.continuum, user=chicago[who]).prefetch_related(
            "people", "projects", "ces_roles"
        )
        expected = json.loads(JSONRenderer().render(AccessRequestSerializer(objects, many=True).data))
        assert listed == expected
        assert (draft_only.pk in [r["id"] for r in listed]) == (who == "ata")
    first = next(r for r in listed if len(r["people"]) == 2)
    assert first["ces_roles"] == ["assessor", "matcher"] and len(first["projects"]) == 2
    assert first["assignee"] == chicago["help_desk"].email and first["status"] == "in_review"


def test_it_pages_the_list_by_cursor_newest_first(client, chicago):  # noqa: F811
    made = _requests(chicago, 5)
    client.force_login(chicago["help_desk"])
    page = client.get(api(chicago), {"page_size": 2}).json()
    assert "count" not in page and page["previous"] is None and "cursor=" in page["next"]
    seen = [r["id"] for r in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    assert seen == [r.pk for r in reversed(made)]
    back = client.get(page["previous"]).json()
    assert [r["id"] for r in back["results"]] == seen[2:4]
    # Filters still apply, and carry over to the next page.
    filtered = client.get(api(chicago), {"status": "in_review", "page_size": 1}).json()
    assert [r["id"] for r in filtered["results"]] == [made[0].pk] and filtered["next"] is None
    assert client.get(api(chicago), {"queue": "ce_team"}).json()["results"] == []


def test_it_answers_404_to_a_bad_or_tampered_cursor(client, chicago):  # noqa: F811
    import base64

    _requests(chicago, 1)
    client.force_login(chicago["help_desk"])
    for cursor in (
        "not-a-cursor",
        base64.b64encode(b"p=yesterday").decode(),
        base64.b64encode(b"o=-3").decode(),
    ):
        response = client.get(api(chicago), {"cursor": cursor})
        assert response.status_code == 404, cursor
        assert response.json() == {"status": 404, "code": "not_found", "detail": "Invalid cursor"}


def test_its_list_runs_the_same_queries_for_few_and_many_requests(client, chicago):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(chicago["help_desk"])
    _requests(chicago, 2)
    client.get(api(chicago))
    with CaptureQueriesContext(connection) as few:
        assert client.get(api(chicago)).status_code == 200
    for i in range(8):
        submitted(chicago, people=(("Cy", "Moe", f"cy{i}@agency.org"), ("Di", "Moe", f"di{i}@agency.org")))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(api(chicago)).json()["results"]) == 10
    assert len(many) == len(few) <= 15
