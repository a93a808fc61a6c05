"""CSV exports of staff lists: streamed row by row, so a long audit trail never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

# Spreadsheet programs run cells starting with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_response(
    *, filename: str, header: list[str], rows: Iterable[Any], row: Callable[[Any], list[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield writer.writerow(header)
        for item in rows:
            yield writer.writerow([_safe(v) for v in row(item)])

    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
