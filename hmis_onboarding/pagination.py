"""The API's pagination (its own module: DRF's settings import it while rest_framework.views loads)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination


class TenantPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    # A cap, so that one request cannot ask the server for a whole CoC's history at once.
    max_page_size = 200


class TenantCursorPagination(CursorPagination):
    """Keyset pagination for the lists a metro CoC has tens of thousands of rows in: `?cursor=` from
    the previous page's `next` / `previous` link, `?page_size=` up to 200. No total count (counting
    40k rows on every page was a list's biggest cost) and no offsets: each page is an index range
    scan from the previous page's last position, and rows added meanwhile never shift a page under
    the client. Subclasses name the `ordering` (its first field must be nearly unique)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Any:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            # A hand-edited cursor must be a 404 like any other bad cursor, not a database error.
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                value = field.to_python(cursor.position)
                if value is None:
                    raise ValidationError("empty")
            except (ValidationError, TypeError, ValueError, OverflowError) as error:
                raise NotFound(self.invalid_cursor_message) from error
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class NewestFirstCursorPagination(TenantCursorPagination):
    """Newest first (access requests)."""

    ordering = ("-created_at", "-pk")


class IdCursorPagination(TenantCursorPagination):
    """In id order, the order rows were made in (learning paths)."""

    ordering = ("id",)
