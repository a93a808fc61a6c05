"""People and the audit trail: the two records every other app leans on."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. They log in with their e-mail; what they may do comes from their memberships."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Django admin access; only HMIS Lead superusers may use it."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Append-only: rows can be added and read, never changed or removed."""

    def update(self, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("Audit events cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(
            object_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what, when, from where, to which object, and what it was before and after."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text too: the trail must still read correctly if a person's e-mail later changes.
    actor_label = models.CharField(max_length=254, blank=True)
    continuum = models.ForeignKey(
        "agencies.Continuum", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["continuum", "-occurred_at"], name="audit_continuum_time"),
            models.Index(fields=["object_type", "object_id", "-occurred_at"], name="audit_object_time"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field that differs, for history tables."""
        keys = sorted(set(self.before) | set(self.after))
        return [
            (k, self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        ]


# --- Business calendar ------------------------------------------------------------------------------
# Kept in the kernel, keyed to the Continuum, so the calendar and notification settings can evolve
# without new columns on the tenant table (agencies.Continuum).


def validate_offsets(value: str) -> None:
    try:
        offsets = parse_offsets(value)
    except ValueError:
        raise ValidationError(
            "Use whole numbers of business days separated by commas, e.g. 7, 3, 1."
        ) from None
    if not offsets:
        raise ValidationError("Give at least one reminder offset.")
    if any(n < 1 or n > 60 for n in offsets):
        raise ValidationError("Each offset must be between 1 and 60 business days.")


def parse_offsets(value: str) -> tuple[int, ...]:
    """'7, 3,1' → (7, 3, 1): distinct, largest first."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    return tuple(sorted({int(p) for p in parts}, reverse=True))


class ContinuumCalendar(models.Model):
    """A CoC's working hours. Holidays are `ContinuumHoliday` rows; the time zone is the Continuum's."""

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, primary_key=True, related_name="business_calendar"
    )
    workday_start = models.TimeField(
        default=datetime.time(9, 0),
        help_text="Requests received before this time count from that business day.",
    )
    workday_end = models.TimeField(
        default=datetime.time(17, 0),
        help_text="Requests received after this time count from the next business day.",
    )

    class Meta:
        verbose_name = "business calendar"

    def __str__(self) -> str:
        return f"Calendar of {self.continuum}"

    def clean(self) -> None:
        if self.workday_start >= self.workday_end:
            raise ValidationError({"workday_end": "The working day must end after it starts."})


class ContinuumHoliday(models.Model):
    """A day the CoC's HMIS Lead does not work: no SLA clock, no reminders, no digests."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "date"], name="holiday_unique_date_per_continuum"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


# --- Notifications ----------------------------------------------------------------------------------


class ContinuumNotificationSettings(models.Model):
    """When a CoC's reminders and digests go out. Defaults apply until an administrator saves."""

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text="Hour (0–23, in the CoC's time zone) when daily digests go out on business days.",
    )
    reminder_offsets = models.CharField(
        max_length=40,
        default="7,3,1",
        validators=[validate_offsets],
        help_text="Business days before a due date on which a reminder goes out, separated by commas.",
    )
    escalation_delay_business_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text="Business days after a due date before overdue items go to supervisors / CoC staff.",
    )
    setup_grace_business_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text="Business days a new member has to sign in (and, for CoC staff, set up two-factor "
        "authentication) before reminders are about them.",
    )
    # The CoC-local date whose daily run finished; a crash before this is written re-runs the day,
    # which the outbox's dedupe keys make harmless.
    last_run_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.continuum}"

    @property
    def offsets(self) -> tuple[int, ...]:
        return parse_offsets(self.reminder_offsets)


class NotificationPreference(models.Model):
    """How one person wants one kind of reminder in one CoC; absent rows mean the kind's default."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately, one e-mail each"
        DIGEST = "digest", "In my daily digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=80)
    delivery = models.CharField(max_length=16, choices=Delivery.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "continuum", "kind"], name="notification_preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {self.delivery}"


class Notification(models.Model):
    """One e-mail in the outbox. The row exists before the e-mail is sent, in the same transaction
    as the change that caused it; `dedupe_key` (what, for whom, which due date) makes it unique."""

    class State(models.TextChoices):
        PENDING = "pending", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    continuum = models.ForeignKey(
        "agencies.Continuum", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_email = models.EmailField()
    kind = models.CharField(max_length=80, db_index=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    message_id = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)

    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["continuum", "state", "-created_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.state})"


class ApiToken(models.Model):
    """A credential for an integration (an LMS, a vendor's script): one CoC, one staff role.

    The secret is shown once when created; only its SHA-256 is stored (the secret is 256 random bits,
    so a slow password hash would add nothing). Each token acts as its own principal — a user row
    with no password and no membership — so the audit trail names the token, not the person who
    created it, and its role exists only while the token is live."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=32)
    principal = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token"
    )
    key_prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token “{self.name}” ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MetricSnapshot(models.Model):
    """The metrics page's figures for one CoC and one filter combination, computed at `computed_at`.

    A roll-up: the charts are expensive (hash aggregates over every requested person, scans of every
    enrolment), so the page reads the stored result instead of recomputing it on each view. The
    unfiltered snapshot of every CoC is refreshed hourly (`hmis_onboarding.tasks.metrics_rollup`);
    a filter combination is computed when first asked for and whenever its snapshot is stale, and
    CoC staff may refresh on demand. `charts` is the list of `Chart.as_dict()` — exactly what the
    page and its CSV export show. Derived data: deleting a row loses nothing."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="+")
    # Canonical query string of the filters ("" = unfiltered), e.g. "agency=12&since=2026-01-01".
    filter_key = models.CharField(max_length=200, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()
    # The CoC's local date when computed: "today" of the agreements-expiring and open-request charts.
    as_of_date = models.DateField()
    duration_ms = models.PositiveIntegerField(default=0)
    charts = models.JSONField(default=list, blank=True)
    # The charts drawn (SVG and tables), rendered when computed: drawing ~90 rows through the
    # template costs a metro page more than everything else it does. `html_version` names the
    # template it came from; after a deploy that changes it, pages draw from `charts` until the
    # next roll-up.
    charts_html = models.TextField(blank=True)
    html_version = models.CharField(max_length=16, blank=True)
    refreshed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["continuum", "filter_key"], name="metric_snapshot_per_filter")
        ]

    def __str__(self) -> str:
        key = self.filter_key or "all"
        return f"Metrics of {self.continuum_id} [{key}] as of {self.computed_at:%Y-%m-%d %H:%M}"
