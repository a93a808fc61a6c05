"""The last steps to a credential, configured by a CoC administrator: the credential policy, the
End User Agreement and HRS Agreement texts, and the sample client rubric. Every change is validated,
audited with before → after (so it appears in the configuration history) and read from the database
on the next request. The reference CoCs' installers live in `credential_config.py`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import FUNDING_FLAGS, Continuum
from hmis_onboarding.audit import audit_record, snapshot

from . import sample_client
from .configuration import _require_configure
from .models import CredentialPolicy

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
