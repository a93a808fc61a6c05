"""The fallback when the API cannot be used: import the LMS's progress export (CSV).

Upload → the file is parsed and checked row by row, nothing is written except the import record
itself → the Help Desk sees a preview with each faulty row and why → confirming writes every valid
row in one transaction (or nothing); cancelling writes nothing and deletes the file.

Built for large exports (bench target 250k rows): one pass over the file, lookups in dicts built
by a handful of queries, and writes with bulk_create / bulk_update in chunks.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from . import services
from .bulk import update_grouped
from .models import Course, CoursePart, Enrollment, LmsAccount, LmsConfiguration, ProgressImport
from .parts import apply_part_observation
from .sync import _snap, merge_progress

MAX_BYTES = 60 * 1024 * 1024
MAX_STORED_ERRORS = 200
PREVIEW_ROWS = 20
WRITE_CHUNK = 5000
# What an import can change on an existing enrolment (merge_progress never touches reset_at/units).
IMPORT_UPDATE_FIELDS = ["state", "percent", "source", "completed_at", "last_progress_at", "updated_at"]

# Column names seen in LMS exports (TalentLMS report exports and hand-made sheets), normalised.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "user email",
        "user e-mail",
        "email address",
        "e-mail address",
        "user_email",
    ),
    "course_id": ("course id", "course_id", "courseid"),
    "course": ("course", "course name", "course title", "course_name"),
    "percent": (
        "progress",
        "progress (%)",
        "progress %",
        "completion percentage",
        "completion_percentage",
        "completion %",
        "completion (%)",
        "percent",
        "percentage",
    ),
    "status": ("status", "completion status", "completion_status", "course status"),
    "completed_on": ("completion date", "completed on", "completed_on", "completion_date", "date completed"),
}
COMPLETED_WORDS = {"completed", "complete", "passed", "done"}
_DATE_PATTERNS = {
    "DMY": ("%d/%m/%Y, %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "MDY": ("%m/%d/%Y, %I:%M:%S %p", "%m/%d/%Y, %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    "YMD": ("%Y/%m/%d, %H:%M:%S", "%Y/%m/%d"),
}
_ISO_PATTERNS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_SPACES = re.compile(r"\s+")


@dataclass
class ImportRow:
    line: int
    email: str
    course_name: str
    account_id: int
    user_id: int
    course_id: int
    percent: int
    completed: bool
    completed_at: dt.datetime | None
    # A row about one part of a course (its LMS unit name, e.g. Data Management's "Part 1: …").
    part: str = ""


@dataclass
class RowError:
    line: int
    message: str
    email: str = ""
    course: str = ""


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    @property
    def digest(self) -> str:
        """What a confirmation would write; if it differs from the preview's, the preview is stale."""
        h = hashlib.sha256()
        for r in self.rows:
            h.update(
                f"{r.line}|{r.account_id}|{r.course_id}|{r.percent}|{r.completed}|{r.completed_at}|{r.part}\n".encode()
            )
        h.update(f"errors:{len(self.errors)}".encode())
        return h.hexdigest()


@functools.lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\ufeff", "").strip().lower())


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    normalised = [_norm(h) for h in header]
    for name, aliases in HEADER_ALIASES.items():
        for index, title in enumerate(normalised):
            if title in aliases and name not in found:
                found[name] = index
    return found


@functools.lru_cache(maxsize=4096)  # an export repeats the same few hundred dates
def parse_date(text: str, date_format: str, tzinfo: dt.tzinfo) -> dt.datetime:
    raw = text.strip()
    if raw.isdigit() and len(raw) >= 9:
        return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
    for pattern in (*_ISO_PATTERNS, *_DATE_PATTERNS.get(date_format, _DATE_PATTERNS["DMY"])):
        try:
            return dt.datetime.strptime(raw, pattern).replace(tzinfo=tzinfo)
        except ValueError:
            continue
    raise ValueError(raw)


def _rows(text: str) -> Iterator[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def parse_progress_export(
    data: bytes, *, continuum: Continuum, date_format: str = "DMY", now: dt.datetime | None = None
) -> ParsedImport:
    """Check every row; raises ValidationError only when the file as a whole is unusable."""
    now = now or timezone.now()
    reader = _rows(_decode(data))
    header = next(reader, None)
    if not header:
        raise ValidationError("The file is empty.")
    columns = _columns(header)
    missing = []
    if "email" not in columns:
        missing.append("an e-mail column")
    if "course" not in columns and "course_id" not in columns:
        missing.append("a course (name or id) column")
    if "percent" not in columns and "status" not in columns:
        missing.append("a progress or completion status column")
    if missing:
        raise ValidationError(
            "This does not look like an LMS progress export: it needs "
            + ", ".join(missing)
            + f". Columns found: {', '.join(h.strip() for h in header if h.strip())[:300]}."
        )

    # Current e-mails win over previous ones (an export made before an account was updated).
    account_rows = list(
        LmsAccount.objects.filter(continuum=continuum).values_list(
            "pk", "user_id", "email", "previous_emails"
        )
    )
    accounts: dict[str, tuple[int, int]] = {}
    for pk, user_id, _email, previous in account_rows:
        for old in previous or ():
            accounts.setdefault(str(old).lower(), (pk, user_id))
    for pk, user_id, email, _previous in account_rows:
        accounts[email.lower()] = (pk, user_id)
    courses_by_id: dict[str, tuple[int, str]] = {}
    courses_by_name: dict[str, tuple[int, str]] = {}
    for pk, name, lms_id in Course.objects.filter(continuum=continuum).values_list(
        "pk", "name", "lms_course_id"
    ):
        if lms_id:
            courses_by_id[lms_id.strip()] = (pk, name)
        courses_by_name[_norm(name)] = (pk, name)
    # Rows naming a part's LMS unit (Data Management's "Part 1: …") record that part's progress.
    parts_by_unit: dict[str, tuple[int, str, str]] = {}
    for course_id, course_name, title, unit in CoursePart.objects.filter(
        continuum=continuum, course__is_active=True
    ).values_list("course_id", "course__name", "title", "lms_unit_name"):
        for label in {unit or title, title}:
            parts_by_unit.setdefault(_norm(label), (course_id, course_name, unit or title))
    owners = {
        (user_id, course_id): account_id
        for user_id, course_id, account_id in Enrollment.objects.filter(
            continuum=continuum, lms_account__isnull=False
        ).values_list("user_id", "course_id", "lms_account_id")
    }

    result = ParsedImport()
    seen: dict[tuple[int, int], int] = {}
    tzinfo = continuum.tzinfo
    latest = now + dt.timedelta(days=1)

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        result.total += 1
        email = cell(row, "email").lower()
        course_text = cell(row, "course_id") or cell(row, "course")

        def fail(message: str, email: str = email, course_text: str = course_text, line: int = line) -> None:
            result.errors.append(
                RowError(line=line, message=message, email=email[:254], course=course_text[:200])
            )

        if not email:
            fail("No e-mail address.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            fail(f"“{email[:80]}” is not an e-mail address.")
            continue
        account = accounts.get(email)
        if account is None:
            fail("No LMS account in this CoC uses this e-mail.")
            continue
        course = None
        part = ""
        if cell(row, "course_id"):
            course = courses_by_id.get(cell(row, "course_id"))
        if course is None and cell(row, "course"):
            course = courses_by_name.get(_norm(cell(row, "course")))
            unit = parts_by_unit.get(_norm(cell(row, "course"))) if course is None else None
            if unit is not None:
                course, part = (unit[0], unit[1]), unit[2]
        if course is None:
            fail("This course is not in the CoC's catalog (check its name or LMS course id).")
            continue
        status_text = _norm(cell(row, "status"))
        percent_text = cell(row, "percent").rstrip("%").strip()
        completed = status_text in COMPLETED_WORDS
        if percent_text:
            try:
                percent_value = float(percent_text.replace(",", "."))
            except ValueError:
                fail(f"Progress “{percent_text[:20]}” is not a percentage.")
                continue
            if not 0 <= percent_value <= 100:
                fail(f"Progress {percent_text[:20]} is outside 0–100 %.")
                continue
            percent = int(percent_value)
        elif completed:
            percent = 100
        elif status_text:
            fail(f"No progress percentage, and the status “{status_text[:30]}” does not say completed.")
            continue
        else:
            fail("No progress percentage or completion status.")
            continue
        if completed and percent < 100:
            fail(f"The status says completed but the progress is {percent} %.")
            continue
        completed = completed or percent == 100
        completed_at = None
        date_text = cell(row, "completed_on")
        if date_text:
            try:
                completed_at = parse_date(date_text, date_format, tzinfo)
            except ValueError:
                fail(
                    f"The completion date “{date_text[:30]}” is not a date in this CoC's LMS format "
                    f"({date_format})."
                )
                continue
            if completed_at > latest:
                fail("The completion date is in the future.")
                continue
            if not completed:
                fail(f"A completion date is given but the progress is {percent} %.")
                continue
        account_id, user_id = account
        course_id, course_name = course
        key = (user_id, course_id, part)
        if key in seen:
            fail(f"Repeats row {seen[key]} (same person and {'part' if part else 'course'}).")
            continue
        owner = owners.get((user_id, course_id))
        if owner is not None and owner != account_id:
            fail("This person's progress in this course belongs to another LMS account; it is never moved.")
            continue
        seen[key] = line
        result.rows.append(
            ImportRow(
                line=line,
                email=email,
                course_name=course_name,
                account_id=account_id,
                user_id=user_id,
                course_id=course_id,
                percent=percent,
                completed=completed,
                completed_at=completed_at,
                part=part,
            )
        )
    return result


def _date_format(continuum: Continuum) -> str:
    config = LmsConfiguration.objects.filter(continuum=continuum).first()
    return config.date_format if config else "DMY"


def _guard(continuum: Continuum, actor: User) -> None:
    if not access_for(continuum, actor).can(Capability.MANAGE_TRAINING):
        raise PermissionDenied("Only the Help Desk imports LMS progress.")


def _preview_row(r: ImportRow) -> dict[str, Any]:
    return {
        "line": r.line,
        "email": r.email,
        "course": r.course_name,
        "percent": r.percent,
        "completed": r.completed,
        "completed_at": r.completed_at.isoformat() if r.completed_at else "",
    }


def progress_import_create(*, continuum: Continuum, actor: User, upload: UploadedFile) -> ProgressImport:
    """Check an uploaded export and keep it for preview. Writes no progress."""
    _guard(continuum, actor)
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split the export.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split the export.")
    if b"\x00" in data[:4096]:
        raise ValidationError("This is not a CSV file (it looks binary; save the export as CSV).")
    parsed = parse_progress_export(data, continuum=continuum, date_format=_date_format(continuum))
    if parsed.total == 0:
        raise ValidationError("The file has a header but no rows.")
    name = (upload.name or "progress.csv").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        record = ProgressImport(
            continuum=continuum,
            uploaded_by=actor,
            original_name=name,
            total_rows=parsed.total,
            valid_rows=len(parsed.rows),
            error_rows=len(parsed.errors),
            errors=[asdict(e) for e in parsed.errors[:MAX_STORED_ERRORS]],
            preview_rows=[_preview_row(r) for r in parsed.rows[:PREVIEW_ROWS]],
            digest=parsed.digest,
        )
        record.file.save(f"{continuum.slug}-progress.csv", ContentFile(data), save=False)
        record.save()
        audit_record(
            action="training.progress_import_checked",
            actor=actor,
            continuum=continuum,
            obj=record,
            after={
                "file": name,
                "rows": parsed.total,
                "valid": len(parsed.rows),
                "errors": len(parsed.errors),
            },
        )
    return record


def progress_import_apply(
    *, progress_import: ProgressImport, actor: User, now: dt.datetime | None = None
) -> dict[str, int]:
    """Write every valid row of a previewed import, all or nothing."""
    continuum = progress_import.continuum
    _guard(continuum, actor)
    now = now or timezone.now()
    touched: set[int] = set()
    with transaction.atomic():
        locked = ProgressImport.objects.select_for_update().get(pk=progress_import.pk)
        if locked.status != ProgressImport.Status.PREVIEWED:
            raise ValidationError(f"This import was already {locked.get_status_display().lower()}.")
        with locked.file.open("rb") as handle:
            data = handle.read()
        parsed = parse_progress_export(
            data, continuum=continuum, date_format=_date_format(continuum), now=now
        )
        if parsed.digest != locked.digest:
            raise ValidationError(
                "The data changed since the preview (accounts or courses were edited). Upload the file again "
                "to see a fresh preview."
            )
        summary = {"created": 0, "updated": 0, "unchanged": 0, "skipped_rows": len(parsed.errors)}
        rows = sorted(parsed.rows, key=lambda r: (r.user_id, r.course_id))
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            summary_chunk, users = _write_chunk(continuum, chunk, now)
            for k, v in summary_chunk.items():
                summary[k] += v
            touched |= users
        locked.status = ProgressImport.Status.APPLIED
        locked.summary = summary
        locked.decided_at, locked.decided_by = now, actor
        locked.apply_error = ""
        locked.save(update_fields=["status", "summary", "decided_at", "decided_by", "apply_error"])
        audit_record(
            action="training.progress_import_applied",
            actor=actor,
            continuum=continuum,
            obj=locked,
            after=summary,
        )
    services.learning_paths_refresh(continuum=continuum, user_ids=touched, create=False)
    return summary


def _write_chunk(
    continuum: Continuum, chunk: list[ImportRow], now: dt.datetime
) -> tuple[dict[str, int], set[int]]:
    existing = {
        (e.user_id, e.course_id): e
        for e in Enrollment.objects.select_for_update().filter(
            continuum=continuum,
            user_id__in={r.user_id for r in chunk},
            course_id__in={r.course_id for r in chunk},
        )
    }
    course_parts: dict[int, list[tuple[str, str]]] = {}
    if any(r.part for r in chunk):
        for course_id, title, unit in CoursePart.objects.filter(
            course_id__in={r.course_id for r in chunk if r.part}
        ).values_list("course_id", "title", "lms_unit_name"):
            course_parts.setdefault(course_id, []).append((title, unit))
    to_create: list[Enrollment] = []
    to_update: list[Enrollment] = []
    with_units: dict[int, Enrollment] = {}
    queued: set[int] = set()
    started: list[Enrollment] = []
    linked: list[Enrollment] = []
    audits: list[tuple[Any, dict, dict]] = []
    touched: set[int] = set()
    unchanged = 0
    for row in chunk:
        enrollment = existing.get((row.user_id, row.course_id))
        if enrollment is not None and enrollment.pk is None:
            # Created by an earlier part row of this chunk: update the same new row.
            if _apply_row(enrollment, row, course_parts, now):
                touched.add(row.user_id)
            continue
        is_new = enrollment is None
        if is_new:
            if not row.completed and row.percent == 0:
                unchanged += 1
                continue
            enrollment = Enrollment(
                continuum=continuum,
                user_id=row.user_id,
                course_id=row.course_id,
                lms_account_id=row.account_id,
                state=Enrollment.State.AVAILABLE,
            )
        elif enrollment.lms_account_id not in (None, row.account_id):
            unchanged += 1  # checked at parse time; re-checked under the lock
            continue
        before = _snap(enrollment)
        had_start, had_account = enrollment.started_at is not None, enrollment.lms_account_id is not None
        units_before = dict(enrollment.units or {})
        moved = _apply_row(enrollment, row, course_parts, now)
        if not moved:
            unchanged += 1
            continue
        enrollment.lms_account_id = enrollment.lms_account_id or row.account_id
        enrollment.updated_at = now
        touched.add(row.user_id)
        if is_new:
            to_create.append(enrollment)
            existing[(row.user_id, row.course_id)] = enrollment
            continue
        if enrollment.units != units_before:
            with_units[enrollment.pk] = enrollment
        if enrollment.pk not in queued:
            queued.add(enrollment.pk)
            to_update.append(enrollment)
            if not had_start:
                started.append(enrollment)
            if not had_account:
                linked.append(enrollment)
        if before["state"] != enrollment.state:
            audits.append((enrollment, before, _snap(enrollment)))
    Enrollment.objects.bulk_create(to_create, batch_size=2000)
    # Written in three passes so that rows sharing their new values share one UPDATE (the start
    # date and account only change on the rows that had none).
    update_grouped(Enrollment, to_update, IMPORT_UPDATE_FIELDS)
    update_grouped(Enrollment, started, ["started_at"])
    Enrollment.objects.bulk_update(linked, ["lms_account"], batch_size=1000)
    Enrollment.objects.bulk_update(list(with_units.values()), ["units"], batch_size=500)
    audits.extend((e, {}, _snap(e)) for e in to_create if e.pk)
    services.audit_bulk(
        continuum=continuum,
        action="training.enrollment_progress",
        changes=audits,
        metadata={"source": "csv_import"},
    )
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}, touched


def _apply_row(
    enrollment: Enrollment, row: ImportRow, course_parts: dict[int, list[tuple[str, str]]], now: dt.datetime
) -> bool:
    if row.part and course_parts.get(row.course_id):
        return apply_part_observation(
            enrollment,
            parts=course_parts[row.course_id],
            unit_name=row.part,
            percent=100 if row.completed else row.percent,
            completed_at=row.completed_at,
            observed_at=now,
            source=Enrollment.Source.CSV_IMPORT,
        )
    return merge_progress(
        enrollment,
        percent=row.percent,
        completed=row.completed,
        completed_at=row.completed_at,
        observed_at=now,
        source=Enrollment.Source.CSV_IMPORT,
    )


def progress_import_request_apply(*, progress_import: ProgressImport, actor: User) -> ProgressImport:
    """Confirm a large import: a worker writes it (same all-or-nothing service) in the background."""
    from .tasks import progress_import_apply_task

    continuum = progress_import.continuum
    _guard(continuum, actor)
    with transaction.atomic():
        locked = ProgressImport.objects.select_for_update().get(pk=progress_import.pk)
        if locked.status != ProgressImport.Status.PREVIEWED:
            raise ValidationError(f"This import was already {locked.get_status_display().lower()}.")
        if locked.apply_requested_at is not None:
            return locked
        locked.apply_requested_at, locked.apply_requested_by, locked.apply_error = timezone.now(), actor, ""
        locked.save(update_fields=["apply_requested_at", "apply_requested_by", "apply_error"])
        audit_record(
            action="training.progress_import_confirmed", actor=actor, continuum=continuum, obj=locked
        )
        transaction.on_commit(lambda: progress_import_apply_task.delay(locked.pk))
    return locked


def progress_import_apply_failed(*, progress_import: ProgressImport, reason: str) -> None:
    """The background write failed (and wrote nothing): let the Help Desk see why and try again."""
    ProgressImport.objects.filter(pk=progress_import.pk, status=ProgressImport.Status.PREVIEWED).update(
        apply_requested_at=None, apply_error=reason[:500]
    )


def progress_import_cancel(*, progress_import: ProgressImport, actor: User) -> ProgressImport:
    continuum = progress_import.continuum
    _guard(continuum, actor)
    with transaction.atomic():
        locked = ProgressImport.objects.select_for_update().get(pk=progress_import.pk)
        if locked.status != ProgressImport.Status.PREVIEWED:
            raise ValidationError(f"This import was already {locked.get_status_display().lower()}.")
        if locked.apply_requested_at is not None:
            raise ValidationError("This import is being applied and can no longer be cancelled.")
        locked.status = ProgressImport.Status.CANCELLED
        locked.decided_at, locked.decided_by = timezone.now(), actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(
            action="training.progress_import_cancelled", actor=actor, continuum=continuum, obj=locked
        )
        # The export holds people's names and e-mails: do not keep a file nobody will use.
        file_name = locked.file.name
        transaction.on_commit(lambda: locked.file.storage.delete(file_name))
    return locked
