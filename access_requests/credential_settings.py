"""The last steps to a credential, configured by a CoC administrator: the credential policy, the
End User Agreement and HRS Agreement texts, and the sample client rubric. Every change is validated,
audited with before → after (so it appears in the configuration history) and read from the database
on the next request. The reference CoCs' installers live in `credential_config.py`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import FUNDING_FLAGS, Continuum, HudProjectType
from hmis_onboarding.audit import audit_record, snapshot
from hmis_onboarding.models import User

from . import credential_notify as notify
from . import sample_client
from .configuration import _require_configure
from .models import (
    AgreementKind,
    CredentialPolicy,
    EndUserAgreementVersion,
    Onboarding,
    OnboardingStage,
    RubricElement,
)

CREDENTIAL_POLICY_FIELDS = [
    "sample_client_seats",
    "sample_client_days",
    "sample_client_max_failed_rounds",
    "sample_client_exempt_funding",
    "inactivity_warning_days",
    "access_review_days",
    "access_review_grace_days",
    "hrs_sample_client",
]
EXEMPT_FUNDING_CHOICES = list(FUNDING_FLAGS)
RUBRIC_FIELDS = ["code", "name", "guidance", "project_types", "position", "is_active"]


# --- Credential policy -------------------------------------------------------------------------------


def credential_policy_update(*, continuum: Continuum, actor: Any, **fields: Any) -> CredentialPolicy:
    _require_configure(continuum, actor)
    unknown = set(fields) - set(CREDENTIAL_POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"Not a credential policy setting: {', '.join(sorted(unknown))}.")
    if "sample_client_exempt_funding" in fields:
        known = {flag for flag, _ in EXEMPT_FUNDING_CHOICES}
        funding = list(fields["sample_client_exempt_funding"] or [])
        strange = sorted(set(funding) - known)
        if strange:
            raise ValidationError(
                {"sample_client_exempt_funding": f"Not a funding source: {', '.join(strange)}."}
            )
        fields["sample_client_exempt_funding"] = sorted(set(funding))
    with transaction.atomic():
        if "sample_client_seats" in fields:
            # Seats are counted under a lock of the CoC row; more seats go to the longest-waiting people.
            sample_client._lock_continuum(continuum)
        CredentialPolicy.objects.get_or_create(continuum=continuum)
        policy = CredentialPolicy.objects.select_for_update().get(continuum=continuum)
        before = snapshot(policy, CREDENTIAL_POLICY_FIELDS)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save(update_fields=list(fields) or None)
        audit_record(
            action="credential_policy.changed",
            actor=actor,
            continuum=continuum,
            obj=policy,
            before=before,
            after=snapshot(policy, CREDENTIAL_POLICY_FIELDS),
        )
        if policy.sample_client_seats > before["sample_client_seats"]:
            sample_client._promote_waitlist(continuum, timezone.now())
    return policy


# --- Agreement texts ---------------------------------------------------------------------------------


def agreement_version_publish(
    *,
    continuum: Continuum,
    actor: Any,
    kind: str,
    label: str,
    body: str,
    requires_resign: bool,
) -> EndUserAgreementVersion:
    """Publish a new current version of the End User Agreement or the HRS Agreement. Published versions
    never change; signatures point at exactly one. When `requires_resign`, people whose signature is of
    an earlier version are asked to sign this one (their page shows it; see credentials.resign_floor)."""
    _require_configure(continuum, actor)
    if kind not in AgreementKind.values:
        raise ValidationError({"kind": "Not an agreement of this application."})
    label, body = label.strip(), body.strip().replace("\r\n", "\n")
    errors: dict[str, str] = {}
    if not label:
        errors["label"] = "Give the version a label, e.g. 2027.1."
    if not [p for p in body.split("\n\n") if p.strip()]:
        errors["body"] = "Write the agreement's text: one commitment per paragraph."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One current version per kind: publications of one CoC are serialised on its row.
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        versions = EndUserAgreementVersion.objects.filter(continuum=continuum, kind=kind)
        if versions.filter(label__iexact=label).exists():
            raise ValidationError(
                {"label": f"Version {label} already exists; published versions never change."}
            )
        previous = versions.filter(is_current=True).first()
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        version = EndUserAgreementVersion.objects.create(
            continuum=continuum,
            kind=kind,
            label=label,
            title=AgreementKind(kind).label,
            body=body,
            is_current=True,
            # The first version is signed by everyone anyway.
            requires_resign=requires_resign or previous is None,
        )
        audit_record(
            action="agreement_version.published",
            actor=actor,
            continuum=continuum,
            obj=version,
            before={"current": previous.label if previous else None},
            after={"current": version.label, "kind": kind, "requires_resign": version.requires_resign},
        )
        if previous is not None and version.requires_resign:
            _ask_to_resign(version)
    return version


def _ask_to_resign(version: EndUserAgreementVersion) -> int:
    """Tell credentialed people who signed an earlier version that this one needs their signature."""
    continuum = version.continuum
    ids = (
        Onboarding.objects.filter(
            continuum=continuum,
            stage=OnboardingStage.CREDENTIALED,
            signatures__version__kind=version.kind,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    people = User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk")
    return notify.send(
        continuum=continuum,
        key=f"agreement_version:{version.pk}:resign",
        subject=f"Please sign the new {version.title}",
        headline=f"{version.title} {version.label}",
        subtitle=continuum.name,
        lines=[
            f"{continuum.name} published a new version of the {version.title}. Read it and sign it "
            "on your HMIS access page."
        ],
        recipients=people,
        link=notify.my_access_url(continuum),
    )


# --- Sample client rubric ----------------------------------------------------------------------------


def rubric_element_save(
    *, continuum: Continuum, actor: Any, element: RubricElement | None = None, **fields: Any
) -> RubricElement:
    """Add an element to the CoC's rubric (`element` None) or change one. A deactivated element is left
    out of new reviews; past rounds keep their results, which point at the element row."""
    _require_configure(continuum, actor)
    unknown = set(fields) - set(RUBRIC_FIELDS)
    if unknown:
        raise ValidationError(f"Not a rubric setting: {', '.join(sorted(unknown))}.")
    if "project_types" in fields:
        types = sorted({int(t) for t in fields["project_types"] or []})
        strange = [t for t in types if t not in HudProjectType.values]
        if strange:
            raise ValidationError({"project_types": f"Not a HUD project type: {strange}."})
        fields["project_types"] = types
    if "code" in fields:
        fields["code"] = str(fields["code"]).strip()
    with transaction.atomic():
        if element is None:
            row = RubricElement(continuum=continuum)
            before: dict[str, Any] = {}
        else:
            row = RubricElement.objects.select_for_update().get(pk=element.pk, continuum=continuum)
            before = snapshot(row, RUBRIC_FIELDS)
        for name, value in fields.items():
            setattr(row, name, value)
        taken = RubricElement.objects.filter(continuum=continuum, code__iexact=row.code).exclude(pk=row.pk)
        if taken.exists():
            raise ValidationError({"code": f"The rubric already has an element {row.code}."})
        if element is None and "position" not in fields:
            last = RubricElement.objects.filter(continuum=continuum).order_by("-position").first()
            row.position = (last.position + 1) if last else 1
        row.full_clean()
        if element is None:
            row.save()
        else:
            row.save(update_fields=list(fields) or None)
        audit_record(
            action="rubric_element.changed",
            actor=actor,
            continuum=continuum,
            obj=row,
            before=before,
            after=snapshot(row, RUBRIC_FIELDS),
        )
    return row
