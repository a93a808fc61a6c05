"""Reminders about access requests (see hmis_onboarding/reminders.py).

- Requests waiting for the ATA — a question from the reviewers not yet answered, or a request
  returned for the correct form and not yet re-filed: to the ATA who filed it (or, if they have left,
  the agency's ATAs). The ATA has as many business days to act as the reviewers have to decide (the
  CoC's SLA); after the escalation delay the agency's supervisors are told.
- Requests due today or past their SLA: to the reviewer working them, or the whole reviewing team
  (Help Desk or CE team) while nobody has claimed them; after the delay, to the CoC's administrators.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership
from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.models import User
from hmis_onboarding.notifications import NotificationKind, register_notification_kind
from hmis_onboarding.permissions import Role
from hmis_onboarding.reminders import ReminderItem, register_reminder_source

from .models import AccessRequest, Queue, RequestPolicy, RequestStatus

WAITING_FOR_ATA = register_notification_kind(
    NotificationKind(
        key="access_request_waiting",
        label="Access requests waiting for you",
        description="Questions from the reviewers you have not answered, and returned requests not yet "
        "re-filed through the correct form; supervisors hear about them once they are late.",
        audience=frozenset({Role.ATA, Role.AGENCY_SUPERVISOR}),
    )
)
SLA_DUE = register_notification_kind(
    NotificationKind(
        key="access_request_sla",
        label="Access requests due today or past their deadline",
        description="Requests in your queue that must be decided today or are already late.",
        audience=frozenset({Role.HELP_DESK, Role.CE_TEAM, Role.COC_ADMIN}),
    )
)
RETURNED_REMINDER_DAYS = 30
QUEUE_ROLES = {Queue.HELP_DESK: Role.HELP_DESK, Queue.CE_TEAM: Role.CE_TEAM}


def _people_by_agency(continuum: Any, role: str, agency_ids: set[int]) -> dict[int, list[User]]:
    out: dict[int, list[User]] = defaultdict(list)
    rows = Membership.objects.filter(
        continuum=continuum, role=role, agency_id__in=agency_ids, is_active=True, user__is_active=True
    ).select_related("user")
    for m in rows.order_by("user_id"):
        out[m.agency_id].append(m.user)
    return out


def _policy(continuum: Any) -> RequestPolicy:
    return RequestPolicy.objects.filter(continuum=continuum).first() or RequestPolicy(continuum=continuum)


@register_reminder_source("access_requests_waiting_for_ata")
def access_requests_waiting_for_ata(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    # A return nobody re-filed within a month is taken as abandoned: the reminders stop.
    returned_since = timezone.now() - dt.timedelta(days=RETURNED_REMINDER_DAYS)
    waiting = list(
        AccessRequest.objects.filter(continuum=continuum)
        .filter(
            Q(status=RequestStatus.INFO_REQUESTED)
            | Q(status=RequestStatus.RETURNED, resubmission__isnull=True, decided_at__gte=returned_since)
        )
        .select_related("agency", "request_type", "submitted_by", "correct_type")
        .order_by("pk")
    )
    if not waiting:
        return
    cal = calendar_for(continuum)
    days = _policy(continuum).sla_business_days
    agency_ids = {r.agency_id for r in waiting}
    atas = _people_by_agency(continuum, Role.ATA, agency_ids)
    supervisors = _people_by_agency(continuum, Role.AGENCY_SUPERVISOR, agency_ids)
    for req in waiting:
        since = req.sla_paused_since if req.status == RequestStatus.INFO_REQUESTED else req.decided_at
        if since is None:
            continue
        filer_is_ata = req.submitted_by is not None and any(
            u.pk == req.submitted_by_id for u in atas.get(req.agency_id, [])
        )
        recipients = [req.submitted_by] if filer_is_ata else atas.get(req.agency_id, [])
        asked = cal.local_date(since)
        due = cal.add_business_days(asked, days)
        if req.status == RequestStatus.INFO_REQUESTED:
            text = (
                f"Request #{req.pk} ({req.request_type.short_name}, {req.agency.name}): the reviewers asked "
                f"a question on {asked:%b} {asked.day}. Answer it so they can continue."
            )
        else:
            text = (
                f"Request #{req.pk} ({req.request_type.short_name}, {req.agency.name}) was returned on "
                f"{asked:%b} {asked.day}: re-file it through "
                + (f"“{req.correct_type.short_name}”." if req.correct_type else "the correct form.")
            )
        for ata in recipients:
            yield ReminderItem(
                recipient=ata,
                kind=WAITING_FOR_ATA.key,
                key=f"request:{req.pk}:{req.status}",
                text=text,
                url=reverse("request_detail", args=[continuum.slug, req.pk]),
                about=req.agency.name,
                due_date=due,
                escalate_to=tuple(supervisors.get(req.agency_id, [])),
                escalation_text=(
                    f"{ata.get_full_name()} has not acted on request #{req.pk} "
                    f"({req.request_type.short_name}) since {asked:%b} {asked.day}: {text}"
                ),
            )


@register_reminder_source("access_requests_sla")
def access_requests_sla(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    late = list(
        AccessRequest.objects.filter(
            continuum=continuum,
            status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW],
            sla_due_on__lte=today,
        )
        .select_related("agency", "request_type", "assignee")
        .order_by("sla_due_on", "pk")
    )
    if not late:
        return
    staff = Membership.objects.filter(
        continuum=continuum,
        role__in=[Role.HELP_DESK, Role.CE_TEAM, Role.COC_ADMIN],
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    by_role: dict[str, dict[int, User]] = defaultdict(dict)
    for m in staff.order_by("user_id"):
        by_role[m.role][m.user_id] = m.user
    admins = tuple(by_role[Role.COC_ADMIN].values())
    for req in late:
        team = by_role[QUEUE_ROLES.get(req.queue, Role.HELP_DESK)]
        recipients = [team[req.assignee_id]] if req.assignee_id in team else list(team.values())
        if not recipients:
            recipients = list(admins)
        due = req.sla_due_on
        for reviewer in recipients:
            yield ReminderItem(
                recipient=reviewer,
                kind=SLA_DUE.key,
                key=f"request:{req.pk}",
                text=f"Request #{req.pk} ({req.request_type.short_name}, {req.agency.name}, "
                f"{Queue(req.queue).label}) must be decided by {due:%b} {due.day}.",
                url=reverse("request_detail", args=[continuum.slug, req.pk]),
                about=req.agency.name,
                due_date=due,
                escalate_to=admins,
                escalation_text=(
                    f"Request #{req.pk} ({req.request_type.short_name}, {req.agency.name}) is past its "
                    f"deadline of {due:%b} {due.day} in the {Queue(req.queue).label} queue"
                    f"{f', assigned to {req.assignee.get_full_name()}' if req.assignee else ', unclaimed'}."
                ),
            )
