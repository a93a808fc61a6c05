"""The trainee's tracker: one person's whole way to HMIS credentials in one CoC, as stages
(request → LMS account → courses → sample client → agreement → credentials), with what to do next,
who holds the current step and the deadline. A read: a fixed number of queries whatever the path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone

from access_requests.models import (
    AgreementKind,
    CeDecision,
    EndUserAgreementSignature,
    HmisAccount,
    Onboarding,
    OnboardingStage,
    RequestedPerson,
    RequestStatus,
)
from agencies.models import Continuum
from hmis_onboarding.models import User

from . import path as lp
from . import selectors
from .models import Enrollment, LearningPath, LmsAccount
from .parts import PartProgress, part_progress

DONE, CURRENT, UPCOMING, NOT_REQUIRED, BLOCKED = "done", "current", "upcoming", "not_required", "blocked"
STATUS_LABELS = {
    DONE: "Done",
    CURRENT: "Current step",
    UPCOMING: "Upcoming",
    NOT_REQUIRED: "Not required",
    BLOCKED: "Needs attention",
}


ONBOARDING_ORDER = [
    OnboardingStage.TRAINING,
    OnboardingStage.SAMPLE_CLIENT,
    OnboardingStage.AGREEMENT,
    OnboardingStage.READY,
    OnboardingStage.CREDENTIALED,
]


@dataclass
class Stage:
    key: str
    title: str
    status: str
    detail: str = ""
    holder: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class CourseRow:
    step: lp.Step
    names: dict[str, str]
    parts: list[PartProgress] = field(default_factory=list)

    @property
    def requires_names(self) -> list[str]:
        return [self.names.get(k, k) for k in self.step.requires]

    @property
    def unlocks_names(self) -> list[str]:
        return [self.names.get(k, k) for k in self.step.unlocks]

    @property
    def waiting_for_names(self) -> list[str]:
        return [self.names.get(k, k) for k in self.step.waiting_for]


@dataclass
class Tracker:
    stages: list[Stage] = field(default_factory=list)
    courses: list[CourseRow] = field(default_factory=list)
    percent: int = 0
    next_action: str = ""
    holder: str = ""
    deadline: dt.date | None = None
    has_path: bool = False
    has_request: bool = False
    path_complete: bool = False  # the summary kept on the path row (what the certificate link follows)


def _step_names(catalog: lp.Catalog, result: lp.LearningPathResult) -> dict[str, str]:
    names = {code: c.name for code, c in catalog.courses.items()}
    names.update({f"bundle:{code}": b.name for code, b in catalog.bundles.items()})
    names.update({s.key: s.title for s in result.steps})
    return names


def _course_code(step: lp.Step) -> str | None:
    return step.chosen if step.is_bundle else step.key


def _parts_by_course(
    catalog: lp.Catalog, enrolled: dict[str, tuple[dict, dt.datetime | None]]
) -> dict[str, list[PartProgress]]:
    """Course code → its parts' progress for this person (Data Management's Part 1 / Part 2), from
    the catalog already read and the person's enrolments (no query of its own)."""
    layout = {
        code: list(zip(course.parts, course.part_units or ("",) * len(course.parts), strict=True))
        for code, course in catalog.courses.items()
        if course.parts
    }
    out = {}
    for code, parts in layout.items():
        units, completed_at = enrolled.get(code, ({}, None))
        out[code] = part_progress(parts, units, course_completed=completed_at is not None)
    return out


def _hrs_stages(onboarding: Onboarding, kinds: set[str], *, reached_agreement: bool) -> list[Stage]:
    """The two extra steps of a Housing Resource Specialist (seed 000): the individual HRS Agreement,
    then the Coordinated Entry team's approval."""
    signed = AgreementKind.HRS in kinds
    if signed:
        agreement = Stage("hrs_agreement", "Housing Resource Specialist Agreement", DONE)
    elif reached_agreement:
        agreement = Stage(
            "hrs_agreement",
            "Housing Resource Specialist Agreement",
            CURRENT,
            "Read and sign the Housing Resource Specialist Agreement.",
            "You",
        )
    else:
        agreement = Stage(
            "hrs_agreement", "Housing Resource Specialist Agreement", UPCOMING, "Signed after your training."
        )
    decision = onboarding.ce_decision
    if decision == CeDecision.APPROVED:
        approval = Stage("ce_approval", "Coordinated Entry approval", DONE)
    elif decision == CeDecision.DECLINED:
        approval = Stage(
            "ce_approval",
            "Coordinated Entry approval",
            BLOCKED,
            f"Declined: {onboarding.ce_decision_reason}",
            "Your agency's ATA",
        )
    elif signed and reached_agreement:
        approval = Stage(
            "ce_approval",
            "Coordinated Entry approval",
            CURRENT,
            "The Coordinated Entry team approves your Coordinated Entry access.",
            "Coordinated Entry team",
        )
    else:
        approval = Stage("ce_approval", "Coordinated Entry approval", UPCOMING, "After the HRS Agreement.")
    return [agreement, approval]


def _own_records(
    continuum: Continuum, user: User
) -> tuple[LearningPath | None, LmsAccount | None, HmisAccount | None]:
    """The person's learning path and LMS account here (at most one each) and their first HMIS
    account here (by e-mail, as `HmisAccount`'s ordering gives it), in one query."""
    rows = list(
        User.objects.filter(pk=user.pk)
        .annotate(
            own_path=FilteredRelation("learning_paths", condition=Q(learning_paths__continuum=continuum)),
            own_lms=FilteredRelation("lms_accounts", condition=Q(lms_accounts__continuum=continuum)),
            own_hmis=FilteredRelation("hmis_accounts", condition=Q(hmis_accounts__continuum=continuum)),
        )
        .select_related("own_path", "own_lms", "own_hmis")
        .order_by("own_hmis__email", "own_hmis__pk")[:1]
    )
    if not rows:
        return None, None, None
    row = rows[0]
    return getattr(row, "own_path", None), getattr(row, "own_lms", None), getattr(row, "own_hmis", None)


def my_tracker(
    *,
    continuum: Continuum,
    user: User,
    now: dt.datetime | None = None,
    own: tuple[LearningPath | None, LmsAccount | None] | None = None,
) -> Tracker:
    """The signed-in person's own tracker (nobody else's: it is always keyed by `user`). Pass `own`
    (`selectors.own_path_and_lms_account` for this person) when the caller has read it already."""
    now = now or timezone.now()
    tracker = Tracker()
    person = (
        RequestedPerson.objects.filter(continuum=continuum)
        .filter(Q(user=user) | Q(email__iexact=user.email))
        .exclude(access_request__status=RequestStatus.DRAFT)
        .select_related("access_request", "access_request__agency")
        # Only what the request stage shows (the rows are wide: compiling and building them costs).
        .only("pk", "access_request__status", "access_request__queue", "access_request__agency__name")
        .order_by("-access_request__submitted_at", "-pk")
        .first()
    )
    if own is not None:
        path, account = own
        credentials = HmisAccount.objects.filter(continuum=continuum, user=user).first()
    else:
        path, account, credentials = _own_records(continuum, user)
    # Which agreements the person signed come with the onboarding record (one query, not two).
    signed = {
        kind: Exists(EndUserAgreementSignature.objects.filter(onboarding=OuterRef("pk"), version__kind=kind))
        for kind in AgreementKind.values
    }
    onboarding = (
        Onboarding.objects.filter(continuum=continuum, user=user)
        .exclude(stage=OnboardingStage.CLOSED)
        .annotate(**{f"signed_{kind}": exists for kind, exists in signed.items()})
        .order_by("-created_at")
        .first()
    )
    reached = ONBOARDING_ORDER.index(onboarding.stage) if onboarding is not None else -1
    tracker.has_path = path is not None
    tracker.path_complete = path is not None and path.is_complete
    tracker.has_request = person is not None

    # 1. The access request.
    if person is not None:
        req = person.access_request
        approved = req.status == RequestStatus.APPROVED
        closed_badly = req.status in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN, RequestStatus.RETURNED)
        tracker.stages.append(
            Stage(
                "request",
                "Access request",
                DONE if approved else BLOCKED if closed_badly else CURRENT,
                f"{req.get_status_display()} ({req.agency.name})",
                "" if approved else "Your agency's ATA" if closed_badly else f"{req.get_queue_display()}",
            )
        )
    elif path is not None:
        tracker.stages.append(Stage("request", "Access request", DONE, "Training assigned by the Help Desk."))
    else:
        tracker.stages.append(
            Stage(
                "request",
                "Access request",
                CURRENT,
                "Your agency's ATA files an access request for you.",
                "Your agency's ATA",
            )
        )

    # 2. The LMS account.
    if account is None:
        tracker.stages.append(
            Stage("lms", "LMS account", UPCOMING, "Created once your access request is approved.")
        )
    elif account.status == LmsAccount.Status.LINKED:
        tracker.stages.append(Stage("lms", "LMS account", DONE, f"Sign in to the LMS as {account.email}."))
    elif account.status == LmsAccount.Status.FAILED:
        tracker.stages.append(
            Stage("lms", "LMS account", BLOCKED, account.last_error or "Could not be linked.", "Help Desk")
        )
    else:
        tracker.stages.append(
            Stage("lms", "LMS account", CURRENT, f"Being set up for {account.email}.", "Help Desk")
        )

    # 3. The courses.
    result: lp.LearningPathResult | None = None
    if path is not None:
        policy = selectors.training_policy(continuum)
        catalog = selectors.catalog_snapshot(continuum, policy=policy)
        # One read of the person's enrolments serves the path computation and the parts' progress.
        progress: dict[str, lp.Progress] = {}
        enrolled: dict[str, tuple[dict, dt.datetime | None]] = {}
        for code, percent, completed_at, units in Enrollment.objects.filter(
            continuum=continuum, user=user
        ).values_list("course__code", "percent", "completed_at", "units"):
            progress[code] = lp.Progress(percent=percent, completed_at=completed_at)
            enrolled[code] = (units, completed_at)
        result = selectors.learning_path_result(
            continuum, user, catalog=catalog, path=path, progress=progress
        )
    if result is not None:
        names = _step_names(catalog, result)
        parts = _parts_by_course(catalog, enrolled)
        tracker.courses = [CourseRow(step, names, parts.get(_course_code(step), [])) for step in result.steps]
        tracker.percent = result.percent_complete
        nxt = result.next_step
        tracker.stages.append(
            Stage(
                "courses",
                "Training courses",
                DONE if result.is_complete else CURRENT,
                f"{result.percent_complete}% complete",
                "" if result.is_complete else "You",
            )
        )
        if not result.is_complete:
            tracker.deadline = lp.add_months(
                timezone.localtime(path.assigned_at, continuum.tzinfo).date(),
                policy.training_expires_after_months,
            )
        # 4. The sample client (the onboarding record, once it exists, says where the person is).
        if reached > ONBOARDING_ORDER.index(OnboardingStage.SAMPLE_CLIENT):
            exempt = onboarding.sample_client_exempt_reason
            tracker.stages.append(
                Stage("sample_client", "Sample client assignment", NOT_REQUIRED if exempt else DONE, exempt)
            )
        elif reached == ONBOARDING_ORDER.index(OnboardingStage.SAMPLE_CLIENT):
            tracker.stages.append(
                Stage(
                    "sample_client",
                    "Sample client assignment",
                    CURRENT,
                    "Enter the sample client in the HMIS training site; the Help Desk reviews it.",
                    "You, then the Help Desk",
                )
            )
        elif not result.needs_sample_client:
            tracker.stages.append(Stage("sample_client", "Sample client assignment", NOT_REQUIRED))
        elif result.ready_for_sample_client:
            tracker.stages.append(
                Stage(
                    "sample_client",
                    "Sample client assignment",
                    CURRENT,
                    "Enter the sample client in the HMIS training site; the Help Desk reviews it.",
                    "You",
                )
            )
        elif result.is_complete and result.recency_problems:
            tracker.stages.append(
                Stage(
                    "sample_client",
                    "Sample client assignment",
                    BLOCKED,
                    "Some courses were completed too long ago: "
                    + ", ".join(s.title for s in result.recency_problems)
                    + ". Retake them first.",
                    "You",
                )
            )
        else:
            tracker.stages.append(Stage("sample_client", "Sample client assignment", UPCOMING))
        if nxt is not None:
            tracker.next_action = (
                f"{'Continue' if nxt.state == lp.StepState.IN_PROGRESS else 'Start'} “{nxt.title}”."
            )
            tracker.holder = "You"
    else:
        tracker.stages.append(Stage("courses", "Training courses", UPCOMING, "Assigned on approval."))
        tracker.stages.append(Stage("sample_client", "Sample client assignment", UPCOMING))

    # 5-6. The user agreement and the credentials: recorded when the HMIS account is issued. Housing
    # Resource Specialists also sign the HRS Agreement and wait for the CE team's approval.
    kinds = {kind for kind in AgreementKind.values if onboarding and getattr(onboarding, f"signed_{kind}")}
    is_hrs = onboarding is not None and onboarding.is_hrs
    ce_pending = is_hrs and onboarding.ce_decision != CeDecision.APPROVED
    if credentials is None and reached >= ONBOARDING_ORDER.index(OnboardingStage.AGREEMENT):
        agreement_signed = AgreementKind.END_USER in kinds or reached > ONBOARDING_ORDER.index(
            OnboardingStage.AGREEMENT
        )
        ready = reached > ONBOARDING_ORDER.index(OnboardingStage.AGREEMENT)
        tracker.stages.append(
            Stage(
                "agreement",
                "User agreement",
                DONE if agreement_signed else CURRENT,
                "" if agreement_signed else "Read and sign the End User Agreement.",
                "" if agreement_signed else "You",
            )
        )
        if is_hrs:
            tracker.stages.extend(_hrs_stages(onboarding, kinds, reached_agreement=True))
        may_issue = ready and not ce_pending
        tracker.stages.append(
            Stage(
                "credentials",
                "HMIS credentials",
                CURRENT if may_issue else UPCOMING,
                "The Help Desk issues your HMIS username." if may_issue else "",
                "Help Desk" if may_issue else "",
            )
        )
        if may_issue and onboarding.credential_due_on:
            tracker.deadline = onboarding.credential_due_on
    elif credentials is not None:
        tracker.stages.append(Stage("agreement", "User agreement", DONE))
        if is_hrs:
            tracker.stages.extend(_hrs_stages(onboarding, kinds, reached_agreement=True))
        tracker.stages.append(
            Stage(
                "credentials",
                "HMIS credentials",
                DONE if credentials.status == "active" else BLOCKED,
                f"Username {credentials.hmis_username} ({credentials.get_status_display()})",
                "" if credentials.status == "active" else "Help Desk",
            )
        )
    else:
        tracker.stages.append(
            Stage("agreement", "User agreement", UPCOMING, "Signed before credentials are issued.")
        )
        if is_hrs:
            tracker.stages.extend(_hrs_stages(onboarding, kinds, reached_agreement=False))
        tracker.stages.append(Stage("credentials", "HMIS credentials", UPCOMING))

    if not tracker.next_action:
        current = next((s for s in tracker.stages if s.status in (CURRENT, BLOCKED)), None)
        if current is not None:
            tracker.next_action = current.detail or current.title
            tracker.holder = current.holder
        elif credentials is not None:
            tracker.next_action = "You are done: sign in to the HMIS with your credentials."
    return tracker
