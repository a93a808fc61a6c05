"""Idle onboardings (issue 6, DESIGN.md §3: "after 6 months without finishing, the ATA must request
training again"): the daily lifecycle sweep closes them with the reason, gives a held sample client
seat to the waitlist, audits, and tells the ATA that a new training request is needed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from access_requests import credentials, sample_client
from access_requests.models import AssignmentStatus, CredentialPolicy, OnboardingStage
from access_requests.tasks import sweep_access_lifecycle_for_continuum
from hmis_onboarding.models import AuditEvent, Notification

from .credential_helpers import onboarding_for, setup_coc

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)


def months_later(months: int, days: int = 0) -> dt.datetime:
    month = T0.month - 1 + months
    return T0.replace(year=T0.year + month // 12, month=month % 12 + 1) + dt.timedelta(days=days)


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    CredentialPolicy.objects.filter(continuum=tenant_a.continuum).update(sample_client_seats=1)
    return tenant_a


def signed_up(tenant, name):
    onboarding = onboarding_for(tenant, name=name)
    onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=tenant["help_desk"])
    assignment = sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)
    return onboarding, assignment


def sweep(tenant, at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return sample_client.onboarding_idle_close_sweep(continuum=tenant.continuum)


def test_it_closes_an_idle_onboarding_and_asks_the_ata_for_a_new_training_request(
    coc, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        idle, seat = signed_up(coc, ("Ana", "Lopez"))
    with time_machine.travel(months_later(4), tick=False):
        waiting, queued = signed_up(coc, ("Ben", "Ito"))
    assert seat.status == AssignmentStatus.OPEN and queued.status == AssignmentStatus.WAITLISTED

    assert sweep(coc, months_later(5, days=27)) == 0
    assert sweep(coc, months_later(6, days=2)) == 1

    idle.refresh_from_db()
    seat.refresh_from_db()
    queued.refresh_from_db()
    waiting.refresh_from_db()
    assert idle.stage == OnboardingStage.CLOSED and idle.closed_at is not None
    assert "No activity since January 12, 2026 (more than 6 months)" in idle.closed_reason
    assert seat.status == AssignmentStatus.EXPIRED and seat.closed_reason == idle.closed_reason
    # The freed seat goes to the person waiting, whose onboarding is active.
    assert queued.status == AssignmentStatus.OPEN and waiting.stage == OnboardingStage.SAMPLE_CLIENT
    event = AuditEvent.objects.get(action="onboarding.closed_idle")
    assert event.actor is None and event.after["stage"] == "closed"
    to_ata = Notification.objects.get(dedupe_key=f"onboarding:{idle.pk}:closed_idle:{coc['ata'].pk}")
    assert "New training request needed" in to_ata.subject
    assert reverse("request_new", args=[coc.continuum.slug]) in to_ata.body_text
    assert Notification.objects.filter(dedupe_key=f"onboarding:{idle.pk}:closed_idle:{idle.user.pk}").exists()
    # Running again (the next day, or twice) changes nothing.
    assert sweep(coc, months_later(6, days=3)) == 0
    assert (
        Notification.objects.filter(dedupe_key__startswith=f"onboarding:{idle.pk}:closed_idle").count() == 2
    )


def test_it_counts_a_sample_client_submission_as_activity(coc):
    with time_machine.travel(T0, tick=False):
        onboarding, assignment = signed_up(coc, ("Ana", "Lopez"))
    with time_machine.travel(T0 + dt.timedelta(days=5), tick=False):
        sample_client.sample_client_submit(
            assignment=assignment, actor=onboarding.user, client_reference="SC-1"
        )
    # Without the submission, January 12 would be older than the window on July 14.
    assert sweep(coc, months_later(6, days=2)) == 0
    assert sweep(coc, months_later(6, days=10)) == 1  # last activity: the submission on January 17


def test_it_keeps_onboardings_with_recent_training_progress_or_waiting_for_staff(coc):
    from training.models import LearningPath

    with time_machine.travel(T0, tick=False):
        learning = onboarding_for(coc, name=("Ana", "Lopez"))
        LearningPath.objects.create(
            continuum=coc.continuum,
            user=learning.user,
            needs={},
            assigned_at=T0,
            recomputed_at=T0,
            last_progress_at=months_later(5),
        )
        ready = onboarding_for(coc, stage=OnboardingStage.READY, name=("Ben", "Ito"))
    assert sweep(coc, months_later(7)) == 0
    learning.refresh_from_db()
    ready.refresh_from_db()
    assert learning.stage == OnboardingStage.TRAINING and ready.stage == OnboardingStage.READY
    assert sweep(coc, months_later(11, days=10)) == 1
    learning.refresh_from_db()
    assert learning.stage == OnboardingStage.CLOSED


def test_it_uses_the_cocs_window(coc):
    from training.models import TrainingPolicy

    TrainingPolicy.objects.update_or_create(
        continuum=coc.continuum, defaults={"training_expires_after_months": 3}
    )
    with time_machine.travel(T0, tick=False):
        onboarding = onboarding_for(coc, name=("Ana", "Lopez"))
    assert sweep(coc, months_later(2, days=25)) == 0
    # The daily lifecycle task runs the sweep.
    with time_machine.travel(months_later(3, days=2), tick=False):
        result = sweep_access_lifecycle_for_continuum(coc.continuum.pk)
    assert result["onboardings_closed_idle"] == 1
    onboarding.refresh_from_db()
    assert "more than 3 months" in onboarding.closed_reason
