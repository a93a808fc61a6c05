"""Agency tasks: thin wrappers that take ids, re-read, call a service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services
from .models import Continuum


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sweep_agreement_expiry() -> int:
    """Fan out one sweep per CoC, so that one CoC's failure does not hold up the others."""
    continuum_ids = list(Continuum.objects.values_list("pk", flat=True))
    for continuum_id in continuum_ids:
        sweep_agreement_expiry_for_continuum.delay(continuum_id)
    return len(continuum_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sweep_agreement_expiry_for_continuum(continuum_id: int) -> dict[str, int]:
    continuum = Continuum.objects.filter(pk=continuum_id).first()
    if continuum is None:
        return {"expired": 0, "warned": 0}
    result = services.agreement_expiry_sweep(continuum=continuum)
    return {"expired": len(result.expired), "warned": len(result.warned)}
