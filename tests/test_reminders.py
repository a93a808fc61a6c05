"""Reminders and daily digests, with time travel: the hour in each CoC's time zone, business days
only, one digest per person per day grouped by person, offsets, escalation and preferences."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from agencies.models import Membership
from hmis_onboarding import reminders
from hmis_onboarding.models import (
    ContinuumHoliday,
    ContinuumNotificationSettings,
    Notification,
    NotificationPreference,
)
from hmis_onboarding.notifications import (
    NotificationKind,
    notification_preferences_update,
    register_notification_kind,
)
from hmis_onboarding.permissions import Role
from hmis_onboarding.reminders import (
    URGENT,
    ReminderItem,
    register_reminder_source,
    reminders_due,
    reminders_run,
)

from .factories import AgencyFactory, MembershipFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
# The tenants are created on Wednesday 25 February 2026 at 10:00 in Chicago; with the default grace
# of 3 business days, people who never signed in show up from Monday 2 March.
CREATED = dt.datetime(2026, 2, 25, 10, 0, tzinfo=CHICAGO)
MONDAY = dt.date(2026, 3, 2)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, request):
    """The two test tenants, created while the clock stands at CREATED."""
    return request.getfixturevalue("tenants")


def at(day: dt.date, hour: int, minute: int = 0, tz: zoneinfo.ZoneInfo = CHICAGO) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def run_at(clock, moment: dt.datetime) -> list[tuple[int, dt.date]]:
    """What the beat would do at `moment`: find due CoCs and run each (the tasks, inline)."""
    clock.move_to(moment)
    due = reminders_due()
    for continuum_id, day in due:
        reminders_run(continuum_id=continuum_id, day=day)
    return due


def digests(user, day: dt.date | None = None):
    qs = Notification.objects.filter(kind="digest", recipient=user)
    if day is not None:
        qs = qs.filter(dedupe_key__endswith=day.isoformat())
    return qs


def immediate(user, kind: str | None = None):
    qs = Notification.objects.filter(recipient=user).exclude(kind="digest")
    return qs.filter(kind=kind) if kind else qs


def test_it_sends_exactly_one_digest_per_ata_per_business_day(world, clock):
    tenant_a, tenant_b = world
    ata = tenant_a["ata"]
    assert run_at(clock, at(MONDAY, 7, 59)) == []
    due = run_at(clock, at(MONDAY, 8, 0))
    assert {c for c, _ in due} == {tenant_a.continuum.pk, tenant_b.continuum.pk}
    assert digests(ata).count() == 1

    # The beat comes by again, and even a forced re-run of the day changes nothing.
    assert run_at(clock, at(MONDAY, 8, 5)) == []
    assert reminders_run(continuum_id=tenant_a.continuum.pk, day=MONDAY) is None
    ContinuumNotificationSettings.objects.update(last_run_on=None)
    result = reminders_run(continuum_id=tenant_a.continuum.pk, day=MONDAY)
    assert result is not None and result.digests == 0
    assert digests(ata).count() == 1

    # The next business day brings the next digest; the ATA of an agency with nobody waiting gets none.
    run_at(clock, at(MONDAY + dt.timedelta(days=1), 8, 0))
    assert digests(ata).count() == 2
    assert digests(tenant_a["other_ata"]).count() == 0
    # An ATA of the other CoC has their own digest, about their own people.
    assert digests(tenant_b["ata"], MONDAY).count() == 1
    assert "beta" not in digests(ata, MONDAY).get().body_text


def test_it_groups_the_digest_by_person_with_links(world, clock):
    tenant_a, _ = world
    run_at(clock, at(MONDAY, 8, 0))
    digest = digests(tenant_a["ata"], MONDAY).get()
    waiting = [tenant_a[r] for r in ("agency_supervisor", "agency_user", "executive_director")]
    assert digest.subject.startswith("Alpha: 3 items need your attention")
    for person in waiting:
        assert f"== {person.get_full_name()} <{person.email}> ==" in digest.body_text
        assert (
            f"{person.get_full_name()} has not signed in since being added on Feb 25, 2026"
            in digest.body_text
        )
    assert tenant_a["ata"].get_full_name() not in digest.body_text.split("==", 1)[1]
    link = f"http://localhost:8000/alpha/agencies/{tenant_a.agency.pk}/"
    assert digest.body_text.count(link) == 3 and link in digest.body_html
    assert digest.to_email == tenant_a["ata"].email
    assert "/alpha/notifications/" in digest.body_text


def test_it_sends_nothing_on_weekends_and_holidays(world, clock):
    tenant_a, tenant_b = world
    saturday, sunday = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
    assert run_at(clock, at(saturday, 9, 0)) == []
    assert run_at(clock, at(sunday, 23, 0)) == []
    tuesday = MONDAY + dt.timedelta(days=1)
    ContinuumHoliday.objects.create(continuum=tenant_a.continuum, date=tuesday, name="Pulaski Day")
    due = run_at(clock, at(tuesday, 9, 0))
    assert due == [(tenant_b.continuum.pk, tuesday)]
    assert digests(tenant_a["ata"]).count() == 0
    assert digests(tenant_b["ata"]).count() == 1


def test_it_sends_at_the_configured_hour_in_each_cocs_time_zone(world, clock):
    tenant_a, tenant_b = world
    tenant_b.continuum.timezone = "America/Los_Angeles"
    tenant_b.continuum.save(update_fields=["timezone"])
    ContinuumNotificationSettings.objects.create(continuum=tenant_a.continuum, digest_hour=7)
    # 07:00 in Chicago is 13:00 UTC; 08:00 in Los Angeles is 16:00 UTC.
    assert run_at(clock, at(MONDAY, 12, 59, dt.UTC)) == []
    assert run_at(clock, at(MONDAY, 13, 0, dt.UTC)) == [(tenant_a.continuum.pk, MONDAY)]
    assert run_at(clock, at(MONDAY, 15, 59, dt.UTC)) == []
    assert run_at(clock, at(MONDAY, 16, 0, dt.UTC)) == [(tenant_b.continuum.pk, MONDAY)]
    assert digests(tenant_a["ata"]).get().created_at == at(MONDAY, 7, 0)
    assert digests(tenant_b["ata"]).get().created_at == at(MONDAY, 8, 0, LOS_ANGELES)
    # Late in the Los Angeles evening it is already Tuesday in UTC: still Monday's run, done.
    assert run_at(clock, at(MONDAY, 23, 30, LOS_ANGELES)) == []


def test_it_respects_the_choice_of_immediate_e_mails(world, clock):
    tenant_a, _ = world
    ata = tenant_a["ata"]
    notification_preferences_update(
        continuum=tenant_a.continuum, user=ata, choices={"member_never_signed_in": "immediate"}
    )
    run_at(clock, at(MONDAY, 8, 0))
    assert immediate(ata, "member_never_signed_in").count() == 3
    assert digests(ata).count() == 0  # nothing left for a digest
    run_at(clock, at(MONDAY + dt.timedelta(days=1), 8, 0))
    assert immediate(ata, "member_never_signed_in").count() == 3  # once per item, not daily
    reminder = immediate(ata).first()
    assert "has not signed in" in reminder.subject and reminder.body_html


def test_it_never_lets_security_notices_be_turned_off(world):
    tenant_a, _ = world
    with pytest.raises(ValidationError):
        notification_preferences_update(
            continuum=tenant_a.continuum, user=tenant_a["help_desk"], choices={"security.mfa_setup": "digest"}
        )
    assert not NotificationPreference.objects.exists()


def test_it_reminds_on_offset_days_and_escalates_an_overdue_security_notice(world, clock):
    """A new Help Desk member without two-factor authentication: due 5 business days after joining,
    reminders 3 and 1 business days before, on the day, once overdue, then escalated to the CoC
    administrators after 2 more business days — each e-mail once, never on a weekend."""
    tenant_a, _ = world
    ContinuumNotificationSettings.objects.create(
        continuum=tenant_a.continuum,
        reminder_offsets="3, 1",
        setup_grace_business_days=5,
        escalation_delay_business_days=2,
    )
    newcomer = UserFactory(email="new.helpdesk@example.org", full_name="Nia Newcomer")  # no TOTP
    MembershipFactory(user=newcomer, continuum=tenant_a.continuum, role=Role.HELP_DESK)
    admin = tenant_a["coc_admin"]
    # Joined Wednesday 25 Feb → due Wednesday 4 March.
    expected = {
        dt.date(2026, 2, 26): set(),  # 4 business days left: not yet shown
        dt.date(2026, 2, 27): {"due-in-3"},
        dt.date(2026, 3, 2): {"due-in-3"},  # 2 left: in the digest only
        dt.date(2026, 3, 3): {"due-in-3", "due-in-1"},
        dt.date(2026, 3, 4): {"due-in-3", "due-in-1", "due-today"},
        dt.date(2026, 3, 5): {"due-in-3", "due-in-1", "due-today", "overdue"},
        dt.date(2026, 3, 6): {"due-in-3", "due-in-1", "due-today", "overdue"},
        dt.date(2026, 3, 9): {"due-in-3", "due-in-1", "due-today", "overdue"},
    }
    for day, stages in expected.items():
        run_at(clock, at(day, 8, 0))
        sent = {n.dedupe_key.rsplit(":", 1)[1] for n in immediate(newcomer, "security.mfa_setup")}
        assert sent == stages, day
        escalations = immediate(admin, "security.mfa_setup")
        assert escalations.count() == (1 if day >= dt.date(2026, 3, 6) else 0), day
    assert run_at(clock, at(dt.date(2026, 3, 7), 8, 0)) == []  # Saturday
    escalation = immediate(admin, "security.mfa_setup").get()
    assert "Nia Newcomer has not set up two-factor authentication (due Mar 4)" in escalation.body_text
    assert escalation.subject.startswith("Alpha: Nia Newcomer")
    # Security notices are also listed in the daily digest, and the digest shows them urgent.
    assert (
        "URGENT: Set up two-factor authentication" in digests(newcomer, dt.date(2026, 3, 5)).get().body_text
    )
    assert "Nia Newcomer" in digests(admin, dt.date(2026, 3, 6)).get().body_text
    assert digests(newcomer, dt.date(2026, 2, 26)).count() == 0
    # Set up, the reminders stop.
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(newcomer, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    run_at(clock, at(dt.date(2026, 3, 10), 8, 0))
    assert digests(newcomer, dt.date(2026, 3, 10)).count() == 0


def test_it_tells_help_desk_and_administrators_about_agencies_without_an_ata(world, clock):
    tenant_a, _ = world
    orphan = AgencyFactory(continuum=tenant_a.continuum, name="Southside Youth Shelter")
    AgencyFactory(continuum=tenant_a.continuum, name="Not In HMIS", hmis_participating=False)
    departed = AgencyFactory(continuum=tenant_a.continuum, name="Westside Drop-in")
    MembershipFactory(
        user=UserFactory(), continuum=tenant_a.continuum, agency=departed, role=Role.ATA, is_active=False
    )
    run_at(clock, at(MONDAY, 8, 0))
    for role in ("help_desk", "coc_admin"):
        body = digests(tenant_a[role], MONDAY).get().body_text
        assert "Southside Youth Shelter has no Agency Technical Administrator" in body
        assert "Westside Drop-in has no Agency Technical Administrator" in body
        assert "Not In HMIS" not in body
        assert f"/alpha/agencies/{orphan.pk}/" in body
    assert "Southside" not in digests(tenant_a["ata"], MONDAY).get().body_text
    assert digests(tenant_a["auditor"], MONDAY).count() == 0
    # Once the agency has an ATA the item is gone the next day.
    MembershipFactory(user=UserFactory(), continuum=tenant_a.continuum, agency=orphan, role=Role.ATA)
    run_at(clock, at(MONDAY + dt.timedelta(days=1), 8, 0))
    body = digests(tenant_a["help_desk"], MONDAY + dt.timedelta(days=1)).get().body_text
    assert "Southside" not in body and "Westside Drop-in" in body


def test_it_leaves_out_people_who_signed_in_or_left(world, clock):
    tenant_a, _ = world
    tenant_a["agency_user"].last_login = CREATED
    tenant_a["agency_user"].save(update_fields=["last_login"])
    Membership.objects.filter(user=tenant_a["executive_director"]).update(is_active=False)
    run_at(clock, at(MONDAY, 8, 0))
    body = digests(tenant_a["ata"], MONDAY).get().body_text
    assert tenant_a["agency_supervisor"].get_full_name() in body
    assert tenant_a["agency_user"].get_full_name() not in body
    assert tenant_a["executive_director"].get_full_name() not in body


@pytest.fixture
def training_deadline_source(world):
    """A plug-in, as the training app will register: a course due date for an agency user, sent to
    their ATA and escalated to the supervisor."""
    tenant_a, _ = world
    kind = register_notification_kind(
        NotificationKind(
            key="test.course_due", label="Course deadlines", description="", audience=frozenset({"ata"})
        )
    )

    def source(continuum, today):
        if continuum != tenant_a.continuum:
            return
        trainee = tenant_a["agency_user"]
        yield ReminderItem(
            recipient=tenant_a["ata"],
            kind=kind.key,
            key=f"course:1:user:{trainee.pk}",
            text="Complete “HMIS Access Process” in the LMS.",
            url="/alpha/",
            person=trainee,
            due_date=dt.date(2026, 3, 4),
            escalate_to=(tenant_a["agency_supervisor"],),
        )
        yield ReminderItem(
            recipient=tenant_a["ata"],
            kind=kind.key,
            key="urgent:1",
            text="Sample client seat expires.",
            person=trainee,
            urgency=URGENT,
        )

    saved = dict(reminders._SOURCES)
    register_reminder_source("test_training", source)
    yield
    reminders._SOURCES.clear()
    reminders._SOURCES.update(saved)


def test_it_takes_items_from_plugged_in_sources_urgent_first(world, clock, training_deadline_source):
    tenant_a, _ = world
    run_at(clock, at(MONDAY, 8, 0))
    body = digests(tenant_a["ata"], MONDAY).get().body_text
    trainee = tenant_a["agency_user"].get_full_name()
    # The trainee's group holds all three of their items, urgent first, then by due date.
    section = body.split(f"== {trainee} <{tenant_a['agency_user'].email}> ==")[1].split("\n== ")[0]
    assert section.index("URGENT: Sample client seat expires.") < section.index(
        "Complete “HMIS Access Process”"
    )
    assert section.index("Complete “HMIS Access Process”") < section.index("has not signed in")
    assert "Due Wednesday, March 4" in section
    # The urgent item also went out on its own, once.
    assert immediate(tenant_a["ata"], "test.course_due").count() == 1
    # Overdue by 2 business days on Friday 6 March: the supervisor hears about it.
    run_at(clock, at(dt.date(2026, 3, 6), 8, 0))
    escalation = immediate(tenant_a["agency_supervisor"], "test.course_due").get()
    assert "Overdue since Mar 4: Complete “HMIS Access Process”" in escalation.body_text


def test_it_keeps_going_when_a_source_breaks(world, clock):
    tenant_a, _ = world
    saved = dict(reminders._SOURCES)

    def broken(continuum, today):
        raise RuntimeError("the LMS is down")
        yield  # pragma: no cover

    reminders._SOURCES = {"broken": broken, **saved}
    try:
        run_at(clock, at(MONDAY, 8, 0))
    finally:
        reminders._SOURCES = saved
    assert digests(tenant_a["ata"], MONDAY).count() == 1


def test_it_writes_the_days_e_mails_in_a_few_queries_however_many_recipients(world, clock):
    """One digest (or reminder) per person is written in batches, not one round trip each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tenant_a, tenant_b = world

    def agency_with_a_newcomer(n: int) -> None:
        agency = AgencyFactory(continuum=tenant_a.continuum, name=f"Agency {n}")
        ata = MembershipFactory(continuum=tenant_a.continuum, agency=agency, role=Role.ATA).user
        ata.last_login = CREATED
        ata.save(update_fields=["last_login"])
        if n % 2:  # some want each item on its own
            notification_preferences_update(
                continuum=tenant_a.continuum, user=ata, choices={"member_never_signed_in": "immediate"}
            )
        MembershipFactory(continuum=tenant_a.continuum, agency=agency, role=Role.AGENCY_USER)

    agency_with_a_newcomer(0)
    clock.move_to(at(MONDAY, 8, 0))
    with CaptureQueriesContext(connection) as few:
        reminders_run(continuum_id=tenant_a.continuum.pk, day=MONDAY)
    clock.move_to(CREATED)
    for n in range(1, 9):
        agency_with_a_newcomer(n)
    tuesday = MONDAY + dt.timedelta(days=1)
    clock.move_to(at(tuesday, 8, 0))
    with CaptureQueriesContext(connection) as many:
        result = reminders_run(continuum_id=tenant_a.continuum.pk, day=tuesday)
    # Everyone's digest of the day; each item on its own once (Monday's already went out).
    assert result.immediate == 4
    newcomer_atas = Membership.objects.filter(agency__name__startswith="Agency ", role=Role.ATA)
    for membership in newcomer_atas:
        sent = Notification.objects.filter(recipient=membership.user)
        if membership.agency.name in ("Agency 1", "Agency 3", "Agency 5", "Agency 7"):
            assert sent.filter(kind="member_never_signed_in").count() == 1
        else:
            assert digests(membership.user, tuesday).count() == 1
    assert len(many) <= len(few), "\n".join(q["sql"] for q in many.captured_queries)
