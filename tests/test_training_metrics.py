"""Training charts on the metrics page: people per learning-path stage, days from approval to
completion (median / 90th percentile, whole path and per course), courses where people stall,
completion rates and instructor-led session fill — right numbers, the page's filters, and a query
count that stays the same with three times the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access_requests.models import RequestedPerson, RequestStatus
from hmis_onboarding.metrics import MetricScope, collect_metrics, registered_metrics
from hmis_onboarding.permissions import Role
from training import services
from training.models import Course, Enrollment, LearningPath, SessionRegistration, TrainingSession

from .factories import MembershipFactory, UserFactory
from .test_access_requests import rtype
from .test_metrics import make_request

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def chicago(tenant_a):
    from access_requests import configuration

    configuration.install_chicago(tenant_a.continuum)
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def course(tenant, code: str) -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


def person_with_path(tenant, *, agency=None, assigned=10, complete=False, percent=0, idle=None):
    person = UserFactory()
    MembershipFactory(
        user=person, continuum=tenant.continuum, role=Role.AGENCY_USER, agency=agency or tenant.agency
    )
    LearningPath.objects.create(
        continuum=tenant.continuum,
        user=person,
        needs={},
        assigned_at=days_ago(assigned),
        recomputed_at=NOW,
        is_complete=complete,
        percent_complete=100 if complete else percent,
        last_progress_at=days_ago(idle) if idle is not None else None,
    )
    return person


def enrol(tenant, person, code: str, *, percent=0, completed=None, idle=None, created=None):
    enrollment = Enrollment.objects.create(
        continuum=tenant.continuum,
        user=person,
        course=course(tenant, code),
        percent=100 if completed is not None else percent,
        state="completed" if completed is not None else ("in_progress" if percent else "available"),
        completed_at=days_ago(completed) if completed is not None else None,
        last_progress_at=days_ago(idle) if idle is not None else None,
    )
    if created is not None:
        Enrollment.objects.filter(pk=enrollment.pk).update(created_at=days_ago(created))
    return enrollment


def charts_for(tenant, **filters):
    scope = MetricScope(
        continuum=tenant.continuum, user=tenant["help_desk"], today=timezone.localdate(), **filters
    )
    return {chart.key: chart for chart in collect_metrics(scope)}


def values(chart):
    return {row.label: list(row.values) for row in chart.rows}


def notes(chart):
    return {row.label: row.note for row in chart.rows}


def test_it_registers_the_training_charts():
    assert {
        "training.stages",
        "training.completion_days",
        "training.stalls",
        "training.completion_rates",
        "training.session_fill",
    } <= set(registered_metrics())


def test_it_counts_people_per_learning_path_stage(chicago):
    person_with_path(chicago, complete=True, idle=1)
    person_with_path(chicago, assigned=1)  # not started, assigned yesterday
    person_with_path(chicago, percent=40, idle=2)  # in progress
    person_with_path(chicago, percent=40, idle=30)  # stalled (default: 14 days)
    person_with_path(chicago, assigned=40)  # never started, and long ago: stalled too
    chart = charts_for(chicago)["training-stages"]
    stalled = next(label for label in values(chart) if label.startswith("Stalled"))
    assert values(chart) == {
        "Not started": [1],
        "In progress": [1],
        stalled: [2],
        "Learning path complete": [1],
    }
    assert notes(chart)["Learning path complete"] == "20% of 5"


def test_it_measures_days_from_approval_to_completion(chicago):
    ana = person_with_path(chicago, assigned=10, complete=True)
    enrol(chicago, ana, "intro-to-hmis", completed=4)  # 6 days after approval
    enrol(chicago, ana, "data-management", completed=2)  # path complete 8 days after approval
    ben = person_with_path(chicago, assigned=20, complete=True)
    enrol(chicago, ben, "intro-to-hmis", completed=10)  # 10 days; his path took 10 days
    cy = person_with_path(chicago, assigned=5)
    enrol(chicago, cy, "intro-to-hmis", completed=30)  # before approval (earlier training): left out
    chart = charts_for(chicago)["training-completion-days"]
    rows = values(chart)
    intro = course(chicago, "intro-to-hmis").name
    assert rows["Whole learning path"] == [pytest.approx(9.0), pytest.approx(10.0)]
    assert rows[intro] == [pytest.approx(8.0), pytest.approx(10.0)]
    assert notes(chart)[intro] == "2 completed"
    assert rows[course(chicago, "data-management").name] == [pytest.approx(8.0), pytest.approx(8.0)]


def test_it_finds_the_courses_where_people_stall(chicago):
    intro, dm = course(chicago, "intro-to-hmis"), course(chicago, "data-management")
    for idle in (20, 25):
        enrol(chicago, person_with_path(chicago), "intro-to-hmis", percent=30, idle=idle)
    enrol(chicago, person_with_path(chicago), "intro-to-hmis", created=30)  # never started
    enrol(chicago, person_with_path(chicago), "intro-to-hmis", percent=30, idle=2)  # recent: not stalled
    enrol(chicago, person_with_path(chicago), "data-management", percent=50, idle=40)
    done = person_with_path(chicago, complete=True)
    enrol(chicago, done, "data-management", percent=50, idle=40)  # a complete path never stalls
    assert values(charts_for(chicago)["training-stalls"]) == {intro.name: [2, 1], dm.name: [1, 0]}


def test_it_gives_completion_rates_per_course(chicago):
    for completed in (True, True, False, False):
        person = person_with_path(chicago)
        enrol(chicago, person, "intro-to-hmis", completed=1 if completed else None, percent=50)
    chart = charts_for(chicago)["training-completion-rates"]
    name = course(chicago, "intro-to-hmis").name
    assert values(chart)[name] == [2, 2] and notes(chart)[name] == "50% complete"


def session(tenant, code: str, *, capacity: int, days_ahead: int = 3, cancelled: bool = False):
    return TrainingSession.objects.create(
        continuum=tenant.continuum,
        course=course(tenant, code),
        starts_at=NOW + dt.timedelta(days=days_ahead),
        duration_minutes=60,
        capacity=capacity,
        is_cancelled=cancelled,
    )


def register(tenant, sess, person, status="registered"):
    SessionRegistration.objects.create(
        continuum=tenant.continuum,
        session=sess,
        user=person,
        status=status,
        queued_at=NOW,
        registered_by=tenant["ata"],
    )


def instructor_led(tenant) -> str:
    code = "walk-in-lab"
    Course.objects.create(continuum=tenant.continuum, code=code, name="HMIS lab", kind="instructor_led")
    return code


def test_it_measures_how_full_instructor_led_sessions_are(chicago):
    code = instructor_led(chicago)
    first, second = session(chicago, code, capacity=5), session(chicago, code, capacity=5, days_ahead=10)
    dropped = session(chicago, code, capacity=50, cancelled=True)
    for _ in range(2):
        register(chicago, first, person_with_path(chicago))
    register(chicago, second, person_with_path(chicago))
    register(chicago, second, person_with_path(chicago), status="waitlisted")
    register(chicago, second, person_with_path(chicago), status="cancelled")
    register(chicago, dropped, person_with_path(chicago))
    chart = charts_for(chicago)["training-session-fill"]
    assert values(chart) == {"HMIS lab": [3, 7]}
    assert notes(chart) == {"HMIS lab": "30% full · 2 sessions · 1 waitlisted"}
    # The period is the sessions' date.
    soon = timezone.localdate() + dt.timedelta(days=5)
    assert values(charts_for(chicago, until=soon)["training-session-fill"]) == {"HMIS lab": [2, 3]}


def test_it_follows_the_agency_request_form_and_period_filters(chicago):
    here = person_with_path(chicago, complete=True)
    there = person_with_path(chicago, agency=chicago.other_agency, complete=True)
    person_with_path(chicago, agency=chicago.other_agency)
    stages = lambda **f: values(charts_for(chicago, **f)["training-stages"])["Learning path complete"]  # noqa: E731
    assert stages() == [2]
    assert stages(agency_id=chicago.other_agency.pk) == [1]
    # Ana was approved through "new users" a month ago; the other person has no request at all.
    req = make_request(
        chicago, status=RequestStatus.APPROVED, submitted_days_ago=30, decided_after_days=1, people=()
    )
    RequestedPerson.objects.create(
        continuum=chicago.continuum,
        access_request=req,
        first_name="A",
        last_name="B",
        email=here.email,
        user=here,
    )
    assert there.pk != here.pk
    assert stages(request_type_id=rtype(chicago, "new-users").pk) == [1]
    assert stages(request_type_id=rtype(chicago, "returning-user").pk) == [0]
    assert stages(since=timezone.localdate() - dt.timedelta(days=40)) == [1]
    assert stages(since=timezone.localdate() - dt.timedelta(days=10)) == [0]
    assert stages(agency_id=chicago.other_agency.pk, since=timezone.localdate() - dt.timedelta(days=40)) == [
        0
    ]


def test_it_keeps_the_page_query_count_constant_with_three_times_the_training_data(chicago, client):
    client.force_login(chicago["coc_admin"])
    url = f"/{chicago.continuum.slug}/metrics/"
    code = instructor_led(chicago)

    def grow(n):
        for i in range(n):
            person = person_with_path(chicago, assigned=20 + i, complete=i % 2 == 0, percent=50, idle=i)
            enrol(chicago, person, "intro-to-hmis", completed=3 + i % 5)
            enrol(chicago, person, "data-management", percent=20, idle=30)
            register(chicago, session(chicago, code, capacity=4, days_ahead=i + 1), person)

    def page_queries(**params) -> int:
        client.get(url, params)  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured.captured_queries)

    grow(3)
    filtered = {"agency": chicago.agency.pk}
    small, small_filtered = page_queries(), page_queries(**filtered)
    grow(6)  # n → 3n
    assert LearningPath.objects.filter(continuum=chicago.continuum).count() == 9
    assert page_queries() == small
    assert page_queries(**filtered) == small_filtered


def test_it_draws_the_training_charts_with_their_tables(chicago, client):
    person = person_with_path(chicago, complete=True, assigned=6)
    enrol(chicago, person, "intro-to-hmis", completed=1)
    client.force_login(chicago["auditor"])
    body = client.get(f"/{chicago.continuum.slug}/metrics/").content.decode()
    assert 'aria-labelledby="training-stages-title"' in body
    assert "People per learning-path stage: the numbers" in body
    assert "Days from approval to training completion (days): the numbers" in body


def test_it_exports_every_charts_numbers_as_csv_with_the_filters(chicago, client):
    import csv
    import io

    person_with_path(chicago, complete=True)
    person_with_path(chicago, agency=chicago.other_agency, complete=True)
    client.force_login(chicago["coc_admin"])
    url = f"/{chicago.continuum.slug}/metrics/"
    assert "format=csv" in client.get(url, {"agency": chicago.agency.pk}).content.decode()
    response = client.get(url, {"agency": chicago.agency.pk, "format": "csv"})
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="metrics-{chicago.continuum.slug}-'
    )
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["chart", "unit", "row", "column", "value", "note"]
    assert [
        "People per learning-path stage",
        "",
        "Learning path complete",
        "People",
        "1",
        "100% of 1",
    ] in lines
    assert any(line[0] == "Access requests by status" for line in lines)


def test_it_adds_training_and_the_sample_client_to_the_onboarding_funnel(chicago):
    from access_requests.models import Onboarding

    from .credential_helpers import onboarding_for

    trained = person_with_path(chicago, complete=True)
    onboarding_for(chicago, user=trained, stage="agreement")
    learning = person_with_path(chicago, percent=30)
    onboarding_for(chicago, user=learning, name=("Ben", "Ortiz"))
    assert Onboarding.objects.filter(continuum=chicago.continuum).count() == 2
    funnel = values(charts_for(chicago)["onboarding-funnel"])
    assert funnel["Approved"] == [2]
    assert funnel["Learning path complete"] == [1]
    assert funnel["Sample client passed or exempt"] == [1]
    assert funnel["Holding live HMIS credentials"] == [0]
