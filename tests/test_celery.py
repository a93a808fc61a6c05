"""Celery runs for real: a worker consumes from the configured broker (filesystem or Redis)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.models import Session
from django.utils import timezone

from hmis_onboarding.celery import app
from hmis_onboarding.schedules import BEAT_SCHEDULE
from hmis_onboarding.tasks import clear_expired_sessions


@pytest.mark.django_db(transaction=True)
def test_it_clears_expired_sessions_through_a_real_worker():
    Session.objects.create(
        session_key="old", session_data="x", expire_date=timezone.now() - dt.timedelta(days=1)
    )
    Session.objects.create(
        session_key="new", session_data="x", expire_date=timezone.now() + dt.timedelta(days=1)
    )
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        result = clear_expired_sessions.apply_async()
        # Results are ignored in this app; wait for the effect instead.
        deadline = timezone.now() + dt.timedelta(seconds=20)
        while Session.objects.filter(session_key="old").exists() and timezone.now() < deadline:
            import time

            time.sleep(0.2)
    assert result.id
    assert not Session.objects.filter(session_key="old").exists()
    assert Session.objects.filter(session_key="new").exists()


def test_it_schedules_only_tasks_that_exist():
    app.loader.import_default_modules()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task {entry['task']}"
