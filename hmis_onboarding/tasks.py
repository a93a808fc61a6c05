"""Kernel tasks: thin wrappers that take ids, call a service and are safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import notifications, reminders, services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry; idempotent (a second run finds nothing)."""
    return services.sessions_clear_expired()


# acks_late + reject_on_worker_lost: a worker that dies mid-task leaves the message to be delivered
# again; the outbox claim makes the second delivery a no-op unless the e-mail was never sent.
# Retries of SMTP errors are rows put back in the outbox with a due time, not Celery retries, so
# the backoff survives worker restarts and is visible on the outbox page.
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(notification_id: int) -> str:
    return notifications.notification_send(notification_id=notification_id).value


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def flush_outbox() -> int:
    return notifications.notification_flush_outbox()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_daily_reminders() -> int:
    """Fan out one task per CoC whose digest hour has come today (in its own time zone)."""
    due = reminders.reminders_due()
    for continuum_id, day in due:
        run_daily_reminders.delay(continuum_id, day.isoformat())
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_daily_reminders(continuum_id: int, day: str) -> int:
    result = reminders.reminders_run(continuum_id=continuum_id, day=dt.date.fromisoformat(day))
    return result.digests if result else 0


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def metrics_rollup() -> int:
    """Fan out one roll-up per CoC: the metrics page's unfiltered figures, computed ahead."""
    from agencies.models import Continuum

    ids = list(Continuum.objects.order_by("pk").values_list("pk", flat=True))
    for continuum_id in ids:
        metrics_rollup_continuum.delay(continuum_id)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def metrics_rollup_continuum(continuum_id: int) -> int:
    """One CoC's roll-up; running it twice just recomputes the same figures."""
    from agencies.models import Continuum

    from .metric_snapshots import metrics_rollup as rollup

    continuum = Continuum.objects.filter(pk=continuum_id).first()
    if continuum is None:
        return 0
    return rollup(continuum=continuum).duration_ms


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def metrics_prune() -> int:
    from .metric_snapshots import metrics_prune as prune

    return prune()
