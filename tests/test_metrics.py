"""The metrics page: funnel, decision times, SLA compliance, busiest agencies, licenses, agreements
expiring — right numbers, filters, scoping, and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from access_requests.models import AccessRequest, RequestedPerson, RequestStatus
from hmis_onboarding.metrics import MetricScope, collect_metrics, median, percentile, registered_metrics

from .factories import AgencyFactory
from .test_access_requests import account, chicago, rtype  # noqa: F401  (fixture and helpers)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def make_request(
    tenant,
    *,
    status,
    submitted_days_ago,
    decided_after_days=None,
    due_in_days=3,
    agency=None,
    code="new-users",
    people=("ana@agency.org",),
):
    submitted = NOW - dt.timedelta(days=submitted_days_ago)
    form = rtype(tenant, code)
    req = AccessRequest.objects.create(
        continuum=tenant.continuum,
        agency=agency or tenant.agency,
        request_type=form,
        queue=form.queue,
        status=status,
        created_by=tenant["ata"],
        submitted_by=tenant["ata"],
        submitted_at=submitted,
        sla_due_on=(submitted + dt.timedelta(days=due_in_days)).astimezone(tenant.continuum.tzinfo).date(),
        decided_at=submitted + dt.timedelta(days=decided_after_days)
        if decided_after_days is not None
        else None,
    )
    for email in people:
        RequestedPerson.objects.create(
            continuum=tenant.continuum, access_request=req, first_name="A", last_name="B", email=email
        )
    return req


def charts_for(tenant, **filters):
    scope = MetricScope(
        continuum=tenant.continuum, user=tenant["help_desk"], today=timezone.localdate(), **filters
    )
    return {chart.key: chart for chart in collect_metrics(scope)}


def values(chart):
    return {row.label: list(row.values) for row in chart.rows}


def test_it_registers_the_charts_of_each_app():
    assert {"requests.funnel", "requests.sla", "agencies.licenses", "agencies.agreements_expiring"} <= set(
        registered_metrics()
    )


def test_it_computes_median_and_nearest_rank_percentiles():
    assert median([1, 3, 2]) == 2 and median([1, 2, 3, 4]) == 2.5 and median([]) is None
    assert percentile(list(range(1, 11)), 0.9) == 9 and percentile([5], 0.9) == 5


@pytest.mark.parametrize("count", [7, 8])
def test_it_reports_the_same_median_and_90th_percentile_as_the_definitions(chicago, count):  # noqa: F811
    # PostgreSQL computes them itself, SQLite in Python: both must match `median` and `percentile`
    # (nearest rank), for odd and even counts and durations that are not whole days.
    decided = [
        make_request(chicago, status=RequestStatus.APPROVED, submitted_days_ago=40, decided_after_days=days)
        for days in (0.25, 9.5, 1.75, 30.125, 4.0, 2.5, 12.3, 7.7)[:count]
    ]
    durations = [(r.decided_at - r.submitted_at).total_seconds() / 86400 for r in decided]
    chart = charts_for(chicago)["decision-days"]
    help_desk = next(row for row in chart.rows if row.label == "HMIS Help Desk")
    assert list(help_desk.values) == [pytest.approx(median(durations), rel=1e-12), percentile(durations, 0.9)]
    assert help_desk.note == f"{count} decided"


def test_it_measures_decision_days_and_the_sla_per_queue(chicago):  # noqa: F811
    for days in (1, 2, 3, 10):  # the last one is late (due in 3 days)
        make_request(chicago, status=RequestStatus.APPROVED, submitted_days_ago=20, decided_after_days=days)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    charts = charts_for(chicago)
    help_desk = values(charts["decision-days"])["HMIS Help Desk"]
    assert help_desk == [pytest.approx(2.5), pytest.approx(10.0)]
    assert values(charts["sla-compliance"])["HMIS Help Desk"] == [3, 1]
    assert {row.note for row in charts["sla-compliance"].rows} >= {"75% on time"}
    assert values(charts["requests-by-status"])["Approved"] == [4]


def test_it_follows_people_from_request_to_live_credentials(chicago):  # noqa: F811
    make_request(
        chicago,
        status=RequestStatus.APPROVED,
        submitted_days_ago=5,
        decided_after_days=1,
        people=("ana@agency.org", "ben@agency.org"),
    )
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1, people=("cy@agency.org",))
    account(chicago, "ana@agency.org")
    funnel = values(charts_for(chicago)["onboarding-funnel"])
    assert funnel == {
        "Requested": [3],
        "Approved": [2],
        "Learning path complete": [0],
        "Sample client passed or exempt": [0],
        "Holding live HMIS credentials": [1],
    }


def test_it_ranks_agencies_by_overdue_then_open_requests(chicago):  # noqa: F811
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=10, due_in_days=2)
    other = chicago.other_agency
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1, agency=other)
    make_request(chicago, status=RequestStatus.IN_REVIEW, submitted_days_ago=1, agency=other)
    rows = charts_for(chicago)["agencies-open"].rows
    assert [(r.label, list(r.values)) for r in rows] == [
        (chicago.agency.name, [1, 0]),
        (other.name, [0, 2]),
    ]


def test_it_filters_by_agency_request_type_and_period(chicago):  # noqa: F811
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=40)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=2, agency=chicago.other_agency)
    by_status = lambda **f: values(charts_for(chicago, **f)["requests-by-status"])["Submitted"][0]  # noqa: E731
    assert by_status() == 2
    assert by_status(agency_id=chicago.other_agency.pk) == 1
    assert by_status(since=timezone.localdate() - dt.timedelta(days=10)) == 1
    assert by_status(until=timezone.localdate() - dt.timedelta(days=10)) == 1
    other_form = rtype(chicago, "returning-user")
    assert by_status(request_type_id=other_form.pk) == 0


def test_it_counts_licenses_against_each_pool(chicago):  # noqa: F811
    chicago.agency.license_pool_size = 3
    chicago.agency.save(update_fields=["license_pool_size"])
    account(chicago, "a@agency.org")
    account(chicago, "b@agency.org")
    account(chicago, "c@agency.org", status="revoked")
    row = charts_for(chicago)["license-usage"].rows[0]
    assert (row.label, list(row.values), row.note) == (chicago.agency.name, [2, 1], "1 of 3 free")


def test_it_draws_each_chart_with_its_numbers_in_a_table(chicago, client):  # noqa: F811
    make_request(chicago, status=RequestStatus.APPROVED, submitted_days_ago=5, decided_after_days=2)
    client.force_login(chicago["auditor"])
    body = client.get(f"/{chicago.continuum.slug}/metrics/").content.decode()
    assert body.count('<svg class="app-chart"') >= 3
    assert 'role="img"' in body and "Days from submission to decision, per queue (days): the numbers" in body


def test_it_explains_a_bad_period_instead_of_failing(chicago, client):  # noqa: F811
    client.force_login(chicago["coc_admin"])
    response = client.get(
        f"/{chicago.continuum.slug}/metrics/", {"since": "2026-05-01", "until": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "comes before its start" in response.content.decode()
    response = client.get(f"/{chicago.continuum.slug}/metrics/", {"agency": "not-a-number"})
    assert response.status_code == 200


def test_it_keeps_metrics_to_coc_staff_of_the_tenant(chicago, tenant_b, client):  # noqa: F811
    url = f"/{chicago.continuum.slug}/metrics/"
    for role in ("ata", "agency_supervisor", "agency_user", "executive_director"):
        client.force_login(chicago[role])
        assert client.get(url).status_code == 403, role
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url).status_code == 404
    # Another tenant's agency as a filter is simply not one of the choices.
    client.force_login(chicago["coc_admin"])
    foreign = AgencyFactory(continuum=tenant_b.continuum)
    body = client.get(url, {"agency": foreign.pk}).content.decode()
    assert "Select a valid choice" in body


# --- CSV exports of the staff lists ------------------------------------------------------------------


def read_csv(response):
    import csv
    import io

    assert response["Content-Type"].startswith("text/csv") and response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_exports_the_queue_with_its_filters_and_no_page_cap(chicago, client):  # noqa: F811
    for _ in range(3):
        make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1, agency=chicago.other_agency)
    client.force_login(chicago["help_desk"])
    url = f"/{chicago.continuum.slug}/queue/help-desk/"
    rows = read_csv(client.get(url, {"format": "csv", "agency": chicago.other_agency.pk}))
    assert rows[0][:3] == ["id", "agency", "form"]
    assert [r[1] for r in rows[1:]] == [chicago.other_agency.name]
    assert len(read_csv(client.get(url, {"format": "csv"}))) == 5


def test_it_exports_only_the_requests_a_person_may_see(chicago, tenant_b, client):  # noqa: F811
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1, agency=chicago.other_agency)
    client.force_login(chicago["ata"])
    rows = read_csv(client.get(f"/{chicago.continuum.slug}/requests/", {"format": "csv"}))
    assert {r[1] for r in rows[1:]} == {chicago.agency.name}
    client.force_login(tenant_b["help_desk"])
    assert client.get(f"/{chicago.continuum.slug}/requests/", {"format": "csv"}).status_code == 404


def test_it_exports_the_agency_directory_with_its_filters(chicago, client):  # noqa: F811
    client.force_login(chicago["coc_admin"])
    rows = read_csv(client.get(f"/{chicago.continuum.slug}/agencies/", {"format": "csv"}))
    assert rows[0][:2] == ["id", "name"]
    assert {r[1] for r in rows[1:]} == {chicago.agency.name, chicago.other_agency.name}
    client.force_login(chicago["ata"])
    assert client.get(f"/{chicago.continuum.slug}/agencies/", {"format": "csv"}).status_code == 403
