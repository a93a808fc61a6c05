"""Progress sync: bring each CoC's enrolments up to date with its LMS (no webhooks, so we poll).

One run, for one CoC, in four stages; each stage commits its own small transactions, so a run
that stops (timeout, rate limit, quota, crash) keeps what it did and the next run resumes:

1. link pending LMS accounts: find the person's account by agency e-mail, or create it;
2. enrol linked people in their path's LMS courses (restricted ones too: the LMS shows them
   restricted until the prerequisite is done, as in seed 001);
3. read the timeline (completions, resets) since the persisted high-water mark, apply the new
   events and advance the mark in the same transaction as the changes it covers;
4. read course statuses for a batch of unfinished enrolments, least recently checked first
   (a round robin that survives restarts: the order itself is the resume point).

Idempotent: completion is recorded once (re-reading the event or status finds it completed);
percentages only rise; a reset applies only if it is newer than everything we hold; events at the
high-water second are remembered by key. LMS calls never run inside a database transaction.
Progress is only ever written to the enrolment of the LMS account it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.audit import audit_record

from . import selectors, services
from .lms.base import (
    EVENT_COURSE_COMPLETED,
    EVENT_COURSE_RESET,
    LmsClient,
    LmsConflict,
    LmsError,
    LmsEvent,
    LmsInvalidRequest,
    LmsNotFound,
    LmsUser,
)
from .lms.registry import client_for
from .models import Course, Enrollment, LmsAccount, LmsConfiguration, LmsSyncCursor

LEASE = dt.timedelta(minutes=15)
FIRST_RUN_LOOKBACK = dt.timedelta(days=30)
CHUNK = 50
EVENT_TYPES = (EVENT_COURSE_COMPLETED, EVENT_COURSE_RESET)
ENROLLMENT_PROGRESS_FIELDS = [
    "state",
    "percent",
    "source",
    "started_at",
    "completed_at",
    "reset_at",
    "last_progress_at",
    "units",
    "updated_at",
]


class StopRun(Exception):
    """The run's call budget is spent; the next run continues."""


@dataclass
class SyncReport:
    outcome: str = ""
    accounts_linked: int = 0
    accounts_failed: int = 0
    accounts_held: int = 0
    enrollments_pushed: int = 0
    events_read: int = 0
    events_applied: int = 0
    statuses_read: int = 0
    enrollments_changed: int = 0
    skipped_other_account: int = 0
    timeline_gap: bool = False
    calls: int = 0
    stopped_early: str = ""
    error: LmsError | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("error")
        data["error"] = str(self.error) if self.error else ""
        return data


# --- Merging observations (shared with the CSV import) ------------------------------------------------
PROGRESS_SNAPSHOT = ("state", "percent", "completed_at")


def _snap(e: Enrollment) -> dict[str, Any]:
    return {
        "state": e.state,
        "percent": e.percent,
        "completed_at": e.completed_at.isoformat() if e.completed_at else None,
    }


def merge_progress(
    enrollment: Enrollment,
    *,
    percent: int,
    completed: bool,
    completed_at: dt.datetime | None,
    observed_at: dt.datetime,
    source: str,
) -> bool:
    """Apply one observation of the LMS. Only ever raises progress; completion is recorded once."""
    if enrollment.completed_at is not None:
        return False
    if completed or percent >= 100:
        when = completed_at or observed_at
        if enrollment.reset_at is not None and when <= enrollment.reset_at:
            return False
        enrollment.state = Enrollment.State.COMPLETED
        enrollment.percent = 100
        enrollment.completed_at = when
        enrollment.started_at = enrollment.started_at or when
        enrollment.last_progress_at = max(filter(None, (enrollment.last_progress_at, when)))
        enrollment.source = source
        return True
    if percent > enrollment.percent:
        enrollment.percent = percent
        enrollment.state = Enrollment.State.IN_PROGRESS
        enrollment.started_at = enrollment.started_at or observed_at
        enrollment.last_progress_at = observed_at
        enrollment.source = source
        return True
    return False


def apply_reset(enrollment: Enrollment, *, at: dt.datetime) -> bool:
    """The LMS reset the person's progress (a "redo the course" request); newer than all we hold?"""
    newest = max(
        filter(None, (enrollment.reset_at, enrollment.completed_at, enrollment.last_progress_at)),
        default=None,
    )
    if newest is not None and at <= newest:
        return False
    if enrollment.percent == 0 and enrollment.completed_at is None:
        enrollment.reset_at = at
        return True
    enrollment.state = Enrollment.State.AVAILABLE
    enrollment.percent = 0
    enrollment.completed_at = None
    enrollment.reset_at = at
    enrollment.last_progress_at = at
    enrollment.source = Enrollment.Source.LMS_TIMELINE
    return True


# --- The run -------------------------------------------------------------------------------------------
class _Run:
    def __init__(
        self, continuum: Continuum, config: LmsConfiguration, client: LmsClient, now: dt.datetime
    ) -> None:
        self.continuum = continuum
        self.config = config
        self.client = client
        self.now = now
        self.report = SyncReport()
        self.touched_users: set[int] = set()
        self.reserve = config.hourly_quota * (100 - config.quota_share_percent) // 100

    def spend(self, calls: int = 1) -> None:
        limiter = self.client.rate_limiter
        if limiter is not None and limiter.quota_remaining() - calls < self.reserve:
            raise StopRun("the sync's share of the hourly LMS quota is used up")

    # 1. accounts
    def link_accounts(self) -> None:
        pending = list(
            LmsAccount.objects.filter(continuum=self.continuum, status=LmsAccount.Status.PENDING)
            .select_related("user")
            .order_by("created_at", "pk")[: self.config.batch_size]
        )
        # Someone who looks like they already have an LMS account (another record with the same name
        # or an e-mail in common, linked in the LMS) is only looked up, never created, until their ATA
        # or the Help Desk decides on the training progress page: they update their existing account
        # rather than getting a second one.
        held = {
            user_id
            for user_id, accounts in selectors.lms_duplicates_for(
                self.continuum, [a.user for a in pending]
            ).items()
            if any(a.lms_user_id for a in accounts)
        }
        for account in pending:
            first, _, last = (account.user.full_name or "").strip().partition(" ")
            try:
                if account.user_id in held:
                    self.spend(1)
                    lms_user, created = self.client.find_user_by_email(account.email), False
                    if lms_user is None:
                        self.report.accounts_held += 1
                        continue
                else:
                    self.spend(2)
                    lms_user, created = self.client.find_or_create_user(
                        email=account.email, first_name=first, last_name=last
                    )
            except (LmsConflict, LmsInvalidRequest, LmsNotFound) as exc:
                # About this one account (the LMS refused its e-mail, say): the others go on.
                lms_account_failed(account=account, reason=str(exc))
                self.report.accounts_failed += 1
                continue
            if lms_account_linked(account=account, lms_user=lms_user, created=created):
                self.report.accounts_linked += 1
                self.touched_users.add(account.user_id)
            else:
                self.report.accounts_failed += 1

    # 2. enrolments in the LMS
    def push_enrollments(self) -> None:
        waiting = list(
            Enrollment.objects.filter(
                continuum=self.continuum,
                lms_account__status=LmsAccount.Status.LINKED,
                lms_enrolled_at__isnull=True,
                course__kind=Course.Kind.SELF_PACED,
                course__is_active=True,
            )
            .exclude(course__lms_course_id="")
            .exclude(state=Enrollment.State.COMPLETED)
            .select_related("course", "lms_account")
            .order_by("pk")[: self.config.batch_size]
        )
        missing_courses: set[str] = set()
        for start in range(0, len(waiting), CHUNK):
            done: list[int] = []
            for enrollment in waiting[start : start + CHUNK]:
                if enrollment.course.lms_course_id in missing_courses:
                    continue
                self.spend()
                try:
                    self.client.enroll(
                        user_id=enrollment.lms_account.lms_user_id, course_id=enrollment.course.lms_course_id
                    )
                except (LmsNotFound, LmsInvalidRequest) as exc:
                    # The course id is wrong in the catalog: say so once, do not retry it per person.
                    missing_courses.add(enrollment.course.lms_course_id)
                    self.report.outcome = f"LMS refused course {enrollment.course.lms_course_id}: {exc}"
                    continue
                except LmsError:
                    self._mark_enrolled(done)
                    raise
                done.append(enrollment.pk)
            self._mark_enrolled(done)

    def _mark_enrolled(self, ids: list[int]) -> None:
        if ids:
            Enrollment.objects.filter(pk__in=ids, lms_enrolled_at__isnull=True).update(
                lms_enrolled_at=self.now, updated_at=self.now
            )
            self.report.enrollments_pushed += len(ids)

    # 3. timeline
    def read_timeline(self, cursor: LmsSyncCursor) -> None:
        since = cursor.timeline_since or (self.now - FIRST_RUN_LOOKBACK)
        self.spend(len(EVENT_TYPES))
        read = self.client.timeline_since(since, event_types=EVENT_TYPES)
        seen = set(cursor.seen_at_high_water or []) if cursor.timeline_since else set()
        floor = int(since.timestamp())
        fresh = [e for e in read.events if not (e.unix == floor and e.key in seen)]
        self.report.events_read = len(read.events)
        self.report.timeline_gap = not read.complete
        high_water = max((e.occurred_at for e in read.events), default=None)
        with transaction.atomic():
            locked = LmsSyncCursor.objects.select_for_update().get(pk=cursor.pk)
            self.report.events_applied = self._apply_events(fresh)
            if high_water is not None:
                high_unix = int(high_water.timestamp())
                keys = {e.key for e in read.events if e.unix == high_unix}
                if high_unix == floor:
                    keys |= seen
                locked.timeline_since = high_water.replace(microsecond=0)
                locked.seen_at_high_water = sorted(keys)
            if not read.complete:
                locked.needs_status_sweep = True
            locked.save(update_fields=["timeline_since", "seen_at_high_water", "needs_status_sweep"])
            cursor.timeline_since, cursor.seen_at_high_water = (
                locked.timeline_since,
                locked.seen_at_high_water,
            )

    def _apply_events(self, events: list[LmsEvent]) -> int:
        if not events:
            return 0
        accounts = {
            a.lms_user_id: a
            for a in LmsAccount.objects.filter(
                continuum=self.continuum, lms_user_id__in={e.user_id for e in events if e.user_id}
            )
        }
        courses = {
            c.lms_course_id: c
            for c in Course.objects.filter(
                continuum=self.continuum, lms_course_id__in={e.object_id for e in events}
            )
        }
        relevant = [e for e in events if e.user_id in accounts and e.object_id in courses]
        pairs = {(accounts[e.user_id].user_id, courses[e.object_id].pk) for e in relevant}
        existing = {
            (en.user_id, en.course_id): en
            for en in Enrollment.objects.select_for_update().filter(
                continuum=self.continuum,
                user_id__in={u for u, _ in pairs},
                course_id__in={c for _, c in pairs},
            )
        }
        created: dict[tuple[int, int], Enrollment] = {}
        changed: dict[int, Enrollment] = {}
        audits: list[tuple[Any, dict, dict]] = []
        applied = 0
        for event in relevant:
            account, course = accounts[event.user_id], courses[event.object_id]
            key = (account.user_id, course.pk)
            enrollment = existing.get(key) or created.get(key)
            if enrollment is not None and enrollment.lms_account_id not in (None, account.pk):
                self.report.skipped_other_account += 1
                continue
            if enrollment is None:
                if event.action != EVENT_COURSE_COMPLETED:
                    continue
                enrollment = Enrollment(
                    continuum=self.continuum,
                    user_id=account.user_id,
                    course=course,
                    lms_account=account,
                    lms_enrolled_at=event.occurred_at,
                    source=Enrollment.Source.LMS_TIMELINE,
                )
                created[key] = enrollment
            before = _snap(enrollment)
            if event.action == EVENT_COURSE_COMPLETED:
                moved = merge_progress(
                    enrollment,
                    percent=100,
                    completed=True,
                    completed_at=event.occurred_at,
                    observed_at=event.occurred_at,
                    source=Enrollment.Source.LMS_TIMELINE,
                )
            else:
                moved = apply_reset(enrollment, at=event.occurred_at)
            if moved:
                applied += 1
                enrollment.lms_account_id = enrollment.lms_account_id or account.pk
                self.touched_users.add(account.user_id)
                if enrollment.pk:
                    changed[enrollment.pk] = enrollment
                if before["state"] != enrollment.state:
                    audits.append((enrollment, before, _snap(enrollment)))
        new_rows = [e for e in created.values() if e.completed_at is not None]
        Enrollment.objects.bulk_create(new_rows, batch_size=500)
        Enrollment.objects.bulk_update(
            list(changed.values()), [*ENROLLMENT_PROGRESS_FIELDS, "lms_account"], batch_size=500
        )
        services.audit_bulk(
            continuum=self.continuum,
            action="training.enrollment_progress",
            changes=audits,
            metadata={"source": "lms_timeline"},
        )
        self.report.enrollments_changed += len(new_rows) + len(changed)
        return applied

    # 4. statuses
    def sweep_statuses(self) -> None:
        limiter = self.client.rate_limiter
        budget = self.config.batch_size
        if limiter is not None:
            budget = max(0, min(budget, limiter.quota_remaining() - self.reserve))
        candidates = list(
            Enrollment.objects.filter(
                continuum=self.continuum,
                lms_account__status=LmsAccount.Status.LINKED,
                lms_enrolled_at__isnull=False,
                course__kind=Course.Kind.SELF_PACED,
            )
            .exclude(course__lms_course_id="")
            .exclude(state=Enrollment.State.COMPLETED)
            .select_related("course", "lms_account")
            .order_by(F("status_checked_at").asc(nulls_first=True), "pk")[:budget]
        )
        for start in range(0, len(candidates), CHUNK):
            observed: dict[int, Any] = {}
            try:
                for enrollment in candidates[start : start + CHUNK]:
                    self.spend()
                    observed[enrollment.pk] = self.client.status_in_course(
                        user_id=enrollment.lms_account.lms_user_id, course_id=enrollment.course.lms_course_id
                    )
            finally:
                # Whatever was read before a failure is kept: the next run starts after it.
                self._store_statuses(observed)

    def _store_statuses(self, observed: dict[int, Any]) -> None:
        if not observed:
            return
        self.report.statuses_read += len(observed)
        with transaction.atomic():
            rows = list(
                Enrollment.objects.select_for_update().filter(pk__in=list(observed)).select_related("course")
            )
            audits = []
            changed = []
            for enrollment in rows:
                status = observed[enrollment.pk]
                enrollment.status_checked_at = self.now
                if status is None:
                    # Not enrolled in the LMS (removed there): enrol again in the next run.
                    enrollment.lms_enrolled_at = None
                    changed.append(enrollment)
                    continue
                before = _snap(enrollment)
                moved = merge_progress(
                    enrollment,
                    percent=status.percent,
                    completed=status.completed,
                    completed_at=status.completed_at,
                    observed_at=self.now,
                    source=Enrollment.Source.LMS_STATUS,
                )
                units = {u.name or u.id: u.completed for u in status.units}
                if units and units != enrollment.units:
                    enrollment.units = units
                    moved = True
                if moved:
                    self.touched_users.add(enrollment.user_id)
                    self.report.enrollments_changed += 1
                    if before["state"] != enrollment.state:
                        audits.append((enrollment, before, _snap(enrollment)))
                changed.append(enrollment)
            Enrollment.objects.bulk_update(
                changed, [*ENROLLMENT_PROGRESS_FIELDS, "status_checked_at", "lms_enrolled_at"], batch_size=500
            )
            services.audit_bulk(
                continuum=self.continuum,
                action="training.enrollment_progress",
                changes=audits,
                metadata={"source": "lms_status"},
            )


# --- Account link writes (their own small transactions) --------------------------------------------------
def lms_account_linked(*, account: LmsAccount, lms_user: LmsUser, created: bool) -> bool:
    """Record the LMS id found for a pending account, unless that would move progress."""
    with transaction.atomic():
        locked = LmsAccount.objects.select_for_update().get(pk=account.pk)
        problem = ""
        if locked.lms_user_id and locked.lms_user_id != lms_user.id:
            problem = (
                f"The LMS account for {locked.email} (id {lms_user.id}) is not the one already linked "
                f"(id {locked.lms_user_id}); progress cannot move between accounts. "
                "Help Desk must resolve it."
            )
        elif (
            LmsAccount.objects.filter(continuum=locked.continuum_id, lms_user_id=lms_user.id)
            .exclude(pk=locked.pk)
            .exists()
        ):
            problem = f"LMS account {lms_user.id} is already linked to another person in this CoC."
        if problem:
            locked.status, locked.last_error = LmsAccount.Status.FAILED, problem[:300]
            locked.save(update_fields=["status", "last_error"])
            audit_record(
                action="training.lms_account_link_refused",
                continuum=locked.continuum,
                obj=locked,
                metadata={"reason": problem},
            )
            return False
        locked.lms_user_id = lms_user.id
        locked.login = lms_user.login
        locked.status = LmsAccount.Status.LINKED
        locked.created_in_lms = created
        locked.linked_at = timezone.now()
        locked.last_error = ""
        locked.save(
            update_fields=["lms_user_id", "login", "status", "created_in_lms", "linked_at", "last_error"]
        )
        Enrollment.objects.filter(
            continuum=locked.continuum_id,
            user_id=locked.user_id,
            lms_account__isnull=True,
            course__kind="self_paced",
        ).exclude(course__lms_course_id="").update(lms_account=locked)
        audit_record(
            action="training.lms_account_linked",
            continuum=locked.continuum,
            obj=locked,
            after={"lms_user_id": lms_user.id, "created_in_lms": created},
        )
    return True


def lms_account_failed(*, account: LmsAccount, reason: str) -> None:
    with transaction.atomic():
        locked = LmsAccount.objects.select_for_update().get(pk=account.pk)
        locked.status, locked.last_error = LmsAccount.Status.FAILED, reason[:300]
        locked.save(update_fields=["status", "last_error"])
        audit_record(
            action="training.lms_account_link_failed",
            continuum=locked.continuum,
            obj=locked,
            metadata={"reason": reason},
        )


# --- Entry point -----------------------------------------------------------------------------------------
def _claim(cursor: LmsSyncCursor, now: dt.datetime) -> bool:
    """Take the CoC's lease with a conditional UPDATE: two workers never sync one CoC at once."""
    return bool(
        LmsSyncCursor.objects.filter(pk=cursor.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, last_started_at=now)
    )


def lms_sync_run(
    *,
    continuum: Continuum,
    client: LmsClient | None = None,
    now: dt.datetime | None = None,
    clock: Callable[[], dt.datetime] = timezone.now,
    stages: Iterable[str] = ("accounts", "enrollments", "timeline", "statuses"),
) -> SyncReport:
    """One sync run for one CoC. Never raises for LMS trouble: the report carries the error."""
    now = now or clock()
    config = LmsConfiguration.objects.filter(continuum=continuum).first()
    if config is None or not config.enabled:
        return SyncReport(outcome="LMS sync is off for this CoC")
    cursor, _ = LmsSyncCursor.objects.get_or_create(continuum=continuum)
    if not _claim(cursor, now):
        return SyncReport(outcome="another run is in progress")
    cursor.refresh_from_db()
    report = SyncReport()
    run: _Run | None = None
    try:
        client = client or client_for(config)
        run = _Run(continuum, config, client, now)
        report = run.report
        calls_before = client.calls_made
        stages = tuple(stages)
        try:
            if "accounts" in stages:
                run.link_accounts()
            if "enrollments" in stages:
                run.push_enrollments()
            if "timeline" in stages:
                run.read_timeline(cursor)
            if "statuses" in stages:
                run.sweep_statuses()
        except StopRun as stop:
            report.stopped_early = str(stop)
        finally:
            report.calls = client.calls_made - calls_before
    except LmsError as exc:
        report.error = exc
        report.stopped_early = str(exc)
    finally:
        if run is not None and run.touched_users:
            services.learning_paths_refresh(continuum=continuum, user_ids=run.touched_users, create=False)
        _finish(cursor, report, clock())
    return report


def _finish(cursor: LmsSyncCursor, report: SyncReport, now: dt.datetime) -> None:
    fields = {
        "lease_until": None,
        "last_finished_at": now,
        "calls_last_run": report.calls,
    }
    if report.error is not None:
        fields["last_error"] = str(report.error)[:2000]
        fields["consecutive_failures"] = F("consecutive_failures") + 1
        fields["last_outcome"] = f"stopped: {type(report.error).__name__}"
    else:
        fields["last_error"] = ""
        fields["consecutive_failures"] = 0
        parts = [
            f"{report.accounts_linked} linked",
            *([f"{report.accounts_held} held as likely duplicates"] if report.accounts_held else []),
            f"{report.enrollments_pushed} enrolled",
            f"{report.events_applied} events",
            f"{report.enrollments_changed} updated",
        ]
        if report.stopped_early:
            parts.append(f"paused: {report.stopped_early}")
        fields["last_outcome"] = (report.outcome + "; " if report.outcome else "") + ", ".join(parts)
        fields["last_outcome"] = fields["last_outcome"][:200]
        if not report.timeline_gap:
            fields["needs_status_sweep"] = False
    LmsSyncCursor.objects.filter(pk=cursor.pk).update(**fields)
