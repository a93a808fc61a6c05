"""Reminders about trainees who stalled and sample clients whose corrections were never resubmitted
(issue 7 item 2), with time travel: in the ATA's digest grouped by person, immediate e-mails sent once,
escalation to the agency's supervisors after the CoC's delay, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Membership
from hmis_onboarding.models import Notification
from hmis_onboarding.notifications import notification_preferences_update
from hmis_onboarding.reminders import reminders_due, reminders_run
from training.models import LearningPath, TrainingPolicy
from training.notification_sources import sample_client_corrections_outstanding, trainees_stalled

from .credential_helpers import onboarding_for, setup_coc

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
CREATED = dt.datetime(2026, 2, 25, 10, 0, tzinfo=CHICAGO)  # a Wednesday
pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def coc(clock, request):
    tenant = request.getfixturevalue("tenant_a")
    setup_coc(tenant)
    # Everyone has signed in: the "never signed in" reminders stay out of these digests.
    type(tenant["ata"]).objects.update(last_login=timezone.now())
    return tenant


def run_at(clock, day: dt.date, hour: int = 8) -> None:
    clock.move_to(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=CHICAGO))
    for continuum_id, due_day in reminders_due():
        reminders_run(continuum_id=continuum_id, day=due_day)


def digest(user, day: dt.date) -> str:
    row = Notification.objects.filter(kind="digest", recipient=user, dedupe_key__endswith=day.isoformat())
    return row.get().body_text if row.exists() else ""


def trainee(coc, name=("Ana", "Lopez"), agency=None):
    onboarding = onboarding_for(coc, name=name, agency=agency)
    now = timezone.now()
    type(onboarding.user).objects.filter(pk=onboarding.user_id).update(last_login=now)
    LearningPath.objects.get_or_create(
        continuum=coc.continuum,
        user=onboarding.user,
        defaults={"needs": {}, "assigned_at": now, "recomputed_at": now},
    )
    return onboarding


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


# --- Trainees stalled ---------------------------------------------------------------------------------
def test_it_puts_a_stalled_trainee_in_the_atas_digest_and_escalates_to_the_supervisor(coc, clock):
    TrainingPolicy.objects.create(continuum=coc.continuum, stalled_after_days=7)
    ana = trainee(coc)
    ata, supervisor = coc["ata"], coc["agency_supervisor"]

    run_at(clock, day(3, 3))  # six days without progress: not stalled yet
    assert "Ana Lopez" not in digest(ata, day(3, 3))

    run_at(clock, day(3, 4))  # seven days: stalled
    body = digest(ata, day(3, 4))
    assert "Ana Lopez" in body and "no training progress since Feb 25" in body
    assert "/training/progress/?status=stalled" in body
    assert "Ana Lopez" not in digest(supervisor, day(3, 4))
    assert "Ana Lopez" not in digest(coc["other_ata"], day(3, 4))  # another agency's ATA

    run_at(clock, day(3, 5))
    assert "Ana Lopez" in digest(ata, day(3, 5)) and not digest(supervisor, day(3, 5))
    run_at(clock, day(3, 6))  # two business days after the stall: the supervisor hears about it
    assert "Ana Lopez (Alpha Family Services) has made no training progress" in digest(supervisor, day(3, 6))

    # Progress moves again: the reminders stop.
    LearningPath.objects.filter(user=ana.user).update(last_progress_at=timezone.now())
    run_at(clock, day(3, 9))
    assert "Ana Lopez" not in digest(ata, day(3, 9)) and "Ana Lopez" not in digest(supervisor, day(3, 9))


def test_it_leaves_out_people_who_finished_training_or_moved_on(coc, clock):
    TrainingPolicy.objects.create(continuum=coc.continuum, stalled_after_days=7)
    done = trainee(coc, ("Bo", "Done"))
    LearningPath.objects.filter(user=done.user).update(is_complete=True)
    moved = trainee(coc, ("Cy", "Moved"))
    type(moved).objects.filter(pk=moved.pk).update(stage="sample_client")
    run_at(clock, day(3, 4))
    body = digest(coc["ata"], day(3, 4))
    assert "Bo Done" not in body and "Cy Moved" not in body


def test_it_sends_a_stall_on_its_own_only_once_to_an_ata_who_chose_immediate(coc, clock):
    TrainingPolicy.objects.create(continuum=coc.continuum, stalled_after_days=7)
    trainee(coc)
    ata = coc["ata"]
    notification_preferences_update(
        continuum=coc.continuum, user=ata, choices={"trainee_stalled": "immediate"}
    )
    for d in (4, 5, 6, 9, 10):
        run_at(clock, day(3, d))
    sent = Notification.objects.filter(recipient=ata, kind="trainee_stalled")
    assert sent.count() == 1 and "Ana Lopez" in sent.get().subject
    assert not Notification.objects.filter(
        recipient=ata, kind="digest", body_text__contains="Ana Lopez"
    ).exists()


def test_it_escalates_to_the_help_desk_when_the_agency_has_no_supervisor(coc, clock):
    TrainingPolicy.objects.create(continuum=coc.continuum, stalled_after_days=7)
    Membership.objects.filter(continuum=coc.continuum, role="agency_supervisor").update(is_active=False)
    trainee(coc)
    run_at(clock, day(3, 6))
    assert "Ana Lopez (Alpha Family Services)" in digest(coc["help_desk"], day(3, 6))


# --- Sample-client corrections ----------------------------------------------------------------------
def returned_for_corrections(coc, name=("Ana", "Lopez")):
    from access_requests import credentials, sample_client
    from access_requests.models import RoundOutcome

    onboarding = onboarding_for(coc, name=name)
    type(onboarding.user).objects.filter(pk=onboarding.user_id).update(last_login=timezone.now())
    onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])
    assignment = sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)
    rnd = sample_client.sample_client_submit(
        assignment=assignment, actor=assignment.user, client_reference="SC-1"
    )
    results = [sample_client.ElementResult(e.pk, 0, "") for e in sample_client.rubric_for(coc.continuum, 1)]
    sample_client.sample_client_review(
        round=rnd,
        reviewer=coc["help_desk"],
        results=results,
        outcome=RoundOutcome.CORRECTIONS,
        feedback="Fix 3.01",
    )
    return assignment


def test_it_reminds_the_ata_and_trainee_of_corrections_not_resubmitted_and_escalates(coc, clock):
    assignment = returned_for_corrections(coc)  # reviewed Wed Feb 25; default 5 days → from Mon Mar 2
    ata, person, supervisor = coc["ata"], assignment.user, coc["agency_supervisor"]
    run_at(clock, day(2, 27))
    assert "corrections" not in digest(ata, day(2, 27))

    run_at(clock, day(3, 2))
    body = digest(ata, day(3, 2))
    assert "Ana Lopez's sample client (round 1) came back with corrections needed on Feb 25" in body
    assert "expires on Mar 7" in body
    assert "corrections needed" in digest(person, day(3, 2))
    assert "sample client" not in digest(supervisor, day(3, 2))

    run_at(clock, day(3, 4))
    assert "has not resubmitted the sample client" in digest(supervisor, day(3, 4))


def test_it_stops_reminding_once_the_corrections_are_resubmitted(coc, clock):
    from access_requests import sample_client

    assignment = returned_for_corrections(coc)
    run_at(clock, day(3, 2))
    assert "corrections needed" in digest(coc["ata"], day(3, 2))
    clock.move_to(dt.datetime(2026, 3, 2, 11, 0, tzinfo=CHICAGO))
    sample_client.sample_client_submit(assignment=assignment, actor=assignment.user, client_reference="SC-2")
    run_at(clock, day(3, 3))
    assert "corrections needed" not in digest(coc["ata"], day(3, 3))


def test_it_reads_each_source_in_a_fixed_number_of_queries(coc, clock):
    TrainingPolicy.objects.create(continuum=coc.continuum, stalled_after_days=7, corrections_reminder_days=1)
    trainee(coc, ("Ana", "One"))
    returned_for_corrections(coc, ("Ben", "One"))
    clock.move_to(dt.datetime(2026, 3, 6, 8, 0, tzinfo=CHICAGO))

    def count(source) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            items = list(source(coc.continuum, day(3, 6)))
        return len(ctx.captured_queries), len(items)

    small = count(trainees_stalled), count(sample_client_corrections_outstanding)
    clock.move_to(CREATED)
    for i in range(6):
        trainee(coc, ("Stalled", f"Person{i}"), agency=coc.other_agency if i % 2 else None)
    for i in range(4):
        returned_for_corrections(coc, ("Late", f"Person{i}"))
    clock.move_to(dt.datetime(2026, 3, 6, 8, 0, tzinfo=CHICAGO))
    large = count(trainees_stalled), count(sample_client_corrections_outstanding)
    assert large[0][1] > small[0][1] and large[1][1] > small[1][1]
    assert large[0][0] == small[0][0] and large[1][0] == small[1][0]
