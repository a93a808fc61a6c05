"""Reminder sources of the kernel: security notices about people's own accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Min
from django.urls import reverse

from .business_calendar import calendar_for
from .notifications import Delivery, NotificationKind, notification_settings_for, register_notification_kind
from .permissions import STAFF_ROLES, Role
from .reminders import ReminderItem, register_reminder_source

MFA_SETUP = register_notification_kind(
    NotificationKind(
        key="security.mfa_setup",
        label="Two-factor authentication not set up",
        description="CoC staff roles require an authenticator app; you are reminded until you set one up.",
        audience=frozenset(STAFF_ROLES),
        security=True,
        default_delivery=Delivery.IMMEDIATE,
    )
)


@register_reminder_source("staff_without_two_factor")
def staff_without_two_factor(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    """CoC staff who have not set up two-factor authentication: a security notice to them, due a few
    business days after they joined, escalated to the CoC's administrators when overdue."""
    from agencies.models import Membership

    cfg = notification_settings_for(continuum)
    cal = calendar_for(continuum)
    with_totp = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    staff = (
        Membership.objects.filter(
            continuum=continuum, is_active=True, role__in=list(STAFF_ROLES), user__is_active=True
        )
        .exclude(user_id__in=with_totp)
        .values("user_id")
        .annotate(joined=Min("created_at"))
    )
    joined_by_user = {row["user_id"]: row["joined"] for row in staff}
    if not joined_by_user:
        return
    people = {u.pk: u for u in _users(joined_by_user)}
    admins = tuple(
        _users(
            Membership.objects.filter(
                continuum=continuum, is_active=True, role=Role.COC_ADMIN, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )
    setup_url = reverse("mfa_activate_totp")
    for user_id, joined in sorted(joined_by_user.items()):
        person = people[user_id]
        due = cal.add_business_days(cal.local_date(joined), cfg.setup_grace_business_days)
        yield ReminderItem(
            recipient=person,
            kind=MFA_SETUP.key,
            key=f"user:{user_id}",
            text="Set up two-factor authentication: your CoC staff role requires an authenticator app.",
            url=setup_url,
            person=person,
            due_date=due,
            escalate_to=admins,
            escalation_text=(
                f"{person.get_full_name()} has not set up two-factor authentication "
                f"(due {due:%b} {due.day}) and cannot use the staff pages until they do."
            ),
        )


def _users(ids: Any) -> list[Any]:
    from .models import User

    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))
