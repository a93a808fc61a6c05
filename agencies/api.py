"""REST API for agencies, agreement types, agreements and programs, under /api/<continuum_slug>/.

Same scoping as the pages: TenantMiddleware answers 404 to non-members, `TenantCapability` 403s the
wrong role (and records the refusal), querysets come from the same selectors, writes call services.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

# The shared plumbing lives in the kernel; re-exported for modules that imported it from here.
from hmis_onboarding.api import FilterOnlyWhenAsked, TenantViewSet
from hmis_onboarding.api import TenantCapability as TenantCapability
from hmis_onboarding.api import raise_service_error as _raise_service_error
from hmis_onboarding.audit import client_ip
from hmis_onboarding.pagination import TenantPagination
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import record_refusal

from . import participation, selectors, services
from .filters import AgencyFilter, AgreementFilter, ProjectFilter
from .models import Continuum
from .policies import may_countersign
from .serializers import (
    AgencyDetailSerializer,
    AgencySerializer,
    AgreementSerializer,
    AgreementTypeSerializer,
    CountersignSerializer,
    HmisProjectSerializer,
    agency_list_data,
)
from .views_agreements import agreement_file_response

SEE_AGENCIES = (Capability.VIEW_ALL_AGENCIES, Capability.VIEW_OWN_AGENCY)


class AgencyPaginator(Paginator):
    """Counts the listed agencies like any page, then reads the page's rows and their agreements in
    one query (`selectors.agency_page_rows`) instead of model instances."""

    def __init__(self, object_list: QuerySet, per_page: int, continuum: Continuum) -> None:
        super().__init__(object_list, per_page)
        self.continuum = continuum

    def _get_page(self, object_list: QuerySet, number: int, paginator: Paginator) -> Page:
        rows = selectors.agency_page_rows(continuum=self.continuum, page=object_list)
        return super()._get_page(rows, number, paginator)


class AgencyPagination(TenantPagination):
    """The API's page numbers and sizes; each page's rows from `AgencyPaginator`."""

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        self.django_paginator_class = functools.partial(AgencyPaginator, continuum=request.continuum)
        return super().paginate_queryset(queryset, request, view)


@extend_schema_view(
    list=extend_schema(summary="Agencies the caller may see, with their agreement standing"),
    retrieve=extend_schema(summary="One agency, with whether it may file access requests and why not"),
)
class AgencyViewSet(FilterOnlyWhenAsked, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    capabilities = {"*": SEE_AGENCIES}
    filterset_class = AgencyFilter
    pagination_class = AgencyPagination

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("agency")
        return selectors.agency_list(continuum=self.request.continuum, user=self.request.user, counts=False)

    def get_serializer_class(self) -> type:
        return AgencyDetailSerializer if self.action == "retrieve" else AgencySerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plain rows, not model instances: the page's agencies and their agreements in one query
        (`AgencyPaginator`), every listed agency's standing from them plus one query for the types:
        the same body as `AgencySerializer` with `agreement_standings` (a test compares them)."""
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        standings = participation.list_standings(continuum=request.continuum, rows=rows)
        return self.get_paginated_response(agency_list_data(rows, standings))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agency = self.get_object()
        context = {
            "standings": participation.agreement_standings(continuum=request.continuum, agencies=[agency]),
            "eligibility": participation.agency_can_submit_access_requests(agency),
        }
        return Response(AgencyDetailSerializer(agency, context=context).data)


@extend_schema_view(
    list=extend_schema(summary="The CoC's agreement types (configuration)"),
    retrieve=extend_schema(summary="One agreement type"),
)
class AgreementTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = AgreementTypeSerializer
    capabilities: dict[str, tuple[str, ...]] = {}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("agreementtype")
        return selectors.agreement_types(
            continuum=self.request.continuum, user=self.request.user, include_inactive=True
        ).prefetch_related("versions")


@extend_schema_view(
    list=extend_schema(summary="Agreements the caller may see"),
    retrieve=extend_schema(summary="One agreement"),
)
class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    capabilities = {"*": SEE_AGENCIES, "countersign": (Capability.COUNTERSIGN_AGREEMENTS,)}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("agreement")
        return selectors.agreement_list(
            continuum=self.request.continuum, user=self.request.user
        ).select_related("continuum")

    @extend_schema(
        summary="Countersign an agreement for the CoC",
        request=CountersignSerializer,
        responses={
            200: AgreementSerializer,
            400: OpenApiResponse(description="Not awaiting countersignature"),
        },
    )
    @action(detail=True, methods=["post"])
    def countersign(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        if not may_countersign(request.access, agreement.agreement_type):
            record_refusal(request, reason="may not countersign this type", continuum=request.continuum)
            raise PermissionDenied("Your role does not countersign this agreement.")
        payload = CountersignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            agreement = services.agreement_countersign(
                agreement=agreement,
                actor=request.user,
                ip_address=client_ip(request),
                **payload.validated_data,
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise_service_error(error)
        return Response(AgreementSerializer(agreement).data)

    @extend_schema(
        summary="The agency's signed copy (PDF)", responses={(200, "application/pdf"): OpenApiTypes.BINARY}
    )
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str | None = None) -> FileResponse:
        agreement = self.get_object()
        return agreement_file_response(agreement, agreement.document, "")

    @extend_schema(
        summary="The executed copy with both signatures (PDF, in-app signatures only)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="executed-document")
    def executed_document(self, request: Request, pk: str | None = None) -> FileResponse:
        agreement = self.get_object()
        return agreement_file_response(agreement, agreement.executed_document, "-executed")


@extend_schema_view(
    list=extend_schema(summary="HMIS programs the caller may see"),
    retrieve=extend_schema(summary="One program"),
    create=extend_schema(summary="Add a program to an agency (HMIS implementation team)"),
    partial_update=extend_schema(summary="Change a program (HMIS implementation team)"),
)
class HmisProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    serializer_class = HmisProjectSerializer
    filterset_class = ProjectFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    capabilities = {
        "*": SEE_AGENCIES,
        "create": (Capability.SETUP_PROGRAMS,),
        "partial_update": (Capability.SETUP_PROGRAMS,),
    }

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("hmisproject")
        return selectors.project_list(continuum=self.request.continuum, user=self.request.user).order_by(
            "agency__name", "name"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not self._fake():
            context["agencies"] = selectors.agency_list(
                continuum=self.request.continuum, user=self.request.user
            )
        return context

    def perform_create(self, serializer: HmisProjectSerializer) -> None:
        data = dict(serializer.validated_data)
        agency = data.pop("agency")
        try:
            serializer.instance = services.hmis_project_create(agency=agency, actor=self.request.user, **data)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise_service_error(error)

    def perform_update(self, serializer: HmisProjectSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("agency", None)
        try:
            serializer.instance = services.hmis_project_update(
                project=serializer.instance, actor=self.request.user, **data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise_service_error(error)
