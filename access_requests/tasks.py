"""Access lifecycle tasks: thin wrappers that take ids, re-read, call a service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from agencies.models import Continuum

from . import access_review, credentials, sample_client


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sweep_access_lifecycle() -> int:
    """Fan out one sweep per CoC, so that one CoC's failure does not hold up the others."""
    continuum_ids = list(Continuum.objects.values_list("pk", flat=True))
    for continuum_id in continuum_ids:
        sweep_access_lifecycle_for_continuum.delay(continuum_id)
    return len(continuum_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sweep_access_lifecycle_for_continuum(continuum_id: int) -> dict[str, int]:
    continuum = Continuum.objects.filter(pk=continuum_id).first()
    if continuum is None:
        return {}
    result = credentials.inactivity_sweep(continuum=continuum)
    result["agreement_lapsed"] = credentials.agreement_lapse_sweep(continuum=continuum)
    result["assignments_expired"] = sample_client.sample_client_expire_due(continuum=continuum)
    result["onboardings_closed_idle"] = sample_client.onboarding_idle_close_sweep(continuum=continuum)
    result.update(
        {f"review_{k}": v for k, v in access_review.access_review_sweep(continuum=continuum).items()}
    )
    return result
