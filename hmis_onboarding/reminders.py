"""Reminders and the daily digest, computed from state rather than scheduled far ahead.

Features plug in *sources*: `register_reminder_source(name, fn)` where `fn(continuum, today)` yields
`ReminderItem`s — for whom, about whom, what kind, by when, what to do and where. Once per business
day, at the CoC's digest hour in its time zone, `reminders_run` asks every source, then

- sends each person one digest listing everything open for them, grouped by the person (or agency)
  each item is about — at most one digest per person per CoC per day (the outbox dedupe key);
- sends an item on its own e-mail, once per stage, when the person chose "immediately" for its
  kind, when it is a security notice (always), or when it is urgent on a reminder day;
- for items with a due date: shows them from the largest reminder offset before the due date
  (business days), reminds on each offset day, the due day and when overdue, and after the
  escalation delay also tells the item's escalation contacts (supervisors / CoC staff);
- for open items without a due date but with `open_since` (the day the thing became a problem,
  e.g. a trainee stalled): lists them every day and, once the escalation delay has passed since
  that day, also tells the escalation contacts.

Sources live next to their data, in `<app>/notification_sources.py` (imported at start-up).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .business_calendar import BusinessCalendar, calendar_for
from .models import ContinuumNotificationSettings, User
from .notifications import (
    Delivery,
    OutboxEmail,
    absolute_url,
    delivery_for,
    notification_enqueue_many,
    notification_kind,
    notification_settings_for,
    preferences_map,
)

logger = logging.getLogger(__name__)

NORMAL = "normal"
URGENT = "urgent"


@dataclass(frozen=True)
class ReminderItem:
    """Something one person should do. `key` identifies the thing within its kind (e.g. "agency:12"),
    so the same item on another day is recognised; `url` is a path inside the site."""

    recipient: User
    kind: str
    key: str
    text: str
    url: str = ""
    person: User | None = None
    about: str = ""
    due_date: dt.date | None = None
    urgency: str = NORMAL
    escalate_to: tuple[User, ...] = ()
    escalation_text: str = ""
    # Items without a due date: the day the thing became open; the escalation delay counts from it.
    open_since: dt.date | None = None


ReminderSource = Callable[[Any, dt.date], Iterable[ReminderItem]]
_SOURCES: dict[str, ReminderSource] = {}


def register_reminder_source(name: str, fn: ReminderSource | None = None) -> Any:
    """Register `fn(continuum, today) -> Iterable[ReminderItem]`; usable as a decorator too."""

    def register(source: ReminderSource) -> ReminderSource:
        _SOURCES[name] = source
        return source

    return register(fn) if fn is not None else register


@dataclass(frozen=True)
class ScheduledItem:
    """An item as it stands today for one recipient."""

    item: ReminderItem
    recipient: User
    stage: str  # open | upcoming | due-in-N | due-today | overdue | escalated
    remind_today: bool  # a reminder day: an immediate e-mail is warranted (once per stage)
    urgent: bool
    text: str

    @property
    def group(self) -> str:
        if self.item.person is not None:
            return self.item.person.get_full_name()
        return self.item.about or "General"


@dataclass(frozen=True)
class ReminderRules:
    offsets: tuple[int, ...]
    escalation_delay: int

    @classmethod
    def for_settings(cls, cfg: ContinuumNotificationSettings) -> ReminderRules:
        return cls(offsets=cfg.offsets or (1,), escalation_delay=cfg.escalation_delay_business_days)


def schedule_item(
    item: ReminderItem, *, today: dt.date, cal: BusinessCalendar, rules: ReminderRules
) -> list[ScheduledItem]:
    """Where an item stands today: nothing yet, in the digest, a reminder day, overdue, escalated."""
    urgent = item.urgency == URGENT
    if item.due_date is None:
        out = [ScheduledItem(item, item.recipient, "open", True, urgent, item.text)]
        if item.open_since is not None and cal.business_days_between(item.open_since, today) >= (
            rules.escalation_delay
        ):
            text = item.escalation_text or item.text
            out += [
                ScheduledItem(item, contact, "escalated", True, urgent, text)
                for contact in item.escalate_to
                if contact.pk != item.recipient.pk
            ]
        return out
    remaining = cal.business_days_between(today, item.due_date)
    if remaining > max(rules.offsets):
        return []
    if remaining > 0:
        return [
            ScheduledItem(
                item, item.recipient, f"due-in-{remaining}", remaining in rules.offsets, urgent, item.text
            )
        ]
    if remaining == 0:
        return [ScheduledItem(item, item.recipient, "due-today", True, True, item.text)]
    out = [ScheduledItem(item, item.recipient, "overdue", True, True, item.text)]
    if -remaining >= rules.escalation_delay:
        text = item.escalation_text or f"Overdue since {item.due_date:%b} {item.due_date.day}: {item.text}"
        out += [
            ScheduledItem(item, contact, "escalated", True, True, text)
            for contact in item.escalate_to
            if contact.pk != item.recipient.pk
        ]
    return out


def collect_items(continuum: Any, today: dt.date) -> list[ReminderItem]:
    items: list[ReminderItem] = []
    for name, source in _SOURCES.items():
        try:
            items.extend(source(continuum, today))
        except Exception:
            # One broken source must not stop every other reminder of the CoC.
            logger.exception("Reminder source %s failed for continuum %s", name, continuum.pk)
    return items


def _key(*parts: Any) -> str:
    key = ":".join(str(p) for p in parts)
    if len(key) <= 255:
        return key
    return f"{key[:180]}:{hashlib.sha256(key.encode()).hexdigest()}"


def digest_dedupe_key(continuum: Any, recipient: User, day: dt.date) -> str:
    return _key("digest", continuum.pk, recipient.pk, day.isoformat())


def reminder_dedupe_key(continuum: Any, scheduled: ScheduledItem) -> str:
    item = scheduled.item
    due = item.due_date.isoformat() if item.due_date else "-"
    return _key("reminder", continuum.pk, item.kind, item.key, scheduled.recipient.pk, due, scheduled.stage)


@dataclass
class RunResult:
    digests: int = 0
    immediate: int = 0
    items: int = 0
    recipients: set[int] = field(default_factory=set)


def _item_context(scheduled: ScheduledItem) -> dict[str, Any]:
    item = scheduled.item
    return {
        "text": scheduled.text,
        "url": absolute_url(item.url),
        "due_date": item.due_date,
        "urgent": scheduled.urgent,
        "stage": scheduled.stage,
        "group": scheduled.group,
        "kind_label": notification_kind(item.kind).label,
    }


# Recipients whose e-mails are put in the outbox together (one transaction, a few queries).
DELIVERY_CHUNK = 250


def deliver(continuum: Any, today: dt.date, scheduled: list[ScheduledItem]) -> RunResult:
    """Turn today's scheduled items into outbox rows: immediate e-mails and one digest per person.
    A person's e-mails are written in one transaction, with those of a chunk of other recipients."""
    result = RunResult()
    by_recipient: dict[int, list[ScheduledItem]] = defaultdict(list)
    seen: set[tuple[int, str, str, str]] = set()
    for s in scheduled:
        # Someone reached twice (say, Help Desk and CoC administrator) hears about a thing once.
        identity = (s.recipient.pk, s.item.kind, s.item.key, s.stage)
        if identity in seen or not (s.recipient.is_active and s.recipient.email):
            continue
        seen.add(identity)
        by_recipient[s.recipient.pk].append(s)
    chosen = preferences_map(continuum=continuum, user_ids=by_recipient)
    recipients = list(by_recipient.items())
    for start in range(0, len(recipients), DELIVERY_CHUNK):
        emails: list[OutboxEmail] = []
        for user_id, entries in recipients[start : start + DELIVERY_CHUNK]:
            emails += _emails_for(continuum, today, entries, chosen)
            result.items += len(entries)
            result.recipients.add(user_id)
        with transaction.atomic():
            created = notification_enqueue_many(continuum=continuum, emails=emails)
        for email, was_created in zip(emails, created, strict=True):
            if email.kind == "digest":
                result.digests += int(was_created)
            else:
                result.immediate += int(was_created)
    return result


def _emails_for(
    continuum: Any, today: dt.date, entries: list[ScheduledItem], chosen: dict[tuple[int, str], str]
) -> list[OutboxEmail]:
    """One recipient's e-mails today: the items they hear about on their own, then their digest."""
    recipient = entries[0].recipient
    emails: list[OutboxEmail] = []
    digest_entries: list[ScheduledItem] = []
    for s in entries:
        kind = notification_kind(s.item.kind)
        delivery = delivery_for(kind, chosen.get((recipient.pk, kind.key)))
        immediate = kind.security or delivery == Delivery.IMMEDIATE or s.urgent
        if immediate and s.remind_today:
            emails.append(
                OutboxEmail(
                    recipient=recipient,
                    kind=kind.key,
                    dedupe_key=reminder_dedupe_key(continuum, s),
                    subject=f"{continuum.name}: {s.text}",
                    template="reminder",
                    context={"item": _item_context(s), "kind": kind},
                    due_date=s.item.due_date,
                )
            )
        if kind.security or delivery == Delivery.DIGEST:
            digest_entries.append(s)
    if digest_entries:
        emails.append(
            OutboxEmail(
                recipient=recipient,
                kind="digest",
                dedupe_key=digest_dedupe_key(continuum, recipient, today),
                subject=_digest_subject(continuum, today, len(digest_entries)),
                template="digest",
                context={"day": today, "groups": _groups(digest_entries), "count": len(digest_entries)},
            )
        )
    return emails


def _digest_subject(continuum: Any, day: dt.date, count: int) -> str:
    things = "1 item needs" if count == 1 else f"{count} items need"
    return f"{continuum.name}: {things} your attention — {day:%A, %B} {day.day}"


def _groups(entries: list[ScheduledItem]) -> list[dict[str, Any]]:
    """Items grouped by the person (or agency) they are about; urgent first, then by due date."""
    grouped: dict[str, list[ScheduledItem]] = defaultdict(list)
    for s in entries:
        grouped[s.group].append(s)
    groups = []
    for label, items in grouped.items():
        items.sort(key=lambda s: (not s.urgent, s.item.due_date or dt.date.max, s.text))
        person = items[0].item.person
        groups.append(
            {
                "label": label,
                "email": person.email if person is not None else "",
                "urgent": any(s.urgent for s in items),
                "items": [_item_context(s) for s in items],
            }
        )
    groups.sort(key=lambda g: (not g["urgent"], g["label"].lower()))
    return groups


# --- The daily run ------------------------------------------------------------------------------------


def _run_is_due(
    cfg: ContinuumNotificationSettings, cal: BusinessCalendar, now: dt.datetime
) -> dt.date | None:
    local = timezone.localtime(now, cal.tz)
    today = local.date()
    if not cal.is_business_day(today) or local.hour < cfg.digest_hour or cfg.last_run_on == today:
        return None
    return today


def reminders_due(now: dt.datetime | None = None) -> list[tuple[int, dt.date]]:
    """(continuum id, local date) of every CoC whose daily run is due and not yet done."""
    from agencies.models import Continuum

    now = now or timezone.now()
    due = []
    for continuum in Continuum.objects.order_by("pk"):
        day = _run_is_due(notification_settings_for(continuum), calendar_for(continuum), now)
        if day is not None:
            due.append((continuum.pk, day))
    return due


def reminders_run(*, continuum_id: int, day: dt.date, now: dt.datetime | None = None) -> RunResult | None:
    """The daily run of one CoC. Re-checks that `day` is still its business day, past its digest
    hour and not yet done (the task may arrive late); running twice sends nothing twice."""
    from agencies.models import Continuum

    continuum = Continuum.objects.filter(pk=continuum_id).first()
    if continuum is None:
        return None
    cfg = notification_settings_for(continuum)
    cal = calendar_for(continuum)
    if _run_is_due(cfg, cal, now or timezone.now()) != day:
        return None
    rules = ReminderRules.for_settings(cfg)
    scheduled: list[ScheduledItem] = []
    for item in collect_items(continuum, day):
        scheduled.extend(schedule_item(item, today=day, cal=cal, rules=rules))
    result = deliver(continuum, day, scheduled)
    _mark_run(continuum, day)
    logger.info(
        "Reminders for %s on %s: %d items, %d digests, %d immediate e-mails.",
        continuum.coc_code,
        day,
        result.items,
        result.digests,
        result.immediate,
    )
    return result


def _mark_run(continuum: Any, day: dt.date) -> None:
    updated = ContinuumNotificationSettings.objects.filter(continuum=continuum).update(last_run_on=day)
    if not updated:
        try:
            with transaction.atomic():
                ContinuumNotificationSettings.objects.create(continuum=continuum, last_run_on=day)
        except IntegrityError:
            ContinuumNotificationSettings.objects.filter(continuum=continuum).update(last_run_on=day)
