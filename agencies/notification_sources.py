"""Reminder sources about agencies and their people (see hmis_onboarding/reminders.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.models import User
from hmis_onboarding.notifications import (
    NotificationKind,
    notification_settings_for,
    register_notification_kind,
)
from hmis_onboarding.permissions import AGENCY_ROLES, Role
from hmis_onboarding.reminders import ReminderItem, register_reminder_source

from .models import Agency, Agreement, AgreementStatus, Membership

AGENCY_WITHOUT_ATA = register_notification_kind(
    NotificationKind(
        key="agency_without_ata",
        label="Agencies without an Agency Technical Administrator",
        description="HMIS-participating agencies that nobody can submit access requests for.",
        audience=frozenset({Role.HELP_DESK, Role.COC_ADMIN}),
    )
)
MEMBER_NEVER_SIGNED_IN = register_notification_kind(
    NotificationKind(
        key="member_never_signed_in",
        label="People in my agency who have not signed in yet",
        description="Colleagues added to your agency some business days ago who have never signed in.",
        audience=frozenset({Role.ATA}),
    )
)


def _members(continuum: Any, roles: set[str], agency_ids: Any = None) -> Any:
    qs = Membership.objects.filter(
        continuum=continuum, is_active=True, role__in=list(roles), user__is_active=True
    )
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    return qs.select_related("user")


@register_reminder_source("agencies_without_ata")
def agencies_without_ata(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    """Every HMIS-participating agency needs an ATA: only an ATA can request access for its staff."""
    has_ata = Membership.objects.filter(
        agency=OuterRef("pk"), role=Role.ATA, is_active=True, user__is_active=True
    )
    agencies = list(
        Agency.objects.filter(continuum=continuum, hmis_participating=True)
        .exclude(Exists(has_ata))
        .order_by("name")
    )
    if not agencies:
        return
    recipients = {m.user_id: m.user for m in _members(continuum, {Role.HELP_DESK, Role.COC_ADMIN})}
    for agency in agencies:
        for user in recipients.values():
            yield ReminderItem(
                recipient=user,
                kind=AGENCY_WITHOUT_ATA.key,
                key=f"agency:{agency.pk}",
                text=f"{agency.name} has no Agency Technical Administrator, so nobody can request HMIS "
                "access for its staff.",
                url=reverse("agency_detail", args=[continuum.slug, agency.pk]),
                about=agency.name,
            )


@register_reminder_source("members_never_signed_in")
def members_never_signed_in(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    """People added to an agency who have not signed in after the CoC's grace period: their ATAs
    are the ones who can chase them."""
    cfg = notification_settings_for(continuum)
    cal = calendar_for(continuum)
    waiting: dict[int, dict[int, Any]] = defaultdict(dict)  # agency → user → joined
    for m in _members(continuum, set(AGENCY_ROLES)).filter(user__last_login__isnull=True):
        joined = cal.local_date(m.created_at)
        if cal.business_days_between(joined, today) < cfg.setup_grace_business_days:
            continue
        previous = waiting[m.agency_id].get(m.user_id)
        waiting[m.agency_id][m.user_id] = min(previous, joined) if previous else joined
    if not waiting:
        return
    atas: dict[int, list[User]] = defaultdict(list)
    for m in _members(continuum, {Role.ATA}, agency_ids=list(waiting)):
        atas[m.agency_id].append(m.user)
    people = {u.pk: u for u in User.objects.filter(pk__in={uid for d in waiting.values() for uid in d})}
    for agency_id, joined_by_user in sorted(waiting.items()):
        url = reverse("agency_detail", args=[continuum.slug, agency_id])
        for user_id, joined in sorted(joined_by_user.items()):
            person = people[user_id]
            for ata in atas.get(agency_id, []):
                if ata.pk == user_id:
                    continue
                yield ReminderItem(
                    recipient=ata,
                    kind=MEMBER_NEVER_SIGNED_IN.key,
                    key=f"user:{user_id}:agency:{agency_id}",
                    text=f"{person.get_full_name()} has not signed in since being added on {joined:%b} "
                    f"{joined.day}, {joined.year}. Check that they can reach their account.",
                    url=url,
                    person=person,
                )


AGREEMENT_EXPIRING = register_notification_kind(
    NotificationKind(
        key="agreement_expiring",
        label="Agency agreements expiring",
        description="Your agency's agreements that must be renewed before they expire (from a week "
        "before); CoC administrators hear about the ones that lapsed.",
        audience=frozenset({Role.EXECUTIVE_DIRECTOR, Role.ATA, Role.COC_ADMIN}),
    )
)
# How long after an agreement lapsed, with no newer one in force, reminders still go out about it.
LAPSED_REMINDER_DAYS = 30


@register_reminder_source("agreements_expiring")
def agreements_expiring_soon(continuum: Any, today: dt.date) -> Iterator[ReminderItem]:
    """Agreements about to expire (due on their expiry date) to the agency's executive directors
    and ATAs; ones that lapsed recently without a newer agreement of the same type in force are
    overdue and, after the escalation delay, go to the CoC's administrators too."""
    from .services import agreements_expiring

    expiring = list(agreements_expiring(continuum=continuum, on=today))
    in_force = Agreement.objects.filter(
        agency=OuterRef("agency"), agreement_type=OuterRef("agreement_type"), status=AgreementStatus.EXECUTED
    )
    lapsed = list(
        Agreement.objects.filter(
            continuum=continuum,
            status__in=[AgreementStatus.EXECUTED, AgreementStatus.EXPIRED],
            expires_on__lt=today,
            expires_on__gte=today - dt.timedelta(days=LAPSED_REMINDER_DAYS),
        )
        .exclude(Exists(in_force.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))))
        .select_related("agency", "agreement_type")
        .order_by("expires_on", "pk")
    )
    agreements = expiring + lapsed
    if not agreements:
        return
    signers: dict[int, dict[int, User]] = defaultdict(dict)
    for m in _members(
        continuum, {Role.EXECUTIVE_DIRECTOR, Role.ATA}, agency_ids={a.agency_id for a in agreements}
    ).order_by("user_id"):
        signers[m.agency_id][m.user_id] = m.user
    admins = tuple(m.user for m in _members(continuum, {Role.COC_ADMIN}).order_by("user_id"))
    for agreement in agreements:
        expires = agreement.expires_on
        name = agreement.agreement_type.name
        agency = agreement.agency
        text = (
            f"{agency.name}'s {name} expires on {expires:%B} {expires.day}, {expires.year}. Renew it so the "
            "agency keeps requesting HMIS access."
        )
        for person in signers.get(agency.pk, {}).values():
            yield ReminderItem(
                recipient=person,
                kind=AGREEMENT_EXPIRING.key,
                key=f"agreement:{agreement.pk}",
                text=text,
                url=reverse("agency_detail", args=[continuum.slug, agency.pk]),
                about=agency.name,
                due_date=expires,
                escalate_to=admins,
                escalation_text=(
                    f"{agency.name}'s {name} expired on {expires:%B} {expires.day}, {expires.year} and "
                    "has not been renewed: the agency cannot request HMIS access."
                ),
            )
