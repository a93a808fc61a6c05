"""The outbox: one row per dedupe key, exclusive claims, stable Message-IDs, retries and the flush —
against a real SMTP server (aiosmtpd on 127.0.0.1) where delivery matters."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from hmis_onboarding import notifications
from hmis_onboarding.models import AuditEvent, Notification
from hmis_onboarding.notifications import (
    SendOutcome,
    classify_send_error,
    enqueue_send,
    notification_claim,
    notification_enqueue,
    notification_flush_outbox,
    notification_send,
    retry_delay,
)

from .factories import ContinuumFactory, UserFactory
from .smtp_server import free_port, smtp_server

State = Notification.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def continuum():
    return ContinuumFactory(name="Alpha CoC", slug="alpha")


@pytest.fixture
def person():
    return UserFactory(email="ata@example.org", full_name="Alicia Reyes")


@pytest.fixture
def queued():
    """Stand-in for the broker: records what would have been queued."""
    with mock.patch("hmis_onboarding.tasks.send_notification.apply_async") as apply_async:
        yield apply_async


def enqueue(continuum, person, key: str = "reminder:test:1", **overrides):
    fields = {
        "continuum": continuum,
        "recipient": person,
        "kind": "member_never_signed_in",
        "dedupe_key": key,
        "subject": "Jordan Kim has not signed in",
        "template": "reminder",
        "context": {
            "item": {
                "text": "Jordan Kim has not signed in yet.",
                "url": "http://testserver/alpha/",
                "urgent": False,
            },
            "kind": {"label": "People in my agency who have not signed in yet", "security": False},
        },
        **overrides,
    }
    return notification_enqueue(**fields)


def test_it_keeps_one_row_per_dedupe_key(continuum, person):
    first, created = enqueue(continuum, person)
    second, created_again = enqueue(continuum, person, subject="Something else")
    assert created and not created_again
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert second.subject == "Jordan Kim has not signed in"


def test_it_survives_losing_the_race_for_a_dedupe_key(continuum, person):
    """Two transactions enqueue the same key at once: the unique index decides, the loser gets the
    winner's row and its own transaction carries on."""
    winner, _ = enqueue(continuum, person)
    with transaction.atomic():
        with mock.patch.object(notifications, "_existing", side_effect=[None, winner]):
            row, created = enqueue(continuum, person)
        assert not created and row.pk == winner.pk
        assert Notification.objects.count() == 1  # the surrounding transaction is still usable


def test_it_renders_both_bodies_and_folds_the_subject(continuum, person):
    row, _ = enqueue(continuum, person, subject="Line one\r\nBcc: evil@example.org")
    assert row.subject == "Line one Bcc: evil@example.org"
    assert "Jordan Kim has not signed in yet." in row.body_text
    assert "<html" in row.body_html and "http://testserver/alpha/" in row.body_html
    assert "/alpha/notifications/" in row.body_text  # the preferences link
    assert row.message_id == notifications.message_id_for("reminder:test:1")
    assert row.message_id.startswith("<") and row.message_id.endswith("@hmis-onboarding.local>")


def test_it_queues_the_send_only_when_the_transaction_commits(
    continuum, person, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row, _ = enqueue(continuum, person)
        assert not queued.called  # not before the commit
    assert len(callbacks) == 1
    queued.assert_called_once_with(args=[row.pk], countdown=None)

    queued.reset_mock()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue(continuum, person, key="reminder:test:rolled-back")
        raise RuntimeError("the state change failed")
    assert not callbacks and not queued.called
    assert not Notification.objects.filter(dedupe_key="reminder:test:rolled-back").exists()


def test_it_never_queues_a_countdown_beyond_the_visibility_timeout(queued, settings):
    enqueue_send(7, countdown=10 * 3600)
    assert queued.call_args.kwargs["countdown"] == settings.CELERY_MAX_COUNTDOWN_SECONDS
    assert settings.CELERY_MAX_COUNTDOWN_SECONDS < 3600  # Redis visibility timeout


def test_it_lets_only_one_claimer_win(continuum, person):
    row, _ = enqueue(continuum, person)
    claimed = notification_claim(notification_id=row.pk)
    assert claimed is not None and claimed.state == State.SENDING and claimed.attempts == 1
    assert notification_claim(notification_id=row.pk) is None
    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED
    assert mail.outbox == []


def test_it_sends_once_with_a_stable_message_id(continuum, person):
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.SENT
    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED
    assert len(mail.outbox) == 1
    message = mail.outbox[0].message()
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    row.refresh_from_db()
    assert row.state == State.SENT and row.sent_at and row.claim_token is None


def test_it_does_not_send_a_row_before_its_due_time(continuum, person):
    row, _ = enqueue(continuum, person)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED
    assert mail.outbox == []


def test_it_hands_a_dead_workers_row_to_another_worker(continuum, person, queued, settings):
    row, _ = enqueue(continuum, person)
    assert notification_claim(notification_id=row.pk)  # ... and the worker dies
    assert notification_flush_outbox() == 0  # the lease has not run out yet
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS + 1)
    ):
        assert notification_flush_outbox() == 1
        queued.assert_called_once_with(args=[row.pk], countdown=None)
        row.refresh_from_db()
        assert row.state == State.PENDING and "worker stopped" in row.last_error
        assert notification_send(notification_id=row.pk) == SendOutcome.SENT
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2
    assert len(mail.outbox) == 1


def test_it_requeues_a_row_whose_task_was_lost_once_per_grace_period(continuum, person, queued, settings):
    row, _ = enqueue(continuum, person)
    assert notification_flush_outbox() == 0  # just created: its own task is on the way
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_FLUSH_GRACE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert notification_flush_outbox() == 1
        assert notification_flush_outbox() == 0
    queued.assert_called_once_with(args=[row.pk], countdown=None)


def test_it_gives_up_on_a_row_that_stopped_every_worker(continuum, person, queued, settings):
    row, _ = enqueue(continuum, person)
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENDING,
        attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert notification_flush_outbox() == 0
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert AuditEvent.objects.filter(action="notification.failed", object_id=str(row.pk)).exists()
    assert not queued.called


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8, 20])
def test_it_backs_off_exponentially_with_jitter_and_a_ceiling(attempt, settings):
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    delays = {retry_delay(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jitter


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"Mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"No such user")}), False),
        (smtplib.SMTPDataError(451, b"Local error"), True),
        (smtplib.SMTPDataError(554, b"Rejected as spam"), False),
        (smtplib.SMTPSenderRefused(421, b"Service not available", "from@example.org"), True),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (ValueError("bad header"), False),
    ],
)
def test_it_retries_4xx_and_connection_errors_but_not_5xx(error, transient):
    assert classify_send_error(error).transient is transient


# --- Through a real SMTP server ---------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    with smtp_server() as server:
        for name, value in server.email_settings().items():
            setattr(settings, name, value)
        yield server


def test_it_delivers_text_and_html_through_smtp(continuum, person, smtp):
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.SENT
    [message] = smtp.messages
    assert smtp.handler.message_ids() == [row.message_id]
    assert message["To"] == "ata@example.org"
    assert message["Subject"] == "Jordan Kim has not signed in"
    assert message.is_multipart()
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types


def test_it_sends_one_smtp_message_when_asked_twice(continuum, person, smtp):
    row, _ = enqueue(continuum, person)
    enqueue(continuum, person)  # the same dedupe key: no second row
    assert notification_send(notification_id=row.pk) == SendOutcome.SENT
    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED
    assert smtp.handler.message_ids() == [row.message_id]


def test_it_retries_a_4xx_with_backoff_and_then_delivers(
    continuum, person, smtp, queued, settings, django_capture_on_commit_callbacks
):
    smtp.handler.rcpt_replies.append("451 4.7.1 Greylisted, try again later")
    row, _ = enqueue(continuum, person)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send(notification_id=row.pk) == SendOutcome.RETRY
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1
    assert "451" in row.last_error
    delay = (row.next_attempt_at - before).total_seconds()
    assert (
        settings.NOTIFICATION_RETRY_BASE_SECONDS / 2 - 1
        <= delay
        <= settings.NOTIFICATION_RETRY_BASE_SECONDS + 1
    )
    countdown = queued.call_args.kwargs["countdown"]
    assert countdown == pytest.approx(delay, abs=2)
    assert smtp.messages == []

    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED  # not due yet
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert notification_send(notification_id=row.pk) == SendOutcome.SENT
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2
    assert smtp.handler.message_ids() == [row.message_id]


def test_it_retries_a_4xx_answer_to_the_message_data(continuum, person, smtp, queued):
    smtp.handler.data_replies.append("452 4.3.1 Insufficient system storage")
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.RETRY
    row.refresh_from_db()
    assert row.state == State.PENDING and "452" in row.last_error


def test_it_records_a_5xx_as_failed_with_the_error(continuum, person, smtp, queued):
    smtp.handler.reject_all = "550 5.1.1 No such user here"
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.FAILED
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == 1
    assert "550" in row.last_error and "No such user" in row.last_error
    event = AuditEvent.objects.get(action="notification.failed", object_id=str(row.pk))
    assert event.continuum == continuum and "550" in event.metadata["error"]
    assert not queued.called
    assert notification_send(notification_id=row.pk) == SendOutcome.SKIPPED  # failed stays failed


def test_it_stops_retrying_after_the_attempt_limit(continuum, person, smtp, queued, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    smtp.handler.reject_all = "421 4.3.2 Service shutting down"
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.RETRY
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert notification_send(notification_id=row.pk) == SendOutcome.FAILED
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == 2 and "421" in row.last_error


def test_it_retries_when_the_mail_server_is_unreachable(continuum, person, settings, queued):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    row, _ = enqueue(continuum, person)
    assert notification_send(notification_id=row.pk) == SendOutcome.RETRY
    row.refresh_from_db()
    assert row.state == State.PENDING and "Connection" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_many_concurrent_claimers_win(continuum, person):
    """Workers racing for one row, each in its own thread and database connection: row locks with
    skip_locked on PostgreSQL, the conditional UPDATE on SQLite — exactly one claim either way."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    with mock.patch("hmis_onboarding.notifications.enqueue_send"):
        row, _ = enqueue(continuum, person)
    barrier = Barrier(6)

    def claim(_):
        try:
            barrier.wait(timeout=10)
            return notification_claim(notification_id=row.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(claim, range(6)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    row.refresh_from_db()
    assert row.state == State.SENDING and row.attempts == 1 and row.claim_token == winners[0].claim_token


def many(person, *keys: str, subject: str = "Jordan Kim has not signed in") -> list:
    return [
        notifications.OutboxEmail(
            recipient=person,
            kind="member_never_signed_in",
            dedupe_key=key,
            subject=subject,
            template="reminder",
            context={"item": {"text": f"About {key}.", "url": "http://testserver/alpha/", "urgent": False}},
        )
        for key in keys
    ]


def test_it_enqueues_many_e_mails_as_one_call_each_would(
    continuum, person, queued, django_capture_on_commit_callbacks
):
    """The daily reminders' batch: keys already in the outbox are left as they are, a key twice in
    the batch makes one row, every new row gets its send task once the transaction commits."""
    earlier, _ = enqueue(continuum, person, key="k:1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notifications.notification_enqueue_many(
            continuum=continuum, emails=many(person, "k:1", "k:2", "k:3", "k:2", subject="New\nsubject")
        )
        assert not queued.called
    assert created == [False, True, True, False]
    assert Notification.objects.count() == 3
    assert Notification.objects.get(pk=earlier.pk).subject == "Jordan Kim has not signed in"
    second = Notification.objects.get(dedupe_key="k:2")
    assert second.subject == "New subject" and second.to_email == person.email
    assert second.message_id == notifications.message_id_for("k:2")
    assert "About k:2." in second.body_text and "About k:2." in second.body_html
    assert "/alpha/notifications/" in second.body_text
    new_ids = set(Notification.objects.exclude(pk=earlier.pk).values_list("pk", flat=True))
    assert len(callbacks) == 2
    assert {call.kwargs["args"][0] for call in queued.call_args_list} == new_ids


def test_it_enqueues_many_in_a_few_queries_however_many_e_mails(continuum, person, queued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        notifications.notification_enqueue_many(continuum=continuum, emails=many(person, "a:1", "a:2"))
    with CaptureQueriesContext(connection) as more:
        notifications.notification_enqueue_many(
            continuum=continuum, emails=many(person, *(f"b:{n}" for n in range(40)))
        )
    assert Notification.objects.count() == 42
    assert len(few) == len(more)


def test_enqueue_many_survives_losing_the_race_for_a_dedupe_key(continuum, person, queued):
    """Another transaction inserts one of the keys between the read and the insert: the batch falls
    back to one call per e-mail, the others are still created and the transaction stays usable."""
    winner, _ = enqueue(continuum, person, key="r:2")
    with transaction.atomic():
        with mock.patch.object(notifications, "_existing_keys", return_value=set()):
            created = notifications.notification_enqueue_many(
                continuum=continuum, emails=many(person, "r:1", "r:2", "r:3")
            )
        assert created == [True, False, True]
        assert Notification.objects.count() == 3
    assert Notification.objects.get(dedupe_key="r:2").pk == winner.pk
