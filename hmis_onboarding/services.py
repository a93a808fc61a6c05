"""Kernel services (writes that are not owned by one domain app)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audit_record, snapshot
from .business_calendar import us_federal_holidays
from .models import ApiToken, ContinuumCalendar, ContinuumHoliday, ContinuumNotificationSettings, User
from .permissions import STAFF_ROLES, Capability
from .tenancy import access_for


def sessions_clear_expired() -> int:
    """Remove expired sessions; returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


# --- Business calendar and notification settings ------------------------------------------------------

CALENDAR_FIELDS = ["workday_start", "workday_end"]
NOTIFICATION_SETTINGS_FIELDS = [
    "digest_hour",
    "reminder_offsets",
    "escalation_delay_business_days",
    "setup_grace_business_days",
]


def _require_configure(continuum: Any, actor: User) -> None:
    if not access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM):
        raise PermissionDenied("Only the CoC's administrators may change its calendar and reminders.")


def calendar_settings_update(*, continuum: Any, actor: User, **changes: Any) -> list[str]:
    """Change working hours and reminder settings; returns the fields that changed."""
    _require_configure(continuum, actor)
    unknown = set(changes) - set(CALENDAR_FIELDS) - set(NOTIFICATION_SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not a calendar or reminder setting: {', '.join(sorted(unknown))}")
    changed: list[str] = []
    with transaction.atomic():
        for model, fields in (
            (ContinuumCalendar, CALENDAR_FIELDS),
            (ContinuumNotificationSettings, NOTIFICATION_SETTINGS_FIELDS),
        ):
            mine = {k: v for k, v in changes.items() if k in fields}
            if not mine:
                continue
            model.objects.get_or_create(continuum=continuum)
            row = model.objects.select_for_update().get(continuum=continuum)
            before = snapshot(row, list(mine))
            for name, value in mine.items():
                setattr(row, name, value)
            row.full_clean()
            after = snapshot(row, list(mine))
            if before == after:
                continue
            row.save(update_fields=list(mine))
            audit_record(
                action="continuum.calendar_changed",
                actor=actor,
                continuum=continuum,
                obj=continuum,
                before=before,
                after=after,
            )
            changed += [k for k in mine if before[k] != after[k]]
    return changed


def holiday_add(*, continuum: Any, actor: User, day: date, name: str) -> ContinuumHoliday:
    _require_configure(continuum, actor)
    name = " ".join(name.split())[:120]
    if not name:
        raise ValidationError({"name": "Give the holiday a name."})
    with transaction.atomic():
        if ContinuumHoliday.objects.filter(continuum=continuum, date=day).exists():
            raise ValidationError({"date": f"{day:%B} {day.day}, {day.year} is already a holiday."})
        holiday = ContinuumHoliday.objects.create(continuum=continuum, date=day, name=name)
        audit_record(
            action="continuum.holiday_added",
            actor=actor,
            continuum=continuum,
            obj=continuum,
            after={"date": day.isoformat(), "name": name},
        )
    return holiday


def holiday_remove(*, holiday: ContinuumHoliday, actor: User) -> None:
    _require_configure(holiday.continuum, actor)
    with transaction.atomic():
        locked = ContinuumHoliday.objects.select_for_update().filter(pk=holiday.pk).first()
        if locked is None:
            return
        before = {"date": locked.date.isoformat(), "name": locked.name}
        locked.delete()
        audit_record(
            action="continuum.holiday_removed",
            actor=actor,
            continuum=holiday.continuum,
            obj=holiday.continuum,
            before=before,
        )


def holidays_load_us_federal(*, continuum: Any, year: int, actor: User | None = None) -> int:
    """Add the year's observed US federal holidays; days already on the calendar are kept as they
    are. Returns how many were added. `actor=None` is the system (management command)."""
    if actor is not None:
        _require_configure(continuum, actor)
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": "Choose a year between 1900 and 2200."})
    with transaction.atomic():
        taken = set(
            ContinuumHoliday.objects.filter(continuum=continuum, date__year=year).values_list(
                "date", flat=True
            )
        )
        new = [
            ContinuumHoliday(continuum=continuum, date=day, name=name)
            for day, name in us_federal_holidays(year)
            if day not in taken
        ]
        ContinuumHoliday.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            audit_record(
                action="continuum.federal_holidays_loaded",
                actor=actor,
                continuum=continuum,
                obj=continuum,
                after={"year": year, "added": [h.date.isoformat() for h in new]},
            )
    return len(new)


# --- API tokens ---------------------------------------------------------------------------------------

API_TOKEN_ROLES = sorted(STAFF_ROLES)


def _require_token_admin(continuum: Any, actor: User) -> None:
    if not access_for(continuum, actor).can(Capability.MANAGE_API_TOKENS):
        raise PermissionDenied("Only the CoC's administrators may manage API tokens.")


def api_token_create(*, continuum: Any, actor: User, name: str, role: str) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned here once and never stored."""
    from .token_auth import hash_key, new_key

    _require_token_admin(continuum, actor)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says which integration uses it."})
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Tokens act with one CoC staff role."})
    key = new_key()
    with transaction.atomic():
        principal = User.objects.create_user(
            email=f"token-{secrets.token_hex(6)}.{continuum.slug}@api-tokens.invalid",
            full_name=f"API token: {name}"[:200],
        )
        principal.set_unusable_password()
        principal.save(update_fields=["password"])
        token = ApiToken.objects.create(
            continuum=continuum,
            name=name,
            role=role,
            principal=principal,
            key_prefix=key[:12],
            key_hash=hash_key(key),
            created_by=actor,
        )
        audit_record(
            action="api_token.created",
            actor=actor,
            continuum=continuum,
            obj=token,
            after=snapshot(token, ["name", "role", "key_prefix"]),
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    _require_token_admin(token.continuum, actor)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        # The principal can never sign in (no password); deactivating it also stops any cached use.
        User.objects.filter(pk=token.principal_id).update(is_active=False)
        audit_record(
            action="api_token.revoked",
            actor=actor,
            continuum=token.continuum,
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


# --- Configuration history ------------------------------------------------------------------------------


def configuration_restore(*, continuum: Any, actor: User, event_id: int) -> list[str]:
    """Put simple settings back to what they were before one recorded change. The area's own
    service writes them (same validation, same audit event), so the restore is itself a new version
    in the history. Only the settings the change changed are restored. Returns their names."""
    from .config_history import restorer_for
    from .models import AuditEvent

    _require_configure(continuum, actor)
    event = AuditEvent.objects.filter(continuum=continuum, pk=event_id).first()
    restorer = restorer_for(event.action) if event is not None else None
    if event is None or restorer is None or not event.before:
        raise ValidationError("This change cannot be restored in one step; edit the settings instead.")
    # Only what this change changed: settings it merely recorded stay as they are now.
    changed = {k: v for k, v in event.before.items() if event.after.get(k) != v}
    if not changed:
        raise ValidationError("This change left every setting as it was; there is nothing to restore.")
    restorer(continuum=continuum, actor=actor, values=changed)
    return sorted(changed)
