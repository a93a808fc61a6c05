"""The metrics page's roll-up: its charts computed once and stored per (CoC, filter combination).

Computing every chart takes a metro CoC most of a second (the funnel's hash aggregate over every
requested person, scans of every course enrolment), so the page reads a `MetricSnapshot` instead:

- the unfiltered figures of every CoC are recomputed every hour by the `metrics-rollup` beat entry
  (`tasks.metrics_rollup` fans out one `metrics_rollup_continuum` per CoC), so the page a person
  opens is normally ready;
- a filter combination (agency, request form, period) is computed on the first view that asks for
  it and stored; a later view reuses it while it is fresh;
- a snapshot is stale when older than `METRICS_SNAPSHOT_MAX_AGE_MINUTES` (default 90: the hourly
  run plus slack) or computed on an earlier local day of the CoC (the charts that count "overdue"
  and "expiring" depend on today); a view that finds it stale computes it anew (while that runs,
  other views show the stored figures with their time);
- CoC staff may refresh the figures now ("Refresh now", a POST): deduplicated by a cache lock and
  refused when the figures are under `METRICS_REFRESH_MIN_SECONDS` (default 60) old;
- filtered snapshots not recomputed for two days are deleted nightly (`metrics_prune`).

The page says "Figures as of <time in the CoC's zone>". The stored charts are exactly what
`compute_metrics` returns (tests compare them), so the page and its CSV export are unchanged.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .metrics import Chart, MetricScope, compute_metrics
from .models import MetricSnapshot
from .permissions import Capability
from .tenancy import access_for

FILTER_FIELDS = ("agency", "request_type", "since", "until")
PRUNE_AFTER = dt.timedelta(days=2)


def max_age() -> dt.timedelta:
    return dt.timedelta(minutes=settings.METRICS_SNAPSHOT_MAX_AGE_MINUTES)


def refresh_min_interval() -> dt.timedelta:
    return dt.timedelta(seconds=settings.METRICS_REFRESH_MIN_SECONDS)


def normalise_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The page's cleaned filters as JSON-safe values (ids, ISO dates), without empty ones;
    normalised filters come back unchanged."""
    out: dict[str, Any] = {}
    for name in FILTER_FIELDS:
        value = (filters or {}).get(name)
        if value in (None, ""):
            continue
        if name in ("since", "until"):
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            out[name] = day.isoformat()
        else:
            out[name] = int(value)
    return out


def filter_key(filters: dict[str, Any]) -> str:
    """A canonical query string of the filters: the same filters give the same key."""
    normal = normalise_filters(filters)
    return urlencode([(name, normal[name]) for name in FILTER_FIELDS if name in normal])


def _local_today(continuum: Any, now: dt.datetime) -> dt.date:
    return now.astimezone(continuum.tzinfo).date()


@dataclass
class Figures:
    """What the page shows: the charts and when they were computed (in the CoC's time zone)."""

    snapshot: MetricSnapshot
    charts: list[Chart]

    @property
    def computed_at(self) -> dt.datetime:
        return timezone.localtime(self.snapshot.computed_at, self.snapshot.continuum.tzinfo)

    def html(self) -> SafeString:
        """The charts drawn (SVG and tables): as stored with the snapshot, unless the template
        changed since (a deploy), then drawn now from the stored charts."""
        snapshot = self.snapshot
        if snapshot.charts_html and snapshot.html_version == charts_template_version():
            html = snapshot.charts_html
        else:
            html = draw_charts(self.charts)
        # Rendered by the template engine (autoescaped) from our own snapshot.
        return mark_safe(html)  # noqa: S308

    @property
    def computed_at_iso(self) -> str:
        return self.computed_at.isoformat(timespec="seconds")

    @property
    def as_of_label(self) -> str:
        local = self.computed_at
        return f"{local:%-d %b %Y, %H:%M} {local.tzname()}"


CHARTS_TEMPLATE = "insight/_metric_charts.html"


@functools.cache
def charts_template_version() -> str:
    """A fingerprint of the charts template, so HTML drawn by an older one is not shown."""
    source = get_template(CHARTS_TEMPLATE).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def draw_charts(charts: list[Chart]) -> str:
    return render_to_string(CHARTS_TEMPLATE, {"charts": charts})


def _is_fresh(snapshot: MetricSnapshot, now: dt.datetime) -> bool:
    return (
        snapshot.computed_at >= now - max_age()
        and snapshot.as_of_date == _local_today(snapshot.continuum, now)
        and snapshot.computed_at <= now + dt.timedelta(minutes=5)
    )


# --- Writes -----------------------------------------------------------------------------------------


def metrics_snapshot_compute(
    *, continuum: Any, filters: dict[str, Any] | None = None, actor: Any = None
) -> MetricSnapshot:
    """Compute every chart for the CoC and the filters now and store it (insert or replace, one
    statement, so two workers computing the same snapshot at once leave one row)."""
    normal = normalise_filters(filters)
    now = timezone.now()
    started = time.perf_counter()
    scope = MetricScope(
        continuum=continuum,
        user=actor,
        today=_local_today(continuum, now),
        agency_id=normal.get("agency"),
        request_type_id=normal.get("request_type"),
        since=dt.date.fromisoformat(normal["since"]) if "since" in normal else None,
        until=dt.date.fromisoformat(normal["until"]) if "until" in normal else None,
    )
    computed = compute_metrics(scope)
    charts = [chart.as_dict() for chart in computed]
    row = MetricSnapshot(
        continuum=continuum,
        filter_key=filter_key(normal),
        filters=normal,
        computed_at=now,
        as_of_date=scope.today,
        duration_ms=round((time.perf_counter() - started) * 1000),
        charts=charts,
        charts_html=draw_charts(computed),
        html_version=charts_template_version(),
        refreshed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    MetricSnapshot.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["continuum", "filter_key"],
        update_fields=[
            "filters",
            "computed_at",
            "as_of_date",
            "duration_ms",
            "charts",
            "charts_html",
            "html_version",
            "refreshed_by",
        ],
    )
    row.continuum = continuum
    return row


def _lock_key(continuum: Any, key: str) -> str:
    return f"metrics-refresh:{continuum.pk}:{key}"


class RefreshRefused(Exception):
    """A refresh that was not run, with the reason to show (already running, or just done)."""


def metrics_refresh_now(*, continuum: Any, actor: Any, filters: dict[str, Any] | None = None) -> Figures:
    """'Refresh now' on the metrics page: recompute the figures for these filters at once.

    Only people who may see the CoC's metrics may ask. Deduplicated: while one refresh of the same
    figures runs (a cache lock, atomic in every cache backend), or when they are under
    `METRICS_REFRESH_MIN_SECONDS` old, the request is refused with the reason (RefreshRefused)."""
    if not access_for(continuum, actor).can(Capability.VIEW_METRICS):
        raise Http404
    key = filter_key(filters or {})
    existing = MetricSnapshot.objects.filter(continuum=continuum, filter_key=key).first()
    if existing is not None and existing.computed_at > timezone.now() - refresh_min_interval():
        seconds = int(refresh_min_interval().total_seconds())
        since = "a minute" if seconds == 60 else f"{seconds} seconds"
        raise RefreshRefused(f"These figures were refreshed less than {since} ago.")
    lock = _lock_key(continuum, key)
    if not cache.add(lock, 1, timeout=300):
        raise RefreshRefused("These figures are being refreshed already; reload the page in a moment.")
    try:
        snapshot = metrics_snapshot_compute(continuum=continuum, filters=filters, actor=actor)
    finally:
        cache.delete(lock)
    return Figures(snapshot, [Chart.from_dict(c) for c in snapshot.charts])


def metrics_rollup(*, continuum: Any) -> MetricSnapshot:
    """The scheduled roll-up of one CoC: its unfiltered figures (what the page opens with)."""
    return metrics_snapshot_compute(continuum=continuum)


def metrics_prune(*, now: dt.datetime | None = None) -> int:
    """Delete filtered snapshots nobody has asked for in two days (they are computed again on
    demand); the unfiltered ones stay, refreshed hourly."""
    cutoff = (now or timezone.now()) - PRUNE_AFTER
    deleted, _ = MetricSnapshot.objects.exclude(filter_key="").filter(computed_at__lt=cutoff).delete()
    return deleted


# --- Reads ------------------------------------------------------------------------------------------


def metrics_figures(*, continuum: Any, user: Any, filters: dict[str, Any] | None = None) -> Figures:
    """The metrics page's figures for these filters: the stored snapshot when fresh (one query),
    otherwise computed now and stored. Only CoC staff with VIEW_METRICS may ask."""
    if not access_for(continuum, user).can(Capability.VIEW_METRICS):
        raise Http404
    snapshot = MetricSnapshot.objects.filter(
        continuum=continuum, filter_key=filter_key(filters or {})
    ).first()
    if snapshot is not None:
        snapshot.continuum = continuum
    if snapshot is None:
        snapshot = metrics_snapshot_compute(continuum=continuum, filters=filters)
    elif not _is_fresh(snapshot, timezone.now()):
        # Stale: one view recomputes; views meanwhile (or during a "Refresh now") show the stored
        # figures, whose time the page states, instead of all computing the same thing at once.
        lock = _lock_key(continuum, snapshot.filter_key)
        if cache.add(lock, 1, timeout=300):
            try:
                snapshot = metrics_snapshot_compute(continuum=continuum, filters=filters)
            finally:
                cache.delete(lock)
    return Figures(snapshot, [Chart.from_dict(c) for c in snapshot.charts])
