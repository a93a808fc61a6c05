"""What access requests put on each persona's home page."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest

from hmis_onboarding.home import Panel, register_home_panel
from hmis_onboarding.permissions import Capability

from . import selectors
from .models import Queue, RequestedPerson, RequestStatus


@register_home_panel(order=10)
def requests_panel(request: HttpRequest) -> Panel | None:
    continuum, user, access = request.continuum, request.user, request.access
    if access.can(Capability.REVIEW_REQUESTS) or access.can(Capability.REVIEW_CE_REQUESTS):
        counts = selectors.queue_counts(continuum=continuum, user=user)
        queues = [
            {"slug": "ce-team" if q == Queue.CE_TEAM else "help-desk", "label": Queue(q).label, **c}
            for q, c in counts.items()
        ]
        return Panel("access_requests/panels/reviewer.html", {"queues": queues})
    if access.can(Capability.VIEW_REQUESTS) and access.agency_ids:
        needs_me, recent = selectors.home_requests(continuum=continuum, user=user)
        return Panel(
            "access_requests/panels/agency.html",
            {"needs_me": needs_me, "recent": recent, "can_file": access.can(Capability.FILE_ACCESS_REQUESTS)},
        )
    if not access.is_staff:
        mine = list(
            RequestedPerson.objects.filter(continuum=continuum)
            .filter(Q(user=user) | Q(email__iexact=user.email))
            .exclude(access_request__status=RequestStatus.DRAFT)
            .select_related("access_request", "access_request__request_type", "access_request__agency")
            .order_by("-access_request__submitted_at")[:5]
        )
        return Panel("access_requests/panels/person.html", {"my_requests": mine}) if mine else None
    return None
