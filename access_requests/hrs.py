"""Housing Resource Specialists (seed 000): after their training (and the sample client, when the
CoC's setting asks for it) and the individual HRS Agreement, the Coordinated Entry team approves or
declines each person before the Help Desk issues Coordinated Entry access. The Help Desk's issuance
refuses HRS people without this approval (`credentials.hmis_account_issue`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.participation import agency_is_hrs_host
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from . import credential_notify as notify
from .credentials import _audit, _locked_onboarding, signed_kinds
from .models import AgreementKind, CeDecision, Onboarding, OnboardingStage
from .sample_client import _lock_continuum, onboarding_close_locked
from .services import RequestConflict

# Stages at which the CE team decides: past training and the sample client, agreements signed or due.
DECISION_STAGES = (OnboardingStage.AGREEMENT, OnboardingStage.READY)


def ce_decision_problem(onboarding: Onboarding) -> str:
    """Why the CE team cannot decide on this person now, or "" when they can."""
    if not onboarding.is_hrs:
        return "This person was not requested as a Housing Resource Specialist."
    if onboarding.ce_decision != CeDecision.PENDING:
        return f"Already decided: {onboarding.get_ce_decision_display().lower()}."
    if onboarding.stage not in DECISION_STAGES:
        return (
            f"{onboarding.person.full_name} is at the {onboarding.get_stage_display().lower()} step; the "
            "Coordinated Entry team decides after the training and the signed HRS Agreement."
        )
    if AgreementKind.HRS not in signed_kinds(onboarding):
        return f"{onboarding.person.full_name} has not signed the Housing Resource Specialist Agreement yet."
    return ""


def ce_approval_problem(onboarding: Onboarding) -> str:
    """Why the CE team cannot approve this person now (declining may still be possible), or ""."""
    problem = ce_decision_problem(onboarding)
    if problem:
        return problem
    if not agency_is_hrs_host(onboarding.agency):
        return (
            f"{onboarding.agency.name} is not an approved Housing Resource Specialist host at present "
            "(its approval was revoked or its agreement is not current): decline, or approve the host first."
        )
    return ""


def _guard(onboarding: Onboarding, actor: User) -> None:
    if not access_for(onboarding.continuum, actor).can(Capability.REVIEW_CE_REQUESTS):
        raise PermissionDenied("Only the Coordinated Entry team approves Housing Resource Specialists.")
    if actor.pk == onboarding.user_id:
        raise PermissionDenied("Nobody approves their own Coordinated Entry access.")


def hrs_ce_approve(*, onboarding: Onboarding, actor: User) -> Onboarding:
    """The CE team approves the person as a Housing Resource Specialist: the Help Desk may now issue
    Coordinated Entry access (once the End User Agreement is signed too)."""
    _guard(onboarding, actor)
    with transaction.atomic():
        ob = _locked_onboarding(onboarding)
        problem = ce_approval_problem(ob)
        if problem:
            raise RequestConflict(problem)
        now = timezone.now()
        before = {"ce_decision": ob.ce_decision}
        ob.ce_decision, ob.ce_decided_by, ob.ce_decided_at, ob.ce_decision_reason = (
            CeDecision.APPROVED,
            actor,
            now,
            "",
        )
        ob.save(
            update_fields=[
                "ce_decision",
                "ce_decided_by",
                "ce_decided_at",
                "ce_decision_reason",
                "updated_at",
            ]
        )
        _audit(ob, ob.continuum, actor, "onboarding.ce_approved", before, ce_decision=ob.ce_decision)
        next_step = (
            "The HMIS Help Desk issues the credential with Coordinated Entry access next."
            if ob.stage == OnboardingStage.READY
            else "Next: sign the End User Agreement; the HMIS Help Desk then issues the credential."
        )
        notify.send(
            continuum=ob.continuum,
            key=f"onboarding:{ob.pk}:ce_approved",
            subject=f"Approved as Housing Resource Specialist: {ob.person.full_name} ({ob.agency.name})",
            headline="Approved by the Coordinated Entry team",
            subtitle=f"{ob.person.full_name} — {ob.agency.name}",
            lines=["Coordinated Entry access is approved.", next_step],
            recipients=[ob.user, *notify.agency_leads(ob.agency, [Role.ATA])],
            to_email=ob.continuum.help_desk_email if ob.stage == OnboardingStage.READY else "",
            link=notify.my_access_url(ob.continuum),
        )
    return ob


def hrs_ce_decline(*, onboarding: Onboarding, actor: User, reason: str) -> Onboarding:
    """The CE team declines the person: no Coordinated Entry access; the onboarding is closed with the
    reason, and the person and their ATA are told (the ATA may file a new request later)."""
    _guard(onboarding, actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Write the reason the person and their ATA will read."})
    if len(reason) > 1000:
        raise ValidationError({"reason": "Keep the reason under 1,000 characters."})
    with transaction.atomic():
        _lock_continuum(onboarding.continuum)
        ob = _locked_onboarding(onboarding)
        problem = ce_decision_problem(ob)
        if problem:
            raise RequestConflict(problem)
        now = timezone.now()
        before = {"ce_decision": ob.ce_decision}
        ob.ce_decision, ob.ce_decided_by, ob.ce_decided_at, ob.ce_decision_reason = (
            CeDecision.DECLINED,
            actor,
            now,
            reason,
        )
        ob.save(
            update_fields=[
                "ce_decision",
                "ce_decided_by",
                "ce_decided_at",
                "ce_decision_reason",
                "updated_at",
            ]
        )
        _audit(
            ob,
            ob.continuum,
            actor,
            "onboarding.ce_declined",
            before,
            ce_decision=ob.ce_decision,
            reason=reason,
        )
        onboarding_close_locked(
            ob,
            actor=actor,
            reason=f"Declined by the Coordinated Entry team: {reason}",
            action="onboarding.closed",
            now=now,
        )
        notify.send(
            continuum=ob.continuum,
            key=f"onboarding:{ob.pk}:ce_declined",
            subject=f"Not approved as Housing Resource Specialist: {ob.person.full_name} ({ob.agency.name})",
            headline="Declined by the Coordinated Entry team",
            subtitle=f"{ob.person.full_name} — {ob.agency.name}",
            lines=[
                f"Reason: {reason}",
                "No Coordinated Entry access will be issued for this request. Questions go to the "
                "Coordinated Entry team.",
            ],
            recipients=[ob.user, *notify.agency_leads(ob.agency, [Role.ATA])],
            link=notify.my_access_url(ob.continuum),
        )
    return ob
