"""The outbox: every e-mail the system sends is a `Notification` row before it is sent.

Life of a row (DESIGN.md §6, issue 7):

1. `notification_enqueue(...)` inserts the row inside the caller's transaction — the same one as
   the state change that caused it — keyed by a unique dedupe key (what, for whom, which due date),
   so enqueueing twice yields one row. The send task is queued with `transaction.on_commit`, so a
   rolled-back change never sends mail and a committed one always has its row.
2. A worker claims the row (`notification_claim`): a conditional UPDATE from "queued and due" (or
   "sending" with an expired lease) to "sending" with a fresh claim token and lease. On PostgreSQL
   the candidate is first locked with `select_for_update(skip_locked=True)` so concurrent workers
   pass over each other's rows instead of queueing on them; the conditional UPDATE is what makes the
   claim exclusive on every backend, including SQLite, which has no row locks.
3. The e-mail goes through Django's e-mail backend with a Message-ID derived from the dedupe key, so
   a re-send after a crash carries the same Message-ID and receivers can drop the duplicate.
4. The row is marked sent only by the holder of the claim token. SMTP 4xx replies and connection
   errors put it back in the queue with exponential backoff and jitter (bounded attempts); 5xx
   replies mark it failed with the error, for staff to see and retry on the outbox page.
5. The periodic flush (`notification_flush_outbox`, every minute) re-queues rows whose task was
   lost and hands rows whose worker died mid-send (expired lease) to another worker — so a lost
   task or a killed worker never loses mail. The only duplicate possible is a worker dying after
   the SMTP server accepted the message and before the row was marked sent.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import random
import signal
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .audit import audit_record, snapshot
from .models import ContinuumNotificationSettings, Notification, NotificationPreference, User
from .permissions import Capability
from .tenancy import access_for

logger = logging.getLogger(__name__)

Delivery = NotificationPreference.Delivery
State = Notification.State

# --- Kinds of notification and people's preferences -------------------------------------------------


@dataclass(frozen=True)
class NotificationKind:
    """A kind of reminder people may receive. `audience` are the roles it goes to (the preferences
    page offers a kind to people holding one of them); security notices cannot be turned off or
    moved to the digest."""

    key: str
    label: str
    description: str
    audience: frozenset[str] = field(default_factory=frozenset)
    security: bool = False
    default_delivery: str = Delivery.DIGEST

    @property
    def choosable(self) -> bool:
        return not self.security


_KINDS: dict[str, NotificationKind] = {}


def register_notification_kind(kind: NotificationKind) -> NotificationKind:
    existing = _KINDS.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"Notification kind {kind.key!r} is already registered differently.")
    _KINDS[kind.key] = kind
    return kind


def notification_kind(key: str) -> NotificationKind:
    return _KINDS[key]


def notification_kinds() -> list[NotificationKind]:
    return sorted(_KINDS.values(), key=lambda k: (k.security, k.label))


def delivery_for(kind: NotificationKind, chosen: str | None) -> str:
    if kind.security:
        return Delivery.IMMEDIATE
    return chosen if chosen in Delivery.values else kind.default_delivery


def preferences_map(*, continuum: Any, user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(user id, kind) → chosen delivery, for the people given (one query)."""
    rows = NotificationPreference.objects.filter(continuum=continuum, user_id__in=list(user_ids))
    return {(r.user_id, r.kind): r.delivery for r in rows}


def notification_preferences_update(*, continuum: Any, user: User, choices: dict[str, str]) -> list[str]:
    """Save a person's choices (kind → delivery) in one CoC; returns the kinds that changed."""
    if not access_for(continuum, user).is_member:
        raise PermissionDenied("Only members of this CoC have preferences here.")
    for key, delivery in choices.items():
        kind = _KINDS.get(key)
        if kind is None:
            raise ValidationError(f"Unknown kind of notification: {key}.")
        if not kind.choosable:
            raise ValidationError(f"{kind.label} are security notices and are always sent immediately.")
        if delivery not in Delivery.values:
            raise ValidationError(f"Choose how to receive {kind.label.lower()}.")
    changed: list[str] = []
    with transaction.atomic():
        current = {
            p.kind: p
            for p in NotificationPreference.objects.select_for_update().filter(
                continuum=continuum, user=user, kind__in=list(choices)
            )
        }
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for key, delivery in sorted(choices.items()):
            row = current.get(key)
            old = row.delivery if row else _KINDS[key].default_delivery
            if old == delivery:
                continue
            if row is None:
                NotificationPreference.objects.create(
                    user=user, continuum=continuum, kind=key, delivery=delivery
                )
            else:
                row.delivery = delivery
                row.save(update_fields=["delivery", "updated_at"])
            before[key], after[key] = old, delivery
            changed.append(key)
        if changed:
            audit_record(
                action="notification.preferences_changed",
                actor=user,
                continuum=continuum,
                obj=user,
                before=before,
                after=after,
            )
    return changed


def notification_settings_for(continuum: Any) -> ContinuumNotificationSettings:
    """The CoC's notification settings; an unsaved row with the defaults until an administrator saves."""
    from .tenancy import preloaded

    found, row = preloaded(continuum, "notification_settings")
    if not found:
        row = ContinuumNotificationSettings.objects.filter(continuum=continuum).first()
    return row if row is not None else ContinuumNotificationSettings(continuum=continuum)


# --- Enqueueing -----------------------------------------------------------------------------------


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID that depends only on the dedupe key: every (re-)send of a row carries the same."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    domain = getattr(settings, "NOTIFICATION_MESSAGE_ID_DOMAIN", "") or (
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "hmis-onboarding.local"
    )
    return f"<{digest}@{domain}>"


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Plain text and HTML bodies from templates/emails/<template>.txt and .html."""
    text = render_to_string(f"emails/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"emails/{template}.html", context)
    return text, html


def _existing(dedupe_key: str) -> Notification | None:
    return Notification.objects.filter(dedupe_key=dedupe_key).first()


def _check_dedupe_key(dedupe_key: str) -> None:
    if not dedupe_key or len(dedupe_key) > 255:
        raise ValueError("A dedupe key of 1–255 characters is required.")


def _outbox_row(
    *,
    continuum: Any,
    kind: str,
    dedupe_key: str,
    subject: str,
    template: str,
    context: dict[str, Any] | None,
    recipient: User | None,
    to_email: str,
    due_date: date | None,
) -> Notification:
    """The unsaved outbox row of one e-mail, its bodies rendered."""
    address = to_email or (recipient.email if recipient is not None else "")
    if not address:
        raise ValueError("A notification needs a recipient or an e-mail address.")
    full_context = {
        "site_url": settings.SITE_URL,
        "continuum": continuum,
        "recipient": recipient,
        "preferences_url": (
            absolute_url(reverse("notification_preferences", args=[continuum.slug])) if continuum else ""
        ),
        **(context or {}),
    }
    body_text, body_html = render_email(template, full_context)
    return Notification(
        continuum=continuum,
        recipient=recipient,
        to_email=address,
        kind=kind,
        dedupe_key=dedupe_key,
        message_id=message_id_for(dedupe_key),
        # A line break in a subject is a header injection; Django refuses it, so fold it here.
        subject=" ".join(subject.split())[:255],
        body_text=body_text,
        body_html=body_html,
        due_date=due_date,
    )


def _existing_keys(keys: list[str]) -> set[str]:
    """Which of these dedupe keys are in the outbox already."""
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        found.update(Notification.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True))
    return found


def notification_enqueue(
    *,
    continuum: Any,
    kind: str,
    dedupe_key: str,
    subject: str,
    template: str,
    context: dict[str, Any] | None = None,
    recipient: User | None = None,
    to_email: str = "",
    due_date: date | None = None,
) -> tuple[Notification, bool]:
    """Put one e-mail in the outbox; returns (row, created). Call it inside the transaction of the
    change that causes the e-mail. A second call with the same dedupe key returns the first row —
    also when two transactions race (the unique index decides, on SQLite and PostgreSQL alike)."""
    _check_dedupe_key(dedupe_key)
    existing = _existing(dedupe_key)
    if existing is not None:
        return existing, False
    row = _outbox_row(
        continuum=continuum,
        kind=kind,
        dedupe_key=dedupe_key,
        subject=subject,
        template=template,
        context=context,
        recipient=recipient,
        to_email=to_email,
        due_date=due_date,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        existing = _existing(dedupe_key)
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(partial(enqueue_send, row.pk), robust=True)
    return row, True


@dataclass
class OutboxEmail:
    """The arguments of one `notification_enqueue` call, for `notification_enqueue_many`."""

    kind: str
    dedupe_key: str
    subject: str
    template: str
    context: dict[str, Any] | None = None
    recipient: User | None = None
    to_email: str = ""
    due_date: date | None = None


def notification_enqueue_many(*, continuum: Any, emails: list[OutboxEmail]) -> list[bool]:
    """`notification_enqueue` for many e-mails at once (the daily reminders: a digest for each of
    a thousand people): whether each was created, in order. The same rows, dedupe and send tasks
    as one call per e-mail, in a few queries: the dedupe keys already in the outbox are read at
    once (their e-mails are not rendered), the new rows inserted together. Should a concurrent
    transaction insert one of the keys first, the batch falls back to one call per e-mail."""
    if not emails:
        return []
    for email in emails:
        _check_dedupe_key(email.dedupe_key)
    existing = _existing_keys([email.dedupe_key for email in emails])
    created: list[bool] = []
    rows: list[Notification] = []
    for email in emails:
        # A key twice in one batch: the first is created, the second finds it (as two calls would).
        if email.dedupe_key in existing:
            created.append(False)
            continue
        existing.add(email.dedupe_key)
        rows.append(_outbox_row(continuum=continuum, **vars(email)))
        created.append(True)
    if not rows:
        return created
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:
        return [notification_enqueue(continuum=continuum, **vars(email))[1] for email in emails]
    missing = [row.dedupe_key for row in rows if row.pk is None]
    if missing:  # backends that do not return the ids of a bulk insert
        ids = dict(Notification.objects.filter(dedupe_key__in=missing).values_list("dedupe_key", "pk"))
        for row in rows:
            if row.pk is None:
                row.pk = ids[row.dedupe_key]
    for row in rows:
        transaction.on_commit(partial(enqueue_send, row.pk), robust=True)
    return created


def enqueue_send(notification_id: int, countdown: float = 0) -> None:
    """Queue the send task. The countdown never exceeds the broker's visibility timeout (Redis would
    deliver the task twice); a row due later than that is picked up by the outbox flush instead."""
    from .tasks import send_notification

    countdown = max(0.0, min(float(countdown), float(settings.CELERY_MAX_COUNTDOWN_SECONDS)))
    send_notification.apply_async(args=[notification_id], countdown=countdown or None)


# --- Claiming and sending ---------------------------------------------------------------------------


def _fault_point(name: str) -> None:
    """Crash-test hook: with NOTIFICATION_FAULT_POINT=<name> the worker dies here, as on a power cut.
    Production settings refuse to start with it set."""
    if name == settings.NOTIFICATION_FAULT_POINT:
        logger.warning("Fault injection: killing worker %s at %s", os.getpid(), name)
        os.kill(os.getpid(), signal.SIGKILL)


def _claimable(now: Any) -> Q:
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(state=State.SENDING, lease_expires_at__lt=now)


def notification_claim(*, notification_id: int) -> Notification | None:
    """Take a due row for sending; None when it is not due, already sent/failed, or another worker
    holds it. Exactly one of several concurrent claimers wins, on PostgreSQL and SQLite."""
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = Notification.objects.filter(_claimable(now), pk=notification_id)
        # PostgreSQL: lock the row, skipping it if another worker is claiming it right now. SQLite
        # ignores FOR UPDATE (and its IMMEDIATE transactions serialise writers); the conditional
        # UPDATE below re-checks the state either way, so only one claimer can succeed.
        if not candidates.select_for_update(skip_locked=True).exists():
            return None
        claimed = candidates.update(
            state=State.SENDING,
            claim_token=token,
            lease_expires_at=now + timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS),
            last_attempt_at=now,
            attempts=F("attempts") + 1,
        )
    if claimed != 1:
        return None
    return Notification.objects.get(pk=notification_id)


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class SmtpFailure:
    transient: bool
    detail: str


def classify_send_error(exc: BaseException) -> SmtpFailure:
    """4xx replies and connection trouble are worth retrying; 5xx replies and anything else are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        return SmtpFailure(
            bool(codes) and all(400 <= c < 500 for c in codes), f"Recipient refused — {detail}"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return SmtpFailure(not 500 <= code < 600, f"SMTP {code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SmtpFailure(True, f"Connection lost: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return SmtpFailure(False, f"SMTP error: {exc}")
    if isinstance(exc, OSError):  # refused, reset, timed out, name resolution
        return SmtpFailure(True, f"Connection error: {exc.__class__.__name__}: {exc}")
    return SmtpFailure(False, f"{exc.__class__.__name__}: {exc}")


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, half of it random (jitter) so that
    many rows failing together do not retry together."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def build_message(notification: Notification, connection: Any = None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        connection=connection,
        headers={
            "Message-ID": notification.message_id,
            "Auto-Submitted": "auto-generated",
            "X-HMIS-Notification": notification.kind,
        },
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def notification_send(*, notification_id: int) -> SendOutcome:
    """Claim, send and record one outbox row. Safe to call any number of times for the same row."""
    _fault_point("before_claim")
    notification = notification_claim(notification_id=notification_id)
    if notification is None:
        return SendOutcome.SKIPPED
    _fault_point("after_claim")
    try:
        connection = get_connection(fail_silently=False)
        build_message(notification, connection).send(fail_silently=False)
    except Exception as exc:
        failure = classify_send_error(exc)
        logger.warning(
            "Sending notification %s failed (%s): %s",
            notification.pk,
            "will retry" if failure.transient else "permanent",
            failure.detail,
        )
        return _record_failure(notification, failure)
    _fault_point("after_accept")
    with transaction.atomic():
        marked = Notification.objects.filter(
            pk=notification.pk, claim_token=notification.claim_token, state=State.SENDING
        ).update(
            state=State.SENT, sent_at=timezone.now(), claim_token=None, lease_expires_at=None, last_error=""
        )
    if not marked:
        # The lease ran out mid-send and the flush handed the row on; the next claimer sends it
        # again with the same Message-ID.
        logger.warning("Notification %s was sent after its claim lapsed.", notification.pk)
    _fault_point("after_commit")
    return SendOutcome.SENT


def _record_failure(notification: Notification, failure: SmtpFailure) -> SendOutcome:
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(pk=notification.pk, claim_token=notification.claim_token, state=State.SENDING)
            .first()
        )
        if row is None:
            return SendOutcome.SKIPPED
        row.last_error = failure.detail[:2000]
        row.claim_token = None
        row.lease_expires_at = None
        if failure.transient and row.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            delay = retry_delay(row.attempts)
            row.state = State.PENDING
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            row.save(
                update_fields=["state", "next_attempt_at", "last_error", "claim_token", "lease_expires_at"]
            )
            transaction.on_commit(partial(enqueue_send, row.pk, delay), robust=True)
            return SendOutcome.RETRY
        row.state = State.FAILED
        row.save(update_fields=["state", "last_error", "claim_token", "lease_expires_at"])
        audit_record(
            action="notification.failed",
            continuum=row.continuum,
            obj=row,
            before={"state": State.SENDING.value},
            after={"state": State.FAILED.value},
            metadata={"error": row.last_error[:500], "attempts": row.attempts, "to": row.to_email},
        )
        return SendOutcome.FAILED


# --- The periodic flush and staff retries -------------------------------------------------------------


def notification_flush_outbox() -> int:
    """Re-queue rows whose task was lost and release rows whose worker died; returns rows queued."""
    now = timezone.now()
    batch = settings.NOTIFICATION_FLUSH_BATCH
    abandoned = Notification.objects.filter(state=State.SENDING, lease_expires_at__lt=now)

    # A row that killed its worker on every attempt would otherwise kill workers forever.
    exhausted = list(abandoned.filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS)[:batch])
    for row in exhausted:
        gave_up = Notification.objects.filter(
            pk=row.pk, state=State.SENDING, lease_expires_at__lt=now
        ).update(
            state=State.FAILED,
            claim_token=None,
            lease_expires_at=None,
            last_error="The worker stopped while sending this e-mail on every attempt.",
        )
        if gave_up:
            audit_record(
                action="notification.failed",
                continuum=row.continuum,
                obj=row,
                before={"state": State.SENDING.value},
                after={"state": State.FAILED.value},
                metadata={"error": "worker stopped on every attempt", "attempts": row.attempts},
            )

    released = list(abandoned.values_list("pk", flat=True)[:batch])
    if released:
        Notification.objects.filter(pk__in=released, state=State.SENDING, lease_expires_at__lt=now).update(
            state=State.PENDING,
            claim_token=None,
            lease_expires_at=None,
            next_attempt_at=now,
            last_error="The worker stopped while sending; queued again.",
        )

    grace = timedelta(seconds=settings.NOTIFICATION_FLUSH_GRACE_SECONDS)
    stale = list(
        Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    if stale:
        # Moving the due time to now means a row is re-queued at most once per grace period.
        Notification.objects.filter(pk__in=stale, state=State.PENDING).update(next_attempt_at=now)
    queued = released + stale
    for pk in queued:
        enqueue_send(pk)
    if queued:
        logger.info("Outbox flush queued %d notification(s) (%d released).", len(queued), len(released))
    return len(queued)


def notification_retry(*, notification: Notification, actor: User) -> Notification:
    """Staff put a failed e-mail back in the queue with a fresh set of attempts."""
    if notification.continuum is None or not access_for(notification.continuum, actor).can(
        Capability.MANAGE_OUTBOX
    ):
        raise PermissionDenied("Only the Help Desk and CoC administrators may retry e-mails.")
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if row.state != State.FAILED:
            raise ValidationError("Only failed e-mails can be retried.")
        fields = ["state", "attempts", "last_error"]
        before = snapshot(row, fields)
        row.state = State.PENDING
        row.attempts = 0
        row.next_attempt_at = timezone.now()
        row.save(update_fields=["state", "attempts", "next_attempt_at"])
        audit_record(
            action="notification.retried",
            actor=actor,
            continuum=row.continuum,
            obj=row,
            before=before,
            after=snapshot(row, fields),
        )
        transaction.on_commit(partial(enqueue_send, row.pk), robust=True)
    return row
