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


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination, newest first, for the lists a metro CoC has tens of thousands of rows in
    (access requests): `?cursor=` from the previous page's `next` / `previous` link, `?page_size=` up
    to 200. No total count (counting 40k rows on every page was the list's biggest cost) and no
    offsets: each page is an index range scan from the previous page's last `created_at`, and rows
    filed meanwhile never shift a page under the client."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-pk")

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Any:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            # A hand-edited cursor must be a 404 like any other bad cursor, not a database error.
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                if field.to_python(cursor.position) is None:
                    raise ValidationError("empty")
            except ValidationError as error:
                raise NotFound(self.invalid_cursor_message) from error
        return cursor
