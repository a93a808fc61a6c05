"""E-mails about onboarding, the sample client, the End User Agreement and credentials, through the
outbox. Called inside the transaction of the change. No e-mail ever carries a password."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from agencies.models import Agency, Membership
from hmis_onboarding.models import User
from hmis_onboarding.notifications import (
    Delivery,
    NotificationKind,
    absolute_url,
    notification_enqueue,
    register_notification_kind,
)
from hmis_onboarding.permissions import Role

CREDENTIAL_UPDATES = register_notification_kind(
    NotificationKind(
        key="credential_update",
        label="Sample client, agreement and credential updates",
        description=(
            "Sample client outcomes, signed End User Agreements, credentials issued, suspended or revoked."
        ),
        audience=frozenset({Role.ATA, Role.AGENCY_SUPERVISOR, Role.AGENCY_USER, Role.HELP_DESK}),
        default_delivery=Delivery.IMMEDIATE,
    )
)


def agency_leads(agency: Agency, roles: Iterable[str] = (Role.ATA, Role.AGENCY_SUPERVISOR)) -> list[User]:
    """The agency's ATAs (and supervisors): they are copied on their people's progress."""
    ids = Membership.objects.filter(agency=agency, role__in=list(roles), is_active=True).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def my_access_url(continuum) -> str:
    return absolute_url(reverse("my_access", args=[continuum.slug]))


def send(
    *,
    continuum,
    key: str,
    subject: str,
    headline: str,
    subtitle: str,
    lines: list[str],
    recipients: Iterable[User] = (),
    to_email: str = "",
    link: str = "",
) -> int:
    """One outbox row per recipient, deduplicated by `key` + recipient."""
    sent = 0
    seen: set[int] = set()
    context = {"headline": headline, "subtitle": subtitle, "lines": lines, "link": link}
    for person in recipients:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        notification_enqueue(
            continuum=continuum,
            kind=CREDENTIAL_UPDATES.key,
            dedupe_key=f"{key}:{person.pk}"[:255],
            subject=subject,
            template="credential_update",
            context=context,
            recipient=person,
        )
        sent += 1
    if to_email:
        notification_enqueue(
            continuum=continuum,
            kind=CREDENTIAL_UPDATES.key,
            dedupe_key=f"{key}:{to_email}"[:255],
            subject=subject,
            template="credential_update",
            context=context,
            to_email=to_email,
        )
        sent += 1
    return sent


def absolute_url_for(name: str, continuum) -> str:
    return absolute_url(reverse(name, args=[continuum.slug]))
