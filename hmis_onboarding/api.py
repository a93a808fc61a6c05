"""The shared plumbing of the REST API under /api/<continuum_slug>/.

Every app's viewsets build on `TenantViewSet`: TenantMiddleware has already answered 404 to
non-members, `TenantCapability` answers 403 to the wrong role (and records the refusal like pages
do), list endpoints are paginated with a capped page size, and every error has the same body:

    {"status": 400, "code": "invalid", "detail": "Invalid input.", "errors": {"field": ["…"]}}

(`errors` only for validation errors). Service-layer exceptions are mapped by `raise_service_error`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .models import AuditEvent
from .pagination import TenantPagination
from .permissions import Capability
from .tenancy import record_refusal


class TenantCapability(permissions.BasePermission):
    """The view's `capabilities[action]` (any one of them suffices); refusals are audited like pages'."""

    def has_permission(self, request: Request, view: Any) -> bool:
        access = getattr(request, "access", None)
        if access is None or not request.user.is_authenticated:
            return False
        needed = view.capabilities.get(view.action, view.capabilities.get("*", ()))
        if needed and not any(access.can(c) for c in needed):
            record_refusal(
                request, reason=f"missing capability {'|'.join(needed)}", continuum=request.continuum
            )
            return False
        return True


class TenantViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, TenantCapability]
    pagination_class = TenantPagination
    capabilities: dict[str, tuple[str, ...]] = {}

    def _fake(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


class FilterOnlyWhenAsked:
    """For a viewset whose filterset filters nothing unless one of its filters is named in the query
    string (no defaults, no filter acting on an empty value): skip building and validating the
    filterset's form when none is named — a noticeable part of a small list's time. A named filter,
    even with a bad value, goes through django-filter as before (a bad value is still a 400)."""

    def filter_queryset(self, queryset: Any) -> Any:
        names = self.filterset_class.base_filters  # type: ignore[attr-defined]
        params = self.request.query_params  # type: ignore[attr-defined]
        if not any(name in params for name in names):
            return queryset
        return super().filter_queryset(queryset)  # type: ignore[misc]


def raise_service_error(error: Exception) -> None:
    """Turn a service's Django exception into the API's 403/400 (anything else propagates)."""
    if isinstance(error, DjangoPermissionDenied):
        raise PermissionDenied(str(error) or None) from error
    if isinstance(error, DjangoValidationError):
        raise ValidationError(
            error.message_dict if hasattr(error, "error_dict") else error.messages
        ) from error
    raise error


def _first_code(codes: Any) -> str:
    while isinstance(codes, dict | list) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes if isinstance(codes, str) else "invalid"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every error body reshaped to {status, code, detail[, errors]}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {
            "status": response.status_code,
            "code": "invalid",
            "detail": "Invalid input.",
            "errors": exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail},
        }
    elif isinstance(exc, APIException):
        codes = exc.get_codes()
        response.data = {
            "status": response.status_code,
            "code": _first_code(codes),
            "detail": str(exc.detail) if not isinstance(exc.detail, dict | list) else exc.detail,
        }
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = {404: "not_found", 403: "permission_denied"}.get(response.status_code, "error")
        response.data = {"status": response.status_code, "code": code, "detail": str(detail)}
    return response


def iso_datetime_formatter() -> Any:
    """What DRF's `DateTimeField().to_representation` gives (the current time zone, ISO 8601, `Z` for
    UTC), for the lists that build their bodies from plain rows: one call per value, not DRF's
    per-call settings and time zone look-ups."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def iso(value: Any) -> str | None:
        if not value:
            return None
        if zone is not None and timezone.is_aware(value):
            value = value.astimezone(zone)
        elif zone is not None or timezone.is_aware(value):
            return serializers.DateTimeField().to_representation(value)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso


def json_error(status: int, code: str, detail: str) -> JsonResponse:
    """The same error body for answers given before a DRF view runs (middleware, handler404)."""
    return JsonResponse({"status": status, "code": code, "detail": detail}, status=status)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class IdFilter(filters.NumberFilter):
    """A filter on a primary key: an integer the database can hold, else a 400 (never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


# --- The audit trail --------------------------------------------------------------------------------


class AuditEventFilter(filters.FilterSet):
    """Search the trail by person, object, action and date (shared by the page, the CSV and the API)."""

    actor = filters.CharFilter(
        field_name="actor_label", lookup_expr="icontains", label="Person (e-mail or name contains)"
    )
    action = filters.CharFilter(field_name="action", lookup_expr="startswith", label="Action starts with")
    object = filters.CharFilter(method="filter_object", label="Object (name or id contains)")
    object_type = filters.CharFilter(field_name="object_type__model", label="Object type (model name)")
    since = filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label="To (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object", "object_type", "since", "until"]

    def filter_object(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        if not value:
            return queryset
        return queryset.filter(Q(object_repr__icontains=value) | Q(object_id=value))


class AuditEventSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "ip_address",
            "metadata",
        ]
        read_only_fields = fields

    def get_object_type(self, event: AuditEvent) -> str:
        return event.object_type.model if event.object_type_id else ""


@extend_schema_view(
    list=extend_schema(summary="The CoC's audit trail, newest first (auditors, Help Desk, CoC admins)"),
    retrieve=extend_schema(summary="One audit event"),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    capabilities = {"*": (Capability.VIEW_AUDIT_TRAIL,)}

    def get_queryset(self) -> Any:
        from . import selectors

        if self._fake():
            return selectors.no_audit_events()
        return selectors.audit_trail(continuum=self.request.continuum, user=self.request.user)
