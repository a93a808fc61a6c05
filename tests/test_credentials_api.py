"""The API over issue 6's records: people, onboardings, sample client assignments and rounds, HMIS
accounts and licenses — the same scoping and role rules as the pages, the same services behind every
action, 400 with reasons, 409 when the record moved on, and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access_requests import credentials, sample_client
from access_requests.credential_config import install_end_user_agreement
from access_requests.models import (
    AssignmentStatus,
    ElementReview,
    HmisAccount,
    HmisAccountStatus,
    OnboardingStage,
    SampleClientRound,
)
from agencies.models import Agency
from hmis_onboarding.services import api_token_create

from .credential_helpers import a_project, onboarding_for, setup_coc

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    install_end_user_agreement(tenant_a.continuum)
    return tenant_a


def api(tenant, path: str = "") -> str:
    return f"/api/{tenant.continuum.slug}/{path}"


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def trainee(coc, **kw):
    return onboarding_for(coc, user=coc["agency_user"], name=("Agency", "User"), **kw)


def open_round(coc, onboarding=None):
    """An onboarding with an open assignment and a submitted round 1 (through the services)."""
    ob = onboarding or trainee(coc)
    credentials.onboarding_confirm_training(onboarding=ob, actor=coc["help_desk"])
    assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=ob.user)
    return sample_client.sample_client_submit(assignment=assignment, actor=ob.user, client_reference="SC-1")


# --- The whole path, by API -------------------------------------------------------------------------


def test_it_walks_a_trainee_to_a_credential_through_the_api_with_a_help_desk_token(client, coc):
    onboarding = trainee(coc)
    _, key = api_token_create(
        continuum=coc.continuum, actor=coc["coc_admin"], name="Help Desk tool", role="help_desk"
    )
    desk = bearer(key)
    confirmed = client.post(api(coc, f"onboardings/{onboarding.pk}/confirm-training/"), **desk)
    assert confirmed.status_code == 200 and confirmed.json()["stage"] == OnboardingStage.SAMPLE_CLIENT

    client.force_login(coc["agency_user"])
    signed_up = client.post(api(coc, f"onboardings/{onboarding.pk}/sample-client-sign-up/"))
    assert signed_up.status_code == 201 and signed_up.json()["status"] == AssignmentStatus.OPEN
    assignment = signed_up.json()
    assert "Project type" in assignment["scenario"] and assignment["waitlist_position"] is None
    submitted = client.post(
        api(coc, f"sample-client-assignments/{assignment['id']}/submit/"), {"client_reference": "SC-77"}
    )
    assert submitted.status_code == 201 and submitted.json()["number"] == 1

    queue = rows(client.get(api(coc, "sample-client-rounds/"), {"awaiting_review": "true"}, **desk))
    assert [r["full_name"] for r in queue] == ["Agency User"]
    detail = client.get(api(coc, f"sample-client-rounds/{queue[0]['id']}/"), **desk).json()
    rubric = {e["code"]: e["id"] for e in detail["rubric"]}
    assert "3.917" in rubric and "4.14" in rubric
    review = client.post(
        api(coc, f"sample-client-rounds/{queue[0]['id']}/review/"),
        {
            "outcome": "corrections",
            "feedback": "Fix the date of birth.",
            "results": [
                {"element": rubric["3.03"], "errors": 2, "comment": "Year is wrong"},
                {"element": rubric["4.14"], "errors": 0},
            ],
        },
        content_type="application/json",
        **desk,
    )
    assert review.status_code == 200, review.content
    assert review.json()["outcome"] == "corrections" and review.json()["total_errors"] == 2

    # The trainee reads the feedback per element, resubmits; the Help Desk passes round 2.
    mine = client.get(api(coc, f"sample-client-assignments/{assignment['id']}/")).json()
    [first] = mine["rounds"]
    assert first["feedback"] == "Fix the date of birth."
    assert {"code": "3.03", "errors": 2, "comment": "Year is wrong"}.items() <= first["element_reviews"][
        0
    ].items()
    second = client.post(
        api(coc, f"sample-client-assignments/{assignment['id']}/submit/"), {"client_reference": "SC-78"}
    ).json()
    passed = client.post(
        api(coc, f"sample-client-rounds/{second['id']}/review/"),
        {"outcome": "pass"},
        content_type="application/json",
        **desk,
    )
    assert passed.status_code == 200
    me = client.get(api(coc, f"onboardings/{onboarding.pk}/")).json()
    assert me["stage"] == OnboardingStage.AGREEMENT

    credentials.eua_sign(onboarding=onboarding, actor=coc["agency_user"], signed_name="Agency User")
    client.force_login(coc["ata"])
    before = {r["agency"]: r for r in rows(client.get(api(coc, "licenses/")))}[coc.agency.pk]
    project = a_project(coc)
    issued = client.post(
        api(coc, "hmis-accounts/"),
        {
            "onboarding": onboarding.pk,
            "hmis_username": "auser",
            "hmis_role": "Case Manager",
            "projects": [project.pk],
        },
        content_type="application/json",
        **desk,
    )
    assert issued.status_code == 201, issued.content
    assert issued.json()["status"] == HmisAccountStatus.ACTIVE and issued.json()["projects"] == [project.pk]
    after = {r["agency"]: r for r in rows(client.get(api(coc, "licenses/")))}[coc.agency.pk]
    assert after["used"] == before["used"] + 1 and after["free"] == before["free"] - 1
    assert "auser" in [h["hmis_username"] for h in after["holders"]]

    # The ATA reports that the person left the agency: revoked, the license free again.
    offboarded = client.post(
        api(coc, f"hmis-accounts/{issued.json()['id']}/offboard/"), {"note": "Moved away"}
    )
    assert offboarded.status_code == 200 and offboarded.json()["status"] == HmisAccountStatus.REVOKED
    assert offboarded.json()["status_reason"] == "Left the agency: Moved away"
    final = {r["agency"]: r for r in rows(client.get(api(coc, "licenses/")))}[coc.agency.pk]
    assert final["used"] == before["used"] and final["free"] == before["free"]


# --- Bad input and conflicts ---------------------------------------------------------------------------


def test_it_answers_400_with_reasons_and_writes_nothing_for_a_bad_review(client, coc):
    rnd = open_round(coc)
    elements = sample_client.rubric_for(coc.continuum, rnd.assignment.project_type)
    client.force_login(coc["help_desk"])
    url = api(coc, f"sample-client-rounds/{rnd.pk}/review/")
    cases = [
        ({"outcome": "corrections"}, "feedback"),
        ({"outcome": "walkthrough", "walkthrough_with": "Pat"}, "walkthrough_at"),
        ({"outcome": "redo_course", "feedback": "Again"}, "redo_course"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "pass", "results": [{"element": 999999, "errors": 1}]}, "results"),
        ({"outcome": "pass", "results": [{"element": elements[0].pk, "errors": 100}]}, "results"),
        (
            {
                "outcome": "pass",
                "results": [
                    {"element": elements[0].pk, "errors": 1},
                    {"element": elements[0].pk, "errors": 2},
                ],
            },
            "results",
        ),
    ]
    for body, field in cases:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "invalid" and field in response.json()["errors"], body
    rnd.refresh_from_db()
    assert rnd.reviewed_at is None and not ElementReview.objects.exists()


def test_it_answers_409_when_the_round_was_reviewed_meanwhile(client, coc):
    rnd = open_round(coc)
    client.force_login(coc["help_desk"])
    url = api(coc, f"sample-client-rounds/{rnd.pk}/review/")
    assert client.post(url, {"outcome": "pass"}, content_type="application/json").status_code == 200
    late = client.post(url, {"outcome": "corrections", "feedback": "x"}, content_type="application/json")
    assert late.status_code == 409 and late.json() == {
        "status": 409,
        "code": "conflict",
        "detail": "This round was already reviewed.",
    }
    assert SampleClientRound.objects.get(pk=rnd.pk).outcome == "pass"


def test_it_answers_409_to_a_second_submission_while_one_waits_for_review(client, coc):
    rnd = open_round(coc)
    client.force_login(coc["agency_user"])
    response = client.post(
        api(coc, f"sample-client-assignments/{rnd.assignment_id}/submit/"), {"client_reference": "SC-2"}
    )
    assert response.status_code == 409 and "still with the Help Desk" in response.json()["detail"]
    blank = client.post(api(coc, f"sample-client-assignments/{rnd.assignment_id}/submit/"), {})
    assert blank.status_code == 400 and "client_reference" in blank.json()["errors"]
    assert SampleClientRound.objects.count() == 1


def test_it_issues_only_within_the_agency_license_pool(client, coc):
    Agency.objects.filter(pk=coc.agency.pk).update(license_pool_size=1)
    project = a_project(coc)
    first = trainee(coc, stage=OnboardingStage.READY)
    second = onboarding_for(coc, name=("Ben", "Ito"), stage=OnboardingStage.READY)
    client.force_login(coc["help_desk"])

    def issue(ob, username, projects=(project,)):
        return client.post(
            api(coc, "hmis-accounts/"),
            {
                "onboarding": ob.pk,
                "hmis_username": username,
                "hmis_role": "Intake",
                "projects": [p.pk for p in projects],
            },
            content_type="application/json",
        )

    assert issue(first, "first").status_code == 201
    again = issue(first, "first2")
    assert again.status_code == 409 and "credentials come after" in again.json()["detail"]
    full = issue(second, "second")
    assert full.status_code == 400 and "no free license" in full.json()["errors"]["hmis_username"][0]
    wrong = issue(second, "second", [a_project(coc, name="Elsewhere", agency=coc.other_agency)])
    assert wrong.status_code == 400 and "projects" in wrong.json()["errors"]
    assert HmisAccount.objects.count() == 1
    [row] = [r for r in rows(client.get(api(coc, "licenses/"))) if r["agency"] == coc.agency.pk]
    assert (row["license_pool_size"], row["used"], row["free"]) == (1, 1, 0)


def test_it_lets_the_ce_team_suspend_for_hrs_removal_only(client, coc):
    account = HmisAccount.objects.create(
        continuum=coc.continuum,
        agency=coc.agency,
        email="h@example.org",
        hmis_username="hrs1",
        issued_at="2026-01-01T00:00:00Z",
    )
    url = api(coc, f"hmis-accounts/{account.pk}/suspend/")
    client.force_login(coc["ce_team"])
    assert client.post(url, {"reason": "help_desk"}).status_code == 403
    assert client.post(url, {"reason": "inactive"}).status_code == 400
    done = client.post(url, {"reason": "hrs_removed"})
    assert done.status_code == 200 and done.json()["status"] == HmisAccountStatus.SUSPENDED
    assert "Coordinated Entry" in done.json()["status_reason"]
    client.force_login(coc["help_desk"])
    assert client.post(url, {"reason": "help_desk"}).status_code == 409


# --- Scoping and refusals ------------------------------------------------------------------------------


def test_it_refuses_outsiders_wrong_roles_and_other_agencies(client, coc, tenant_b):
    rnd = open_round(coc)
    onboarding = rnd.assignment.onboarding
    account = HmisAccount.objects.create(
        continuum=coc.continuum,
        agency=coc.agency,
        email="a@example.org",
        hmis_username="a1",
        issued_at="2026-01-01T00:00:00Z",
    )
    objects = [
        f"people/{coc['agency_user'].pk}/",
        f"onboardings/{onboarding.pk}/",
        f"sample-client-assignments/{rnd.assignment_id}/",
        f"sample-client-rounds/{rnd.pk}/",
        f"hmis-accounts/{account.pk}/",
    ]
    lists = [
        "people/",
        "onboardings/",
        "sample-client-assignments/",
        "sample-client-rounds/",
        "hmis-accounts/",
        "licenses/",
    ]
    # Another CoC's staff, by session or by token: 404 everywhere, as if the CoC did not exist.
    client.force_login(tenant_b["help_desk"])
    for path in lists + objects:
        assert client.get(api(coc, path)).status_code == 404, path
    client.logout()
    _, key_b = api_token_create(
        continuum=tenant_b.continuum, actor=tenant_b["coc_admin"], name="B", role="help_desk"
    )
    for path in lists + objects:
        assert client.get(api(coc, path), **bearer(key_b)).status_code == 404, path
    assert (
        client.post(
            api(coc, f"sample-client-rounds/{rnd.pk}/review/"), {"outcome": "pass"}, **bearer(key_b)
        ).status_code
        == 404
    )
    # Anonymous: 401.
    for path in lists:
        assert client.get(api(coc, path)).status_code == 401
    # Another agency's ATA: the objects are 404 and absent from the lists.
    client.force_login(coc["other_ata"])
    for path in objects:
        assert client.get(api(coc, path)).status_code == 404, path
    for path in ("onboardings/", "sample-client-assignments/", "sample-client-rounds/", "hmis-accounts/"):
        assert rows(client.get(api(coc, path))) == [], path
    assert [r["email"] for r in rows(client.get(api(coc, "people/")))] == [coc["other_ata"].email]
    [licenses] = rows(client.get(api(coc, "licenses/")))
    assert licenses["agency"] == coc.other_agency.pk
    assert client.post(api(coc, f"hmis-accounts/{account.pk}/offboard/")).status_code == 404
    # Wrong roles: the trainee reads no people or licenses and reviews nothing; the ATA neither reviews,
    # nor issues, nor submits for the trainee; the supervisor does not offboard.
    client.force_login(coc["agency_user"])
    assert client.get(api(coc, "people/")).status_code == 403
    assert client.get(api(coc, "licenses/")).status_code == 403
    assert (
        client.post(api(coc, f"sample-client-rounds/{rnd.pk}/review/"), {"outcome": "pass"}).status_code
        == 403
    )
    client.force_login(coc["ata"])
    assert (
        client.post(api(coc, f"sample-client-rounds/{rnd.pk}/review/"), {"outcome": "pass"}).status_code
        == 403
    )
    assert client.post(api(coc, "hmis-accounts/"), {}).status_code == 403
    assert (
        client.post(
            api(coc, f"sample-client-assignments/{rnd.assignment_id}/submit/"), {"client_reference": "X"}
        ).status_code
        == 403
    )
    assert (
        client.post(api(coc, f"hmis-accounts/{account.pk}/suspend/"), {"reason": "help_desk"}).status_code
        == 403
    )
    client.force_login(coc["agency_supervisor"])
    assert client.post(api(coc, f"hmis-accounts/{account.pk}/offboard/")).status_code == 403
    # The CoC administrator does not stand in for the Help Desk.
    client.force_login(coc["coc_admin"])
    assert client.post(api(coc, f"onboardings/{onboarding.pk}/confirm-training/")).status_code == 403
    rnd.refresh_from_db()
    account.refresh_from_db()
    assert rnd.reviewed_at is None and account.status == HmisAccountStatus.ACTIVE


def test_it_shows_a_trainee_only_their_own_records(client, coc):
    mine = open_round(coc)
    other = open_round(coc, onboarding_for(coc, name=("Ben", "Ito")))
    client.force_login(coc["agency_user"])
    assert [r["id"] for r in rows(client.get(api(coc, "onboardings/")))] == [mine.assignment.onboarding_id]
    assert [r["id"] for r in rows(client.get(api(coc, "sample-client-rounds/")))] == [mine.pk]
    assert [r["id"] for r in rows(client.get(api(coc, "sample-client-assignments/")))] == [mine.assignment_id]
    assert client.get(api(coc, f"sample-client-rounds/{other.pk}/")).status_code == 404
    assert rows(client.get(api(coc, "hmis-accounts/"))) == []
    client.force_login(coc["ata"])
    seen = {r["id"] for r in rows(client.get(api(coc, "sample-client-rounds/")))}
    assert seen == {mine.pk, other.pk}


def test_it_lists_people_with_roles_stage_and_accounts_and_filters_them(client, coc):
    ben = onboarding_for(coc, name=("Ben", "Ito"), stage=OnboardingStage.READY)
    trainee(coc)
    HmisAccount.objects.create(
        continuum=coc.continuum,
        agency=coc.agency,
        user=ben.user,
        email=ben.user.email,
        hmis_username="bito",
        issued_at="2026-01-01T00:00:00Z",
    )
    client.force_login(coc["ata"])
    people = {p["email"]: p for p in rows(client.get(api(coc, "people/")))}
    assert coc["other_ata"].email not in people and coc["help_desk"].email not in people
    assert [m["role"] for m in people[ben.user.email]["memberships"]] == ["agency_user"]
    assert people[ben.user.email]["onboardings"][0]["stage"] == OnboardingStage.READY
    assert [a["hmis_username"] for a in people[ben.user.email]["hmis_accounts"]] == ["bito"]
    ready = rows(client.get(api(coc, "people/"), {"stage": "ready"}))
    assert [p["email"] for p in ready] == [ben.user.email]
    atas = rows(client.get(api(coc, "people/"), {"role": "ata"}))
    assert [p["email"] for p in atas] == [coc["ata"].email]
    # Staff roles are invisible to an ATA, also through the filter.
    assert rows(client.get(api(coc, "people/"), {"role": "help_desk"})) == []
    assert rows(client.get(api(coc, "people/"), {"agency": coc.other_agency.pk})) == []
    bad = client.get(api(coc, "people/"), {"stage": "flying"})
    assert bad.status_code == 400 and "stage" in bad.json()["errors"]
    client.force_login(coc["help_desk"])
    everyone = {p["email"] for p in rows(client.get(api(coc, "people/"), {"page_size": 200}))}
    assert {coc["other_ata"].email, coc["help_desk"].email, ben.user.email} <= everyone
    others = rows(client.get(api(coc, "people/"), {"agency": coc.other_agency.pk}))
    assert [p["email"] for p in others] == [coc["other_ata"].email]
    detail = client.get(api(coc, f"people/{ben.user.pk}/")).json()
    assert detail["full_name"] and detail["hmis_accounts"][0]["agency"] == coc.agency.pk


def test_it_filters_onboardings_and_shows_their_deadlines(client, coc):
    rnd = open_round(coc)
    exempt = onboarding_for(coc, name=("Read", "Only"), read_only=True)
    client.force_login(coc["help_desk"])
    listed = {o["id"]: o for o in rows(client.get(api(coc, "onboardings/")))}
    assert listed[rnd.assignment.onboarding_id]["sample_client_expires_at"] is not None
    assert (
        listed[exempt.pk]["sample_client_exempt"] is True
        and "Read-only" in listed[exempt.pk]["sample_client_exempt_reason"]
    )
    only_exempt = rows(client.get(api(coc, "onboardings/"), {"exempt": "true"}))
    assert [o["id"] for o in only_exempt] == [exempt.pk]
    at_sample_client = rows(client.get(api(coc, "onboardings/"), {"stage": "sample_client"}))
    assert [o["id"] for o in at_sample_client] == [rnd.assignment.onboarding_id]
    huge = client.get(api(coc, "onboardings/"), {"agency": "99999999999999"})
    assert huge.status_code == 400 and "agency" in huge.json()["errors"]


# --- Query counts ---------------------------------------------------------------------------------------


def _grow(coc, n: int, offset: int) -> None:
    for i in range(n):
        ob = onboarding_for(coc, name=(f"P{offset + i}", "Grow"))
        credentials.onboarding_confirm_training(onboarding=ob, actor=coc["help_desk"])
        assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=ob.user)
        if assignment.status == AssignmentStatus.OPEN:
            rnd = sample_client.sample_client_submit(
                assignment=assignment, actor=ob.user, client_reference=f"SC{i}"
            )
            sample_client.sample_client_review(
                round=rnd,
                reviewer=coc["help_desk"],
                results=[
                    sample_client.ElementResult(e.pk, 1, "x")
                    for e in sample_client.rubric_for(coc.continuum, 1)[:3]
                ],
                outcome="corrections",
                feedback="Again",
            )
            sample_client.sample_client_submit(
                assignment=assignment, actor=ob.user, client_reference=f"SD{i}"
            )
        account = HmisAccount.objects.create(
            continuum=coc.continuum,
            agency=coc.agency,
            user=ob.user,
            email=ob.user.email,
            hmis_username=f"grow{offset + i}",
            issued_at="2026-01-01T00:00:00Z",
            onboarding=ob,
        )
        account.projects.set([a_project(coc)])


@pytest.mark.parametrize(
    "path,role",
    [
        ("people/", "help_desk"),
        ("people/", "ata"),
        ("onboardings/", "help_desk"),
        ("sample-client-assignments/", "help_desk"),
        ("sample-client-rounds/", "ata"),
        ("hmis-accounts/", "help_desk"),
        ("licenses/", "ata"),
    ],
)
def test_it_keeps_list_query_counts_constant_as_rows_grow(client, coc, path, role):
    _grow(coc, 2, 0)
    client.force_login(coc[role])
    client.get(api(coc, path))
    with CaptureQueriesContext(connection) as small:
        first = rows(client.get(api(coc, path)))
    _grow(coc, 5, 100)
    with CaptureQueriesContext(connection) as large:
        second = rows(client.get(api(coc, path)))
    # More rows (for licenses: more holders of the agency's licenses), the same number of queries.
    assert sum(len(r.get("holders", [r])) for r in second) > sum(len(r.get("holders", [r])) for r in first)
    assert len(large) == len(small), (len(small), len(large))


def test_it_schedules_a_walk_through_and_sends_back_to_a_course_by_api(client, coc):
    rnd = open_round(coc)
    client.force_login(coc["help_desk"])
    response = client.post(
        api(coc, f"sample-client-rounds/{rnd.pk}/review/"),
        {
            "outcome": "walkthrough",
            "walkthrough_at": "2026-12-01T15:00:00-06:00",
            "walkthrough_link": "https://meet.example.org/abc",
            "walkthrough_with": "Pat Help",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["walkthrough_with"] == "Pat Help"
    assignment = client.get(api(coc, f"sample-client-assignments/{rnd.assignment_id}/")).json()
    assert assignment["failed_rounds"] == 1 and assignment["status"] == AssignmentStatus.OPEN
    client.force_login(coc["agency_user"])
    second = client.post(
        api(coc, f"sample-client-assignments/{rnd.assignment_id}/submit/"), {"client_reference": "SC-2"}
    ).json()
    client.force_login(coc["help_desk"])
    redo = client.post(
        api(coc, f"sample-client-rounds/{second['id']}/review/"),
        {"outcome": "redo_course", "feedback": "Retake the intake module.", "redo_course": "Intake module"},
        content_type="application/json",
    )
    assert redo.status_code == 200
    onboarding = client.get(api(coc, f"onboardings/{rnd.assignment.onboarding_id}/")).json()
    assert onboarding["stage"] == OnboardingStage.TRAINING and onboarding["training_confirmed_at"] is None


def test_it_answers_404_to_ids_that_are_not_there_or_not_numbers(client, coc):
    client.force_login(coc["help_desk"])
    for resource in (
        "people",
        "onboardings",
        "sample-client-assignments",
        "sample-client-rounds",
        "hmis-accounts",
    ):
        for pk in ("999999", "99999999999999999999", "abc"):
            response = client.get(api(coc, f"{resource}/{pk}/"))
            assert response.status_code == 404 and response.json()["code"] == "not_found", (resource, pk)


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------------

RACES = 10
RACERS = 4


def _race(calls) -> list[int]:
    """Run the calls at the same moment, each in its own thread and connection; their statuses."""
    import threading

    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call) -> None:
        try:
            barrier.wait()
            statuses.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_it_answers_409_to_the_reviewers_and_issuers_who_lose_a_race(tenants):
    from django.test import Client

    coc = tenants[0]
    setup_coc(coc)
    _, key = api_token_create(continuum=coc.continuum, actor=coc["coc_admin"], name="Race", role="help_desk")
    Agency.objects.filter(pk=coc.agency.pk).update(license_pool_size=10_000)
    project = a_project(coc)

    def post(path, body):
        return lambda: (
            Client().post(api(coc, path), body, content_type="application/json", **bearer(key)).status_code
        )

    for number in range(RACES):
        rnd = open_round(coc, onboarding_for(coc, name=(f"R{number}", "Race")))
        outcomes = ["pass", "corrections", "walkthrough", "redo_course"]
        bodies = [
            {
                "outcome": outcome,
                "feedback": "Fix it.",
                "walkthrough_at": "2026-12-01T15:00:00Z",
                "walkthrough_link": "https://meet.example.org/x",
                "walkthrough_with": "Pat",
                "redo_course": "Intake",
            }
            for outcome in outcomes[:RACERS]
        ]
        statuses = _race([post(f"sample-client-rounds/{rnd.pk}/review/", body) for body in bodies])
        assert statuses == [200] + [409] * (RACERS - 1), statuses
        assert SampleClientRound.objects.filter(pk=rnd.pk, reviewed_at__isnull=False).count() == 1

        # The same person's credential, asked for by several Help Desk tools at once: one account.
        ready = onboarding_for(coc, name=(f"I{number}", "Race"), stage=OnboardingStage.READY)
        statuses = _race(
            [
                post(
                    "hmis-accounts/",
                    {
                        "onboarding": ready.pk,
                        "hmis_username": f"race{number}-{i}",
                        "hmis_role": "Intake",
                        "projects": [project.pk],
                    },
                )
                for i in range(RACERS)
            ]
        )
        assert statuses == [201] + [409] * (RACERS - 1), statuses
        assert HmisAccount.objects.filter(onboarding=ready).count() == 1
