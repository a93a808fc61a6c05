"""The trainee's tracker, the ATA / staff progress view and the learning path API: what each person
sees (their own path; their agency's people; the CoC), unlocking shown after progress, stalled
trainees, filters, constant query counts, and 404 for outsiders / 403 for the wrong role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.permissions import Role
from training import services
from training.models import Course, Enrollment, LearningPath
from training.path import Needs, ProjectNeed

from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"continuum_slug": tenant.continuum.slug, **kwargs})


def trainee(tenant, email: str, *, agency=None, projects=(1,), idle_days: int = 0):
    person = UserFactory(email=email, full_name=email.split("@")[0].title())
    MembershipFactory(
        user=person, continuum=tenant.continuum, role=Role.AGENCY_USER, agency=agency or tenant.agency
    )
    services.lms_account_request(continuum=tenant.continuum, person=person, email=email)
    services.learning_path_assign(
        continuum=tenant.continuum,
        person=person,
        needs=Needs(projects=tuple(ProjectNeed(p) for p in projects)),
        now=timezone.now() - dt.timedelta(days=idle_days),
    )
    return person


def record(tenant, person, code: str, percent: int) -> None:
    services.enrollment_record_progress(
        continuum=tenant.continuum,
        person=person,
        course=Course.objects.get(continuum=tenant.continuum, code=code),
        percent=percent,
        actor=tenant["help_desk"],
    )


# --- The trainee's tracker ------------------------------------------------------------------------------
def test_it_shows_the_trainee_every_stage_with_progress_bars_and_what_unlocks_what(client, chicago):
    person = trainee(chicago, "ana@agency.org")
    record(chicago, person, "intro-to-hmis", 40)
    client.force_login(person)
    page = client.get(url("my_onboarding", chicago)).content.decode()
    for stage in ("request", "lms", "courses", "sample_client", "agreement", "credentials"):
        assert f'data-stage="{stage}"' in page
    assert 'data-stage="credentials" data-status="upcoming"' in page
    assert '<progress id="progress-intro-to-hmis" class="app-progress" max="100" value="40">' in page
    assert "Continue “Introduction to HMIS”." in page
    assert "Opens when you finish: Introduction to HMIS" in page
    assert "Finish your training by" in page
    assert page.count("<h1") == 1


def test_it_shows_a_restricted_course_available_once_intro_reaches_100(client, chicago):
    person = trainee(chicago, "ana@agency.org")
    client.force_login(person)
    page = client.get(url("my_onboarding", chicago)).content.decode()
    es = page[page.index('id="course-es-th-sh"') :]
    assert 'data-state="restricted"' in es[:600]
    record(chicago, person, "intro-to-hmis", 100)
    page = client.get(url("my_onboarding", chicago)).content.decode()
    es = page[page.index('id="course-es-th-sh"') :]
    assert 'data-state="available"' in es[:600]


def test_it_shows_later_stages_as_upcoming_before_any_request(client, chicago):
    client.force_login(chicago["agency_user"])
    page = client.get(url("my_onboarding", chicago)).content.decode()
    assert 'data-stage="request" data-status="current"' in page
    assert "Your agency&#x27;s ATA" in page or "Your agency's ATA" in page
    assert 'data-stage="courses" data-status="upcoming"' in page


def test_it_keeps_the_tracker_query_count_constant_whatever_the_path_length(client, chicago):
    short = trainee(chicago, "short@agency.org", projects=(1,))
    long = trainee(chicago, "long@agency.org", projects=(1, 2, 3, 4, 6, 13))
    counts = []
    for person in (short, long):
        client.force_login(person)
        client.get(url("my_onboarding", chicago))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("my_onboarding", chicago)).status_code == 200
        counts.append(len(queries))
    assert LearningPath.objects.get(user=long).needs != LearningPath.objects.get(user=short).needs
    assert counts[0] == counts[1]


def test_it_puts_the_trainee_panel_on_the_home_page(client, chicago):
    person = trainee(chicago, "ana@agency.org")
    client.force_login(person)
    page = client.get(reverse("tenant_home", args=[chicago.continuum.slug])).content.decode()
    assert "Your training" in page and url("my_onboarding", chicago) in page


def test_the_home_panel_shows_the_same_progress_next_course_and_deadline_as_the_tracker(client, chicago):
    """The panel reads the summary stored on the path (one query); it must agree with the tracker."""
    from django.utils.html import escape

    person = trainee(chicago, "ana@agency.org")
    record(chicago, person, "intro-to-hmis", 100)
    client.force_login(person)
    home = reverse("tenant_home", args=[chicago.continuum.slug])
    tracker = client.get(url("my_onboarding", chicago)).context["tracker"]
    page = client.get(home).content.decode()
    path = LearningPath.objects.get(user=person)
    assert 0 < tracker.percent < 100 and path.next_step
    assert f"{tracker.percent}% of your courses done" in page
    assert path.next_step in tracker.next_action and escape(f"Next: “{path.next_step}”") in page
    deadline = tracker.deadline
    assert f"{deadline:%b} {deadline.day}, {deadline.year}" in page
    # A finished path says so (and no deadline).
    LearningPath.objects.filter(pk=path.pk).update(is_complete=True, percent_complete=100, next_step="")
    page = client.get(home).content.decode()
    assert "You have completed your courses" in page and "Finish by" not in page


def test_it_refuses_the_tracker_to_outsiders(client, chicago, tenant_b):
    client.force_login(tenant_b["agency_user"])
    assert client.get(url("my_onboarding", chicago)).status_code == 404


# --- The progress view ----------------------------------------------------------------------------------
@pytest.fixture
def cohort(chicago):
    mine = trainee(chicago, "mine@agency.org")
    stalled = trainee(chicago, "stalled@agency.org", idle_days=30)
    theirs = trainee(chicago, "theirs@other.org", agency=chicago.other_agency)
    record(chicago, mine, "intro-to-hmis", 50)
    return {"mine": mine, "stalled": stalled, "theirs": theirs}


def test_it_shows_an_ata_only_their_agencys_trainees(client, chicago, cohort):
    client.force_login(chicago["ata"])
    page = client.get(url("training_progress", chicago)).content.decode()
    assert "mine@agency.org" in page and "stalled@agency.org" in page
    assert "theirs@other.org" not in page
    client.force_login(chicago["other_ata"])
    page = client.get(url("training_progress", chicago)).content.decode()
    assert "theirs@other.org" in page and "mine@agency.org" not in page


def test_it_shows_staff_the_whole_coc_and_highlights_stalled_trainees(client, chicago, cohort):
    client.force_login(chicago["help_desk"])
    page = client.get(url("training_progress", chicago)).content.decode()
    assert all(f"{k}@" in page for k in ("mine", "stalled")) and "theirs@other.org" in page
    row = page[page.index("stalled@agency.org") - 400 :]
    assert 'data-stalled="true"' in row[:400]
    assert page.count('data-stalled="true"') == 1


def test_it_filters_by_status_agency_and_name(client, chicago, cohort):
    client.force_login(chicago["coc_admin"])
    page = client.get(url("training_progress", chicago), {"status": "stalled"}).content.decode()
    assert "stalled@agency.org" in page and "mine@agency.org" not in page
    page = client.get(url("training_progress", chicago), {"agency": chicago.other_agency.pk}).content.decode()
    assert "theirs@other.org" in page and "mine@agency.org" not in page
    page = client.get(url("training_progress", chicago), {"q": "mine"}).content.decode()
    assert "mine@agency.org" in page and "stalled@agency.org" not in page
    response = client.get(url("training_progress", chicago), {"status": "nonsense"})
    assert response.status_code == 400


def test_it_refuses_an_ata_another_agencys_filter(client, chicago, cohort):
    client.force_login(chicago["ata"])
    response = client.get(url("training_progress", chicago), {"agency": chicago.other_agency.pk})
    assert response.status_code == 400
    assert "theirs@other.org" not in response.content.decode()


def test_it_keeps_the_progress_view_query_count_constant(client, chicago):
    client.force_login(chicago["help_desk"])
    trainee(chicago, "one@agency.org")
    client.get(url("training_progress", chicago))
    with CaptureQueriesContext(connection) as few:
        client.get(url("training_progress", chicago))
    for n in range(5):
        trainee(chicago, f"more{n}@agency.org", agency=chicago.other_agency if n % 2 else None)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url("training_progress", chicago)).content.decode()
    assert "more4@agency.org" in page
    assert len(few) == len(many)


def test_it_refuses_the_progress_view_to_agency_users_and_outsiders(client, chicago, tenant_b):
    client.force_login(chicago["agency_user"])
    assert client.get(url("training_progress", chicago)).status_code == 403
    client.force_login(tenant_b["help_desk"])
    assert client.get(url("training_progress", chicago)).status_code == 404


# --- The API --------------------------------------------------------------------------------------------
def rows(response) -> list[dict]:
    """The API pages its lists (hmis_onboarding.pagination)."""
    return response.json()["results"]


def api(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"continuum_slug": tenant.continuum.slug, **kwargs})


def test_it_lists_paths_in_the_api_with_the_pages_scoping(client, chicago, cohort):
    client.force_login(chicago["ata"])
    emails = {p["email"] for p in rows(client.get(api("api_learning_path-list", chicago)))}
    assert emails == {"mine@agency.org", "stalled@agency.org"}
    client.force_login(cohort["mine"])
    emails = {p["email"] for p in rows(client.get(api("api_learning_path-list", chicago)))}
    assert emails == {"mine@agency.org"}
    client.force_login(chicago["help_desk"])
    found = rows(client.get(api("api_learning_path-list", chicago), {"status": "stalled"}))
    assert [r["email"] for r in found] == ["stalled@agency.org"] and found[0]["stalled"] is True
    assert found[0]["days_since_progress"] >= 30
    assert client.get(api("api_learning_path-list", chicago), {"status": "x"}).status_code == 400
    assert client.get(api("api_learning_path-list", chicago), {"agency": "x"}).status_code == 400


def test_it_gives_a_paths_steps_and_404s_other_agencies_and_tenants(client, chicago, cohort, tenant_b):
    path = LearningPath.objects.get(user=cohort["mine"])
    client.force_login(chicago["ata"])
    body = client.get(api("api_learning_path-detail", chicago, pk=path.pk)).json()
    intro = next(s for s in body["steps"] if s["key"] == "intro-to-hmis")
    assert intro["state"] == "in_progress" and intro["percent"] == 50
    assert next(s for s in body["steps"] if s["key"] == "es-th-sh")["state"] == "restricted"
    client.force_login(chicago["other_ata"])
    assert client.get(api("api_learning_path-detail", chicago, pk=path.pk)).status_code == 404
    client.force_login(cohort["stalled"])
    assert client.get(api("api_learning_path-detail", chicago, pk=path.pk)).status_code == 404
    client.force_login(tenant_b["help_desk"])
    assert client.get(api("api_learning_path-detail", chicago, pk=path.pk)).status_code == 404


def test_it_keeps_the_api_list_query_count_constant(client, chicago):
    client.force_login(chicago["help_desk"])
    trainee(chicago, "one@agency.org")
    client.get(api("api_learning_path-list", chicago))
    with CaptureQueriesContext(connection) as few:
        client.get(api("api_learning_path-list", chicago))
    for n in range(4):
        trainee(chicago, f"more{n}@agency.org")
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(api("api_learning_path-list", chicago)))) == 5
    assert len(few) == len(many)
    assert Enrollment.objects.filter(user__email="more3@agency.org").exists()


def test_its_api_list_body_is_exactly_the_serializers_and_pages_by_cursor(client, chicago, cohort):
    """The list builds its body from plain rows (issue 9): the same data as `LearningPathSerializer`;
    keyset pages in id order, no total count, filters kept across pages."""
    import json

    from rest_framework.renderers import JSONRenderer

    from training import selectors
    from training.serializers import LearningPathSerializer

    client.force_login(chicago["help_desk"])
    listed = rows(client.get(api("api_learning_path-list", chicago)))
    paths = selectors.learning_path_list(continuum=chicago.continuum, user=chicago["help_desk"]).order_by(
        "id"
    )
    _, stalled_before = selectors.stalled_cutoff(chicago.continuum)
    context = {"now": timezone.now(), "stalled_before": stalled_before}
    expected = json.loads(
        JSONRenderer().render(LearningPathSerializer(paths, many=True, context=context).data)
    )
    assert listed == expected and [r["id"] for r in listed] == sorted(r["id"] for r in listed)
    assert {r["email"]: r["agency_name"] for r in listed}["theirs@other.org"] == chicago.other_agency.name
    page = client.get(api("api_learning_path-list", chicago), {"page_size": 2}).json()
    assert "count" not in page and len(page["results"]) == 2
    rest = client.get(page["next"]).json()
    assert [r["id"] for r in page["results"] + rest["results"]] == [r["id"] for r in listed]
    assert rest["next"] is None
    mine = client.get(
        api("api_learning_path-list", chicago), {"agency": chicago.agency.pk, "page_size": 1}
    ).json()
    second = client.get(mine["next"]).json()
    assert {r["email"] for r in mine["results"] + second["results"]} == {
        "mine@agency.org",
        "stalled@agency.org",
    }
    assert client.get(api("api_learning_path-list", chicago), {"cursor": "cD1hYmM="}).status_code == 404


def test_it_keeps_the_paths_stored_agency_current_when_memberships_and_names_change(client, chicago, cohort):
    """The progress views show (and filter by) a person's first active agency by name, stored on the
    path: a grant, a revocation and a rename move it."""
    from agencies import services as agency_services
    from agencies.models import Membership

    person = cohort["mine"]

    def stored():
        return LearningPath.objects.get(user=person).agency

    assert stored() == chicago.agency  # "… Family Services"
    assert chicago.other_agency.name > chicago.agency.name
    agency_services.agency_update_profile(
        agency=chicago.other_agency, actor=chicago["coc_admin"], name="Aardvark"
    )
    assert stored() == chicago.agency  # not a member of it yet
    extra = agency_services.membership_grant(
        continuum=chicago.continuum, user=person, role=Role.AGENCY_USER, agency=chicago.other_agency
    )
    assert stored() == chicago.other_agency  # "Aardvark" comes first now
    agency_services.agency_update_profile(
        agency=chicago.other_agency, actor=chicago["coc_admin"], name="Zebra"
    )
    assert stored() == chicago.agency
    client.force_login(chicago["help_desk"])
    filtered = client.get(url("training_progress", chicago), {"agency": chicago.agency.pk}).content.decode()
    assert "mine@agency.org" in filtered
    for membership in Membership.objects.filter(user=person, agency=chicago.agency):
        agency_services.membership_revoke(membership=membership)
    assert stored() == chicago.other_agency
    agency_services.membership_revoke(membership=extra)
    assert stored() is None
    assert services.learning_path_agencies_refresh(continuum=chicago.continuum) == 0  # nothing stale


def test_it_follows_the_onboarding_record_to_the_agreement_and_credentials(client, chicago):
    from access_requests.models import OnboardingStage

    from .test_route_walk import _onboarding

    onboarding = _onboarding(chicago)
    person = onboarding.user
    services.learning_path_assign(
        continuum=chicago.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
    )
    client.force_login(person)
    type(onboarding).objects.filter(pk=onboarding.pk).update(stage=OnboardingStage.AGREEMENT)
    page = client.get(url("my_onboarding", chicago)).content.decode()
    assert 'data-stage="sample_client" data-status="done"' in page
    assert 'data-stage="agreement" data-status="current"' in page
    type(onboarding).objects.filter(pk=onboarding.pk).update(stage=OnboardingStage.READY)
    page = client.get(url("my_onboarding", chicago)).content.decode()
    assert 'data-stage="agreement" data-status="done"' in page
    assert 'data-stage="credentials" data-status="current"' in page


def test_it_reads_the_path_and_the_training_policy_once_for_the_tracker(client, chicago):
    """The scale benchmark (README, Performance) keeps pages within a query budget: the tracker
    reads the person's learning path and the CoC's training policy once each."""
    person = trainee(chicago, "budget@agency.org", projects=(1, 2, 3, 4, 6, 13))
    record(chicago, person, "intro-to-hmis", 100)
    client.force_login(person)
    client.get(url("my_onboarding", chicago))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("my_onboarding", chicago))
    assert page.status_code == 200 and "Introduction to HMIS" in page.content.decode()
    sql = [q["sql"] for q in queries]
    # The path comes with the person's LMS account, in one query.
    assert sum('"training_learningpath"' in q for q in sql) == 1
    assert sum('"training_lmsaccount"' in q for q in sql) == 1
    # The policy comes with the CoC, in the query that resolves the CoC from the address.
    assert sum(q.startswith('SELECT "training_trainingpolicy"."id"') for q in sql) == 0
    assert sum('"training_trainingpolicy"."id"' in q for q in sql) == 1
