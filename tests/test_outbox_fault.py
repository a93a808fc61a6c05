"""Crash test of the outbox on Redis: 100 reminders, a real Celery worker process killed with SIGKILL
at one of four points of sending, then restarted. No reminder may be lost; a duplicate is allowed
only when the worker died after the SMTP server accepted the message and before the row was marked
sent — and it must carry the same Message-ID, so receivers can drop it.

Everything runs on 127.0.0.1: the test's database (the worker subprocess uses the same one, so the
test uses committed transactions), Redis as the broker, and an aiosmtpd server in this process.
The whole module keeps to a time budget and stops by itself.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from hmis_onboarding.models import Notification
from hmis_onboarding.notifications import notification_enqueue, notification_flush_outbox

from .celery_worker import LOCAL_HOSTS, Worker
from .factories import ContinuumFactory
from .smtp_server import smtp_server

REDIS_URL = os.environ.get("REDIS_URL", "")
REMINDERS = 100
# Bounded in time, with room for a slow, loaded machine (starting a Celery worker there can take
# tens of seconds): each crash point gets its own budget, and the module as a whole a ceiling.
POINT_BUDGET_SECONDS = 90
BUDGET_SECONDS = 360  # the whole module, all four points
LEASE_SECONDS = 3

pytestmark = [
    pytest.mark.skipif(
        not REDIS_URL,
        reason="The worker crash test needs Redis as the broker: set REDIS_URL (e.g. redis://127.0.0.1:6379/13).",
    ),
    pytest.mark.skipif(
        bool(REDIS_URL) and urlsplit(REDIS_URL).hostname not in LOCAL_HOSTS,
        reason="The worker crash test only talks to 127.0.0.1; REDIS_URL points elsewhere.",
    ),
    pytest.mark.django_db(transaction=True),
]

_deadline = {"module": 0.0, "point": 0.0}


def start_point() -> None:
    now = time.monotonic()
    if not _deadline["module"]:
        _deadline["module"] = now + BUDGET_SECONDS
    _deadline["point"] = min(_deadline["module"], now + POINT_BUDGET_SECONDS)


def remaining() -> float:
    return _deadline["point"] - time.monotonic()


def clear_broker() -> None:
    """Drop queued and unacknowledged messages of earlier runs from this Redis database."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    finally:
        client.close()


def enqueue_reminders(continuum) -> list[Notification]:
    rows = []
    with transaction.atomic():
        for i in range(REMINDERS):
            row, _ = notification_enqueue(
                continuum=continuum,
                to_email=f"ata{i:03d}@example.org",
                kind="crash_test",
                dedupe_key=f"crash-test:reminder:{i}",
                subject=f"Reminder {i}: complete the HMIS Access Process course",
                template="reminder",
                context={
                    "item": {"text": f"Reminder {i}", "url": "", "urgent": False},
                    "kind": {"label": "Course deadline", "security": False},
                },
            )
            rows.append(row)
    return rows  # on commit: 100 send tasks are now in Redis


@pytest.mark.parametrize("point", ["before_claim", "after_claim", "after_accept", "after_commit"])
def test_it_loses_no_reminder_when_the_worker_is_killed(point, tmp_path, settings):
    start_point()
    if remaining() < 20:
        pytest.fail("The crash test ran out of its time budget before this point.")
    settings.NOTIFICATION_FLUSH_GRACE_SECONDS = 2  # the beat's flush, sped up for the test
    clear_broker()
    continuum = ContinuumFactory(slug=f"crash-{point.replace('_', '-')}")
    workers: list[Worker] = []
    crash_env = {"REDIS_URL": REDIS_URL, "NOTIFICATION_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)}
    with smtp_server() as smtp:
        try:
            doomed = Worker(
                tmp_path, smtp.port, f"doomed-{point}", env={**crash_env, "NOTIFICATION_FAULT_POINT": point}
            )
            workers.append(doomed)
            rows = enqueue_reminders(continuum)
            code = doomed.wait_for_death(min(60, remaining()))
            assert code == -signal.SIGKILL, f"worker did not die at {point} (exit {code}):\n{doomed.tail()}"

            survivor = Worker(tmp_path, smtp.port, f"restarted-{point}", env=crash_env)
            workers.append(survivor)
            ids = [r.pk for r in rows]
            while remaining() > 0:
                notification_flush_outbox()  # what the beat does every minute
                if (
                    Notification.objects.filter(pk__in=ids, state=Notification.State.SENT).count()
                    == REMINDERS
                ):
                    break
                assert survivor.process.poll() is None, f"restarted worker exited:\n{survivor.tail()}"
                time.sleep(0.5)
        finally:
            for worker in workers:
                worker.stop()
            clear_broker()  # the flush's spare (no-op) tasks must not reach later tests' workers
        received = Counter(smtp.handler.message_ids())

    states = Counter(Notification.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == {Notification.State.SENT: REMINDERS}, f"{states}\n{survivor.tail()}"
    expected = {r.message_id for r in rows}
    assert set(received) == expected, "a reminder was lost"
    duplicates = {mid: n for mid, n in received.items() if n > 1}
    if point == "after_accept":
        # The message the worker died holding went out twice, with one and the same Message-ID.
        assert len(duplicates) == 1 and list(duplicates.values()) == [2], duplicates
        [duplicate] = duplicates
        resent = Notification.objects.get(message_id=duplicate)
        assert resent.attempts == 2
        assert sum(received.values()) == REMINDERS + 1
    else:
        assert duplicates == {}, f"duplicates at {point}: {duplicates}"
        assert sum(received.values()) == REMINDERS
    if point == "after_claim":
        # The claimed-but-unsent row was released by the flush and sent by the new worker.
        assert Notification.objects.filter(pk__in=ids, attempts=2).count() == 1
