"""Per-person onboarding after approval, the End User Agreement, and the HMIS account lifecycle:
issuance against the agency's license pool, suspension, offboarding (DESIGN.md §5).

Every transition is one function: guard first, then one transaction that locks the rows it changes,
writes the change and its audit event, and queues e-mails through the outbox."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from agencies.models import Agency, AgreementType, Continuum, Gate, HmisProject
from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from . import credential_notify as notify
from .credential_config import policy_for
from .models import (
    AccessRequest,
    AgreementKind,
    CeDecision,
    Eligibility,
    EndUserAgreementSignature,
    EndUserAgreementVersion,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
    Queue,
)
from .readiness import person_ready_for_sample_client
from .services import RequestConflict, access_request_approved


class SuspensionReason:
    INACTIVE = "inactive"
    AGREEMENT_LAPSED = "agreement_lapsed"
    HRS_REMOVED = "hrs_removed"
    HELP_DESK = "help_desk"
    LABELS = {
        INACTIVE: "Inactive longer than the CoC allows",
        AGREEMENT_LAPSED: "The agency's participation agreement is not current",
        HRS_REMOVED: "Removed as Housing Resource Specialist by the Coordinated Entry team",
        HELP_DESK: "Suspended by the HMIS Help Desk",
    }


def _audit(
    obj: Any, continuum: Continuum, actor: User | None, action: str, before: dict | None = None, **after: Any
) -> None:
    audit_record(
        action=action,
        actor=actor,
        continuum=continuum,
        obj=obj,
        before=before or {},
        after={k: (v if v is None or isinstance(v, int | bool | list) else str(v)) for k, v in after.items()},
        actor_label="" if actor is not None else "system",
    )


# --- Onboarding --------------------------------------------------------------------------------------


def sample_client_exemption(
    *, read_only: bool, projects: list[HmisProject], exempt_funding: list[str]
) -> str:
    """Why this person skips the sample client, or "" (seed 001: read-only users; HPCC and State
    Homeless Prevention projects)."""
    if read_only:
        return "Read-only users receive access after the alternate Introduction to HMIS course."
    if (
        projects
        and exempt_funding
        and all(any(getattr(p, f, False) for f in exempt_funding) for p in projects)
    ):
        names = sorted({label for p in projects for label in p.funding_labels})
        return f"Projects funded by {', '.join(names)} need no sample client; the Help Desk confirms access."
    return ""


def is_hrs_request(access_request: AccessRequest) -> bool:
    """HRS / Coordinated Entry 1474 requests: the HRS form, or any request the CE team reviews."""
    return access_request.request_type.eligibility == Eligibility.HRS or access_request.queue == Queue.CE_TEAM


def hrs_sample_client_exemption(*, setting: str, projects: list[HmisProject]) -> str:
    """Why a Housing Resource Specialist skips the sample client under the CoC's setting, or ""."""
    from .models import HrsSampleClient

    if setting == HrsSampleClient.REPLACED_BY_HRS_TRAINING or (
        setting == HrsSampleClient.WITH_PROJECTS and not projects
    ):
        return (
            "Housing Resource Specialists take the HRS training instead of the sample client; the "
            "Coordinated Entry team approves Coordinated Entry access."
        )
    return ""


def onboarding_start(*, access_request: AccessRequest) -> list[Onboarding]:
    """One onboarding per approved person (idempotent: a second call returns the same rows). People of
    an HRS / CE 1474 request also sign the HRS Agreement and wait for the CE team's approval."""
    req = access_request
    projects = list(req.projects.all())
    types = sorted({p.hud_project_type for p in projects})
    policy = policy_for(req.continuum)
    hrs = is_hrs_request(req)
    exempt = sample_client_exemption(
        read_only=req.read_only,
        projects=projects,
        exempt_funding=list(policy.sample_client_exempt_funding),
    )
    if hrs and not exempt:
        exempt = hrs_sample_client_exemption(setting=policy.hrs_sample_client, projects=projects)
    out: list[Onboarding] = []
    with transaction.atomic():
        for person in req.people.select_related("user").filter(user__isnull=False):
            onboarding, created = Onboarding.objects.get_or_create(
                person=person,
                defaults={
                    "continuum": req.continuum,
                    "agency": req.agency,
                    "access_request": req,
                    "user": person.user,
                    "read_only": req.read_only,
                    "project_types": types,
                    "sample_client_exempt_reason": exempt,
                    "is_hrs": hrs,
                    "ce_decision": CeDecision.PENDING if hrs else CeDecision.NOT_NEEDED,
                },
            )
            if created:
                _audit(
                    onboarding,
                    req.continuum,
                    None,
                    "onboarding.started",
                    stage=onboarding.stage,
                    exempt=exempt,
                    hrs=hrs,
                )
            out.append(onboarding)
    return out


@receiver(access_request_approved)
def _on_request_approved(sender: Any, access_request: AccessRequest, **kwargs: Any) -> None:
    onboarding_start(access_request=access_request)


def _locked_onboarding(onboarding: Onboarding) -> Onboarding:
    return (
        Onboarding.objects.select_for_update(of=("self",))
        .select_related("continuum", "agency", "person", "user")
        .get(pk=onboarding.pk)
    )


def onboarding_confirm_training(*, onboarding: Onboarding, actor: User) -> Onboarding:
    """Staff override: "training confirmed complete", with who and when. Exempt people go straight to
    the End User Agreement; the others may sign up for the sample client."""
    if not access_for(onboarding.continuum, actor).can(Capability.REVIEW_SAMPLE_CLIENTS):
        raise PermissionDenied("Only the HMIS Help Desk confirms training.")
    with transaction.atomic():
        ob = _locked_onboarding(onboarding)
        if ob.stage != OnboardingStage.TRAINING:
            raise RequestConflict(f"This person is at the {ob.get_stage_display().lower()} step already.")
        before = {"stage": ob.stage}
        ob.training_confirmed_by, ob.training_confirmed_at = actor, timezone.now()
        ob.stage = (
            OnboardingStage.AGREEMENT if ob.sample_client_exempt_reason else OnboardingStage.SAMPLE_CLIENT
        )
        ob.save(update_fields=["training_confirmed_by", "training_confirmed_at", "stage", "updated_at"])
        _audit(ob, ob.continuum, actor, "onboarding.training_confirmed", before, stage=ob.stage)
        notify.send(
            continuum=ob.continuum,
            key=f"onboarding:{ob.pk}:training_confirmed:{ob.training_confirmed_at:%Y%m%d%H%M%S}",
            subject="Your HMIS training is complete",
            headline="Your training is complete",
            subtitle=f"{ob.person.full_name} — {ob.agency.name}",
            lines=[
                (
                    "Next: sign the End User Agreement and the Housing Resource Specialist Agreement."
                    if ob.is_hrs
                    else "Next: sign the End User Agreement."
                )
                if ob.sample_client_exempt_reason
                else "Next: sign up for the HMIS sample client assignment."
            ],
            recipients=[ob.user, *notify.agency_leads(ob.agency, [Role.ATA])],
            link=notify.my_access_url(ob.continuum),
        )
    return ob


# --- End User Agreement ------------------------------------------------------------------------------


def current_agreement(continuum: Continuum, kind: str) -> EndUserAgreementVersion | None:
    return EndUserAgreementVersion.objects.filter(continuum=continuum, kind=kind, is_current=True).first()


def current_eua(continuum: Continuum) -> EndUserAgreementVersion | None:
    return current_agreement(continuum, AgreementKind.END_USER)


def current_hrs_agreement(continuum: Continuum) -> EndUserAgreementVersion | None:
    return current_agreement(continuum, AgreementKind.HRS)


def resign_floor(continuum: Continuum, kind: str) -> int:
    """The id of the last version of `kind` that asked people to sign again (0 when none): signatures
    of that version or a later one count for the current version."""
    last = (
        EndUserAgreementVersion.objects.filter(continuum=continuum, kind=kind, requires_resign=True)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def signatures_cover(signatures: Iterable[EndUserAgreementSignature], kind: str, floor: int) -> bool:
    """Whether one of these signatures counts for the current version of `kind` (see resign_floor)."""
    return any(s.version.kind == kind and s.version_id >= floor for s in signatures)


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def may_sign_eua(onboarding: Onboarding) -> bool:
    if onboarding.stage in (OnboardingStage.AGREEMENT, OnboardingStage.READY, OnboardingStage.CREDENTIALED):
        return True
    return (
        bool(onboarding.sample_client_exempt_reason)
        and onboarding.stage == OnboardingStage.TRAINING
        and (person_ready_for_sample_client(onboarding.continuum, onboarding.user))
    )


def may_sign_hrs_agreement(onboarding: Onboarding) -> bool:
    """Housing Resource Specialists sign it at the same point as the End User Agreement."""
    return onboarding.is_hrs and onboarding.ce_decision != CeDecision.DECLINED and may_sign_eua(onboarding)


def signed_kinds(onboarding: Onboarding) -> set[str]:
    return set(
        EndUserAgreementSignature.objects.filter(onboarding=onboarding).values_list(
            "version__kind", flat=True
        )
    )


def agreements_complete(onboarding: Onboarding) -> bool:
    """Every agreement this person signs is signed (some version): the End User Agreement, and for
    Housing Resource Specialists the HRS Agreement too."""
    kinds = signed_kinds(onboarding)
    return AgreementKind.END_USER in kinds and (not onboarding.is_hrs or AgreementKind.HRS in kinds)


def render_eua_pdf(
    *,
    version: EndUserAgreementVersion,
    onboarding: Onboarding,
    signed_name: str,
    signed_at: datetime.datetime,
) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "access_requests/pdf/end_user_agreement.html",
        {
            "version": version,
            "onboarding": onboarding,
            "continuum": onboarding.continuum,
            "agency": onboarding.agency,
            "signed_name": signed_name,
            "signed_at": signed_at.astimezone(onboarding.continuum.tzinfo),
            "email": onboarding.user.email,
            "is_hrs_agreement": version.kind == AgreementKind.HRS,
        },
    )
    return HTML(string=html).write_pdf()


def _agreement_sign(
    *, onboarding: Onboarding, actor: User, signed_name: str, kind: str
) -> EndUserAgreementSignature:
    title = AgreementKind(kind).label
    if actor.pk != onboarding.user_id:
        raise PermissionDenied(f"Only the person themselves signs their {title}.")
    if kind == AgreementKind.HRS and not onboarding.is_hrs:
        raise PermissionDenied("Only people approved as Housing Resource Specialists sign the HRS Agreement.")
    if _normalise(signed_name) != _normalise(onboarding.person.full_name):
        raise ValidationError(
            {
                "signed_name": "Type your full name as it appears on the request: "
                f"{onboarding.person.full_name}."
            }
        )
    version = current_agreement(onboarding.continuum, kind)
    if version is None:
        raise ValidationError(f"The CoC has not published the {title} yet; contact the Help Desk.")
    with transaction.atomic():
        ob = _locked_onboarding(onboarding)
        if EndUserAgreementSignature.objects.filter(onboarding=ob, version=version).exists():
            raise RequestConflict(f"You already signed version {version.label}.")
        allowed = may_sign_hrs_agreement(ob) if kind == AgreementKind.HRS else may_sign_eua(ob)
        if not allowed:
            raise RequestConflict(f"The {title} comes after the sample client (or training, when exempt).")
        now = timezone.now()
        content = render_eua_pdf(
            version=version, onboarding=ob, signed_name=signed_name.strip(), signed_at=now
        )
        signature = EndUserAgreementSignature(
            continuum=ob.continuum,
            onboarding=ob,
            user=actor,
            version=version,
            signed_name=signed_name.strip(),
            signed_at=now,
            document_sha256=hashlib.sha256(content).hexdigest(),
        )
        prefix = "hrs-agreement" if kind == AgreementKind.HRS else "end-user-agreement"
        signature.document.save(
            f"{prefix}-{version.label}-{now:%Y%m%d%H%M%S}.pdf", ContentFile(content), save=False
        )
        signature.save()
        before = {"stage": ob.stage}
        if ob.stage != OnboardingStage.CREDENTIALED:
            if agreements_complete(ob):
                from hmis_onboarding.business_calendar import add_business_days

                from .configuration import policy_for as request_policy_for

                # Training and forms are complete: the access clock starts (LA: within 3 business days).
                ob.stage = OnboardingStage.READY
                ob.credential_due_on = add_business_days(
                    ob.continuum,
                    now.astimezone(ob.continuum.tzinfo),
                    request_policy_for(ob.continuum).sla_business_days,
                )
            else:
                # An exempt person signing from the training step: the other agreement is still due.
                ob.stage = OnboardingStage.AGREEMENT
            ob.save(update_fields=["stage", "credential_due_on", "updated_at"])
        _audit(
            signature,
            ob.continuum,
            actor,
            "hrs_agreement.signed" if kind == AgreementKind.HRS else "eua.signed",
            before,
            stage=ob.stage,
            version=version.label,
            sha256=signature.document_sha256,
        )
        lines = [
            f"Version {version.label}, signed {now.astimezone(ob.continuum.tzinfo):%B %-d, %Y}.",
            "The signed PDF is on the person's HMIS access page and your licenses page.",
        ]
        if kind == AgreementKind.HRS and ob.ce_decision == CeDecision.PENDING:
            lines.append("The Coordinated Entry team approves Coordinated Entry access next.")
        notify.send(
            continuum=ob.continuum,
            key=f"{'hrs' if kind == AgreementKind.HRS else 'eua'}:{signature.pk}:signed",
            subject=f"{title} signed: {ob.person.full_name} ({ob.agency.name})",
            headline=f"{'A' if kind == AgreementKind.HRS else 'An'} {title} was signed",
            subtitle=f"{ob.person.full_name} — {ob.agency.name}",
            lines=lines,
            recipients=notify.agency_leads(ob.agency),
            to_email=ob.continuum.ce_team_email if kind == AgreementKind.HRS else "",
            link=notify.my_access_url(ob.continuum),
        )
    return signature


def eua_sign(*, onboarding: Onboarding, actor: User, signed_name: str) -> EndUserAgreementSignature:
    """The person signs the CoC's current End User Agreement in the application; the PDF is kept in
    private storage and the ATA / supervisor are told. Re-signing is needed when a new version is current."""
    return _agreement_sign(
        onboarding=onboarding, actor=actor, signed_name=signed_name, kind=AgreementKind.END_USER
    )


def hrs_agreement_sign(*, onboarding: Onboarding, actor: User, signed_name: str) -> EndUserAgreementSignature:
    """A Housing Resource Specialist signs the CoC's current individual HRS Agreement (seed 000); same
    rules as the End User Agreement (typed name must match the request, PDF kept privately, ATA and
    supervisor told), and the CE team's inbox is told that an approval is coming."""
    return _agreement_sign(
        onboarding=onboarding, actor=actor, signed_name=signed_name, kind=AgreementKind.HRS
    )


# --- Issuance ----------------------------------------------------------------------------------------

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")


def licenses_held(agency: Agency) -> int:
    return HmisAccount.objects.filter(agency=agency).exclude(status=HmisAccountStatus.REVOKED).count()


def hmis_account_issue(
    *,
    onboarding: Onboarding,
    actor: User,
    hmis_username: str,
    hmis_role: str,
    projects: list[HmisProject],
) -> HmisAccount:
    """Record the live credential the Help Desk created in the HMIS. It takes one license of the
    agency's pool: the agency row is locked while counting, so concurrent issuances queue and the
    pool is never exceeded; a person's suspended account at the agency is reactivated (a new request
    is the only way back). No password is stored or sent: the HMIS sends its own invitation."""
    if not access_for(onboarding.continuum, actor).can(Capability.ISSUE_CREDENTIALS):
        raise PermissionDenied("Only the HMIS Help Desk issues credentials.")
    username = hmis_username.strip()
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["hmis_username"] = "Use 2–100 letters, digits, dots, dashes or underscores, as in the HMIS."
    if not hmis_role.strip():
        errors["hmis_role"] = "Enter the HMIS role given to the person."
    if any(p.agency_id != onboarding.agency_id or not p.is_active for p in projects):
        errors["projects"] = "Choose active projects of the person's agency."
    if not projects and not onboarding.read_only and not onboarding.is_hrs:
        errors["projects"] = "Choose the projects the credential opens."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            agency = Agency.objects.select_for_update().get(pk=onboarding.agency_id)
            ob = _locked_onboarding(onboarding)
            if ob.stage != OnboardingStage.READY:
                raise RequestConflict(
                    f"{ob.person.full_name} is at the {ob.get_stage_display().lower()} step; "
                    "credentials come "
                    "after the signed End User Agreement."
                )
            if ob.is_hrs and ob.ce_decision != CeDecision.APPROVED:
                raise RequestConflict(
                    f"{ob.person.full_name} needs Coordinated Entry access as a Housing Resource Specialist: "
                    "the Coordinated Entry team must approve them before credentials are issued, and "
                    "has not approved them yet."
                )
            email = ob.user.email.lower()
            existing = (
                HmisAccount.objects.filter(agency=agency, email__iexact=email)
                .exclude(status=HmisAccountStatus.REVOKED)
                .first()
            )
            if existing is not None and existing.status == HmisAccountStatus.ACTIVE:
                raise RequestConflict(
                    f"{ob.person.full_name} already holds an active credential at {agency.name}."
                )
            if existing is None and licenses_held(agency) >= agency.license_pool_size:
                raise ValidationError(
                    {
                        "hmis_username": f"{agency.name} has no free license "
                        f"({agency.license_pool_size} in its pool, all held). "
                        "The ATA frees one by offboarding someone, or the HMIS Lead enlarges the pool."
                    }
                )
            if (
                HmisAccount.objects.filter(continuum=ob.continuum, hmis_username__iexact=username)
                .exclude(pk=getattr(existing, "pk", None))
                .exists()
            ):
                raise ValidationError({"hmis_username": f"The username {username} is taken in this CoC."})
            now = timezone.now()
            if existing is not None:
                account, before = (
                    existing,
                    {"status": existing.status, "status_reason": existing.status_reason},
                )
                account.status, account.status_reason, account.status_changed_at = (
                    HmisAccountStatus.ACTIVE,
                    "",
                    now,
                )
            else:
                account, before = HmisAccount(continuum=ob.continuum, agency=agency, email=email), {}
            account.user = ob.user
            account.full_name = ob.person.full_name
            account.hmis_username = username
            account.hmis_role = hmis_role.strip()
            account.project_types = sorted({p.hud_project_type for p in projects})
            account.issued_at, account.issued_by, account.onboarding = now, actor, ob
            account.last_activity_on = now.astimezone(ob.continuum.tzinfo).date()
            account.inactivity_warned_on = None
            account.save()
            account.projects.set(projects)
            ob.stage = OnboardingStage.CREDENTIALED
            ob.save(update_fields=["stage", "updated_at"])
            _audit(
                account,
                ob.continuum,
                actor,
                "hmis_account.reactivated" if before else "hmis_account.issued",
                before,
                status=account.status,
                hmis_username=username,
                hmis_role=account.hmis_role,
                projects=[p.pk for p in projects],
                licenses_held=licenses_held(agency),
            )
            notify.send(
                continuum=ob.continuum,
                key=f"hmis_account:{account.pk}:issued:{now:%Y%m%d%H%M%S}",
                subject=f"HMIS credentials issued: {ob.person.full_name} ({agency.name})",
                headline="Live HMIS credentials were issued",
                subtitle=f"{ob.person.full_name} — {agency.name}",
                lines=[
                    f"HMIS username: {username}. HMIS role: {account.hmis_role}.",
                    "The HMIS sends its own invitation to set a password; nobody will ever ask you for it.",
                ],
                recipients=[ob.user, *notify.agency_leads(agency, [Role.ATA])],
                link=notify.my_access_url(ob.continuum),
            )
    except IntegrityError as error:
        # The partial unique index caught a second live credential or a taken username.
        raise RequestConflict(
            "Another credential was recorded at the same moment; reload and check."
        ) from error
    return account


# --- Suspension and revocation -----------------------------------------------------------------------


def _change_status(
    account: HmisAccount,
    actor: User | None,
    status: str,
    reason: str,
    action: str,
    *,
    notify_lines: list[str],
) -> HmisAccount:
    with transaction.atomic():
        acc = (
            HmisAccount.objects.select_for_update(of=("self",))
            .select_related("continuum", "agency", "user")
            .get(pk=account.pk)
        )
        allowed_from = {
            HmisAccountStatus.SUSPENDED: (HmisAccountStatus.ACTIVE,),
            HmisAccountStatus.REVOKED: (HmisAccountStatus.ACTIVE, HmisAccountStatus.SUSPENDED),
        }[status]
        if acc.status not in allowed_from:
            raise RequestConflict(f"This account is {acc.get_status_display().lower()}.")
        before = {"status": acc.status, "status_reason": acc.status_reason}
        acc.status, acc.status_reason, acc.status_changed_at = status, reason[:300], timezone.now()
        acc.save(update_fields=["status", "status_reason", "status_changed_at"])
        if status == HmisAccountStatus.REVOKED and acc.onboarding_id:
            Onboarding.objects.filter(pk=acc.onboarding_id).update(
                stage=OnboardingStage.CLOSED,
                closed_at=acc.status_changed_at,
                closed_reason=reason[:300],
                updated_at=timezone.now(),
            )
        _audit(acc, acc.continuum, actor, action, before, status=acc.status, status_reason=acc.status_reason)
        notify.send(
            continuum=acc.continuum,
            key=f"hmis_account:{acc.pk}:{status}:{acc.status_changed_at:%Y%m%d%H%M%S}",
            subject=(
                f"HMIS access {acc.get_status_display().lower()}: "
                f"{acc.full_name or acc.email} ({acc.agency.name})"
            ),
            headline=f"HMIS access {acc.get_status_display().lower()}",
            subtitle=f"{acc.full_name or acc.email} — {acc.agency.name} — {acc.hmis_username}",
            lines=notify_lines,
            recipients=[*([acc.user] if acc.user_id else []), *notify.agency_leads(acc.agency, [Role.ATA])],
            to_email=acc.continuum.help_desk_email,
        )
    return acc


def hmis_account_suspend(*, account: HmisAccount, actor: User | None, reason: str) -> HmisAccount:
    """actor None = a sweep of the system. HRS removal is the CE team's; any other manual suspension
    the Help Desk's."""
    if actor is not None:
        access = access_for(account.continuum, actor)
        needed = (
            Capability.REMOVE_HRS if reason == SuspensionReason.HRS_REMOVED else Capability.ISSUE_CREDENTIALS
        )
        if not access.can(needed):
            raise PermissionDenied("Your role does not suspend HMIS accounts for this reason.")
    label = SuspensionReason.LABELS.get(reason, reason)
    return _change_status(
        account,
        actor,
        HmisAccountStatus.SUSPENDED,
        label,
        "hmis_account.suspended",
        notify_lines=[
            f"Reason: {label}.",
            "Access returns only through a new access request of the right type, filed by the ATA.",
        ],
    )


def may_offboard(user: User, account: HmisAccount, access: Any = None) -> bool:
    access = access or access_for(account.continuum, user)
    if access.can(Capability.ISSUE_CREDENTIALS):
        return True
    return access.can(Capability.OFFBOARD_USERS) and Role.ATA in access.roles_in_agency(account.agency_id)


def hmis_account_offboard(*, account: HmisAccount, actor: User, note: str = "") -> HmisAccount:
    """The ATA reports that the person left the agency: access is revoked the same day and the
    license is free at once."""
    if not may_offboard(actor, account):
        raise PermissionDenied("Only the agency's ATA (or the Help Desk) offboards its people.")
    reason = "Left the agency" + (f": {note.strip()}" if note.strip() else "")
    return _change_status(
        account,
        actor,
        HmisAccountStatus.REVOKED,
        reason,
        "hmis_account.offboarded",
        notify_lines=["Access was revoked today and the agency's license is free again.", reason],
    )


# --- Sweeps ------------------------------------------------------------------------------------------


def _months_before(day: datetime.date, months: int) -> datetime.date:
    from .advice import _months_ago

    return _months_ago(day, months)


def inactivity_sweep(
    *, continuum: Continuum, today: datetime.date | None = None, batch: int = 200
) -> dict[str, int]:
    """Warn, then suspend, active accounts without activity for longer than the inactivity window.
    Idempotent: a warned account is not warned again for the same last activity; a suspended one is
    no longer active."""
    from .configuration import policy_for as request_policy_for

    today = today or timezone.now().astimezone(continuum.tzinfo).date()
    window = request_policy_for(continuum).inactivity_window_months
    cutoff = _months_before(today, window)
    warn_from = cutoff + datetime.timedelta(days=policy_for(continuum).inactivity_warning_days)
    counts = {"warned": 0, "suspended": 0}
    active = HmisAccount.objects.filter(continuum=continuum, status=HmisAccountStatus.ACTIVE)
    last_pk = 0
    while True:
        due = list(active.filter(pk__gt=last_pk, last_activity_on__lt=cutoff).order_by("pk")[:batch])
        if not due:
            break
        for account in due:
            try:
                hmis_account_suspend(account=account, actor=None, reason=SuspensionReason.INACTIVE)
                counts["suspended"] += 1
            except RequestConflict:
                pass
        last_pk = due[-1].pk
    to_warn = list(
        active.filter(
            last_activity_on__lt=warn_from, last_activity_on__gte=cutoff, inactivity_warned_on__isnull=True
        )
        .select_related("agency", "user")
        .order_by("pk")[: batch * 10]
    )
    for account in to_warn:
        with transaction.atomic():
            # A conditional update claims the warning, so two sweeps never warn twice.
            if not HmisAccount.objects.filter(pk=account.pk, inactivity_warned_on__isnull=True).update(
                inactivity_warned_on=today
            ):
                continue
            suspend_on = account.last_activity_on + (today - cutoff)
            _audit(
                account,
                continuum,
                None,
                "hmis_account.inactivity_warned",
                last_activity_on=account.last_activity_on,
            )
            notify.send(
                continuum=continuum,
                key=f"hmis_account:{account.pk}:inactivity_warning:{account.last_activity_on}",
                subject=f"HMIS access will be suspended for inactivity: {account.full_name or account.email}",
                headline="Sign in to the HMIS to keep your access",
                subtitle=(
                    f"{account.full_name or account.email} — {account.agency.name} — {account.hmis_username}"
                ),
                lines=[
                    f"Last activity: {account.last_activity_on:%B %-d, %Y}. Without activity, access is "
                    f"suspended around {suspend_on:%B %-d, %Y}.",
                ],
                recipients=[
                    *([account.user] if account.user_id else []),
                    *notify.agency_leads(account.agency, [Role.ATA]),
                ],
            )
            counts["warned"] += 1
    return counts


def agreement_lapse_sweep(*, continuum: Continuum) -> int:
    """Suspend the active accounts of agencies whose participation agreement is no longer current."""
    from agencies.participation import agreement_standings

    suspended = 0
    agency_ids = (
        HmisAccount.objects.filter(continuum=continuum, status=HmisAccountStatus.ACTIVE)
        .values_list("agency_id", flat=True)
        .distinct()
    )
    agencies = list(Agency.objects.filter(pk__in=list(agency_ids)).select_related("continuum"))
    # What agency_gate(agency, SUBMIT_ACCESS_REQUESTS) decides, for every agency in a fixed number
    # of queries (a metro CoC has hundreds of agencies; the sweep runs every night).
    gating = [
        t
        for t in AgreementType.objects.filter(continuum=continuum, is_active=True)
        if Gate.SUBMIT_ACCESS_REQUESTS in t.gates
    ]
    standings = agreement_standings(continuum=continuum, agencies=agencies, agreement_types=gating)
    for agency in agencies:
        if all(s.counts for s in standings[agency.pk].values()):
            continue
        for account in HmisAccount.objects.filter(agency=agency, status=HmisAccountStatus.ACTIVE).order_by(
            "pk"
        ):
            try:
                hmis_account_suspend(account=account, actor=None, reason=SuspensionReason.AGREEMENT_LAPSED)
                suspended += 1
            except RequestConflict:
                pass
    return suspended
