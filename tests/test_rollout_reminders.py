"""Reminder rules of rollout plans, access requests and agreements, with time travel: offsets before
a due date, the due day, overdue, escalation after the CoC's delay, and one digest per ATA grouped
by what each item is about."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from access_requests.models import AccessRequest, RequestedPerson, RequestStatus, RequestType
from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.models import Notification

from .agencies.helpers import make_agreement, make_type, make_version
from .rollout_helpers import complete, make_obligation, make_plan
from .test_reminders import CREATED, MONDAY, at, digests, immediate, run_at

pytestmark = pytest.mark.django_db

DEADLINE = "rollout_deadline"


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, request):
    return request.getfixturevalue("tenants")


def bday(continuum, start: dt.date, n: int) -> dt.date:
    return calendar_for(continuum).add_business_days(start, n)


def kinds_in(notification: Notification) -> str:
    return notification.body_text


# --- Rollout deadlines --------------------------------------------------------------------------------


@pytest.fixture
def obligation(world):
    tenant_a, _ = world
    plan = make_plan(tenant_a.continuum)
    # Seven business days after Monday 2 March: Wednesday 11 March.
    return make_obligation(
        plan, due_on=bday(tenant_a.continuum, MONDAY, 7), available_from=dt.date(2026, 2, 20)
    )


def test_it_reminds_each_ata_from_the_largest_offset_before_a_rollout_deadline(world, clock, obligation):
    tenant_a, tenant_b = world
    ata = tenant_a["ata"]
    run_at(clock, at(MONDAY - dt.timedelta(days=3), 8))  # Friday: 8 business days ahead, nothing yet
    assert "HMIS Access Process" not in (digests(ata).first().body_text if digests(ata).exists() else "")
    run_at(clock, at(MONDAY, 8))
    body = digests(ata, MONDAY).get().body_text
    assert "Attend a live ATA training or complete the LMS course" in body
    assert "by March 11, 2026" in body and "Subject to removal of access if not completed" in body
    # Every ATA of the CoC, in any agency, is reminded; nobody in the other CoC is.
    assert "HMIS Access Process" in digests(tenant_a["other_ata"], MONDAY).get().body_text
    assert not digests(tenant_b["ata"], MONDAY).filter(body_text__contains="HMIS Access Process").exists()
    # Digest-only on offset days: the ATA gets no separate e-mail until the deadline is near.
    assert not immediate(ata, DEADLINE).exists()


def test_it_sends_the_deadline_day_and_overdue_reminders_and_escalates_to_coc_admins(
    world, clock, obligation
):
    tenant_a, _ = world
    ata, admin = tenant_a["ata"], tenant_a["coc_admin"]
    due = obligation.due_on
    run_at(clock, at(due, 8))
    assert immediate(ata, DEADLINE).count() == 1  # due today is urgent: its own e-mail
    run_at(clock, at(bday(tenant_a.continuum, due, 1), 8))
    assert immediate(ata, DEADLINE).count() == 2  # overdue, once
    assert not immediate(admin, DEADLINE).exists()
    escalation_day = bday(tenant_a.continuum, due, 2)
    run_at(clock, at(escalation_day, 8))
    to_admin = immediate(admin, DEADLINE)
    assert to_admin.count() == 2  # one per ATA who missed it
    text = "\n".join(n.body_text for n in to_admin)
    assert f"{ata.get_full_name()} (Alpha Family Services) has not completed" in text
    assert "subject to removal of access" in text
    assert f"/alpha/rollout/{obligation.plan_id}/" in text
    # The next day brings no new escalation e-mail (once per stage).
    run_at(clock, at(bday(tenant_a.continuum, escalation_day, 1), 8))
    assert immediate(admin, DEADLINE).count() == 2


def test_it_stops_reminding_an_ata_once_staff_recorded_the_completion(world, clock, obligation):
    tenant_a, _ = world
    complete(obligation, tenant_a["ata"], tenant_a["help_desk"], on=dt.date(2026, 2, 24))
    run_at(clock, at(obligation.due_on, 8))
    assert not immediate(tenant_a["ata"], DEADLINE).exists()
    assert immediate(tenant_a["other_ata"], DEADLINE).count() == 1


def test_it_sends_nothing_for_inactive_plans_or_obligations_not_yet_available(world, clock, obligation):
    tenant_a, _ = world
    later = make_obligation(
        obligation.plan,
        title="Complete the refresher course",
        due_on=bday(tenant_a.continuum, MONDAY, 3),
        available_from=MONDAY + dt.timedelta(days=1),
    )
    run_at(clock, at(MONDAY, 8))
    assert "refresher" not in digests(tenant_a["ata"], MONDAY).get().body_text
    obligation.plan.is_active = False
    obligation.plan.save()
    run_at(clock, at(later.due_on, 8))
    assert not immediate(tenant_a["ata"], DEADLINE).exists()


# --- Access requests waiting for the ATA ----------------------------------------------------------


def make_request(tenant, *, status: str, queue: str = "help_desk", **fields) -> AccessRequest:
    rtype, _ = RequestType.objects.get_or_create(
        continuum=tenant.continuum,
        code=f"new-users-{queue}",
        defaults={
            "name": "New users",
            "short_name": "New users",
            "description": "-",
            "eligibility": "new_or_lapsed",
            "queue": queue,
        },
    )
    req = AccessRequest.objects.create(
        continuum=tenant.continuum,
        agency=tenant.agency,
        request_type=rtype,
        queue=queue,
        status=status,
        created_by=tenant["ata"],
        submitted_by=tenant["ata"],
        submitted_at=timezone.now(),
        **fields,
    )
    RequestedPerson.objects.create(
        continuum=tenant.continuum, access_request=req, first_name="Ana", last_name="Lopez", email="ana@x.org"
    )
    return req


WAITING = "access_request_waiting"


def test_it_reminds_the_ata_of_an_unanswered_question_and_escalates_to_the_supervisor(world, clock):
    tenant_a, _ = world
    ata, supervisor = tenant_a["ata"], tenant_a["agency_supervisor"]
    # Asked on Wednesday 25 February; the ATA has the SLA's 3 business days: due Monday 2 March.
    req = make_request(tenant_a, status=RequestStatus.INFO_REQUESTED, sla_paused_since=timezone.now())
    run_at(clock, at(dt.date(2026, 2, 26), 8))
    body = digests(ata, dt.date(2026, 2, 26)).get().body_text
    assert (
        f"Request #{req.pk} (New users, Alpha Family Services): the reviewers asked a question on Feb 25"
        in body
    )
    assert f"/alpha/requests/{req.pk}/" in body
    assert not digests(tenant_a["other_ata"], dt.date(2026, 2, 26)).exists()
    run_at(clock, at(MONDAY, 8))
    assert immediate(ata, WAITING).count() == 1  # due today
    run_at(clock, at(dt.date(2026, 3, 3), 8))
    assert not immediate(supervisor, WAITING).exists()
    run_at(clock, at(dt.date(2026, 3, 4), 8))  # two business days overdue
    escalation = immediate(supervisor, WAITING).get()
    assert f"{ata.get_full_name()} has not acted on request #{req.pk}" in escalation.body_text


def test_it_reminds_the_ata_of_a_returned_request_until_it_is_refiled(world, clock):
    tenant_a, _ = world
    ata = tenant_a["ata"]
    returned = make_request(tenant_a, status=RequestStatus.RETURNED, decided_at=timezone.now())
    refiled = make_request(tenant_a, status=RequestStatus.RETURNED, decided_at=timezone.now())
    make_request(tenant_a, status=RequestStatus.SUBMITTED, resubmission_of=refiled)
    run_at(clock, at(dt.date(2026, 2, 26), 8))
    body = digests(ata, dt.date(2026, 2, 26)).get().body_text
    assert f"Request #{returned.pk} (New users, Alpha Family Services) was returned on Feb 25" in body
    assert f"Request #{refiled.pk} " not in body


def test_it_reminds_the_agency_atas_when_the_filer_is_no_longer_an_ata(world, clock):
    tenant_a, _ = world
    from agencies.models import Membership

    from .factories import UserFactory

    second = UserFactory(email="alpha.second-ata@example.org")
    Membership.objects.create(continuum=tenant_a.continuum, agency=tenant_a.agency, role="ata", user=second)
    req = make_request(tenant_a, status=RequestStatus.INFO_REQUESTED, sla_paused_since=timezone.now())
    Membership.objects.filter(user=tenant_a["ata"], role="ata").update(is_active=False)
    run_at(clock, at(dt.date(2026, 2, 26), 8))
    assert f"Request #{req.pk}" in digests(second, dt.date(2026, 2, 26)).get().body_text


# --- SLA due today / breached ---------------------------------------------------------------------

SLA = "access_request_sla"


def test_it_tells_the_reviewing_team_of_requests_due_today_and_escalates_breaches(world, clock):
    tenant_a, _ = world
    help_desk, ce_team, admin = tenant_a["help_desk"], tenant_a["ce_team"], tenant_a["coc_admin"]
    hd = make_request(tenant_a, status=RequestStatus.SUBMITTED, sla_due_on=MONDAY)
    ce = make_request(tenant_a, status=RequestStatus.IN_REVIEW, queue="ce_team", sla_due_on=MONDAY)
    make_request(tenant_a, status=RequestStatus.SUBMITTED, sla_due_on=dt.date(2026, 3, 3))
    run_at(clock, at(dt.date(2026, 2, 27), 8))  # not due yet: the queue shows it, no reminder
    assert not immediate(help_desk, SLA).exists()
    run_at(clock, at(MONDAY, 8))
    assert [f"Request #{hd.pk} " in n.body_text for n in immediate(help_desk, SLA)] == [True]
    assert [f"Request #{ce.pk} " in n.body_text for n in immediate(ce_team, SLA)] == [True]
    assert not immediate(admin, SLA).exists()
    run_at(clock, at(dt.date(2026, 3, 4), 8))
    escalations = [n.body_text for n in immediate(admin, SLA)]
    assert any(
        f"Request #{hd.pk} (New users, Alpha Family Services) is past its deadline" in t for t in escalations
    )
    assert any("Coordinated Entry team queue, unclaimed" in t for t in escalations)


def test_it_reminds_only_the_assigned_reviewer(world, clock):
    tenant_a, _ = world
    from agencies.models import Membership

    from .factories import UserFactory

    colleague = UserFactory(email="alpha.help-desk-2@example.org", totp=True)
    Membership.objects.create(continuum=tenant_a.continuum, role="help_desk", user=colleague)
    make_request(tenant_a, status=RequestStatus.IN_REVIEW, sla_due_on=MONDAY, assignee=tenant_a["help_desk"])
    run_at(clock, at(MONDAY, 8))
    assert immediate(tenant_a["help_desk"], SLA).count() == 1
    assert not immediate(colleague, SLA).exists()


def test_it_sends_nothing_about_paused_or_decided_requests(world, clock):
    tenant_a, _ = world
    make_request(tenant_a, status=RequestStatus.INFO_REQUESTED, sla_due_on=MONDAY)
    make_request(tenant_a, status=RequestStatus.APPROVED, sla_due_on=MONDAY)
    run_at(clock, at(MONDAY, 8))
    assert not Notification.objects.filter(kind=SLA).exists()


# --- Agreements expiring --------------------------------------------------------------------------

EXPIRING = "agreement_expiring"


def test_it_reminds_the_director_and_atas_of_an_expiring_agreement_and_escalates_once_it_lapsed(world, clock):
    tenant_a, _ = world
    director, ata, admin = tenant_a["executive_director"], tenant_a["ata"], tenant_a["coc_admin"]
    apa = make_type(tenant_a.continuum)
    make_version(apa)
    # Expires Wednesday 11 March: 7 business days after Monday 2 March, 9 after Thursday 26 February.
    agreement = make_agreement(tenant_a.agency, apa, submitted_by=director, expires_in_days=14)
    run_at(clock, at(dt.date(2026, 2, 26), 8))  # 8 business days ahead: not yet
    assert not digests(director).exists()
    run_at(clock, at(MONDAY, 8))
    for person in (director, ata):
        assert "Alpha Family Services's Agency Participation Agreement expires on March 11, 2026" in (
            digests(person, MONDAY).get().body_text
        )
    assert not digests(tenant_a["other_ata"], MONDAY).filter(body_text__contains="Participation").exists()
    run_at(clock, at(dt.date(2026, 3, 11), 8))
    assert immediate(director, EXPIRING).count() == 1
    # It lapsed (the expiry sweep marks it expired); after the escalation delay CoC admins hear of it.
    agreement.status = "expired"
    agreement.save(update_fields=["status"])
    run_at(clock, at(dt.date(2026, 3, 13), 8))
    assert "has not been renewed" in immediate(admin, EXPIRING).get().body_text


def test_it_stops_once_a_renewed_agreement_is_in_force(world, clock):
    tenant_a, _ = world
    director = tenant_a["executive_director"]
    apa = make_type(tenant_a.continuum)
    make_version(apa)
    old = make_agreement(tenant_a.agency, apa, submitted_by=director, expires_in_days=-3)
    old.status = "expired"
    old.save(update_fields=["status"])
    make_agreement(tenant_a.agency, apa, submitted_by=director, executed_days_ago=1)
    run_at(clock, at(MONDAY, 8))
    assert not Notification.objects.filter(kind=EXPIRING).exists()


# --- One digest, grouped --------------------------------------------------------------------------


def test_it_groups_everything_for_an_ata_into_one_digest_by_subject(world, clock, obligation):
    tenant_a, _ = world
    ata = tenant_a["ata"]
    apa = make_type(tenant_a.continuum)
    make_version(apa)
    make_agreement(tenant_a.agency, apa, submitted_by=tenant_a["executive_director"], expires_in_days=12)
    make_request(tenant_a, status=RequestStatus.RETURNED, decided_at=timezone.now())
    run_at(clock, at(MONDAY, 8))
    digest = digests(ata, MONDAY).get()
    body = digest.body_text
    # Rollout deadline under its plan; the agreement and the request under the agency; people who
    # never signed in under each person (the kernel's own source).
    assert "== 2026 HMIS Access Request Process ==" in body
    assert "== Alpha Family Services ==" in body
    agency_group = body.split("== Alpha Family Services ==", 1)[1].split("\n== ", 1)[0]
    assert "Agency Participation Agreement expires" in agency_group and "was returned on" in agency_group
    supervisor = tenant_a["agency_supervisor"]
    assert f"== {supervisor.get_full_name()} <{supervisor.email}> ==" in body
    assert body.count("== 2026 HMIS Access Request Process ==") == 1
    assert Notification.objects.filter(kind="digest", recipient=ata).count() == 1
