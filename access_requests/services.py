"""Every change to an access request: one service per transition. Each one checks who is acting and
what state the request is in, locks the row, writes the change and its audit event in one
transaction, and leaves e-mails to `transaction.on_commit` (through the outbox)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from agencies.models import Agency, HmisProject
from agencies.participation import (
    AgencyNotEligible,
    agency_can_submit_access_requests,
    agency_is_hrs_host,
    ensure_agency_can_submit_access_requests,
)
from hmis_onboarding.audit import audit_record
from hmis_onboarding.business_calendar import add_business_days, business_days_between
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for
from rollout.gates import request_submission_closed_reason

from . import notify
from .advice import advise, training_credit
from .configuration import policy_for
from .models import (
    OPEN_STATUSES,
    AccessRequest,
    CesRole,
    Eligibility,
    MessageKind,
    Queue,
    RequestedPerson,
    RequestMessage,
    RequestStatus,
    RequestType,
)

# Sent after an approval commits; the training side starts each person's onboarding from it.
access_request_approved = Signal()  # kwargs: access_request


class RequestConflict(Exception):
    """The request is no longer in a state that allows this (someone else acted first)."""


REVIEW_CAPABILITY = {
    Queue.HELP_DESK: Capability.REVIEW_REQUESTS,
    Queue.CE_TEAM: Capability.REVIEW_CE_REQUESTS,
}
# Forms whose people may have their earlier training credited (seed 001: "previous or current HMIS
# access" and "new project access" share the separate-training rule).
CREDIT_ELIGIBILITIES = (Eligibility.RETURNING, Eligibility.CURRENT_AGENCY_USER)
CHECKLIST_STEPS = {
    "enrollments": ("enrollments_confirmed_at", "Course enrollments confirmed"),
    "training_account": ("training_account_created_at", "HMIS training account created"),
    "license": ("license_use_confirmed_at", "Credit (license) use confirmed"),
}


# --- Guards ------------------------------------------------------------------------------------------


def may_file(user: User, agency: Agency) -> bool:
    access = access_for(agency.continuum, user)
    return Role.ATA in access.roles_in_agency(agency.pk)


def may_review(user: User, access_request: AccessRequest) -> bool:
    return access_for(access_request.continuum, user).can(REVIEW_CAPABILITY[access_request.queue])


def _require_filer(user: User, access_request: AccessRequest) -> None:
    if not may_file(user, access_request.agency):
        raise PermissionDenied("Only the agency's Technical Administrators may change this request.")


def _require_reviewer(user: User, access_request: AccessRequest) -> None:
    if not may_review(user, access_request):
        team = Queue(access_request.queue).label
        raise PermissionDenied(f"Only the {team} reviews this request.")
    if access_request.submitted_by_id == user.pk or access_request.created_by_id == user.pk:
        raise PermissionDenied("Nobody reviews a request they filed.")


def _locked(access_request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("continuum", "agency", "request_type")
        .get(pk=access_request.pk)
    )


def _expect(req: AccessRequest, *statuses: str, action: str) -> None:
    if req.status not in statuses:
        raise RequestConflict(
            f"This request is {req.get_status_display().lower()} now, so it cannot be {action}. "
            "Reload the page to see its current state."
        )


def _audit(req: AccessRequest, actor: User, action: str, before: dict | None = None, **after: Any) -> None:
    audit_record(
        action=f"access_request.{action}",
        actor=actor,
        continuum=req.continuum,
        obj=req,
        before=before or {},
        after={k: (str(v) if v is not None else None) for k, v in after.items()},
    )


def _today(req: AccessRequest):
    return timezone.now().astimezone(req.continuum.tzinfo).date()


# --- Drafts ------------------------------------------------------------------------------------------


def access_request_create(*, agency: Agency, actor: User, request_type: RequestType) -> AccessRequest:
    if request_type.continuum_id != agency.continuum_id or not request_type.is_active:
        raise ValidationError({"request_type": "Choose one of this CoC's request forms."})
    if not may_file(actor, agency):
        raise PermissionDenied("Only the agency's Technical Administrators file access requests.")
    if agency.victim_service_provider:
        # No HMIS client-data path at all, not even a draft: the reason points to the separate CE process.
        raise ValidationError([r.message for r in agency_can_submit_access_requests(agency).reasons])
    with transaction.atomic():
        req = AccessRequest.objects.create(
            continuum=agency.continuum,
            agency=agency,
            request_type=request_type,
            queue=request_type.queue,
            created_by=actor,
        )
        _audit(req, actor, "drafted", request_type=request_type.code)
    return req


def access_request_update_draft(
    *,
    access_request: AccessRequest,
    actor: User,
    read_only: bool,
    responsibilities: str,
    projects: list[HmisProject],
    ces_roles: list[CesRole] | None = None,
) -> AccessRequest:
    _require_filer(actor, access_request)
    errors: dict[str, str] = {}
    if any(p.agency_id != access_request.agency_id or not p.is_active for p in projects):
        errors["projects"] = "Choose projects of your own agency."
    roles = list(ces_roles or [])
    if any(r.continuum_id != access_request.continuum_id or not r.is_active for r in roles):
        errors["ces_roles"] = "Choose this CoC's CES roles."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.DRAFT, action="edited")
        req.read_only = read_only
        req.responsibilities = responsibilities.strip()
        req.save(update_fields=["read_only", "responsibilities", "updated_at"])
        req.projects.set(projects)
        req.ces_roles.set(roles)
        _audit(req, actor, "draft_saved", read_only=read_only, projects=len(projects), ces_roles=len(roles))
    return req


@dataclass(frozen=True)
class PersonInput:
    first_name: str
    last_name: str
    email: str


_PASTE_SPLIT = re.compile(r"[,\t;]+")


def parse_people(text: str) -> tuple[list[PersonInput], list[str]]:
    """Pasted lines "First Last, e-mail" (or tab/semicolon separated) → people and line errors."""
    people: list[PersonInput] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in _PASTE_SPLIT.split(line) if p.strip()]
        email = next((p for p in parts if "@" in p), "")
        names = [p for p in parts if p != email]
        if len(names) == 1:
            names = names[0].split(None, 1)
        if not email or len(names) < 2:
            errors.append(f"Line {number}: write “First name Last name, e-mail” (got “{line[:80]}”).")
            continue
        people.append(PersonInput(first_name=names[0], last_name=" ".join(names[1:]), email=email))
    return people, errors


def requested_person_add(
    *, access_request: AccessRequest, actor: User, first_name: str, last_name: str, email: str
) -> RequestedPerson:
    _require_filer(actor, access_request)
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip().lower()
    errors: dict[str, str] = {}
    if not first_name:
        errors["first_name"] = "Enter the person's first name."
    if not last_name:
        errors["last_name"] = "Enter the person's last name."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter the person's agency e-mail address, like name@agency.org."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.DRAFT, action="edited")
        existing = req.people.count()
        if existing and not req.request_type.allows_multiple_people:
            raise ValidationError(
                {
                    "email": (
                        f"“{req.request_type.short_name}” requests are for one person each: "
                        "file another request."
                    )
                }
            )
        if req.people.filter(email__iexact=email).exists():
            raise ValidationError({"email": f"{email} is already in this request."})
        advice = advise(continuum=req.continuum, agency=req.agency, email=email)
        person = RequestedPerson.objects.create(
            continuum=req.continuum,
            access_request=req,
            first_name=first_name,
            last_name=last_name,
            email=email,
            user=User.objects.filter(email__iexact=email).first(),
            suggested_type=advice.request_type,
            suggestion_reason=advice.reason[:300],
        )
        _audit(req, actor, "person_added", email=email)
    return person


def requested_person_remove(*, person: RequestedPerson, actor: User) -> None:
    req = person.access_request
    _require_filer(actor, req)
    with transaction.atomic():
        req = _locked(req)
        _expect(req, RequestStatus.DRAFT, action="edited")
        RequestedPerson.objects.filter(pk=person.pk, access_request=req).delete()
        _audit(req, actor, "person_removed", email=person.email)


# --- Submission --------------------------------------------------------------------------------------


def submission_problems(req: AccessRequest) -> list[str]:
    """What stops a draft from being submitted, in words the ATA can act on."""
    problems: list[str] = []
    rtype = req.request_type
    people = list(req.people.all())
    if not people:
        problems.append("Add at least one person.")
    elif len(people) > 1 and not rtype.allows_multiple_people:
        problems.append(f"“{rtype.short_name}” requests are for one person each: remove all but one.")
    projects = list(req.projects.all())
    if rtype.requires_projects and not projects:
        problems.append("Choose the projects these people need.")
    if rtype.uses_ces_roles and not req.ces_roles.exists():
        problems.append("Choose at least one CES role.")
    if not req.responsibilities.strip():
        problems.append("Describe their responsibilities in HMIS.")
    if rtype.eligibility == Eligibility.HRS:
        if not agency_is_hrs_host(req.agency):
            problems.append(
                f"{req.agency.name} is not an approved Housing Resource Specialist host; the Coordinated "
                "Entry team approves hosts."
            )
    if req.agency.victim_service_provider and not req.read_only:
        problems.append(
            "Victim service providers do not enter client data into HMIS; use the CoC's separate "
            "Coordinated Entry process."
        )
    return problems


def access_request_submit(*, access_request: AccessRequest, actor: User) -> AccessRequest:
    _require_filer(actor, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.DRAFT, action="submitted")
        try:
            ensure_agency_can_submit_access_requests(req.agency)
        except AgencyNotEligible as refusal:
            reasons = [f"{r.message} ({r.who_must_act})" for r in refusal.eligibility.reasons]
            raise ValidationError(reasons or [str(refusal)]) from refusal
        closed = request_submission_closed_reason(req.continuum)
        if closed:
            raise ValidationError([closed])
        problems = submission_problems(req)
        if problems:
            raise ValidationError(problems)
        policy = policy_for(req.continuum)
        now = timezone.now()
        # Returning users and current users asking for new projects: earlier training for the same
        # project types is credited, except for the separately trained families (seed 001).
        if req.request_type.eligibility in CREDIT_ELIGIBILITIES:
            projects = list(req.projects.all())
            for person in req.people.all():
                adv = advise(continuum=req.continuum, agency=req.agency, email=person.email)
                credited, note = training_credit(
                    policy=policy, trained_project_types=adv.trained_project_types, projects=projects
                )
                person.credited_training, person.credit_note = credited, note[:300]
                person.save(update_fields=["credited_training", "credit_note"])
        req.status = RequestStatus.SUBMITTED
        req.submitted_by = actor
        req.submitted_at = now
        req.sla_due_on = add_business_days(
            req.continuum, now.astimezone(req.continuum.tzinfo), policy.sla_business_days
        )
        req.save(update_fields=["status", "submitted_by", "submitted_at", "sla_due_on", "updated_at"])
        _audit(req, actor, "submitted", {"status": "draft"}, status=req.status, sla_due_on=req.sla_due_on)
        notify.request_submitted(req)
    return req


def access_request_withdraw(*, access_request: AccessRequest, actor: User) -> AccessRequest:
    _require_filer(actor, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.DRAFT, *OPEN_STATUSES, action="withdrawn")
        before = {"status": req.status}
        req.status = RequestStatus.WITHDRAWN
        req.decided_at, req.decided_by = timezone.now(), actor
        req.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
        _audit(req, actor, "withdrawn", before, status=req.status)
    return req


# --- Review ------------------------------------------------------------------------------------------


def access_request_claim(*, access_request: AccessRequest, reviewer: User) -> AccessRequest:
    return access_request_assign(access_request=access_request, actor=reviewer, assignee=reviewer)


def access_request_assign(
    *, access_request: AccessRequest, actor: User, assignee: User | None
) -> AccessRequest:
    _require_reviewer(actor, access_request)
    if assignee is not None and assignee != actor:
        _require_reviewer(assignee, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, *OPEN_STATUSES, action="assigned")
        before = {"assignee": str(req.assignee) if req.assignee_id else None, "status": req.status}
        req.assignee = assignee
        if req.status == RequestStatus.SUBMITTED and assignee is not None:
            req.status = RequestStatus.IN_REVIEW
        req.save(update_fields=["assignee", "status", "updated_at"])
        _audit(req, actor, "assigned", before, assignee=assignee, status=req.status)
    return req


def access_request_confirm_step(
    *, access_request: AccessRequest, reviewer: User, step: str, done: bool = True
) -> AccessRequest:
    if step not in CHECKLIST_STEPS:
        raise ValidationError({"step": "Unknown checklist step."})
    _require_reviewer(reviewer, access_request)
    field, label = CHECKLIST_STEPS[step]
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, action="reviewed")
        before = {field: str(getattr(req, field)) if getattr(req, field) else None}
        setattr(req, field, timezone.now() if done else None)
        if req.status == RequestStatus.SUBMITTED:
            req.status, req.assignee = RequestStatus.IN_REVIEW, req.assignee or reviewer
        req.save(update_fields=[field, "status", "assignee", "updated_at"])
        _audit(req, reviewer, "checklist", before, **{field: getattr(req, field)}, step=label)
    return req


def access_request_request_info(
    *, access_request: AccessRequest, reviewer: User, question: str
) -> AccessRequest:
    if not question.strip():
        raise ValidationError({"question": "Write what you need to know."})
    _require_reviewer(reviewer, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, action="put on hold for information")
        before = {"status": req.status}
        req.status = RequestStatus.INFO_REQUESTED
        req.sla_paused_since = timezone.now()
        req.assignee = req.assignee or reviewer
        req.save(update_fields=["status", "sla_paused_since", "assignee", "updated_at"])
        RequestMessage.objects.create(
            continuum=req.continuum,
            access_request=req,
            author=reviewer,
            kind=MessageKind.INFO_REQUEST,
            body=question.strip(),
        )
        _audit(req, reviewer, "info_requested", before, status=req.status)
        notify.info_requested(req, question.strip())
    return req


def access_request_answer(*, access_request: AccessRequest, actor: User, answer: str) -> AccessRequest:
    if not answer.strip():
        raise ValidationError({"answer": "Write your answer."})
    _require_filer(actor, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.INFO_REQUESTED, action="answered")
        before = {"status": req.status, "sla_due_on": str(req.sla_due_on)}
        # The clock stood still while the ATA owed an answer: move the due date by those business days.
        if req.sla_paused_since and req.sla_due_on:
            tz = req.continuum.tzinfo
            paused = business_days_between(
                req.continuum, req.sla_paused_since.astimezone(tz), timezone.now().astimezone(tz)
            )
            if paused:
                req.sla_due_on = add_business_days(req.continuum, req.sla_due_on, paused)
        req.status = RequestStatus.IN_REVIEW
        req.sla_paused_since = None
        req.save(update_fields=["status", "sla_paused_since", "sla_due_on", "updated_at"])
        RequestMessage.objects.create(
            continuum=req.continuum,
            access_request=req,
            author=actor,
            kind=MessageKind.ANSWER,
            body=answer.strip(),
        )
        _audit(req, actor, "answered", before, status=req.status, sla_due_on=req.sla_due_on)
        notify.info_answered(req)
    return req


def _decide(req: AccessRequest, reviewer: User, status: str, reason: str) -> None:
    req.status = status
    req.decided_by, req.decided_at, req.decision_reason = reviewer, timezone.now(), reason
    req.sla_paused_since = None


def access_request_return(
    *, access_request: AccessRequest, reviewer: User, correct_type: RequestType, reason: str = ""
) -> AccessRequest:
    _require_reviewer(reviewer, access_request)
    if (
        correct_type.continuum_id != access_request.continuum_id
        or correct_type.pk == access_request.request_type_id
    ):
        raise ValidationError({"correct_type": "Choose the other form this request should have used."})
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, action="returned")
        before = {"status": req.status}
        _decide(req, reviewer, RequestStatus.RETURNED, reason.strip())
        req.correct_type = correct_type
        req.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_reason",
                "sla_paused_since",
                "correct_type",
                "updated_at",
            ]
        )
        _audit(req, reviewer, "returned", before, status=req.status, correct_type=correct_type.code)
        notify.decided(req)
    return req


def access_request_refile(*, access_request: AccessRequest, actor: User) -> tuple[AccessRequest, list[str]]:
    """Re-file a returned request through the correct form, keeping its data; submits it when it can.
    Returns the new request and what still stops it (empty when it was submitted)."""
    _require_filer(actor, access_request)
    with transaction.atomic():
        old = _locked(access_request)
        _expect(old, RequestStatus.RETURNED, action="re-filed")
        if hasattr(old, "resubmission"):
            raise RequestConflict("This request was already re-filed.")
        new = AccessRequest.objects.create(
            continuum=old.continuum,
            agency=old.agency,
            request_type=old.correct_type,
            queue=old.correct_type.queue,
            created_by=actor,
            read_only=old.read_only,
            responsibilities=old.responsibilities,
            resubmission_of=old,
        )
        new.projects.set(old.projects.all())
        new.ces_roles.set(old.ces_roles.all())
        for person in old.people.all():
            adv = advise(continuum=new.continuum, agency=new.agency, email=person.email)
            RequestedPerson.objects.create(
                continuum=new.continuum,
                access_request=new,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                user=person.user,
                suggested_type=adv.request_type,
                suggestion_reason=adv.reason[:300],
            )
        _audit(new, actor, "refiled", from_request=old.pk, request_type=new.request_type.code)
    try:
        new = access_request_submit(access_request=new, actor=actor)
    except ValidationError as error:
        return new, error.messages
    return new, []


def access_request_reject(*, access_request: AccessRequest, reviewer: User, reason: str) -> AccessRequest:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is rejected; the ATA will read it."})
    _require_reviewer(reviewer, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, *OPEN_STATUSES, action="rejected")
        before = {"status": req.status}
        _decide(req, reviewer, RequestStatus.REJECTED, reason.strip())
        req.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_reason",
                "sla_paused_since",
                "updated_at",
            ]
        )
        _audit(req, reviewer, "rejected", before, status=req.status, reason=reason.strip()[:200])
        notify.decided(req)
    return req


def approval_problems(req: AccessRequest) -> list[str]:
    if req.queue == Queue.CE_TEAM:
        return []
    missing = [label for field, label in CHECKLIST_STEPS.values() if getattr(req, field) is None]
    return [f"Not yet done: {label.lower()}." for label in missing]


def access_request_approve(*, access_request: AccessRequest, reviewer: User, note: str = "") -> AccessRequest:
    _require_reviewer(reviewer, access_request)
    with transaction.atomic():
        req = _locked(access_request)
        _expect(req, RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, action="approved")
        problems = approval_problems(req)
        if problems:
            raise ValidationError(problems)
        before = {"status": req.status}
        _decide(req, reviewer, RequestStatus.APPROVED, note.strip())
        req.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_reason",
                "sla_paused_since",
                "updated_at",
            ]
        )
        _link_people(req, reviewer)
        _audit(req, reviewer, "approved", before, status=req.status)
        notify.decided(req)
        transaction.on_commit(lambda: access_request_approved.send(sender=AccessRequest, access_request=req))
    return req


def _link_people(req: AccessRequest, reviewer: User) -> None:
    """Approved people become members of the agency, with an account to sign in with."""
    from agencies.services import membership_grant

    for person in req.people.select_for_update():
        user = person.user or User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = User.objects.create_user(email=person.email, full_name=person.full_name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])
        membership_grant(
            continuum=req.continuum, user=user, role=Role.AGENCY_USER, agency=req.agency, actor=reviewer
        )
