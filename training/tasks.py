"""Training tasks: thin, take ids, re-read everything, safe to run twice."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from agencies.models import Continuum

from . import sync
from .models import LmsConfiguration


@shared_task(acks_late=True)
def progress_import_apply_task(import_id: int) -> dict[str, Any]:
    """Write a confirmed large import. All or nothing: on failure nothing is written and the
    import page shows why, so the Help Desk can confirm again."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from . import imports
    from .models import ProgressImport

    record = ProgressImport.objects.filter(pk=import_id).select_related("apply_requested_by").first()
    if (
        record is None
        or record.status != ProgressImport.Status.PREVIEWED
        or record.apply_requested_by is None
    ):
        return {"outcome": "nothing to apply"}
    try:
        return imports.progress_import_apply(progress_import=record, actor=record.apply_requested_by)
    except (ValidationError, PermissionDenied) as exc:
        imports.progress_import_apply_failed(
            progress_import=record, reason="; ".join(getattr(exc, "messages", [str(exc)]))
        )
        return {"outcome": "refused"}
    except Exception as exc:
        imports.progress_import_apply_failed(progress_import=record, reason=f"The import failed: {exc}")
        raise


@shared_task(acks_late=True)
def lms_sync_due() -> int:
    """Queue a sync for every CoC whose poll interval has passed; returns how many were queued."""
    now = timezone.now()
    queued = 0
    configs = LmsConfiguration.objects.filter(enabled=True).exclude(Q(base_url="") | Q(api_key_encrypted=""))
    for config in configs.select_related("continuum__lms_cursor"):
        cursor = getattr(config.continuum, "lms_cursor", None)
        last = cursor.last_started_at if cursor else None
        if last is None or last + dt.timedelta(minutes=config.poll_interval_minutes) <= now:
            lms_sync_continuum.delay(config.continuum_id)
            queued += 1
    return queued


@shared_task(bind=True, acks_late=True, max_retries=4)
def lms_sync_continuum(self, continuum_id: int) -> dict[str, Any]:
    """One sync run for one CoC. Retries with back-off only for failures that waiting can cure
    (timeouts, 5xx, rate limits); a refused API key waits for an administrator instead."""
    continuum = Continuum.objects.filter(pk=continuum_id).first()
    if continuum is None:
        return {"outcome": "no such CoC"}
    report = sync.lms_sync_run(continuum=continuum)
    error = report.error
    if error is not None and error.retryable and self.request.retries < self.max_retries:
        retry_at = getattr(error, "retry_at", None)
        countdown = retry_at - timezone.now().timestamp() if retry_at else 0
        countdown = max(countdown, 30 * 2**self.request.retries) + random.uniform(0, 15)
        raise self.retry(countdown=min(countdown, 3600))
    return report.as_dict()
