"""Read-only REST API for learning paths and progress, under /api/<continuum_slug>/learning-paths/.

Same scoping as the pages: CoC staff read every path of the CoC, agency leads their agencies' people,
everyone else only their own; anything else is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.api import TenantViewSet
from hmis_onboarding.pagination import IdCursorPagination

from . import selectors
from .serializers import LearningPathDetailSerializer, LearningPathSerializer, learning_path_list_data

MAX_ID = 2**31 - 1  # larger numbers overflow the database's integer before any lookup

FILTERS = [
    OpenApiParameter("agency", OpenApiTypes.INT, description="Only this agency's people"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["training", "stalled", "complete"]),
]


@extend_schema_view(
    list=extend_schema(
        summary="Learning paths the caller may see, with progress, in id order",
        description=(
            "Keyset (cursor) pagination: follow `next` / `previous` (they carry `?cursor=`); "
            "`page_size` up to 200. There is no total count; filter by `agency` and `status`."
        ),
        parameters=FILTERS,
    ),
    retrieve=extend_schema(summary="One learning path with its computed steps"),
)
class LearningPathViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = LearningPathSerializer
    capabilities: dict[str, tuple[str, ...]] = {}
    # 15,000 paths in a metro CoC: no COUNT(*), no OFFSET, no sort by a joined column per page.
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return selectors.no_learning_paths()
        qs = selectors.learning_path_list(continuum=self.request.continuum, user=self.request.user)
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("agency"):
            try:
                agency_id = int(params["agency"])
            except ValueError as error:
                raise ValidationError({"agency": "Give an agency id."}) from error
            if not 0 < agency_id <= MAX_ID:
                raise ValidationError({"agency": "No such agency id."})
            qs = qs.filter(agency_id=agency_id)
        status = params.get("status")
        if status == "complete":
            qs = qs.filter(is_complete=True)
        elif status == "training":
            qs = qs.filter(is_complete=False)
        elif status == "stalled":
            qs = qs.filter(is_complete=False, progress_at__lt=self._stalled_before())
        elif status:
            raise ValidationError({"status": "One of training, stalled, complete."})
        return qs

    def _stalled_before(self):
        if not hasattr(self, "_cutoff"):
            self._cutoff = selectors.stalled_cutoff(self.request.continuum)[1]
        return self._cutoff

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context.update(now=timezone.now(), stalled_before=self._stalled_before())
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plain rows, not model instances: the same body as `LearningPathSerializer`."""
        rows = self.paginate_queryset(selectors.learning_path_rows(self.get_queryset()))
        context = self.get_serializer_context()
        return self.get_paginated_response(
            learning_path_list_data(rows, now=context["now"], stalled_before=context["stalled_before"])
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        path = self.get_object()
        result = selectors.learning_path_result(request.continuum, path.user)
        context = {**self.get_serializer_context(), "result": result}
        return Response(LearningPathDetailSerializer(path, context=context).data)
