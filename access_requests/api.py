"""REST API for access requests and the review actions, under /api/<continuum_slug>/access-requests/.

Same rules as the pages: the queryset comes from the scoped selector (other agencies' and other
tenants' requests are 404), every write is a service call (which checks the role), and a request
that moved on meanwhile answers 409 with the reason."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from hmis_onboarding.api import FilterOnlyWhenAsked, TenantViewSet
from hmis_onboarding.models import User
from hmis_onboarding.pagination import NewestFirstCursorPagination
from hmis_onboarding.permissions import Capability

from . import selectors, services
from .filters import AccessRequestApiFilter
from .serializers import (
    AccessRequestCreateSerializer,
    AccessRequestSerializer,
    AssignSerializer,
    ChecklistSerializer,
    ReturnSerializer,
    TextSerializer,
    access_request_list_data,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _service(call):
    try:
        return call()
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from error
    except DjangoValidationError as error:
        raise ValidationError(
            error.message_dict if hasattr(error, "error_dict") else error.messages
        ) from error
    except services.RequestConflict as error:
        raise Conflict(str(error)) from error


class RequestCursorPagination(NewestFirstCursorPagination):
    """Newest filed first; `?sort=age` oldest filed first (`-age` newest), like the queues' sort by
    age, as a keyset on the filing time so the cursor stays an index range scan."""

    def get_ordering(self, request, queryset, view):
        return {"age": ("created_at", "pk"), "-age": ("-created_at", "-pk")}.get(
            request.query_params.get("sort"), self.ordering
        )


@extend_schema_view(
    list=extend_schema(
        summary="Access requests the caller may see, newest first",
        description=(
            "Keyset (cursor) pagination: follow `next` / `previous` (they carry `?cursor=` and the "
            "filters); `page_size` up to 200. There is no total count. `sort=age` lists the oldest "
            "filed first."
        ),
    ),
)
class AccessRequestViewSet(
    FilterOnlyWhenAsked, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestApiFilter
    # A metro CoC files 40k requests: no COUNT(*) and no OFFSET per page.
    pagination_class = RequestCursorPagination
    capabilities = {"*": (Capability.VIEW_REQUESTS,), "create": (Capability.FILE_ACCESS_REQUESTS,)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.no_requests()
        qs = selectors.request_list(continuum=self.request.continuum, user=self.request.user)
        if self.action != "list":
            qs = qs.prefetch_related("people", "projects", "ces_roles")
        return qs

    def list(self, request, *args, **kwargs):
        """Plain rows, not model instances: the same body as `AccessRequestSerializer`, at a fraction
        of the cost (`serializers.access_request_list_data`)."""
        rows = self.paginate_queryset(selectors.request_list_rows(self.filter_queryset(self.get_queryset())))
        related = selectors.request_list_relations([row["id"] for row in rows])
        return self.get_paginated_response(access_request_list_data(rows, related))

    def _get(self):
        return self.get_object()

    def _reply(self, req):
        fresh = self.get_queryset().get(pk=req.pk)
        return Response(AccessRequestSerializer(fresh).data)

    @extend_schema(request=AccessRequestCreateSerializer, responses={201: AccessRequestSerializer})
    def create(self, request):
        data = AccessRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        continuum = request.continuum
        agency = (
            selectors.filer_agencies(continuum=continuum, user=request.user).filter(pk=v["agency"]).first()
        )
        if agency is None:
            raise NotFound("No such agency among yours.")
        rtype = selectors.request_type_by_code(continuum=continuum, code=v["request_type"])
        if rtype is None:
            raise ValidationError({"request_type": "Not one of this CoC's forms."})
        projects = list(
            selectors.agency_projects(continuum=continuum, user=request.user, agency_id=agency.pk).filter(
                pk__in=v["projects"]
            )
        )
        if len(projects) != len(set(v["projects"])):
            raise ValidationError({"projects": "Choose projects of your own agency."})
        roles = selectors.ces_roles_by_code(continuum=continuum, codes=v["ces_roles"])

        def build():
            with transaction.atomic():
                req = services.access_request_create(agency=agency, actor=request.user, request_type=rtype)
                for person in v["people"]:
                    services.requested_person_add(access_request=req, actor=request.user, **person)
                services.access_request_update_draft(
                    access_request=req,
                    actor=request.user,
                    read_only=v["read_only"],
                    responsibilities=v["responsibilities"],
                    projects=projects,
                    ces_roles=roles,
                )
                if v["submit"]:
                    services.access_request_submit(access_request=req, actor=request.user)
            return req

        req = _service(build)
        fresh = self.get_queryset().get(pk=req.pk)
        return Response(AccessRequestSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        req = self._get()
        return self._reply(
            _service(lambda: services.access_request_submit(access_request=req, actor=request.user))
        )

    @extend_schema(request=None, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        req = self._get()
        return self._reply(
            _service(lambda: services.access_request_claim(access_request=req, reviewer=request.user))
        )

    @extend_schema(request=AssignSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        req = self._get()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["assignee"]
        assignee = User.objects.filter(email__iexact=email).first() if email else None
        if email and assignee is None:
            raise ValidationError({"assignee": "No such person."})
        return self._reply(
            _service(
                lambda: services.access_request_assign(
                    access_request=req, actor=request.user, assignee=assignee
                )
            )
        )

    @extend_schema(request=ChecklistSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        req = self._get()
        data = ChecklistSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: services.access_request_confirm_step(
                    access_request=req, reviewer=request.user, **data.validated_data
                )
            )
        )

    @extend_schema(request=TextSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request, pk=None):
        req = self._get()
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: services.access_request_request_info(
                    access_request=req, reviewer=request.user, question=data.validated_data["text"]
                )
            )
        )

    @extend_schema(request=TextSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        req = self._get()
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: services.access_request_answer(
                    access_request=req, actor=request.user, answer=data.validated_data["text"]
                )
            )
        )

    @extend_schema(request=ReturnSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_correct_form(self, request, pk=None):
        req = self._get()
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correct = selectors.request_type_by_code(
            continuum=request.continuum, code=data.validated_data["correct_type"]
        )
        if correct is None:
            raise ValidationError({"correct_type": "Not one of this CoC's forms."})
        return self._reply(
            _service(
                lambda: services.access_request_return(
                    access_request=req,
                    reviewer=request.user,
                    correct_type=correct,
                    reason=data.validated_data["reason"],
                )
            )
        )

    @extend_schema(request=None, responses={201: AccessRequestSerializer})
    @action(detail=True, methods=["post"])
    def refile(self, request, pk=None):
        req = self._get()
        new, problems = _service(
            lambda: services.access_request_refile(access_request=req, actor=request.user)
        )
        body = AccessRequestSerializer(self.get_queryset().get(pk=new.pk)).data
        body["problems"] = problems
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=TextSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        req = self._get()
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: services.access_request_reject(
                    access_request=req, reviewer=request.user, reason=data.validated_data["text"]
                )
            )
        )

    @extend_schema(request=None, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        req = self._get()
        note = str(request.data.get("note", "")) if hasattr(request.data, "get") else ""
        return self._reply(
            _service(
                lambda: services.access_request_approve(access_request=req, reviewer=request.user, note=note)
            )
        )
