"""The embedded default works end to end: a real Celery worker process on kombu's filesystem broker
(what `make run` starts) takes a send task, claims the row and delivers it to a real SMTP server.
It uses its own broker folder, so a `make run` worker on the same checkout never sees its task."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from kombu import Connection

from hmis_onboarding.models import Notification
from hmis_onboarding.notifications import notification_enqueue
from hmis_onboarding.tasks import send_notification

from .celery_worker import Worker
from .factories import ContinuumFactory
from .smtp_server import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


def filesystem_broker(folder) -> dict[str, str]:
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
    }


def test_it_sends_through_a_worker_on_the_filesystem_broker(tmp_path):
    var_dir = tmp_path / "var"
    options = filesystem_broker(var_dir / "celery-broker")
    continuum = ContinuumFactory(slug="embedded")
    with mock.patch("hmis_onboarding.notifications.enqueue_send"):  # publish below, to our own folder
        row, _ = notification_enqueue(
            continuum=continuum,
            to_email="ata@example.org",
            kind="member_never_signed_in",
            dedupe_key="embedded:reminder:1",
            subject="Jordan Kim has not signed in",
            template="reminder",
            context={"item": {"text": "Jordan Kim has not signed in yet."}, "kind": {"label": "Sign-ins"}},
        )
    with Connection("filesystem://", transport_options=options) as broker:
        send_notification.apply_async(args=[row.pk], connection=broker)
    with smtp_server() as smtp:
        worker = Worker(
            tmp_path,
            smtp.port,
            "embedded",
            env={"REDIS_URL": "", "CELERY_BROKER_URL": "filesystem://", "HMIS_VAR_DIR": str(var_dir)},
        )
        try:
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline:
                row.refresh_from_db()
                if row.state == Notification.State.SENT:
                    break
                assert worker.process.poll() is None, worker.tail()
                time.sleep(0.3)
        finally:
            worker.stop()
        assert row.state == Notification.State.SENT, worker.tail()
        assert smtp.handler.message_ids() == [row.message_id]
