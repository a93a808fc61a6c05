"""The floor: for each benchmarked page, one indexed query that fetches the rows the page shows,
rendered as a bare table (or JSON for the API). It runs behind the same middleware as the page
(session, tenant, MFA), so page ÷ floor is what the page's own work costs. Bench-only: mounted by
`bench/urls.py`, which only `bench/settings.py` uses."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from access_requests.models import OPEN_STATUSES, AccessRequest, Queue, RequestStatus
from access_requests.views import QUEUE_PAGE_SIZE
from agencies.models import Agency, Membership
from hmis_onboarding.decorators import tenant_view
from training.models import Enrollment, LearningPath


def _agency_id(request: HttpRequest) -> int:
    membership = Membership.objects.filter(
        continuum=request.continuum, user=request.user, agency__isnull=False, is_active=True
    ).values_list("agency_id", flat=True)
    return request.session.setdefault("bench_agency", membership.first())


def _queue(request: HttpRequest, queue: str) -> QuerySet:
    # The queues show a page of 50 rows (access_requests.views.QUEUE_PAGE_SIZE), so the floor does too.
    return (
        AccessRequest.objects.filter(continuum=request.continuum, queue=queue, status__in=OPEN_STATUSES)
        .annotate(people_count=Count("people"))
        .order_by("submitted_at", "pk")
        .values(
            "pk",
            "agency__name",
            "request_type__short_name",
            "people_count",
            "submitted_at",
            "sla_due_on",
            "status",
            "assignee__full_name",
        )[:QUEUE_PAGE_SIZE]
    )


def _agency_requests(request: HttpRequest, limit: int) -> QuerySet:
    return (
        AccessRequest.objects.filter(continuum=request.continuum, agency_id=_agency_id(request))
        .annotate(people_count=Count("people"))
        .order_by("-created_at")
        .values("pk", "request_type__short_name", "people_count", "submitted_at", "sla_due_on", "status")[
            :limit
        ]
    )


def _tracker(request: HttpRequest) -> QuerySet:
    return (
        Enrollment.objects.filter(continuum=request.continuum, user=request.user)
        .order_by("course__position")
        .values("course__name", "course__kind", "state", "percent", "completed_at", "last_progress_at")
    )


def _progress(request: HttpRequest) -> QuerySet:
    # The page's first rows: by agency name, then person (the path stores its agency).
    return (
        LearningPath.objects.filter(continuum=request.continuum, agency__continuum=request.continuum)
        .order_by("agency__name", "user__full_name", "user__email", "pk")
        .values(
            "pk",
            "agency__name",
            "user__full_name",
            "user__email",
            "percent_complete",
            "next_step",
            "last_progress_at",
        )[:50]
    )


def _metrics(request: HttpRequest) -> QuerySet:
    return (
        AccessRequest.objects.filter(continuum=request.continuum)
        .exclude(status=RequestStatus.DRAFT)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )


def _api_requests(request: HttpRequest) -> QuerySet:
    return (
        AccessRequest.objects.filter(continuum=request.continuum)
        .exclude(status=RequestStatus.DRAFT)
        .order_by("-created_at")
        .values(
            "pk", "agency_id", "request_type__code", "status", "submitted_at", "sla_due_on", "decided_at"
        )[:50]
    )


def _api_agencies(request: HttpRequest) -> QuerySet:
    return (
        Agency.objects.filter(continuum=request.continuum)
        .order_by("name")
        .values("pk", "name", "hmis_participating", "license_pool_size", "contact_email")[:50]
    )


def _api_paths(request: HttpRequest) -> QuerySet:
    return (
        LearningPath.objects.filter(continuum=request.continuum)
        .order_by("pk")
        .values("pk", "user_id", "percent_complete", "is_complete", "next_step", email=F("user__email"))[:50]
    )


FLOORS = {
    "help-desk-queue": lambda r: _queue(r, Queue.HELP_DESK),
    "ce-queue": lambda r: _queue(r, Queue.CE_TEAM),
    "ata-home": lambda r: _agency_requests(r, 10),
    # The request list shows a page of 50 rows too (QUEUE_PAGE_SIZE), newest first.
    "ata-requests": lambda r: _agency_requests(r, QUEUE_PAGE_SIZE),
    "trainee-tracker": _tracker,
    "training-progress": _progress,
    "metrics": _metrics,
}
API_FLOORS = {
    "api-access-requests": _api_requests,
    "api-agencies": _api_agencies,
    "api-learning-paths": _api_paths,
}


@tenant_view()
def floor(request: HttpRequest, name: str) -> HttpResponse:
    if name in API_FLOORS:
        return JsonResponse({"results": list(API_FLOORS[name](request))})
    if name not in FLOORS:
        raise Http404
    rows = list(FLOORS[name](request))
    return render(request, "bench/floor.html", {"name": name, "rows": rows})
