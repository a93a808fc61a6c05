"""Metrics for CoC staff: a registry, like the home panels, so each app contributes its own charts.

An app declares charts in its `metrics.py` (autodiscovered by the kernel's AppConfig):

    @register_metric("requests.funnel", order=10)
    def funnel(scope: MetricScope) -> Chart | None: ...

A provider gets the tenant, the filters (agency, request type, period) and today's date, runs a
fixed number of queries whatever the data size (aggregates, never a query per row), and returns a
`Chart` — or None when it has nothing to say (for example a filter it does not understand). The
page draws every chart as server-side SVG and prints the same numbers as a table.
Training, sample client and credentials add their funnel stages and charts the same way.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Aggregate, FloatField, Func
from django.http import Http404

from .permissions import Capability
from .tenancy import access_for

# Non-text graphics need 3:1 contrast against white (WCAG 1.4.11); these are USWDS system colours.
BLUE, RED, GREEN, GREY, NAVY = "#005ea2", "#b50909", "#4d8055", "#757575", "#162e51"
SERIES_COLOURS = (BLUE, RED, GREEN, NAVY, GREY)


@dataclass(frozen=True)
class MetricScope:
    continuum: Any
    user: Any
    today: datetime.date
    agency_id: int | None = None
    request_type_id: int | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    # Values several providers need (the CoC's training policy), read once per page: a scope lives
    # for one request.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]


@dataclass
class Row:
    label: str
    values: Sequence[float | int | None]
    note: str = ""


@dataclass
class Chart:
    key: str
    title: str
    description: str
    series: Sequence[str]
    rows: list[Row]
    unit: str = ""
    # "stack": segments add up (counts by kind); "group": side by side (median vs 90th percentile).
    layout: str = "stack"
    empty_text: str = "No data for these filters."
    columns: Sequence[str] = field(default_factory=tuple)
    # One colour per series when the default order would mislead (red for "free" licenses, say).
    colours: Sequence[str] = field(default_factory=tuple)

    def colour(self, index: int) -> str:
        palette = self.colours or SERIES_COLOURS
        return palette[index % len(palette)]

    # --- geometry of the SVG (computed here so the template stays free of arithmetic) ---------------

    LABEL_WIDTH = 210
    BAR_AREA = 330
    ROW_HEIGHT = 30
    BAR_HEIGHT = 18

    @property
    def has_data(self) -> bool:
        return any(v for row in self.rows for v in row.values)

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(name, self.colour(i)) for i, name in enumerate(self.series)]

    @property
    def width(self) -> int:
        return self.LABEL_WIDTH + self.BAR_AREA + 90

    def _row_height(self) -> int:
        if self.layout == "group":
            return max(self.ROW_HEIGHT, len(self.series) * (self.BAR_HEIGHT // 2 + 4) + 10)
        return self.ROW_HEIGHT

    @property
    def height(self) -> int:
        return max(1, len(self.rows)) * self._row_height() + 10

    def _max(self) -> float:
        if self.layout == "group":
            top = max((v or 0 for row in self.rows for v in row.values), default=0)
        else:
            top = max((sum(v or 0 for v in row.values) for row in self.rows), default=0)
        return float(top) or 1.0

    @property
    def bars(self) -> list[dict[str, Any]]:
        scale = self.BAR_AREA / self._max()
        step = self._row_height()
        out = []
        for index, row in enumerate(self.rows):
            top = 5 + index * step
            segments = []
            x = float(self.LABEL_WIDTH)
            thin = self.BAR_HEIGHT // 2 + 2
            for s, value in enumerate(row.values):
                length = (value or 0) * scale
                colour = self.colour(s)
                if self.layout == "group":
                    y = top + s * (thin + 2)
                    segments.append(
                        {"x": self.LABEL_WIDTH, "y": y, "w": round(length, 1), "h": thin, "fill": colour}
                    )
                else:
                    segments.append(
                        {
                            "x": round(x, 1),
                            "y": top,
                            "w": round(length, 1),
                            "h": self.BAR_HEIGHT,
                            "fill": colour,
                        }
                    )
                    x += length
            if self.layout == "group":
                end = self.LABEL_WIDTH + max((v or 0) for v in row.values) * scale if row.values else 0
            else:
                end = x
            total = self.total_label(row)
            out.append(
                {
                    "label": row.label,
                    "label_y": top + self.BAR_HEIGHT / 2 + 5,
                    "segments": segments,
                    "value_x": round(end + 6, 1),
                    "value_label": total,
                }
            )
        return out

    def total_label(self, row: Row) -> str:
        if self.layout == "group":
            return " / ".join(_fmt(v) for v in row.values)
        return _fmt(sum(v or 0 for v in row.values))

    @property
    def table_columns(self) -> Sequence[str]:
        return self.columns or self.series

    @property
    def table_rows(self) -> list[tuple[str, list[str], str]]:
        return [(row.label, [_fmt(v) for v in row.values], row.note) for row in self.rows]

    @property
    def has_notes(self) -> bool:
        return any(row.note for row in self.rows)

    # --- storage in a MetricSnapshot (JSON): every field, so a stored chart draws exactly the same ---

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "series": list(self.series),
            "rows": [{"label": r.label, "values": list(r.values), "note": r.note} for r in self.rows],
            "unit": self.unit,
            "layout": self.layout,
            "empty_text": self.empty_text,
            "columns": list(self.columns),
            "colours": list(self.colours),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chart:
        return cls(
            key=data["key"],
            title=data["title"],
            description=data["description"],
            series=list(data["series"]),
            rows=[Row(r["label"], list(r["values"]), r.get("note", "")) for r in data["rows"]],
            unit=data.get("unit", ""),
            layout=data.get("layout", "stack"),
            empty_text=data.get("empty_text", "No data for these filters."),
            columns=tuple(data.get("columns", ())),
            colours=tuple(data.get("colours", ())),
        )


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value):,}"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (what a spreadsheet's PERCENTILE.INC approximates for small sets)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def percentiles_in_database() -> bool:
    """Whether the database computes medians and percentiles itself (PostgreSQL's ordered-set
    aggregates). SQLite has none: there providers fetch the durations and use `median`/`percentile`."""
    return connection.vendor == "postgresql"


class DaysBetween(Func):
    """Calendar days, as a float, from the first expression to the second (PostgreSQL only); the
    same value as `(end - start).total_seconds() / 86400` in Python."""

    template = "(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 86400.0)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)


class Median(Aggregate):
    """The median, like `median` (the mean of the two middle values of an even count); PostgreSQL."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class NearestRank(Aggregate):
    """The nearest-rank percentile, like `percentile` (PostgreSQL's PERCENTILE_DISC is exactly it)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def metric_cells(charts: Sequence[Chart]) -> list[list[Any]]:
    """Every number of every chart, one line per cell (chart, unit, row, column, value, note): the
    page's CSV export. Values are numbers (one decimal at most) or empty when there is none."""
    cells = []
    for chart in charts:
        for row in chart.rows:
            for column, value in zip(chart.table_columns, row.values, strict=False):
                number = "" if value is None else (round(value, 1) if isinstance(value, float) else value)
                cells.append([chart.title, chart.unit, row.label, column, number, row.note])
    return cells


Provider = Callable[[MetricScope], "Chart | None"]
_PROVIDERS: list[tuple[int, str, Provider]] = []


def register_metric(key: str, order: int = 50) -> Callable[[Provider], Provider]:
    def decorator(provider: Provider) -> Provider:
        if key not in [k for _, k, _ in _PROVIDERS]:
            _PROVIDERS.append((order, key, provider))
            _PROVIDERS.sort(key=lambda item: (item[0], item[1]))
        return provider

    return decorator


def registered_metrics() -> list[str]:
    return [key for _, key, _ in _PROVIDERS]


def collect_metrics(scope: MetricScope) -> list[Chart]:
    """Every registered chart for this scope; only CoC staff with VIEW_METRICS may ask."""
    if not access_for(scope.continuum, scope.user).can(Capability.VIEW_METRICS):
        raise Http404
    return compute_metrics(scope)


def compute_metrics(scope: MetricScope) -> list[Chart]:
    """Every registered chart, computed now. No permission check: for the roll-up
    (`hmis_onboarding.metric_snapshots`), which stores the result for the CoC's staff; pages and
    other callers on behalf of a person use `collect_metrics` or the snapshot selector."""
    charts = []
    for _, _, provider in _PROVIDERS:
        chart = provider(scope)
        if chart is not None:
            charts.append(chart)
    return charts
