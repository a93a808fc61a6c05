"""REST API for people, onboardings, the sample client, HMIS accounts and licenses, under
/api/<continuum_slug>/ (issue 8 over issue 6's records).

Same rules as the pages: querysets come from the scoped selectors (another agency's or tenant's
object is 404), every write is the service the page calls (which checks the role again), bad input
is a 400 with the reasons and a record that moved on meanwhile a 409."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from hmis_onboarding.api import TenantViewSet
from hmis_onboarding.permissions import Capability

from . import credential_selectors as selectors
from . import credentials, sample_client
from .api import _service
from .filters_credentials import (
    AssignmentFilter,
    HmisAccountFilter,
    OnboardingFilter,
    PersonFilter,
    RoundFilter,
)
from .serializers_credentials import (
    AssignmentDetailSerializer,
    AssignmentSerializer,
    HmisAccountSerializer,
    IssueSerializer,
    LicenseSerializer,
    OffboardSerializer,
    OnboardingSerializer,
    PersonSerializer,
    ReviewSerializer,
    RoundDetailSerializer,
    RoundSerializer,
    SubmitSerializer,
    SuspendSerializer,
)

SEE_AGENCIES = (Capability.VIEW_ALL_AGENCIES, Capability.VIEW_OWN_AGENCY)
REFUSALS = {
    400: OpenApiResponse(description="Invalid input, with the reasons"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Not found, or not the caller's to see"),
    409: OpenApiResponse(description="The record moved on meanwhile (e.g. already reviewed)"),
}


@extend_schema_view(
    list=extend_schema(
        summary="The CoC's people the caller may see (staff: all; agency leads: their agencies'), "
        "with roles, onboarding stage and HMIS accounts"
    ),
    retrieve=extend_schema(summary="One person"),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    capabilities = {"*": SEE_AGENCIES}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("user")
        return selectors.people_directory(continuum=self.request.continuum, user=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Onboardings (after approval) the caller may see, with stage, exemption and deadlines"
    ),
    retrieve=extend_schema(summary="One onboarding"),
)
class OnboardingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = OnboardingSerializer
    filterset_class = OnboardingFilter
    capabilities = {"*": (), "confirm_training": (Capability.REVIEW_SAMPLE_CLIENTS,)}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("onboarding")
        return selectors.onboarding_list(continuum=self.request.continuum, user=self.request.user)

    def _reply(self, onboarding: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(OnboardingSerializer(self.get_queryset().get(pk=onboarding.pk)).data, status=code)

    @extend_schema(
        summary="Confirm the person's training complete (Help Desk)",
        request=None,
        responses={200: OnboardingSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="confirm-training")
    def confirm_training(self, request: Request, pk: str | None = None) -> Response:
        onboarding = self.get_object()
        return self._reply(
            _service(
                lambda: credentials.onboarding_confirm_training(onboarding=onboarding, actor=request.user)
            )
        )

    @extend_schema(
        summary="Sign up for the sample client (the person themselves): a seat or the waitlist",
        request=None,
        responses={201: AssignmentDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="sample-client-sign-up")
    def sign_up(self, request: Request, pk: str | None = None) -> Response:
        onboarding = self.get_object()
        assignment = _service(
            lambda: sample_client.sample_client_sign_up(onboarding=onboarding, actor=request.user)
        )
        fresh = selectors.assignment_list(continuum=request.continuum, user=request.user).get(
            pk=assignment.pk
        )
        return Response(AssignmentDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Sample client assignments the caller may see, with their rounds"),
    retrieve=extend_schema(summary="One assignment, with its rounds and waitlist position"),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    capabilities: dict[str, tuple[str, ...]] = {}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("sampleclientassignment")
        return selectors.assignment_list(continuum=self.request.continuum, user=self.request.user)

    def get_serializer_class(self) -> type:
        return AssignmentDetailSerializer if self.action == "retrieve" else AssignmentSerializer

    @extend_schema(
        summary="Submit the sample client for review (the trainee): a new round",
        request=SubmitSerializer,
        responses={201: RoundSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        if assignment.user_id != request.user.pk:
            # Before reading the body: a lead or staff member gets the refusal, not a form error.
            raise PermissionDenied("People submit their own sample client.")
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rnd = _service(
            lambda: sample_client.sample_client_submit(
                assignment=assignment, actor=request.user, **data.validated_data
            )
        )
        fresh = selectors.round_list(continuum=request.continuum, user=request.user).get(pk=rnd.pk)
        return Response(RoundSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Sample client rounds the caller may see (the review queue: awaiting_review)"),
    retrieve=extend_schema(summary="One round, with its element reviews and the rubric to score"),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = RoundSerializer
    filterset_class = RoundFilter
    capabilities = {"*": (), "review": (Capability.REVIEW_SAMPLE_CLIENTS,)}

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("sampleclientround")
        return selectors.round_list(continuum=self.request.continuum, user=self.request.user)

    def _detail(self, rnd: Any) -> Response:
        rubric = sample_client.rubric_for(rnd.continuum, rnd.assignment.project_type)
        return Response(RoundDetailSerializer(rnd, context={"rubric": rubric}).data)

    @extend_schema(responses=RoundDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        summary="Record the Help Desk's review: errors and comments per rubric element, and the outcome "
        "(pass / corrections / walk-through / redo a course)",
        request=ReviewSerializer,
        responses={200: RoundDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        rnd = self.get_object()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        results = [
            sample_client.ElementResult(r["element"], r["errors"], r["comment"]) for r in v.pop("results", [])
        ]
        _service(
            lambda: sample_client.sample_client_review(round=rnd, reviewer=request.user, results=results, **v)
        )
        return self._detail(self.get_queryset().get(pk=rnd.pk))


@extend_schema_view(
    list=extend_schema(
        summary="HMIS accounts (live credentials) the caller may see: staff all, agency leads their "
        "agencies', everyone their own"
    ),
    retrieve=extend_schema(summary="One HMIS account"),
)
class HmisAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = HmisAccountSerializer
    filterset_class = HmisAccountFilter
    capabilities = {
        "*": (),
        "create": (Capability.ISSUE_CREDENTIALS,),
        "suspend": (Capability.ISSUE_CREDENTIALS, Capability.REMOVE_HRS),
        "offboard": (Capability.OFFBOARD_USERS, Capability.ISSUE_CREDENTIALS),
    }

    def get_queryset(self) -> QuerySet:
        if self._fake():
            return selectors.schema_placeholder("hmisaccount")
        return selectors.hmis_account_list(continuum=self.request.continuum, user=self.request.user)

    def _reply(self, account: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(HmisAccountSerializer(self.get_queryset().get(pk=account.pk)).data, status=code)

    @extend_schema(
        summary="Issue a credential (Help Desk): records the HMIS account and takes one of the agency's "
        "licenses — never beyond the pool",
        request=IssueSerializer,
        responses={201: HmisAccountSerializer, **REFUSALS},
    )
    def create(self, request: Request) -> Response:
        data = IssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        onboarding = selectors.onboarding_for_staff(
            continuum=request.continuum,
            user=request.user,
            onboarding_id=v["onboarding"],
            capability=Capability.ISSUE_CREDENTIALS,
        )
        wanted = set(v["projects"])
        projects = list(selectors.issuable_projects(onboarding=onboarding).filter(pk__in=wanted))
        if len(projects) != len(wanted):
            raise ValidationError({"projects": "Choose active projects of the person's agency."})
        account = _service(
            lambda: credentials.hmis_account_issue(
                onboarding=onboarding,
                actor=request.user,
                hmis_username=v["hmis_username"],
                hmis_role=v["hmis_role"],
                projects=projects,
            )
        )
        return self._reply(account, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Suspend the account (Help Desk; the Coordinated Entry team for HRS removal)",
        request=SuspendSerializer,
        responses={200: HmisAccountSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        data = SuspendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: credentials.hmis_account_suspend(
                    account=account, actor=request.user, reason=data.validated_data["reason"]
                )
            )
        )

    @extend_schema(
        summary='Offboard: the person "left the agency" (the agency\'s ATA, or the Help Desk) — access '
        "revoked today, the license free",
        request=OffboardSerializer,
        responses={200: HmisAccountSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def offboard(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        data = OffboardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._reply(
            _service(
                lambda: credentials.hmis_account_offboard(
                    account=account, actor=request.user, note=data.validated_data["note"]
                )
            )
        )


@extend_schema_view(
    list=extend_schema(summary="License counts per agency (used / free) and who holds each license"),
)
class LicenseViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = LicenseSerializer
    capabilities = {"*": (Capability.VIEW_LICENSES,)}
    filter_backends: list = []

    def get_queryset(self) -> Any:
        if self._fake():
            return selectors.schema_placeholder("hmisaccount")
        return selectors.license_agencies(continuum=self.request.continuum, user=self.request.user)
