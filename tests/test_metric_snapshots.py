"""The metrics page's roll-up: stored figures identical to a direct computation, served with their
time ("Figures as of …" in the CoC's zone), computed on demand for new filters or when stale,
refreshed hourly and by CoC staff ("Refresh now", deduplicated), kept to the tenant, and a page
query count that does not grow with the data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access_requests.models import RequestStatus
from hmis_onboarding import metric_snapshots, tasks
from hmis_onboarding.metric_snapshots import (
    RefreshRefused,
    charts_template_version,
    draw_charts,
    filter_key,
    metrics_figures,
    metrics_refresh_now,
    metrics_snapshot_compute,
)
from hmis_onboarding.metrics import MetricScope, collect_metrics, metric_cells
from hmis_onboarding.models import MetricSnapshot
from hmis_onboarding.schedules import BEAT_SCHEDULE

from .factories import AgencyFactory
from .test_access_requests import account
from .test_metrics import make_request
from .test_training_metrics import chicago, enrol, person_with_path  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def busy(tenant):
    """Requests decided after fractional and whole days (floats that must survive storage as they
    are), people on the funnel, learning paths and enrolments, an account."""
    for days in (0.25, 2.0, 4.0, 9.5):
        make_request(tenant, status=RequestStatus.APPROVED, submitted_days_ago=30, decided_after_days=days)
    make_request(
        tenant,
        status=RequestStatus.SUBMITTED,
        submitted_days_ago=3,
        agency=tenant.other_agency,
        people=("zed@agency.org", "ana@agency.org"),
    )
    account(tenant, "ana@agency.org")
    done = person_with_path(tenant, complete=True, assigned=12)
    enrol(tenant, done, "intro-to-hmis", completed=3)
    stuck = person_with_path(tenant, agency=tenant.other_agency, percent=30, idle=40)
    enrol(tenant, stuck, "intro-to-hmis", percent=30, idle=40)


def direct(tenant, **filters):
    scope = MetricScope(
        continuum=tenant.continuum,
        user=tenant["coc_admin"],
        today=timezone.now().astimezone(tenant.continuum.tzinfo).date(),
        **filters,
    )
    return collect_metrics(scope)


def page(client, tenant, **params):
    response = client.get(f"/{tenant.continuum.slug}/metrics/", params)
    assert response.status_code == 200
    return response.content.decode()


def submitted_count(body: str) -> str:
    # The "Access requests by status" table's "Submitted" row.
    start = body.index("Access requests by status: the numbers")
    row = body.index('<th scope="row">Submitted</th>', start)
    return body[row : body.index("</tr>", row)].split('<td class="text-right">')[1].split("</td>")[0]


def test_the_stored_figures_are_the_direct_computation(chicago):  # noqa: F811
    busy(chicago)
    for filters, scope_filters in (
        ({}, {}),
        ({"agency": chicago.other_agency.pk}, {"agency_id": chicago.other_agency.pk}),
        (
            {"since": timezone.localdate() - dt.timedelta(days=10)},
            {"since": timezone.localdate() - dt.timedelta(days=10)},
        ),
    ):
        metrics_snapshot_compute(continuum=chicago.continuum, filters=filters)
        figures = metrics_figures(continuum=chicago.continuum, user=chicago["coc_admin"], filters=filters)
        expected = direct(chicago, **scope_filters)
        # Read back from the database: every chart, row, value (ints stay ints, 2.0 stays a float)
        # and note, and therefore every table cell and CSV line.
        assert [c.as_dict() for c in figures.charts] == [c.as_dict() for c in expected]
        assert [[type(v) for r in c.rows for v in r.values] for c in figures.charts] == [
            [type(v) for r in c.rows for v in r.values] for c in expected
        ]
        assert metric_cells(figures.charts) == metric_cells(expected)
        assert [c.table_rows for c in figures.charts] == [c.table_rows for c in expected]
        assert figures.html() == draw_charts(expected)  # the drawing stored with the snapshot
    decision = next(c for c in direct(chicago) if c.key == "decision-days")
    assert any(isinstance(v, float) for r in decision.rows for v in r.values)  # the test means something


def test_the_page_shows_the_stored_figures_and_their_time_in_the_cocs_zone(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    assert submitted_count(page(client, chicago)) == "1"
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    # Within the hour the page shows the stored figures, saying when they were computed.
    body = page(client, chicago)
    assert submitted_count(body) == "1"
    snapshot = MetricSnapshot.objects.get(continuum=chicago.continuum, filter_key="")
    local = timezone.localtime(snapshot.computed_at, chicago.continuum.tzinfo)
    stamp = local.isoformat(timespec="seconds")
    label = f"{local:%-d %b %Y, %H:%M} {local.tzname()}"
    assert f'Figures as of <time datetime="{stamp}">{label}</time>' in body
    assert local.tzname() in ("CST", "CDT")  # Chicago's, not the server's UTC
    # Stale (the hourly roll-up has not run for two hours): computed again on the next view.
    MetricSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - dt.timedelta(hours=2))
    assert submitted_count(page(client, chicago)) == "2"


def test_the_page_draws_the_stored_charts_unless_the_template_changed(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    page(client, chicago)
    MetricSnapshot.objects.update(charts_html="<p>Stored drawing</p>", html_version=charts_template_version())
    assert "<p>Stored drawing</p>" in page(client, chicago)
    # Drawn by an older template (before a deploy): drawn again from the stored charts.
    MetricSnapshot.objects.update(html_version="0123456789abcdef")
    body = page(client, chicago)
    assert "Stored drawing" not in body and submitted_count(body) == "1"


def test_while_stale_figures_are_being_recomputed_other_views_show_them(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    page(client, chicago)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    MetricSnapshot.objects.update(computed_at=two_hours_ago)
    cache.add(f"metrics-refresh:{chicago.continuum.pk}:", 1, timeout=60)  # another view computes
    body = page(client, chicago)
    assert submitted_count(body) == "1"
    assert f"{timezone.localtime(two_hours_ago, chicago.continuum.tzinfo):%H:%M}" in body
    cache.clear()
    assert submitted_count(page(client, chicago)) == "2"


def test_figures_from_an_earlier_day_are_stale(chicago, client):  # noqa: F811
    client.force_login(chicago["coc_admin"])
    page(client, chicago)
    yesterday = timezone.now().astimezone(chicago.continuum.tzinfo).date() - dt.timedelta(days=1)
    MetricSnapshot.objects.filter(continuum=chicago.continuum).update(as_of_date=yesterday)
    page(client, chicago)
    assert MetricSnapshot.objects.get(
        continuum=chicago.continuum, filter_key=""
    ).as_of_date == yesterday + dt.timedelta(days=1)


def test_filters_not_rolled_up_are_computed_on_demand_and_stored(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    since = timezone.localdate() - dt.timedelta(days=10)
    body = page(client, chicago, agency=chicago.other_agency.pk, since=since.isoformat())
    assert submitted_count(body) == "1"
    key = f"agency={chicago.other_agency.pk}&since={since.isoformat()}"
    assert filter_key({"since": since, "agency": chicago.other_agency.pk}) == key
    stored = MetricSnapshot.objects.get(continuum=chicago.continuum, filter_key=key)
    assert stored.filters == {"agency": chicago.other_agency.pk, "since": since.isoformat()}
    # The Refresh form carries the filters, so a refresh recomputes what is on the screen.
    assert f'<input type="hidden" name="agency" value="{chicago.other_agency.pk}">' in body
    assert f'<input type="hidden" name="since" value="{since.isoformat()}">' in body


def test_the_csv_export_has_the_numbers_of_the_page(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    page(client, chicago)
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)  # after the snapshot
    response = client.get(f"/{chicago.continuum.slug}/metrics/", {"format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ["Access requests by status", "", "Submitted", "Requests", "1", ""] in lines
    figures = metrics_figures(continuum=chicago.continuum, user=chicago["coc_admin"])
    assert lines[1:] == [[str(v) for v in cell] for cell in metric_cells(figures.charts)]


def test_staff_refresh_now_and_a_second_click_is_refused(chicago, client):  # noqa: F811
    busy(chicago)
    client.force_login(chicago["coc_admin"])
    page(client, chicago)
    MetricSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(minutes=5))
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    url = f"/{chicago.continuum.slug}/metrics/refresh/"
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == f"/{chicago.continuum.slug}/metrics/"
    body = response.content.decode()
    assert "Figures refreshed: as of" in body and submitted_count(body) == "2"
    assert MetricSnapshot.objects.get(filter_key="").refreshed_by == chicago["coc_admin"]
    # A second click within the minute does nothing but say so.
    make_request(chicago, status=RequestStatus.SUBMITTED, submitted_days_ago=1)
    body = client.post(url, follow=True).content.decode()
    assert "refreshed less than a minute ago" in body and submitted_count(body) == "2"


def test_refresh_keeps_the_filters_and_one_refresh_runs_at_a_time(chicago, client):  # noqa: F811
    client.force_login(chicago["help_desk"])
    agency = chicago.other_agency.pk
    response = client.post(f"/{chicago.continuum.slug}/metrics/refresh/", {"agency": agency})
    assert response.status_code == 302
    assert response["Location"] == f"/{chicago.continuum.slug}/metrics/?agency={agency}"
    assert MetricSnapshot.objects.filter(filter_key=f"agency={agency}").exists()
    # While a refresh of the same figures is under way, another is refused, not run twice.
    MetricSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(minutes=5))
    cache.add(f"metrics-refresh:{chicago.continuum.pk}:agency={agency}", 1, timeout=60)
    with pytest.raises(RefreshRefused, match="being refreshed already"):
        metrics_refresh_now(
            continuum=chicago.continuum, actor=chicago["help_desk"], filters={"agency": agency}
        )


def test_another_cocs_staff_cannot_see_or_refresh_the_figures(chicago, tenant_b, client):  # noqa: F811
    busy(chicago)
    metrics_snapshot_compute(continuum=chicago.continuum)
    before = MetricSnapshot.objects.get(continuum=chicago.continuum).computed_at - dt.timedelta(minutes=5)
    MetricSnapshot.objects.update(computed_at=before)
    refresh = f"/{chicago.continuum.slug}/metrics/refresh/"
    client.force_login(tenant_b["coc_admin"])
    assert client.get(f"/{chicago.continuum.slug}/metrics/").status_code == 404
    assert client.post(refresh).status_code == 404
    for role in ("ata", "agency_user"):
        client.force_login(chicago[role])
        assert client.post(refresh).status_code == 403
    assert MetricSnapshot.objects.get(continuum=chicago.continuum).computed_at == before
    assert client.get(refresh).status_code in (403, 405)
    # Tenant B's page computes its own figures: none of Chicago's requests.
    client.force_login(tenant_b["coc_admin"])
    assert submitted_count(page(client, tenant_b)) == "0"
    assert MetricSnapshot.objects.filter(continuum=tenant_b.continuum).count() == 1
    with pytest.raises(Http404):
        metrics_figures(continuum=chicago.continuum, user=tenant_b["coc_admin"])


def test_the_hourly_rollup_computes_every_cocs_figures(chicago, tenant_b):  # noqa: F811
    busy(chicago)
    assert BEAT_SCHEDULE["metrics-rollup"]["task"] == "hmis_onboarding.tasks.metrics_rollup"
    with mock.patch.object(tasks.metrics_rollup_continuum, "delay") as queued:
        assert tasks.metrics_rollup() == 2
    assert {call.args[0] for call in queued.call_args_list} == {chicago.continuum.pk, tenant_b.continuum.pk}
    tasks.metrics_rollup_continuum(chicago.continuum.pk)
    snapshot = MetricSnapshot.objects.get(continuum=chicago.continuum, filter_key="")
    assert [c["key"] for c in snapshot.charts] == [c.key for c in direct(chicago)]
    assert tasks.metrics_rollup_continuum(10**9) == 0  # a CoC deleted meanwhile


def test_filtered_figures_nobody_asked_for_are_pruned(chicago):  # noqa: F811
    metrics_snapshot_compute(continuum=chicago.continuum)
    metrics_snapshot_compute(continuum=chicago.continuum, filters={"agency": chicago.agency.pk})
    metrics_snapshot_compute(continuum=chicago.continuum, filters={"agency": chicago.other_agency.pk})
    old = timezone.now() - dt.timedelta(days=3)
    MetricSnapshot.objects.exclude(filters={"agency": chicago.agency.pk}).update(computed_at=old)
    assert tasks.metrics_prune() == 1
    assert sorted(MetricSnapshot.objects.values_list("filter_key", flat=True)) == [
        "",
        f"agency={chicago.agency.pk}",
    ]


def test_the_page_query_count_is_small_and_constant(chicago, client):  # noqa: F811
    """Both the page (reading the roll-up) and the roll-up's computation (requests, people and their
    HMIS accounts, paths, enrolments) run a fixed number of queries however much data there is."""
    client.force_login(chicago["coc_admin"])
    url = f"/{chicago.continuum.slug}/metrics/"

    def grow(start, n):
        for i in range(start, start + n):
            agency = AgencyFactory(continuum=chicago.continuum, license_pool_size=2)
            make_request(
                chicago,
                status=RequestStatus.APPROVED if i % 2 else RequestStatus.SUBMITTED,
                submitted_days_ago=i + 1,
                decided_after_days=1 if i % 2 else None,
                agency=agency,
                people=(f"p{i}@x.org", f"q{i}@x.org"),
            )
            account(chicago, f"p{i}@x.org", agency=agency)  # the funnel reads the HMIS accounts
            person = person_with_path(chicago, agency=agency, complete=i % 2 == 0)
            enrol(chicago, person, "intro-to-hmis", completed=1 if i % 2 == 0 else None)

    def counts(**params) -> tuple[int, int]:
        metric_snapshots.metrics_snapshot_compute(continuum=chicago.continuum, filters=params)
        client.get(url, params)  # warm per-process caches
        with CaptureQueriesContext(connection) as read:
            assert client.get(url, params).status_code == 200
        # The roll-up's own computation is a fixed number of queries too.
        with CaptureQueriesContext(connection) as computed:
            metric_snapshots.metrics_snapshot_compute(continuum=chicago.continuum, filters=params)
        return len(read.captured_queries), len(computed.captured_queries)

    grow(0, 2)
    small, small_filtered = counts(), counts(agency=chicago.agency.pk)
    assert small[0] <= 10
    grow(2, 12)
    assert counts() == small
    assert counts(agency=chicago.agency.pk) == small_filtered
