"""Exports of staff lists and documents: CSV streamed row by row (a long audit trail never sits in
memory) and generated PDFs served as attachments."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
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


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """A WeasyPrint PDF from a template under templates/<app>/pdf/ (the same machinery as the
    agreement and End User Agreement documents). Times print in the CoC's time zone."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    continuum = context.get("continuum")
    with timezone.override(continuum.tzinfo if continuum is not None else None):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """A generated PDF as a download; the caller has already checked who may have it."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
