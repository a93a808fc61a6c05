"""Writes for continuums, agencies, agreements, programs and HRS hosts; each one audited in the same
transaction, guarded first (role, then preconditions), with the row locked while it changes."""

from __future__ import annotations

import calendar
import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from hmis_onboarding.audit import audit_record, audited_update, snapshot
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from .documents import CheckedPdf, check_uploaded_pdf, pdf_facts, render_agreement_pdf
from .models import (
    Agency,
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    Continuum,
    HmisProject,
    HrsHost,
    HrsHostStatus,
    Membership,
    ProgramSetupKind,
    ProgramSetupRequest,
    ProgramSetupStatus,
    SigningMethod,
)
from .participation import (
    AgencyNotEligible,
    TypeVersions,
    agency_can_submit_access_requests,
    ensure_agency_can_submit_access_requests,
    hrs_host_eligibility,
    today_in,
)
from .policies import can_in_agency, may_countersign, may_sign, may_upload

# Sent inside the transaction that granted / revoked a membership or renamed an agency (kwargs:
# continuum, user_ids): the training app re-stores the agency its progress views show on the
# people's learning paths (`training.services.learning_path_agencies_refresh`).
memberships_changed = Signal()

# The participation gate other apps call lives in .participation; importable from here as well.
__all__ = ["agency_can_submit_access_requests", "ensure_agency_can_submit_access_requests"]

CONTINUUM_SETTINGS_FIELDS = [
    "name",
    "timezone",
    "hmis_lead_name",
    "help_desk_email",
    "ce_team_email",
    "idle_timeout_minutes",
]


def _refuse_unknown_fields(given: Any, allowed: list[str], what: str) -> None:
    """Services take field names as keywords; a name outside the editable list is a programming error."""
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"{what}: {', '.join(sorted(unknown))}")


def continuum_update_settings(*, continuum: Continuum, actor: User, **changes: Any) -> Continuum:
    if not access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM):
        raise PermissionDenied("Only the CoC's administrators may change its settings.")
    _refuse_unknown_fields(changes, CONTINUUM_SETTINGS_FIELDS, "Not a CoC setting")
    with transaction.atomic():
        locked = Continuum.objects.select_for_update().get(pk=continuum.pk)
        audited_update(locked, changes, action="continuum.settings_changed", actor=actor, continuum=locked)
    return locked


def membership_grant(
    *, continuum: Continuum, user: User, role: str, agency: Agency | None = None, actor: User | None = None
) -> Membership:
    """Give a person a role (idempotent: granting a role they hold changes nothing)."""
    role = Role(role)
    if agency is not None and agency.continuum_id != continuum.pk:
        raise ValidationError("The agency belongs to another Continuum of Care.")
    Membership(continuum=continuum, user=user, agency=agency, role=role).clean()
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            continuum=continuum, user=user, agency=agency, role=role, defaults={"is_active": True}
        )
        if not created and membership.is_active:
            return membership
        if not created:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        audit_record(
            action="membership.granted",
            actor=actor,
            continuum=continuum,
            obj=membership,
            after={"user": user.email, "role": role.value, "agency": agency.name if agency else None},
            metadata={"agency_id": agency.pk} if agency else None,
        )
        if agency is not None:
            memberships_changed.send(sender=Membership, continuum=continuum, user_ids=[user.pk])
    return membership


def membership_revoke(*, membership: Membership, actor: User | None = None) -> Membership:
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_record(
            action="membership.revoked",
            actor=actor,
            continuum=locked.continuum,
            obj=locked,
            before={"is_active": True},
            after={"is_active": False},
            metadata={"agency_id": locked.agency_id} if locked.agency_id else None,
        )
        if locked.agency_id:
            memberships_changed.send(sender=Membership, continuum=locked.continuum, user_ids=[locked.user_id])
    return locked


# --- Agencies --------------------------------------------------------------------------------------

AGENCY_PROFILE_FIELDS = [
    "name",
    "hmis_participating",
    "coc_member",
    "victim_service_provider",
    "direct_services_provider",
    "license_pool_size",
    "contact_email",
    "contact_phone",
]


def _require(access_ok: bool, message: str) -> None:
    if not access_ok:
        raise PermissionDenied(message)


def agency_create(*, continuum: Continuum, actor: User, **fields: Any) -> Agency:
    _require(
        access_for(continuum, actor).can(Capability.MANAGE_AGENCIES),
        "Only the HMIS Lead's staff may add agencies.",
    )
    _refuse_unknown_fields(fields, AGENCY_PROFILE_FIELDS, "Not an agency profile field")
    agency = Agency(continuum=continuum, **fields)
    agency.full_clean()
    with transaction.atomic():
        agency.save()
        audit_record(
            action="agency.created",
            actor=actor,
            continuum=continuum,
            obj=agency,
            after=snapshot(agency, list(fields)),
        )
    return agency


def agency_update_profile(*, agency: Agency, actor: User, **changes: Any) -> Agency:
    continuum = agency.continuum
    _require(
        access_for(continuum, actor).can(Capability.MANAGE_AGENCIES),
        "Only the HMIS Lead's staff may change an agency's profile.",
    )
    _refuse_unknown_fields(changes, AGENCY_PROFILE_FIELDS, "Not an agency profile field")
    with transaction.atomic():
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        before = snapshot(locked, list(changes))
        for name, value in changes.items():
            setattr(locked, name, value)
        if changes.get("victim_service_provider") and not before.get("victim_service_provider"):
            # No HMIS client-data path may survive the flag: programs and HRS hosting must end first.
            if HmisProject.objects.filter(agency=locked, is_active=True).exists():
                raise ValidationError(
                    {
                        "victim_service_provider": (
                            "Deactivate the agency's HMIS programs before marking it a victim service "
                            "provider: they must not enter client data into HMIS."
                        )
                    }
                )
            if HrsHost.objects.filter(agency=locked, status=HrsHostStatus.APPROVED).exists():
                raise ValidationError(
                    {
                        "victim_service_provider": (
                            "Revoke the agency's Housing Resource Specialist hosting first."
                        )
                    }
                )
        locked.full_clean()
        after = snapshot(locked, list(changes))
        if before == after:
            return locked
        locked.save(update_fields=list(changes))
        audit_record(
            action="agency.profile_changed",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before=before,
            after=after,
        )
        if before.get("name") != after.get("name"):
            # A rename can change which of a person's agencies comes first by name.
            members = Membership.objects.filter(agency=locked, is_active=True).values_list(
                "user_id", flat=True
            )
            memberships_changed.send(sender=Agency, continuum=continuum, user_ids=list(members))
    return locked


def agency_designate_ata(*, agency: Agency, actor: User, email: str, full_name: str = "") -> Membership:
    """CoC staff name an agency's ATA; a person without an account gets one (they set a password
    through "forgot password", which also proves they own the address)."""
    continuum = agency.continuum
    _require(
        access_for(continuum, actor).can(Capability.MANAGE_AGENCIES),
        "Only the HMIS Lead's staff designate Agency Technical Administrators.",
    )
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
            audit_record(
                action="user.created",
                actor=actor,
                continuum=continuum,
                obj=user,
                after={"email": email, "reason": "designated ATA"},
            )
        if not user.is_active:
            raise ValidationError(
                {"email": "This person's account is deactivated; the HMIS Lead must reactivate it."}
            )
        membership = membership_grant(
            continuum=continuum, user=user, role=Role.ATA, agency=agency, actor=actor
        )
    return membership


def agency_remove_ata(*, membership: Membership, actor: User) -> Membership:
    _require(
        access_for(membership.continuum, actor).can(Capability.MANAGE_AGENCIES),
        "Only the HMIS Lead's staff change ATA designations.",
    )
    if membership.role != Role.ATA:
        raise ValidationError("This is not an ATA designation.")
    return membership_revoke(membership=membership, actor=actor)


# --- Agreement types and versions ---------------------------------------------------------------------

AGREEMENT_TYPE_FIELDS = [
    "code",
    "name",
    "short_name",
    "description",
    "signer_roles",
    "requires_countersignature",
    "countersigner_roles",
    "renewal_months",
    "gates",
    "is_active",
]


def agreement_type_save(
    *, continuum: Continuum, actor: User, agreement_type: AgreementType | None = None, **fields: Any
) -> AgreementType:
    _require(
        access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM),
        "Only the CoC's administrators configure agreements.",
    )
    _refuse_unknown_fields(fields, AGREEMENT_TYPE_FIELDS, "Not an agreement type field")
    if not fields.get(
        "requires_countersignature", getattr(agreement_type, "requires_countersignature", True)
    ):
        fields["countersigner_roles"] = []
    with transaction.atomic():
        if agreement_type is None:
            locked = AgreementType(continuum=continuum)
            before: dict[str, Any] = {}
        else:
            if agreement_type.continuum_id != continuum.pk:
                raise PermissionDenied("The agreement type belongs to another Continuum of Care.")
            locked = AgreementType.objects.select_for_update().get(pk=agreement_type.pk)
            before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        after = snapshot(locked, list(fields))
        if agreement_type is not None and before == after:
            return locked
        if agreement_type is None:
            locked.save()
        else:
            locked.save(update_fields=list(fields))
        audit_record(
            action="agreement_type.created" if agreement_type is None else "agreement_type.changed",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before=before,
            after=after,
        )
    return locked


def agreement_version_publish(
    *,
    agreement_type: AgreementType,
    actor: User,
    label: str,
    body: str,
    requires_resign: bool = False,
    resign_by: datetime.date | None = None,
) -> AgreementVersion:
    """Publish a new wording. Published versions never change; signatures point at exactly one."""
    continuum = agreement_type.continuum
    _require(
        access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM),
        "Only the CoC's administrators publish agreement versions.",
    )
    body = body.strip()
    label = label.strip()
    if not body:
        raise ValidationError({"body": "Enter the agreement's text."})
    if not label:
        raise ValidationError({"label": "Enter a version label."})
    if resign_by is not None and not requires_resign:
        raise ValidationError({"resign_by": "A re-sign deadline applies only when agencies must sign again."})
    if resign_by is not None and resign_by < today_in(continuum):
        raise ValidationError({"resign_by": "The re-sign deadline cannot be in the past."})
    with transaction.atomic():
        locked_type = AgreementType.objects.select_for_update().get(pk=agreement_type.pk)
        if locked_type.versions.filter(label__iexact=label).exists():
            raise ValidationError({"label": f"Version {label} already exists; choose a new label."})
        last = locked_type.versions.order_by("-number").first()
        version = AgreementVersion.objects.create(
            continuum=continuum,
            agreement_type=locked_type,
            number=(last.number + 1) if last else 1,
            label=label,
            body=body,
            body_sha256=hashlib.sha256(body.encode()).hexdigest(),
            requires_resign=requires_resign and last is not None,
            resign_by=resign_by if last is not None else None,
            published_by=actor,
        )
        audit_record(
            action="agreement_version.published",
            actor=actor,
            continuum=continuum,
            obj=version,
            after={
                "agreement_type": locked_type.code,
                "label": label,
                "number": version.number,
                "requires_resign": version.requires_resign,
                "resign_by": str(version.resign_by) if version.resign_by else None,
            },
        )
    return version


# --- Signing, uploading, countersigning ---------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _expiry_for(agreement_type: AgreementType, executed_on: datetime.date) -> datetime.date | None:
    if not agreement_type.renewal_months:
        return None
    # The agreement counts through the day before the anniversary.
    return _add_months(executed_on, agreement_type.renewal_months) - datetime.timedelta(days=1)


def _guard_agency_may_sign(agency: Agency, agreement_type: AgreementType) -> None:
    if agreement_type.continuum_id != agency.continuum_id:
        raise PermissionDenied("The agreement type belongs to another Continuum of Care.")
    if not agreement_type.is_active:
        raise ValidationError("The CoC no longer asks for this agreement.")
    if agency.victim_service_provider:
        raise ValidationError(
            "Victim service providers do not sign HMIS agreements: they do not enter client data into HMIS "
            "and use the CoC's separate Coordinated Entry process."
        )
    if Agreement.objects.filter(
        agency=agency, agreement_type=agreement_type, status=AgreementStatus.AWAITING_COUNTERSIGNATURE
    ).exists():
        raise ValidationError(
            f"A signed {agreement_type.short_name} is already waiting for the CoC's countersignature."
        )


def _store_document(field_file: Any, content: bytes) -> None:
    field_file.save("agreement.pdf", ContentFile(content), save=False)


def _supersede_older(agreement: Agreement, actor: User | None) -> None:
    older = (
        Agreement.objects.select_for_update()
        .filter(
            agency_id=agreement.agency_id,
            agreement_type_id=agreement.agreement_type_id,
            status__in=[AgreementStatus.EXECUTED, AgreementStatus.EXPIRED],
        )
        .exclude(pk=agreement.pk)
    )
    for previous in older:
        previous_status = previous.status
        previous.status = AgreementStatus.SUPERSEDED
        previous.save(update_fields=["status"])
        audit_record(
            action="agreement.superseded",
            actor=actor,
            continuum=previous.continuum,
            obj=previous,
            before={"status": previous_status},
            after={"status": previous.status},
            metadata={"superseded_by": agreement.pk},
        )


def _execute(agreement: Agreement, on: datetime.date) -> None:
    agreement.status = AgreementStatus.EXECUTED
    agreement.executed_on = on
    agreement.expires_on = _expiry_for(agreement.agreement_type, on)


def agreement_sign(
    *,
    agency: Agency,
    agreement_type: AgreementType,
    version: AgreementVersion,
    actor: User,
    signer_name: str,
    signer_title: str,
    ip_address: str | None,
) -> Agreement:
    """In-app e-signature by the agency's signer, on exactly the version they were shown."""
    continuum = agency.continuum
    access = access_for(continuum, actor)
    _require(
        may_sign(access, agreement_type, agency),
        f"Only the {' or '.join(agreement_type.signer_role_labels).lower()} of {agency.name} may sign.",
    )
    _guard_agency_may_sign(agency, agreement_type)
    latest = agreement_type.versions.order_by("-number").first()
    if latest is None:
        raise ValidationError("The CoC has not published this agreement's text yet.")
    if version.pk != latest.pk:
        raise ValidationError(
            f"The CoC published version {latest.label} while you were reading version {version.label}. "
            "Read the new version and sign again."
        )
    signer_name, signer_title = signer_name.strip(), signer_title.strip()
    if not signer_name:
        raise ValidationError({"signer_name": "Type your full name to sign."})
    if not signer_title:
        raise ValidationError({"signer_title": "Enter your title."})
    now = timezone.now()
    today = today_in(continuum)
    agreement = Agreement(
        continuum=continuum,
        agency=agency,
        agreement_type=agreement_type,
        version=version,
        method=SigningMethod.E_SIGNATURE,
        status=AgreementStatus.AWAITING_COUNTERSIGNATURE,
        signer_name=signer_name,
        signer_title=signer_title,
        signed_on=today,
        signed_at=now,
        signer_ip=ip_address,
        submitted_by=actor,
    )
    if not agreement_type.requires_countersignature:
        _execute(agreement, today)
    pdf = pdf_facts(render_agreement_pdf(agreement))
    return _save_new_agreement(agreement, pdf, actor=actor, action="agreement.signed")


def _save_new_agreement(agreement: Agreement, pdf: CheckedPdf, *, actor: User, action: str) -> Agreement:
    agreement.document_sha256 = pdf.sha256
    agreement.document_pages = pdf.pages
    agreement.document_size = pdf.size
    _store_document(agreement.document, pdf.content)
    try:
        with transaction.atomic():
            # Serialise signatures for one agency (two tabs, two signers) on the agency row.
            Agency.objects.select_for_update().get(pk=agreement.agency_id)
            _guard_agency_may_sign(agreement.agency, agreement.agreement_type)
            agreement.full_clean(exclude=["document"])
            agreement.save()
            if agreement.status == AgreementStatus.EXECUTED:
                _supersede_older(agreement, actor)
            audit_record(
                action=action,
                actor=actor,
                continuum=agreement.continuum,
                obj=agreement,
                after={
                    "status": agreement.status,
                    "method": agreement.method,
                    "version": agreement.version.label,
                    "signer_name": agreement.signer_name,
                    "signer_title": agreement.signer_title,
                    "signed_on": str(agreement.signed_on),
                    "document_sha256": agreement.document_sha256,
                    "expires_on": str(agreement.expires_on) if agreement.expires_on else None,
                },
                metadata={"agency_id": agreement.agency_id},
            )
    except Exception:
        agreement.document.storage.delete(agreement.document.name)
        raise
    return agreement


def agreement_upload(
    *,
    agency: Agency,
    agreement_type: AgreementType,
    version: AgreementVersion,
    actor: User,
    upload: UploadedFile,
    signer_name: str,
    signer_title: str,
    signed_on: datetime.date,
    ip_address: str | None,
) -> Agreement:
    """A scanned copy signed on paper (LA: "sends a scanned copy"), checked by content before storing."""
    continuum = agency.continuum
    access = access_for(continuum, actor)
    _require(
        may_upload(access, agreement_type, agency),
        f"Only {agency.name}'s signer or ATA, or the CoC's countersigners, may upload a signed copy.",
    )
    _guard_agency_may_sign(agency, agreement_type)
    if version.agreement_type_id != agreement_type.pk:
        raise ValidationError({"version": "Choose a version of this agreement."})
    today = today_in(continuum)
    if TypeVersions(list(agreement_type.versions.order_by("-number"))).outdated_on(version, today):
        raise ValidationError(
            {"version": f"Version {version.label} is no longer accepted; sign the current version."}
        )
    if signed_on > today:
        raise ValidationError({"signed_on": "The signature date cannot be in the future."})
    if signed_on < version.published_at.astimezone(continuum.tzinfo).date():
        raise ValidationError({"signed_on": f"Version {version.label} was published after that date."})
    signer_name, signer_title = signer_name.strip(), signer_title.strip()
    if not signer_name:
        raise ValidationError({"signer_name": "Enter the name of the person who signed."})
    if not signer_title:
        raise ValidationError({"signer_title": "Enter the signer's title."})
    try:
        pdf = check_uploaded_pdf(upload)
    except ValidationError as error:
        raise ValidationError({"document": error.messages}) from error
    agreement = Agreement(
        continuum=continuum,
        agency=agency,
        agreement_type=agreement_type,
        version=version,
        method=SigningMethod.UPLOAD,
        status=AgreementStatus.AWAITING_COUNTERSIGNATURE,
        signer_name=signer_name,
        signer_title=signer_title,
        signed_on=signed_on,
        signed_at=timezone.now(),
        signer_ip=ip_address,
        submitted_by=actor,
    )
    if not agreement_type.requires_countersignature:
        _execute(agreement, signed_on)
    return _save_new_agreement(agreement, pdf, actor=actor, action="agreement.uploaded")


def agreement_countersign(
    *,
    agreement: Agreement,
    actor: User,
    countersigner_name: str,
    countersigner_title: str,
    ip_address: str | None,
) -> Agreement:
    """The CoC's signature: the agreement is executed from today and its renewal clock starts."""
    continuum = agreement.continuum
    _require(
        may_countersign(access_for(continuum, actor), agreement.agreement_type),
        "Your role does not countersign this agreement.",
    )
    name, title = countersigner_name.strip(), countersigner_title.strip()
    if not name:
        raise ValidationError({"countersigner_name": "Type your full name to countersign."})
    if not title:
        raise ValidationError({"countersigner_title": "Enter your title."})
    today = today_in(continuum)
    with transaction.atomic():
        locked = (
            Agreement.objects.select_for_update()
            .select_related("agreement_type", "version", "agency", "continuum", "submitted_by")
            .get(pk=agreement.pk)
        )
        if locked.status != AgreementStatus.AWAITING_COUNTERSIGNATURE:
            raise ValidationError(
                f"This agreement is {locked.get_status_display().lower()}; nothing to countersign."
            )
        versions = TypeVersions(list(locked.agreement_type.versions.order_by("-number")))
        newer = versions.outdated_on(locked.version, today)
        if newer is not None:
            raise ValidationError(
                f"The agency signed version {locked.version.label}, which version {newer.label} replaced. "
                "Return it so that the agency signs the current version."
            )
        before = snapshot(locked, ["status", "executed_on", "expires_on"])
        locked.countersigned_by = actor
        locked.countersigner_name = name
        locked.countersigner_title = title
        locked.countersigned_at = timezone.now()
        locked.countersigner_ip = ip_address
        _execute(locked, today)
        fields = [
            "countersigned_by",
            "countersigner_name",
            "countersigner_title",
            "countersigned_at",
            "countersigner_ip",
            "status",
            "executed_on",
            "expires_on",
        ]
        if locked.method == SigningMethod.E_SIGNATURE:
            # The executed copy carries both signature blocks; the agency's signed copy stays untouched.
            _store_document(locked.executed_document, render_agreement_pdf(locked))
            fields.append("executed_document")
        try:
            locked.save(update_fields=fields)
            _supersede_older(locked, actor)
            audit_record(
                action="agreement.countersigned",
                actor=actor,
                continuum=continuum,
                obj=locked,
                before=before,
                after=snapshot(locked, ["status", "executed_on", "expires_on"]),
                metadata={"countersigner_name": name, "countersigner_title": title},
            )
        except Exception:
            if locked.executed_document:
                locked.executed_document.storage.delete(locked.executed_document.name)
            raise
    return locked


def agreement_return(*, agreement: Agreement, actor: User, reason: str) -> Agreement:
    """Send a signed copy back (illegible scan, wrong version, wrong signer) with the reason."""
    continuum = agreement.continuum
    _require(
        may_countersign(access_for(continuum, actor), agreement.agreement_type),
        "Your role does not countersign this agreement.",
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why, so that the agency can fix it."})
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.AWAITING_COUNTERSIGNATURE:
            raise ValidationError(
                f"This agreement is {locked.get_status_display().lower()}; it cannot be returned."
            )
        locked.status = AgreementStatus.RETURNED
        locked.returned_by = actor
        locked.returned_at = timezone.now()
        locked.returned_reason = reason
        locked.save(update_fields=["status", "returned_by", "returned_at", "returned_reason"])
        audit_record(
            action="agreement.returned",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before={"status": AgreementStatus.AWAITING_COUNTERSIGNATURE},
            after={"status": locked.status, "reason": reason},
        )
    return locked


# --- Expiry ----------------------------------------------------------------------------------------


def agreements_expiring(*, continuum: Continuum, on: datetime.date | None = None) -> list[Agreement]:
    """Executed agreements that stop counting within the CoC's warning window (for reminders)."""
    on = on or today_in(continuum)
    horizon = on + datetime.timedelta(days=continuum.agreement_warning_days)
    return list(
        Agreement.objects.filter(
            continuum=continuum, status=AgreementStatus.EXECUTED, expires_on__gte=on, expires_on__lte=horizon
        )
        .select_related("agency", "agreement_type")
        .order_by("expires_on", "agency__name")
    )


@dataclass
class ExpirySweepResult:
    expired: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)


def agreement_expiry_sweep(*, continuum: Continuum, batch_size: int = 200) -> ExpirySweepResult:
    """Record what the calendar already decided: executed agreements past their date become expired,
    and the first time an agreement enters the warning window is recorded once (the dedupe point
    reminders hang off). Rows are read in bounded batches and each is claimed with a conditional
    UPDATE, so overlapping runs and retries are harmless."""
    result = ExpirySweepResult()
    today = today_in(continuum)
    due = Agreement.objects.filter(
        continuum=continuum, status=AgreementStatus.EXECUTED, expires_on__lt=today
    ).order_by("pk")
    last_pk = 0
    while batch := list(due.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size]):
        last_pk = batch[-1]
        for pk in batch:
            with transaction.atomic():
                claimed = Agreement.objects.filter(pk=pk, status=AgreementStatus.EXECUTED).update(
                    status=AgreementStatus.EXPIRED
                )
                if not claimed:
                    continue
                agreement = Agreement.objects.get(pk=pk)
                audit_record(
                    action="agreement.expired",
                    continuum=continuum,
                    obj=agreement,
                    actor_label="expiry sweep",
                    before={"status": AgreementStatus.EXECUTED},
                    after={"status": AgreementStatus.EXPIRED},
                    metadata={"expires_on": str(agreement.expires_on), "agency_id": agreement.agency_id},
                )
                result.expired.append(pk)
    horizon = today + datetime.timedelta(days=continuum.agreement_warning_days)
    expiring = Agreement.objects.filter(
        continuum=continuum,
        status=AgreementStatus.EXECUTED,
        expires_on__gte=today,
        expires_on__lte=horizon,
        expiry_warning_at__isnull=True,
    ).order_by("pk")
    now = timezone.now()
    last_pk = 0
    while batch := list(expiring.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size]):
        last_pk = batch[-1]
        for pk in batch:
            with transaction.atomic():
                claimed = Agreement.objects.filter(
                    pk=pk, status=AgreementStatus.EXECUTED, expiry_warning_at__isnull=True
                ).update(expiry_warning_at=now)
                if not claimed:
                    continue
                agreement = Agreement.objects.get(pk=pk)
                audit_record(
                    action="agreement.expiring_soon",
                    continuum=continuum,
                    obj=agreement,
                    actor_label="expiry sweep",
                    metadata={"expires_on": str(agreement.expires_on), "agency_id": agreement.agency_id},
                )
                result.warned.append(pk)
    return result


# --- Programs --------------------------------------------------------------------------------------

HMIS_PROJECT_FIELDS = [
    "name",
    "hud_project_type",
    "ces_program_type",
    "hmis_project_id",
    "funded_path",
    "funded_ssvf",
    "funded_esg",
    "funded_hpcc",
    "funded_state_homeless_prevention",
    "is_active",
]


def _guard_not_vsp(agency: Agency, what: str) -> None:
    if agency.victim_service_provider:
        raise ValidationError(
            f"{agency.name} is a victim service provider: it has no {what}. Victim service providers do not "
            "enter client data into HMIS and use the CoC's separate Coordinated Entry process."
        )


def hmis_project_create(*, agency: Agency, actor: User, **fields: Any) -> HmisProject:
    continuum = agency.continuum
    _require(
        access_for(continuum, actor).can(Capability.SETUP_PROGRAMS),
        "Only the HMIS implementation team sets up programs.",
    )
    _guard_not_vsp(agency, "HMIS programs")
    _refuse_unknown_fields(fields, HMIS_PROJECT_FIELDS, "Not a program field")
    project = HmisProject(continuum=continuum, agency=agency, **fields)
    project.full_clean()
    with transaction.atomic():
        project.save()
        audit_record(
            action="hmis_project.created",
            actor=actor,
            continuum=continuum,
            obj=project,
            after=snapshot(project, list(fields)),
            metadata={"agency_id": agency.pk},
        )
    return project


def hmis_project_update(*, project: HmisProject, actor: User, **changes: Any) -> HmisProject:
    continuum = project.continuum
    _require(
        access_for(continuum, actor).can(Capability.SETUP_PROGRAMS),
        "Only the HMIS implementation team changes programs.",
    )
    _refuse_unknown_fields(changes, HMIS_PROJECT_FIELDS, "Not a program field")
    with transaction.atomic():
        locked = HmisProject.objects.select_for_update().select_related("agency").get(pk=project.pk)
        if changes.get("is_active", locked.is_active):
            _guard_not_vsp(locked.agency, "active HMIS programs")
        audited_update(
            locked,
            changes,
            action="hmis_project.changed",
            actor=actor,
            continuum=continuum,
            metadata={"agency_id": locked.agency_id},
        )
    return locked


# --- Program setup requests (LA step 2) ------------------------------------------------------------

OPEN_SETUP_STATUSES = (
    ProgramSetupStatus.SUBMITTED,
    ProgramSetupStatus.IN_PROGRESS,
    ProgramSetupStatus.AWAITING_CONFIRMATION,
)


def program_setup_request_file(
    *,
    agency: Agency,
    actor: User,
    kind: str,
    ces_roles: list[str],
    program_types: list[str],
    programs_description: str,
    projects: list[HmisProject] | None = None,
) -> ProgramSetupRequest:
    continuum = agency.continuum
    _require(
        can_in_agency(access_for(continuum, actor), agency, Capability.REQUEST_PROGRAM_SETUP),
        f"Only {agency.name}'s program manager, ATA or executive director may request program setup.",
    )
    _guard_not_vsp(agency, "HMIS programs to set up")
    projects = list(projects or [])
    if any(p.agency_id != agency.pk for p in projects):
        raise ValidationError({"projects": "Choose programs of this agency."})
    if kind == ProgramSetupKind.MODIFICATION and not projects:
        raise ValidationError({"projects": "Choose the existing program(s) to modify."})
    if any(not p.needs_setup for p in projects):
        raise ValidationError({"projects": "Permanent Housing programs need no setup modification."})
    request = ProgramSetupRequest(
        continuum=continuum,
        agency=agency,
        kind=kind,
        ces_roles=sorted(set(ces_roles)),
        program_types=sorted(set(program_types)),
        programs_description=programs_description.strip(),
        submitted_by=actor,
    )
    request.full_clean()
    with transaction.atomic():
        request.save()
        request.projects.set(projects)
        audit_record(
            action="program_setup.submitted",
            actor=actor,
            continuum=continuum,
            obj=request,
            after={
                "kind": kind,
                "ces_roles": request.ces_roles,
                "program_types": request.program_types,
                "projects": [p.name for p in projects],
            },
            metadata={"agency_id": agency.pk},
        )
    return request


def _setup_transition(
    setup_request: ProgramSetupRequest,
    *,
    actor: User,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
    fields: dict[str, Any],
) -> ProgramSetupRequest:
    with transaction.atomic():
        locked = ProgramSetupRequest.objects.select_for_update().get(pk=setup_request.pk)
        if locked.status not in allowed_from:
            raise ValidationError(
                f"This request is {locked.get_status_display().lower()}; that step does not apply."
            )
        before = {"status": locked.status}
        locked.status = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        audit_record(
            action=action,
            actor=actor,
            continuum=locked.continuum,
            obj=locked,
            before=before,
            after={"status": to, **{k: v for k, v in fields.items() if isinstance(v, str)}},
            metadata={"agency_id": locked.agency_id},
        )
    return locked


def program_setup_start(*, setup_request: ProgramSetupRequest, actor: User) -> ProgramSetupRequest:
    _require(
        access_for(setup_request.continuum, actor).can(Capability.SETUP_PROGRAMS),
        "Only the HMIS implementation team works setup requests.",
    )
    return _setup_transition(
        setup_request,
        actor=actor,
        allowed_from=(ProgramSetupStatus.SUBMITTED,),
        to=ProgramSetupStatus.IN_PROGRESS,
        action="program_setup.started",
        fields={"handled_by": actor},
    )


def program_setup_complete(
    *, setup_request: ProgramSetupRequest, actor: User, projects: list[HmisProject], note: str = ""
) -> ProgramSetupRequest:
    """The implementation team has set the programs up; the program manager is asked to confirm."""
    _require(
        access_for(setup_request.continuum, actor).can(Capability.SETUP_PROGRAMS),
        "Only the HMIS implementation team works setup requests.",
    )
    projects = list(projects)
    if not projects:
        raise ValidationError({"projects": "Choose the program(s) you set up."})
    if any(p.agency_id != setup_request.agency_id or not p.is_active for p in projects):
        raise ValidationError({"projects": "Choose active programs of this agency."})
    with transaction.atomic():
        done = _setup_transition(
            setup_request,
            actor=actor,
            allowed_from=(ProgramSetupStatus.SUBMITTED, ProgramSetupStatus.IN_PROGRESS),
            to=ProgramSetupStatus.AWAITING_CONFIRMATION,
            action="program_setup.completed",
            fields={
                "handled_by": actor,
                "setup_completed_at": timezone.now(),
                "implementation_note": note.strip(),
            },
        )
        done.projects.set(projects)
    return done


def program_setup_confirm(*, setup_request: ProgramSetupRequest, actor: User) -> ProgramSetupRequest:
    """Seed 004 step 2.5: the program manager confirms the setup is valid; step 2 is then complete."""
    _require(
        can_in_agency(
            access_for(setup_request.continuum, actor),
            setup_request.agency_id,
            Capability.REQUEST_PROGRAM_SETUP,
        ),
        "Only the agency's program manager, ATA or executive director confirms the setup.",
    )
    now = timezone.now()
    with transaction.atomic():
        confirmed = _setup_transition(
            setup_request,
            actor=actor,
            allowed_from=(ProgramSetupStatus.AWAITING_CONFIRMATION,),
            to=ProgramSetupStatus.CONFIRMED,
            action="program_setup.confirmed",
            fields={"confirmed_by": actor, "confirmed_at": now},
        )
        confirmed.projects.filter(setup_confirmed_at__isnull=True).update(setup_confirmed_at=now)
        agency = Agency.objects.select_for_update().get(pk=confirmed.agency_id)
        roles = sorted(set(agency.ces_roles) | set(confirmed.ces_roles))
        if roles != agency.ces_roles:
            before = {"ces_roles": agency.ces_roles}
            agency.ces_roles = roles
            agency.save(update_fields=["ces_roles"])
            audit_record(
                action="agency.ces_roles_changed",
                actor=actor,
                continuum=agency.continuum,
                obj=agency,
                before=before,
                after={"ces_roles": roles},
                metadata={"program_setup_request": confirmed.pk},
            )
    return confirmed


def program_setup_report_problem(
    *, setup_request: ProgramSetupRequest, actor: User, note: str
) -> ProgramSetupRequest:
    _require(
        can_in_agency(
            access_for(setup_request.continuum, actor),
            setup_request.agency_id,
            Capability.REQUEST_PROGRAM_SETUP,
        ),
        "Only the agency's program manager, ATA or executive director reviews the setup.",
    )
    if not note.strip():
        raise ValidationError({"note": "Say what is not right, so that the implementation team can fix it."})
    return _setup_transition(
        setup_request,
        actor=actor,
        allowed_from=(ProgramSetupStatus.AWAITING_CONFIRMATION,),
        to=ProgramSetupStatus.IN_PROGRESS,
        action="program_setup.problem_reported",
        fields={"problem_note": note.strip()},
    )


def program_setup_cancel(*, setup_request: ProgramSetupRequest, actor: User) -> ProgramSetupRequest:
    _require(
        can_in_agency(
            access_for(setup_request.continuum, actor),
            setup_request.agency_id,
            Capability.REQUEST_PROGRAM_SETUP,
        ),
        "Only the agency's program manager, ATA or executive director may cancel the request.",
    )
    return _setup_transition(
        setup_request,
        actor=actor,
        allowed_from=(ProgramSetupStatus.SUBMITTED,),
        to=ProgramSetupStatus.CANCELLED,
        action="program_setup.cancelled",
        fields={},
    )


# --- HRS hosts ---------------------------------------------------------------------------------------


def hrs_host_approve(*, agency: Agency, actor: User, exception_reason: str = "") -> HrsHost:
    """The CE team approves a host (seed 000); a non-HMIS agency needs an exception with its reason."""
    continuum = agency.continuum
    _require(
        access_for(continuum, actor).can(Capability.APPROVE_HRS_HOSTS),
        "Only the Coordinated Entry team approves Housing Resource Specialist hosts.",
    )
    exception_reason = exception_reason.strip()
    if agency.hmis_participating:
        exception_reason = ""
    eligibility = hrs_host_eligibility(agency, exception_reason=exception_reason)
    if not eligibility.allowed:
        raise AgencyNotEligible(eligibility, "Approving this host")
    now = timezone.now()
    with transaction.atomic():
        Agency.objects.select_for_update().get(pk=agency.pk)
        host = HrsHost.objects.select_for_update().filter(agency=agency).first()
        if host is not None and host.status == HrsHostStatus.APPROVED:
            raise ValidationError("The agency is already an approved host.")
        values = {
            "status": HrsHostStatus.APPROVED,
            "exception_granted": bool(exception_reason),
            "exception_reason": exception_reason,
            "approved_by": actor,
            "approved_at": now,
            "revoked_by": None,
            "revoked_at": None,
            "revoked_reason": "",
        }
        if host is None:
            host = HrsHost.objects.create(continuum=continuum, agency=agency, **values)
        else:
            for name, value in values.items():
                setattr(host, name, value)
            host.save(update_fields=list(values))
        audit_record(
            action="hrs_host.approved",
            actor=actor,
            continuum=continuum,
            obj=host,
            after={
                "status": host.status,
                "exception_granted": host.exception_granted,
                "exception_reason": exception_reason,
            },
            metadata={"agency_id": agency.pk},
        )
    return host


def hrs_host_revoke(*, host: HrsHost, actor: User, reason: str) -> HrsHost:
    continuum = host.continuum
    _require(
        access_for(continuum, actor).can(Capability.APPROVE_HRS_HOSTS),
        "Only the Coordinated Entry team removes Housing Resource Specialist hosts.",
    )
    if not reason.strip():
        raise ValidationError({"reason": "Record why hosting ends."})
    with transaction.atomic():
        locked = HrsHost.objects.select_for_update().get(pk=host.pk)
        if locked.status != HrsHostStatus.APPROVED:
            raise ValidationError("The agency is not an approved host.")
        locked.status = HrsHostStatus.REVOKED
        locked.revoked_by = actor
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason.strip()
        locked.save(update_fields=["status", "revoked_by", "revoked_at", "revoked_reason"])
        audit_record(
            action="hrs_host.revoked",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before={"status": HrsHostStatus.APPROVED},
            after={"status": locked.status, "reason": locked.revoked_reason},
            metadata={"agency_id": locked.agency_id},
        )
    return locked
