"""Reads of kernel tenant data (outbox, calendar, preferences), scoped like agencies/selectors.py:
every function takes the tenant and the person asking; "not yours" and "not there" are one 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from .business_calendar import DEFAULT_WORKDAY_END, DEFAULT_WORKDAY_START
from .models import ApiToken, AuditEvent, ContinuumCalendar, ContinuumHoliday, Notification, User
from .notifications import (
    NotificationKind,
    delivery_for,
    notification_kinds,
    notification_settings_for,
    preferences_map,
)
from .permissions import Capability
from .tenancy import access_for


def outbox_list(*, continuum: Any, user: User, state: str = "") -> QuerySet[Notification]:
    if not access_for(continuum, user).can(Capability.MANAGE_OUTBOX):
        raise Http404
    qs = Notification.objects.filter(continuum=continuum)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def outbox_counts(*, continuum: Any, user: User) -> dict[str, int]:
    rows = outbox_list(continuum=continuum, user=user).order_by().values("state").annotate(n=Count("id"))
    counts = dict.fromkeys(Notification.State.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def outbox_get(*, continuum: Any, user: User, notification_id: int) -> Notification:
    row = outbox_list(continuum=continuum, user=user).filter(pk=notification_id).first()
    if row is None:
        raise Http404("No such e-mail.")
    return row


@dataclass(frozen=True)
class KindPreference:
    kind: NotificationKind
    delivery: str


def notification_preferences(*, continuum: Any, user: User) -> list[KindPreference]:
    """The kinds of reminder that reach this person's roles here, with their current choice."""
    access = access_for(continuum, user)
    if not access.is_member:
        raise Http404
    chosen = preferences_map(continuum=continuum, user_ids=[user.pk])
    return [
        KindPreference(kind, delivery_for(kind, chosen.get((user.pk, kind.key))))
        for kind in notification_kinds()
        if kind.audience & access.roles
    ]


def calendar_settings(*, continuum: Any, user: User) -> dict[str, Any]:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404
    cal = ContinuumCalendar.objects.filter(continuum=continuum).first()
    return {
        "calendar": cal
        or ContinuumCalendar(
            continuum=continuum, workday_start=DEFAULT_WORKDAY_START, workday_end=DEFAULT_WORKDAY_END
        ),
        "notification_settings": notification_settings_for(continuum),
    }


def holidays_list(*, continuum: Any, user: User) -> QuerySet[ContinuumHoliday]:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404
    return ContinuumHoliday.objects.filter(continuum=continuum).order_by("date")


def holiday_get(*, continuum: Any, user: User, holiday_id: int) -> ContinuumHoliday:
    holiday = holidays_list(continuum=continuum, user=user).filter(pk=holiday_id).first()
    if holiday is None:
        raise Http404("No such holiday.")
    return holiday


CALENDAR_ACTIONS = [
    "continuum.calendar_changed",
    "continuum.holiday_added",
    "continuum.holiday_removed",
    "continuum.federal_holidays_loaded",
]


def calendar_history(*, continuum: Any, user: User, limit: int = 30) -> list[AuditEvent]:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404
    return list(AuditEvent.objects.filter(continuum=continuum, action__in=CALENDAR_ACTIONS)[:limit])


# --- Audit trail -------------------------------------------------------------------------------------


def audit_trail(*, continuum: Any, user: User) -> QuerySet[AuditEvent]:
    """The CoC's audit events for those who may read the trail; newest first."""
    if not access_for(continuum, user).can(Capability.VIEW_AUDIT_TRAIL):
        raise Http404
    return AuditEvent.objects.filter(continuum=continuum).select_related("object_type")


def may_read_configuration_history(access: Any) -> bool:
    """CoC administrators (who make the changes) and those who read the audit trail (auditors, the
    Help Desk) may read the configuration history."""
    return access.can(Capability.CONFIGURE_CONTINUUM) or access.can(Capability.VIEW_AUDIT_TRAIL)


def configuration_history(*, continuum: Any, user: User, area: str = "") -> QuerySet[AuditEvent]:
    """Every configuration change of the CoC (or of one area), newest first."""
    from .config_history import config_actions

    if not may_read_configuration_history(access_for(continuum, user)):
        raise Http404
    return AuditEvent.objects.filter(continuum=continuum, action__in=config_actions(area)).select_related(
        "object_type"
    )


def no_audit_events() -> QuerySet[AuditEvent]:
    """An empty queryset for the OpenAPI generator (it has no tenant)."""
    return AuditEvent.objects.none()


# --- API tokens ---------------------------------------------------------------------------------------


def api_tokens(*, continuum: Any, user: User) -> QuerySet[ApiToken]:
    if not access_for(continuum, user).can(Capability.MANAGE_API_TOKENS):
        raise Http404
    return ApiToken.objects.filter(continuum=continuum).select_related("created_by", "revoked_by")


def api_token_get(*, continuum: Any, user: User, token_id: int) -> ApiToken:
    token = api_tokens(continuum=continuum, user=user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token
