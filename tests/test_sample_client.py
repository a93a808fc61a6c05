"""The sample client (issue 6): seats and waitlist, expiry, rubric outcomes, exemptions, ATA copies."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from access_requests import credentials, sample_client
from access_requests.models import (
    AssignmentStatus,
    CredentialPolicy,
    OnboardingStage,
    RoundOutcome,
    RubricElement,
)
from access_requests.services import RequestConflict
from hmis_onboarding.models import Notification

from .credential_helpers import a_project, onboarding_for, setup_coc

pytestmark = pytest.mark.django_db

NAMES = [("Ana", "Lopez"), ("Ben", "Ito"), ("Cy", "Moe"), ("Di", "Ray"), ("Ed", "Fox")]


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    CredentialPolicy.objects.filter(continuum=tenant_a.continuum).update(sample_client_seats=2)
    return tenant_a


def trained(coc, name=("Ana", "Lopez"), **kw):
    onboarding = onboarding_for(coc, name=name, **kw)
    return credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])


def signed_up(coc, name=("Ana", "Lopez"), **kw):
    onboarding = trained(coc, name, **kw)
    return sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)


def review(coc, rnd, outcome, errors=None, **kw):
    elements = sample_client.rubric_for(coc.continuum, rnd.assignment.project_type)
    errors = errors or {}
    results = [
        sample_client.ElementResult(
            e.pk, errors.get(e.code, 0), f"Check {e.code}" if e.code in errors else ""
        )
        for e in elements
    ]
    return sample_client.sample_client_review(
        round=rnd, reviewer=coc["help_desk"], results=results, outcome=outcome, **kw
    )


def submit(assignment, ref="SC-1"):
    return sample_client.sample_client_submit(
        assignment=assignment, actor=assignment.user, client_reference=ref
    )


def test_it_gives_seats_first_come_and_keeps_a_waitlist(coc):
    first, second, third, fourth = (signed_up(coc, n) for n in NAMES[:4])
    assert [a.status for a in (first, second, third, fourth)] == ["open", "open", "waitlisted", "waitlisted"]
    assert sample_client.waitlist_position(third) == 1 and sample_client.waitlist_position(fourth) == 2
    assert first.expires_at - first.opened_at == dt.timedelta(days=10)
    review(coc, submit(first), RoundOutcome.PASS)
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == AssignmentStatus.OPEN and fourth.status == AssignmentStatus.WAITLISTED
    assert Notification.objects.filter(dedupe_key__startswith=f"sample_client:{third.pk}:opened").exists()


def test_it_refuses_sign_up_before_training_and_for_exempt_people(coc):
    onboarding = onboarding_for(coc)
    with pytest.raises(ValidationError, match="learning path"):
        sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)
    hpcc = trained(coc, ("Hal", "Pcc"), projects=[a_project(coc, "HPCC", 6, funded_hpcc=True)])
    assert hpcc.stage == OnboardingStage.AGREEMENT  # exempt: straight to the agreement
    with pytest.raises(ValidationError, match="HPCC"):
        sample_client.sample_client_sign_up(onboarding=hpcc, actor=hpcc.user)
    read_only = trained(coc, ("Rae", "Only"), read_only=True)
    assert read_only.stage == OnboardingStage.AGREEMENT
    with pytest.raises(PermissionDenied):
        sample_client.sample_client_sign_up(onboarding=hpcc, actor=coc["ata"])
    ana = trained(coc, ("Ana", "Lopez"))
    sample_client.sample_client_sign_up(onboarding=ana, actor=ana.user)
    with pytest.raises(RequestConflict, match="already signed up"):
        sample_client.sample_client_sign_up(onboarding=ana, actor=ana.user)


def test_it_uses_the_rubric_of_the_project_type(coc):
    shelter = sample_client.rubric_for(coc.continuum, 1)
    rrh = sample_client.rubric_for(coc.continuum, 13)
    assert "3.20" in {e.code for e in rrh} and "3.20" not in {e.code for e in shelter}
    assert "4.14" in {e.code for e in shelter} and "3.01" in {e.code for e in shelter}
    assignment = signed_up(coc, projects=[a_project(coc, "RRH", 13)])
    assert "Housing Move-in Date" in assignment.scenario


def test_it_counts_errors_per_element_and_asks_for_corrections(coc):
    assignment = signed_up(coc)
    rnd = submit(assignment)
    with pytest.raises(RequestConflict, match="still with the Help Desk"):
        submit(assignment, "SC-2")
    with pytest.raises(ValidationError):
        review(coc, rnd, RoundOutcome.CORRECTIONS, {"3.03": 1})  # no feedback
    with pytest.raises(PermissionDenied):
        sample_client.sample_client_review(round=rnd, reviewer=coc["ata"], results=[], outcome="pass")
    rnd = review(
        coc, rnd, RoundOutcome.CORRECTIONS, {"3.03": 1, "3.917": 2}, feedback="Fix DOB and prior living."
    )
    assert rnd.total_errors == 3
    by_code = {r.element.code: r for r in rnd.element_reviews.all()}
    assert by_code["3.917"].errors == 2 and by_code["3.917"].comment == "Check 3.917"
    assignment.refresh_from_db()
    assert assignment.failed_rounds == 1 and assignment.status == AssignmentStatus.OPEN
    # The ATA is copied on the outcome.
    to = set(
        Notification.objects.filter(
            dedupe_key__startswith=f"sample_client_round:{rnd.pk}:outcome"
        ).values_list("to_email", flat=True)
    )
    assert to == {assignment.user.email, coc["ata"].email}
    second = submit(assignment, "SC-2")
    assert second.number == 2
    review(coc, second, RoundOutcome.PASS)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PASSED
    assert assignment.onboarding.stage == OnboardingStage.AGREEMENT


def test_it_schedules_a_walkthrough_only_with_date_link_and_host(coc):
    assignment = signed_up(coc)
    rnd = submit(assignment)
    with pytest.raises(ValidationError, match="walk-through"):
        review(coc, rnd, RoundOutcome.WALKTHROUGH)
    when = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    rnd = review(
        coc,
        rnd,
        RoundOutcome.WALKTHROUGH,
        walkthrough_at=when,
        walkthrough_link="https://meet.example.org/x",
        walkthrough_with="Pat Helpdesk",
    )
    assert rnd.walkthrough_with == "Pat Helpdesk"
    note = Notification.objects.get(dedupe_key=f"sample_client_round:{rnd.pk}:outcome:{assignment.user.pk}")
    assert "https://meet.example.org/x" in note.body_text


def test_it_sends_back_to_a_course_and_reopens_training(coc):
    assignment = signed_up(coc)
    review(
        coc,
        submit(assignment),
        RoundOutcome.REDO_COURSE,
        feedback="Enrollment workflow is missing.",
        redo_course="ES/TH/SH Workflow, part 2",
    )
    assignment.refresh_from_db()
    onboarding = assignment.onboarding
    assert assignment.status == AssignmentStatus.REDO_COURSE
    assert onboarding.stage == OnboardingStage.TRAINING and onboarding.training_confirmed_at is None
    with pytest.raises(ValidationError):
        sample_client.sample_client_sign_up(onboarding=onboarding, actor=onboarding.user)


def test_it_expires_after_the_allowed_failed_rounds(coc):
    assignment = signed_up(coc)
    waiting = [signed_up(coc, n) for n in NAMES[1:3]][-1]
    for number in range(3):
        review(
            coc, submit(assignment, f"SC-{number}"), RoundOutcome.CORRECTIONS, {"3.01": 1}, feedback="Again."
        )
    assignment.refresh_from_db()
    waiting.refresh_from_db()
    assert assignment.status == AssignmentStatus.EXPIRED and assignment.failed_rounds == 3
    assert waiting.status == AssignmentStatus.OPEN
    # The person may sign up again, at the back of the line (both seats are taken now).
    again = sample_client.sample_client_sign_up(onboarding=assignment.onboarding, actor=assignment.user)
    assert again.status == AssignmentStatus.WAITLISTED


def test_it_expires_after_the_configured_days_and_the_sweep_is_idempotent(coc):
    first, _second, third = (signed_up(coc, n) for n in NAMES[:3])
    assert third.status == AssignmentStatus.WAITLISTED
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=11)):
        assert sample_client.sample_client_expire_due(continuum=coc.continuum) == 2
        assert sample_client.sample_client_expire_due(continuum=coc.continuum) == 0
        with pytest.raises(RequestConflict):
            submit(first)
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == AssignmentStatus.EXPIRED and third.status == AssignmentStatus.OPEN


def test_it_does_not_expire_while_a_submission_waits_for_review(coc):
    assignment = signed_up(coc)
    submit(assignment)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=11)):
        assert sample_client.sample_client_expire_due(continuum=coc.continuum) == 0


def test_it_configures_the_rubric_per_coc(coc, tenant_b):
    assert not RubricElement.objects.filter(continuum=tenant_b.continuum).exists()
    RubricElement.objects.filter(continuum=coc.continuum, code="4.21").update(is_active=False)
    assert "4.21" not in {e.code for e in sample_client.rubric_for(coc.continuum, 1)}
