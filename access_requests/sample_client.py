"""The HMIS sample client assignment (seed 001, DESIGN.md §3): seats per CoC with a first-come
waitlist, a scenario for the person's project type, rounds of submission → review with a rubric per
HUD data element, and the outcomes pass / corrections / 1:1 walk-through / redo a course. An
assignment expires after the configured days or failed rounds. The ATA is copied on every outcome."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from . import credential_notify as notify
from .credential_config import policy_for, project_type_label
from .credentials import _audit, _locked_onboarding
from .models import (
    FAILED_OUTCOMES,
    AssignmentStatus,
    ElementReview,
    Onboarding,
    OnboardingStage,
    RoundOutcome,
    RubricElement,
    SampleClientAssignment,
    SampleClientRound,
)
from .readiness import person_ready_for_sample_client
from .services import RequestConflict

# The scenario the trainee enters: facts about one client for a complete enrollment (seed 003: a
# housing project's enrollment includes the Housing Move-in Date).
_BASE = (
    "Client: Jordan Rivera, born 1988-04-12, SSN given, head of household, not a veteran. "
    "Slept in a place not meant for habitation for the last 3 weeks; 2 episodes of homelessness in "
    "the past 3 years, 7 months in total. Income: $420 monthly from part-time work; receives SNAP; "
    "covered by Medicaid; reports a mental health disorder expected to be long-continuing. "
    "Not fleeing domestic violence."
)
SCENARIO_BY_TYPE = {
    3: (
        "Enrolled in permanent supportive housing on the first Monday of this month; moved into a "
        "unit 9 days later (Housing Move-in Date)."
    ),
    13: (
        "Enrolled in rapid re-housing with a partner and a 6-year-old child; the household moved in 3 "
        "weeks after the start date (Housing Move-in Date)."
    ),
    4: (
        "First contacted by the outreach team under a viaduct; engaged two contacts later. Record "
        "each contact's current living situation and the date of engagement."
    ),
    1: ("Checked in to the night-by-night shelter on three consecutive nights; record each bed night."),
    14: (
        "Assessed by phone at an access point; prioritised; referred to a rapid re-housing opening "
        "(record the CE event, its result and result date)."
    ),
}


def scenario_for(project_type: int) -> str:
    extra = SCENARIO_BY_TYPE.get(project_type, "Enrolled in the project today; complete the enrollment.")
    return f"Project type: {project_type_label(project_type)}. {_BASE} {extra}"


def rubric_for(continuum: Continuum, project_type: int) -> list[RubricElement]:
    return [
        e
        for e in RubricElement.objects.filter(continuum=continuum, is_active=True)
        if e.applies_to(project_type)
    ]


def _primary_project_type(onboarding: Onboarding) -> int:
    types = list(onboarding.project_types or [])
    return types[0] if types else 6


# --- Seats and waitlist ------------------------------------------------------------------------------


def _open_count(continuum: Continuum) -> int:
    return SampleClientAssignment.objects.filter(continuum=continuum, status=AssignmentStatus.OPEN).count()


def _open_seat(assignment: SampleClientAssignment, days: int, now: datetime.datetime) -> None:
    assignment.status = AssignmentStatus.OPEN
    assignment.opened_at = now
    assignment.expires_at = now + datetime.timedelta(days=days)


def _promote_waitlist(continuum: Continuum, now: datetime.datetime) -> list[SampleClientAssignment]:
    """Give free seats to the longest-waiting people. Call with the continuum row locked."""
    policy = policy_for(continuum)
    free = policy.sample_client_seats - _open_count(continuum)
    promoted: list[SampleClientAssignment] = []
    if free <= 0:
        return promoted
    waiting = (
        SampleClientAssignment.objects.filter(continuum=continuum, status=AssignmentStatus.WAITLISTED)
        .select_related("onboarding__person", "agency", "user")
        .order_by("requested_at", "pk")[:free]
    )
    for assignment in waiting:
        _open_seat(assignment, policy.sample_client_days, now)
        assignment.save(update_fields=["status", "opened_at", "expires_at"])
        _audit(
            assignment,
            continuum,
            None,
            "sample_client.seat_given",
            {"status": "waitlisted"},
            status=assignment.status,
            expires_at=assignment.expires_at,
        )
        _notify_seat(assignment)
        promoted.append(assignment)
    return promoted


def _lock_continuum(continuum: Continuum) -> Continuum:
    # Seats are counted per CoC: the CoC row is the lock every seat change takes.
    return Continuum.objects.select_for_update().get(pk=continuum.pk)


def _notify_seat(assignment: SampleClientAssignment) -> None:
    notify.send(
        continuum=assignment.continuum,
        key=f"sample_client:{assignment.pk}:opened",
        subject="Your HMIS sample client assignment is open",
        headline="Your sample client assignment is open",
        subtitle=f"{assignment.onboarding.person.full_name} — {assignment.agency.name}",
        lines=[f"Submit it by {assignment.expires_at.astimezone(assignment.continuum.tzinfo):%B %-d, %Y}."],
        recipients=[assignment.user, *notify.agency_leads(assignment.agency, [Role.ATA])],
        link=notify.my_access_url(assignment.continuum),
    )


def sample_client_sign_up(*, onboarding: Onboarding, actor: User) -> SampleClientAssignment:
    """The person signs up once their learning path is complete: a seat if one is free, otherwise a
    place on the waitlist (first come, first served)."""
    if actor.pk != onboarding.user_id:
        raise PermissionDenied("People sign up for their own sample client.")
    if onboarding.sample_client_exempt_reason:
        raise ValidationError(onboarding.sample_client_exempt_reason)
    if not person_ready_for_sample_client(onboarding.continuum, onboarding.user):
        raise ValidationError(
            "Finish your learning path first; the sample client is the last step of training."
        )
    try:
        with transaction.atomic():
            continuum = _lock_continuum(onboarding.continuum)
            ob = _locked_onboarding(onboarding)
            if ob.stage not in (OnboardingStage.TRAINING, OnboardingStage.SAMPLE_CLIENT):
                raise RequestConflict("You are past the sample client step.")
            if ob.assignments.filter(
                status__in=[AssignmentStatus.WAITLISTED, AssignmentStatus.OPEN]
            ).exists():
                raise RequestConflict("You are already signed up.")
            policy = policy_for(continuum)
            now = timezone.now()
            project_type = _primary_project_type(ob)
            assignment = SampleClientAssignment(
                continuum=continuum,
                agency=ob.agency,
                onboarding=ob,
                user=ob.user,
                project_type=project_type,
                scenario=scenario_for(project_type),
                status=AssignmentStatus.WAITLISTED,
                requested_at=now,
            )
            waiting = SampleClientAssignment.objects.filter(
                continuum=continuum, status=AssignmentStatus.WAITLISTED
            ).exists()
            if not waiting and _open_count(continuum) < policy.sample_client_seats:
                _open_seat(assignment, policy.sample_client_days, now)
            assignment.save()
            if ob.stage != OnboardingStage.SAMPLE_CLIENT:
                ob.stage = OnboardingStage.SAMPLE_CLIENT
                ob.save(update_fields=["stage", "updated_at"])
            _audit(
                assignment,
                continuum,
                actor,
                "sample_client.signed_up",
                status=assignment.status,
                project_type=project_type,
            )
            if assignment.status == AssignmentStatus.OPEN:
                _notify_seat(assignment)
    except IntegrityError as error:
        raise RequestConflict("You are already signed up.") from error
    return assignment


def waitlist_position(assignment: SampleClientAssignment) -> int | None:
    if assignment.status != AssignmentStatus.WAITLISTED:
        return None
    ahead = (
        SampleClientAssignment.objects.filter(
            continuum_id=assignment.continuum_id, status=AssignmentStatus.WAITLISTED
        )
        .filter(requested_at__lt=assignment.requested_at)
        .count()
    )
    return ahead + 1


def _close(assignment: SampleClientAssignment, status: str, reason: str, now: datetime.datetime) -> None:
    assignment.status, assignment.closed_at, assignment.closed_reason = status, now, reason[:300]
    assignment.save(update_fields=["status", "closed_at", "closed_reason", "failed_rounds"])


def _locked_assignment(assignment: SampleClientAssignment) -> SampleClientAssignment:
    return (
        SampleClientAssignment.objects.select_for_update(of=("self",))
        .select_related("continuum", "agency", "user", "onboarding__person")
        .get(pk=assignment.pk)
    )


# --- Rounds ------------------------------------------------------------------------------------------


def sample_client_submit(
    *, assignment: SampleClientAssignment, actor: User, client_reference: str, note: str = ""
) -> SampleClientRound:
    if actor.pk != assignment.user_id:
        raise PermissionDenied("People submit their own sample client.")
    if not client_reference.strip():
        raise ValidationError({"client_reference": "Enter the sample client's ID in the HMIS training site."})
    with transaction.atomic():
        _lock_continuum(assignment.continuum)
        a = _locked_assignment(assignment)
        now = timezone.now()
        if a.status == AssignmentStatus.OPEN and a.expires_at and a.expires_at <= now:
            _expire(a, now, "The assignment's days ran out.")
            raise RequestConflict("This assignment expired; sign up again for a new one.")
        if a.status != AssignmentStatus.OPEN:
            raise RequestConflict(f"This assignment is {a.get_status_display().lower()}.")
        if a.rounds.filter(reviewed_at__isnull=True).exists():
            raise RequestConflict("Your last submission is still with the Help Desk.")
        number = a.rounds.count() + 1
        rnd = SampleClientRound.objects.create(
            continuum=a.continuum,
            assignment=a,
            number=number,
            submitted_at=now,
            client_reference=client_reference.strip()[:100],
            note=note.strip(),
        )
        _audit(rnd, a.continuum, actor, "sample_client.submitted", round=number)
        notify.send(
            continuum=a.continuum,
            key=f"sample_client_round:{rnd.pk}:submitted",
            subject=f"Sample client submitted for review: {a.onboarding.person.full_name} (round {number})",
            headline="A sample client is waiting for review",
            subtitle=f"{a.onboarding.person.full_name} — {a.agency.name} — round {number}",
            lines=[f"Client ID in the training site: {rnd.client_reference}."],
            to_email=a.continuum.help_desk_email,
        )
    return rnd


@dataclass(frozen=True)
class ElementResult:
    element_id: int
    errors: int
    comment: str = ""


def sample_client_review(
    *,
    round: SampleClientRound,
    reviewer: User,
    results: list[ElementResult],
    outcome: str,
    feedback: str = "",
    walkthrough_at: datetime.datetime | None = None,
    walkthrough_link: str = "",
    walkthrough_with: str = "",
    redo_course: str = "",
) -> SampleClientRound:
    if not access_for(round.continuum, reviewer).can(Capability.REVIEW_SAMPLE_CLIENTS):
        raise PermissionDenied("Only the HMIS Help Desk reviews sample clients.")
    if reviewer.pk == round.assignment.user_id:
        raise PermissionDenied("Nobody reviews their own sample client.")
    errors: dict[str, str] = {}
    if outcome not in RoundOutcome.values:
        errors["outcome"] = "Choose the outcome."
    if outcome in (RoundOutcome.CORRECTIONS, RoundOutcome.REDO_COURSE) and not feedback.strip():
        errors["feedback"] = "Write the feedback the person will read."
    if outcome == RoundOutcome.WALKTHROUGH and not (
        walkthrough_at and walkthrough_link and walkthrough_with.strip()
    ):
        errors["walkthrough_at"] = "A walk-through needs its date and time, the video link and who leads it."
    if outcome == RoundOutcome.REDO_COURSE and not redo_course.strip():
        errors["redo_course"] = "Name the course (or part of it) to redo."
    if any(r.errors < 0 or r.errors > 99 for r in results):
        errors["results"] = "Error counts are between 0 and 99."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        continuum = _lock_continuum(round.continuum)
        a = _locked_assignment(round.assignment)
        rnd = SampleClientRound.objects.select_for_update().get(pk=round.pk)
        if rnd.reviewed_at is not None:
            raise RequestConflict("This round was already reviewed.")
        if a.status != AssignmentStatus.OPEN:
            raise RequestConflict(f"This assignment is {a.get_status_display().lower()}.")
        rubric = {e.pk: e for e in rubric_for(continuum, a.project_type)}
        if any(r.element_id not in rubric for r in results):
            raise ValidationError({"results": "Review the elements of this project type's rubric."})
        ElementReview.objects.bulk_create(
            [
                ElementReview(
                    round=rnd, element=rubric[r.element_id], errors=r.errors, comment=r.comment.strip()[:500]
                )
                for r in results
            ]
        )
        now = timezone.now()
        rnd.reviewed_by, rnd.reviewed_at, rnd.outcome = reviewer, now, outcome
        rnd.total_errors = sum(r.errors for r in results)
        rnd.feedback = feedback.strip()
        rnd.walkthrough_at, rnd.walkthrough_link, rnd.walkthrough_with = (
            walkthrough_at,
            walkthrough_link.strip(),
            walkthrough_with.strip(),
        )
        rnd.redo_course = redo_course.strip()
        rnd.save()
        ob = _locked_onboarding(a.onboarding)
        before = {"assignment": a.status, "stage": ob.stage}
        policy = policy_for(continuum)
        if outcome == RoundOutcome.PASS:
            _close(a, AssignmentStatus.PASSED, "Passed", now)
            ob.stage = OnboardingStage.AGREEMENT
        elif outcome == RoundOutcome.REDO_COURSE:
            _close(a, AssignmentStatus.REDO_COURSE, f"Redo: {rnd.redo_course}", now)
            # Re-opens the training step: the learning path (or the Help Desk) confirms it again.
            ob.stage, ob.training_confirmed_at, ob.training_confirmed_by = (
                OnboardingStage.TRAINING,
                None,
                None,
            )
        elif outcome in FAILED_OUTCOMES:
            a.failed_rounds += 1
            if a.failed_rounds >= policy.sample_client_max_failed_rounds:
                _close(a, AssignmentStatus.EXPIRED, f"{a.failed_rounds} rounds needed corrections", now)
            else:
                a.save(update_fields=["failed_rounds"])
        ob.save(update_fields=["stage", "training_confirmed_at", "training_confirmed_by", "updated_at"])
        _audit(
            rnd,
            continuum,
            reviewer,
            "sample_client.reviewed",
            before,
            outcome=outcome,
            total_errors=rnd.total_errors,
            assignment=a.status,
            stage=ob.stage,
        )
        _notify_outcome(a, rnd)
        if a.status != AssignmentStatus.OPEN:
            _promote_waitlist(continuum, now)
    return rnd


def _notify_outcome(a: SampleClientAssignment, rnd: SampleClientRound) -> None:
    tz = a.continuum.tzinfo
    lines = [f"Errors found: {rnd.total_errors}.", rnd.feedback]
    if rnd.outcome == RoundOutcome.WALKTHROUGH and rnd.walkthrough_at:
        lines.append(
            f"1:1 walk-through with {rnd.walkthrough_with} on "
            f"{rnd.walkthrough_at.astimezone(tz):%B %-d, %Y at %-I:%M %p}: {rnd.walkthrough_link}"
        )
    if rnd.outcome == RoundOutcome.REDO_COURSE:
        lines.append(f"Redo: {rnd.redo_course}.")
    if a.status == AssignmentStatus.EXPIRED:
        lines.append("The assignment expired after the allowed rounds; sign up again once you are ready.")
    if rnd.outcome == RoundOutcome.PASS:
        lines.append("Next: sign the End User Agreement; the Help Desk then issues your live credentials.")
    notify.send(
        continuum=a.continuum,
        key=f"sample_client_round:{rnd.pk}:outcome",
        subject=(
            f"Sample client round {rnd.number}: {rnd.get_outcome_display()} — {a.onboarding.person.full_name}"
        ),
        headline=f"Sample client round {rnd.number}: {rnd.get_outcome_display()}",
        subtitle=f"{a.onboarding.person.full_name} — {a.agency.name}",
        lines=lines,
        # The ATA is copied on every outcome (seed 001: ATAs must be heavily involved).
        recipients=[a.user, *notify.agency_leads(a.agency, [Role.ATA])],
        link=notify.my_access_url(a.continuum),
    )


def _expire(a: SampleClientAssignment, now: datetime.datetime, reason: str) -> None:
    _close(a, AssignmentStatus.EXPIRED, reason, now)
    _audit(a, a.continuum, None, "sample_client.expired", {"status": "open"}, status=a.status, reason=reason)
    notify.send(
        continuum=a.continuum,
        key=f"sample_client:{a.pk}:expired",
        subject=f"Sample client assignment expired: {a.onboarding.person.full_name}",
        headline="The sample client assignment expired",
        subtitle=f"{a.onboarding.person.full_name} — {a.agency.name}",
        lines=[
            reason,
            "Sign up again when ready; the ATA files a new training request after the inactivity window.",
        ],
        recipients=[a.user, *notify.agency_leads(a.agency, [Role.ATA])],
        link=notify.my_access_url(a.continuum),
    )
    _promote_waitlist(a.continuum, now)


def sample_client_expire_due(
    *, continuum: Continuum, now: datetime.datetime | None = None, batch: int = 200
) -> int:
    """Expire open assignments whose days ran out (without a submission waiting for review) and
    give their seats to the waitlist. Idempotent."""
    now = now or timezone.now()
    expired = 0
    due_ids = list(
        SampleClientAssignment.objects.filter(
            continuum=continuum, status=AssignmentStatus.OPEN, expires_at__lte=now
        )
        .exclude(rounds__reviewed_at__isnull=True, rounds__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due_ids:
        with transaction.atomic():
            _lock_continuum(continuum)
            a = (
                SampleClientAssignment.objects.select_for_update(of=("self",))
                .select_related("continuum", "agency", "user", "onboarding__person")
                .get(pk=pk)
            )
            if a.status != AssignmentStatus.OPEN or a.rounds.filter(reviewed_at__isnull=True).exists():
                continue
            _expire(a, now, "The assignment's days ran out.")
            expired += 1
    return expired


# --- Closing an onboarding -----------------------------------------------------------------------------


def onboarding_close_locked(
    ob: Onboarding, *, actor: User | None, reason: str, action: str, now: datetime.datetime
) -> None:
    """Close an onboarding and any sample client assignment it holds (its seat goes to the waitlist).
    Call inside a transaction holding the CoC row lock (`_lock_continuum`) and the onboarding's."""
    held = list(
        SampleClientAssignment.objects.select_for_update(of=("self",)).filter(
            onboarding=ob, status__in=[AssignmentStatus.WAITLISTED, AssignmentStatus.OPEN]
        )
    )
    for assignment in held:
        before_status = assignment.status
        _close(assignment, AssignmentStatus.EXPIRED, reason, now)
        _audit(
            assignment,
            ob.continuum,
            actor,
            "sample_client.closed",
            {"status": before_status},
            status=assignment.status,
            reason=reason,
        )
    before = {"stage": ob.stage}
    ob.stage, ob.closed_at, ob.closed_reason = OnboardingStage.CLOSED, now, reason[:300]
    ob.save(update_fields=["stage", "closed_at", "closed_reason", "updated_at"])
    _audit(ob, ob.continuum, actor, action, before, stage=ob.stage, reason=ob.closed_reason)
    if held:
        _promote_waitlist(ob.continuum, now)


# Stages where the person (not staff) moves things forward; an onboarding idle there is closed.
IDLE_CLOSE_STAGES = (OnboardingStage.TRAINING, OnboardingStage.SAMPLE_CLIENT, OnboardingStage.AGREEMENT)


def onboardings_idle_since(continuum: Continuum, cutoff: datetime.datetime):
    """Open onboardings (before the Help Desk's steps) whose last activity is older than `cutoff`.
    Activity: any change of the onboarding, a sample client sign-up, submission or review, a
    signature, or training progress on the person's learning path. One query."""
    from django.db.models import F, OuterRef, Subquery
    from django.db.models.functions import Coalesce, Greatest

    from training.models import LearningPath

    from .models import EndUserAgreementSignature

    def latest(qs, field):
        return Coalesce(Subquery(qs.order_by(f"-{field}").values(field)[:1]), F("updated_at"))

    mine = {"onboarding": OuterRef("pk")}
    return (
        Onboarding.objects.filter(continuum=continuum, stage__in=IDLE_CLOSE_STAGES, updated_at__lt=cutoff)
        .annotate(
            last_activity=Greatest(
                F("updated_at"),
                latest(SampleClientAssignment.objects.filter(**mine), "requested_at"),
                latest(
                    SampleClientRound.objects.filter(
                        assignment__onboarding=OuterRef("pk"), submitted_at__isnull=False
                    ),
                    "submitted_at",
                ),
                latest(
                    SampleClientRound.objects.filter(
                        assignment__onboarding=OuterRef("pk"), reviewed_at__isnull=False
                    ),
                    "reviewed_at",
                ),
                latest(EndUserAgreementSignature.objects.filter(**mine), "signed_at"),
                latest(
                    LearningPath.objects.filter(
                        continuum=OuterRef("continuum"), user=OuterRef("user"), last_progress_at__isnull=False
                    ),
                    "last_progress_at",
                ),
            )
        )
        .filter(last_activity__lt=cutoff)
    )


def onboarding_idle_close_sweep(
    *, continuum: Continuum, now: datetime.datetime | None = None, batch: int = 200
) -> int:
    """Close onboardings without activity for longer than the CoC's window (DESIGN.md §3: "after 6
    months without finishing, the ATA must request training again"; the training policy's setting).
    The person and the agency's ATAs are told; the ATA files a new access request. Idempotent: a
    closed onboarding is no longer open, and each candidate is re-checked under its lock."""
    from training.selectors import training_policy

    from .advice import _months_ago

    now = now or timezone.now()
    tz = continuum.tzinfo
    months = training_policy(continuum).training_expires_after_months
    cutoff_day = _months_ago(now.astimezone(tz).date(), months)
    cutoff = datetime.datetime.combine(cutoff_day, datetime.time.min, tzinfo=tz)
    closed = 0
    last_pk = 0
    while True:
        due = list(
            onboardings_idle_since(continuum, cutoff)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "last_activity")[:batch]
        )
        if not due:
            break
        for pk, last_activity in due:
            with transaction.atomic():
                _lock_continuum(continuum)
                ob = _locked_onboarding(Onboarding(pk=pk))
                # Re-check under the lock: activity may have happened since the candidate query.
                if not onboardings_idle_since(continuum, cutoff).filter(pk=pk).exists():
                    continue
                since = last_activity.astimezone(tz)
                reason = (
                    f"No activity since {since:%B %-d, %Y} (more than {months} months): the ATA files a "
                    "new training request."
                )
                onboarding_close_locked(
                    ob, actor=None, reason=reason, action="onboarding.closed_idle", now=now
                )
                _notify_idle_close(ob, since, months)
                closed += 1
        last_pk = due[-1][0]
    return closed


def _notify_idle_close(ob: Onboarding, since: datetime.datetime, months: int) -> None:
    subtitle = f"{ob.person.full_name} — {ob.agency.name}"
    notify.send(
        continuum=ob.continuum,
        key=f"onboarding:{ob.pk}:closed_idle",
        subject=f"New training request needed: {ob.person.full_name} ({ob.agency.name})",
        headline="Onboarding closed after inactivity: a new training request is needed",
        subtitle=subtitle,
        lines=[
            f"No progress since {since:%B %-d, %Y}, more than the {months} months the CoC allows to finish.",
            "If the person still needs HMIS access, file a new access request for them; their training "
            "starts again from that request.",
        ],
        recipients=notify.agency_leads(ob.agency, [Role.ATA]),
        link=notify.absolute_url_for("request_new", ob.continuum),
    )
    notify.send(
        continuum=ob.continuum,
        key=f"onboarding:{ob.pk}:closed_idle",
        subject="Your HMIS onboarding was closed after inactivity",
        headline="Your onboarding was closed after inactivity",
        subtitle=subtitle,
        lines=[
            f"No progress since {since:%B %-d, %Y}, more than the {months} months the CoC allows to finish.",
            "Your agency's ATA was asked to file a new training request if you still need HMIS access.",
        ],
        recipients=[ob.user],
        link=notify.my_access_url(ob.continuum),
    )
