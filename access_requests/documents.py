"""The access request summary as a PDF: what was asked for whom, what happened to it, who did what
and when, and the reviewer's outcome. Rendered with WeasyPrint from templates/access_requests/pdf/."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.exports import render_pdf
from hmis_onboarding.models import User

from .models import AccessRequest, RequestStatus

# What each audited transition of a request means to a reader of the summary.
EVENT_LABELS = {
    "access_request.drafted": "Draft started",
    "access_request.draft_saved": "Draft saved",
    "access_request.person_added": "Person added",
    "access_request.person_removed": "Person removed",
    "access_request.submitted": "Submitted",
    "access_request.withdrawn": "Withdrawn",
    "access_request.assigned": "Assigned to a reviewer",
    "access_request.checklist": "Review checklist step",
    "access_request.info_requested": "More information requested",
    "access_request.answered": "Information provided",
    "access_request.returned": "Returned for the correct form",
    "access_request.refiled": "Re-filed from an earlier request",
    "access_request.rejected": "Rejected",
    "access_request.approved": "Approved",
}
# Details worth printing next to an event (the rest of the audit record stays in the audit trail).
EVENT_DETAILS = ("status", "assignee", "step", "email", "reason", "correct_type", "sla_due_on")
STATUS_LABELS = dict(RequestStatus.choices)


@dataclass(frozen=True)
class HistoryLine:
    when: datetime.datetime
    who: str
    what: str
    detail: str


def _detail(event: Any) -> str:
    parts = []
    for key in EVENT_DETAILS:
        value = event.after.get(key)
        if value in (None, ""):
            continue
        if key == "status":
            value = STATUS_LABELS.get(value, value)
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def request_history(events: list[Any], tz: datetime.tzinfo) -> list[HistoryLine]:
    """The request's audit events as lines, oldest first."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.pk))
    actors = User.objects.in_bulk({e.actor_id for e in ordered if e.actor_id})
    return [
        HistoryLine(
            when=e.occurred_at.astimezone(tz),
            who=actors[e.actor_id].get_full_name() if e.actor_id in actors else e.actor_label or "System",
            what=EVENT_LABELS.get(e.action, e.action),
            detail=_detail(e),
        )
        for e in ordered
    ]


def request_summary_pdf(*, continuum: Continuum, user: User, access_request: AccessRequest) -> bytes:
    """The summary of a request the caller fetched through `selectors.request_get` (so `user` may see it)."""
    from agencies.selectors import object_history

    req = access_request
    tz = continuum.tzinfo
    context = {
        "continuum": continuum,
        "req": req,
        "agency": req.agency,
        "people": list(req.people.select_related("user").order_by("last_name", "first_name")),
        "projects": list(req.projects.order_by("name")),
        "ces_roles": list(req.ces_roles.order_by("rank")),
        "history": request_history(object_history(continuum=continuum, user=user, obj=req, limit=500), tz),
        "messages": list(req.messages.select_related("author").order_by("created_at")),
        "submitted_at": req.submitted_at.astimezone(tz) if req.submitted_at else None,
        "decided_at": req.decided_at.astimezone(tz) if req.decided_at else None,
        "generated_at": timezone.now().astimezone(tz),
        "generated_by": user.get_full_name(),
    }
    return render_pdf("access_requests/pdf/request_summary.html", context)
