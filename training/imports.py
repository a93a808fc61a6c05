"""The fallback when the API cannot be used: import the LMS's progress export (CSV).

Upload → the file is parsed and checked row by row, nothing is written except the import record
and its checked rows (a staging table, `ProgressImportRow`) → the Help Desk sees a preview with each
faulty row and why → confirming writes every valid row in one transaction (or nothing); cancelling
writes nothing and deletes the file and the checked rows.

Built for large exports (bench target 250k rows in ≤ 30 s): the file is parsed once, at upload
(lookups in dicts built by a handful of queries; the checked rows stream into the staging table,
by COPY on PostgreSQL). Confirmation does not parse it again: it proves the file is the one
previewed (its SHA-256) and that every checked row still resolves to the same LMS account, person
and course, then writes from the staging table. On PostgreSQL that write is set-based — one
UPDATE … FROM and one INSERT … SELECT, each auditing its changes in the same statement; rows about
a course's parts (Data Management), and everything on SQLite, go through the row-by-row merge
(`merge_progress` / `apply_part_observation`), which the set-based statements mirror.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import AuditEvent, User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from . import services
from .bulk import update_grouped
from .models import (
    Course,
    CoursePart,
    Enrollment,
    LmsAccount,
    LmsConfiguration,
    ProgressImport,
    ProgressImportRow,
)
from .parts import apply_part_observation
from .sync import _snap, merge_progress

MAX_BYTES = 60 * 1024 * 1024
MAX_STORED_ERRORS = 200
PREVIEW_ROWS = 20
WRITE_CHUNK = 5000
STAGE_BATCH = 2000
# Confirmation writes set-based on PostgreSQL (tests turn it off to compare with the row path).
SET_BASED = True
STALE_DATA = (
    "The data changed since the preview (accounts or courses were edited). Upload the file again "
    "to see a fresh preview."
)
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


@dataclass(slots=True)
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


@functools.lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\ufeff", "").strip().lower())


def _encoding(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


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


def _rows(data: bytes) -> Iterator[list[str]]:
    """The file's rows, decoded as they are read (the text is never held whole)."""
    encoding = _encoding(data)
    sample = data[:4096].decode(encoding, errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""), dialect)


@dataclass
class Lookups:
    """What resolving a row needs from the database: e-mail → (LMS account, person); course id or
    name → course (or one of its parts); which account holds each enrolment's progress."""

    accounts: dict[str, tuple[int, int]]
    courses_by_id: dict[str, tuple[int, str]]
    courses_by_name: dict[str, tuple[int, str]]
    parts_by_unit: dict[str, tuple[int, str, str]]
    owners: dict[tuple[int, int], int]
    resolved_courses: dict[tuple[str, str], tuple[int, str, str] | None] = field(default_factory=dict)

    @classmethod
    def load(cls, continuum: Continuum, *, owners: bool = True) -> Lookups:
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
        holders = (
            {
                (user_id, course_id): account_id
                for user_id, course_id, account_id in Enrollment.objects.filter(
                    continuum=continuum, lms_account__isnull=False
                ).values_list("user_id", "course_id", "lms_account_id")
            }
            if owners
            else {}
        )
        return cls(accounts, courses_by_id, courses_by_name, parts_by_unit, holders)

    def course(self, id_text: str, name_text: str) -> tuple[int, str, str] | None:
        """(course id, course name, part) named by a row's course id / course cells, or None."""
        key = (id_text, name_text)
        if key in self.resolved_courses:
            return self.resolved_courses[key]
        found: tuple[int, str, str] | None = None
        if id_text and id_text in self.courses_by_id:
            found = (*self.courses_by_id[id_text], "")
        elif name_text:
            course = self.courses_by_name.get(_norm(name_text))
            unit = self.parts_by_unit.get(_norm(name_text)) if course is None else None
            if course is not None:
                found = (*course, "")
            elif unit is not None:
                found = unit
        self.resolved_courses[key] = found
        return found


def _open(data: bytes) -> tuple[Iterator[list[str]], dict[str, int]]:
    """The reader past the header, and the columns found; ValidationError when the file as a whole
    is unusable."""
    reader = _rows(data)
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
    return reader, columns


def _check_rows(
    reader: Iterator[list[str]],
    columns: dict[str, int],
    lookups: Lookups,
    *,
    tzinfo: dt.tzinfo,
    date_format: str,
    now: dt.datetime,
) -> Iterator[ImportRow | RowError]:
    """Each non-blank row, checked: an ImportRow to write, or a RowError saying why not."""
    seen: dict[tuple[int, int, str], int] = {}
    latest = now + dt.timedelta(days=1)
    accounts, owners = lookups.accounts, lookups.owners
    # The cells each check reads, picked once per row (a 250k-row export: per-row calls add up).
    picks = [
        columns.get(name) for name in ("email", "course_id", "course", "percent", "status", "completed_on")
    ]

    for line, row in enumerate(reader, start=2):
        if not "".join(row).strip():
            continue
        width = len(row)
        email, course_id_text, course_name_text, percent_text, status_text, date_text = (
            row[i].strip() if i is not None and i < width else "" for i in picks
        )
        email = email.lower()
        course_text = course_id_text or course_name_text

        def fail(
            message: str, email: str = email, course_text: str = course_text, line: int = line
        ) -> RowError:
            return RowError(line=line, message=message, email=email[:254], course=course_text[:200])

        if not email:
            yield fail("No e-mail address.")
            continue
        account = accounts.get(email)
        if account is None:
            try:
                validate_email(email)
            except ValidationError:
                yield fail(f"“{email[:80]}” is not an e-mail address.")
                continue
            yield fail("No LMS account in this CoC uses this e-mail.")
            continue
        course = lookups.course(course_id_text, course_name_text)
        if course is None:
            yield fail("This course is not in the CoC's catalog (check its name or LMS course id).")
            continue
        status_text = _norm(status_text)
        percent_text = percent_text.rstrip("%").strip()
        completed = status_text in COMPLETED_WORDS
        if percent_text:
            try:
                percent_value = float(percent_text.replace(",", "."))
            except ValueError:
                yield fail(f"Progress “{percent_text[:20]}” is not a percentage.")
                continue
            if not 0 <= percent_value <= 100:
                yield fail(f"Progress {percent_text[:20]} is outside 0–100 %.")
                continue
            percent = int(percent_value)
        elif completed:
            percent = 100
        elif status_text:
            yield fail(f"No progress percentage, and the status “{status_text[:30]}” does not say completed.")
            continue
        else:
            yield fail("No progress percentage or completion status.")
            continue
        if completed and percent < 100:
            yield fail(f"The status says completed but the progress is {percent} %.")
            continue
        completed = completed or percent == 100
        completed_at = None
        if date_text:
            try:
                completed_at = parse_date(date_text, date_format, tzinfo)
            except ValueError:
                yield fail(
                    f"The completion date “{date_text[:30]}” is not a date in this CoC's LMS format "
                    f"({date_format})."
                )
                continue
            if completed_at > latest:
                yield fail("The completion date is in the future.")
                continue
            if not completed:
                yield fail(f"A completion date is given but the progress is {percent} %.")
                continue
        account_id, user_id = account
        course_id, course_name, part = course
        key = (user_id, course_id, part)
        if key in seen:
            yield fail(f"Repeats row {seen[key]} (same person and {'part' if part else 'course'}).")
            continue
        owner = owners.get((user_id, course_id))
        if owner is not None and owner != account_id:
            yield fail(
                "This person's progress in this course belongs to another LMS account; it is never moved."
            )
            continue
        seen[key] = line
        yield ImportRow(
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


def parse_progress_export(
    data: bytes, *, continuum: Continuum, date_format: str = "DMY", now: dt.datetime | None = None
) -> ParsedImport:
    """Check every row; raises ValidationError only when the file as a whole is unusable."""
    reader, columns = _open(data)
    result = ParsedImport()
    for item in _check_rows(
        reader,
        columns,
        Lookups.load(continuum),
        tzinfo=continuum.tzinfo,
        date_format=date_format,
        now=now or timezone.now(),
    ):
        result.total += 1
        (result.errors if isinstance(item, RowError) else result.rows).append(item)
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
    """Check an uploaded export and keep it (with its checked rows) for preview. Writes no progress."""
    _guard(continuum, actor)
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split the export.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split the export.")
    if b"\x00" in data[:4096]:
        raise ValidationError("This is not a CSV file (it looks binary; save the export as CSV).")
    reader, columns = _open(data)
    date_format = _date_format(continuum)
    lookups = Lookups.load(continuum)
    name = (upload.name or "progress.csv").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        record = ProgressImport(
            continuum=continuum,
            uploaded_by=actor,
            original_name=name,
            digest=hashlib.sha256(data).hexdigest(),
        )
        record.save()
        errors: list[dict[str, Any]] = []
        preview: list[dict[str, Any]] = []
        valid = faulty = 0
        with _stager(record) as stage:
            for item in _check_rows(
                reader,
                columns,
                lookups,
                tzinfo=continuum.tzinfo,
                date_format=date_format,
                now=timezone.now(),
            ):
                if isinstance(item, RowError):
                    faulty += 1
                    if len(errors) < MAX_STORED_ERRORS:
                        errors.append(asdict(item))
                    continue
                valid += 1
                if len(preview) < PREVIEW_ROWS:
                    preview.append(_preview_row(item))
                stage(item)
        if valid + faulty == 0:
            raise ValidationError("The file has a header but no rows.")  # rolls the record back
        record.total_rows, record.valid_rows, record.error_rows = valid + faulty, valid, faulty
        record.errors, record.preview_rows = errors, preview
        record.resolution = {
            "date_format": date_format,
            "timezone": continuum.timezone,
            # How each course text resolved (course id, part), re-checked at confirmation.
            "courses": sorted(
                [id_text, name_text, found[0], found[2]]
                for (id_text, name_text), found in lookups.resolved_courses.items()
                if found is not None
            ),
        }
        record.file.save(f"{continuum.slug}-progress.csv", ContentFile(data), save=False)
        record.save()
        audit_record(
            action="training.progress_import_checked",
            actor=actor,
            continuum=continuum,
            obj=record,
            after={"file": name, "rows": valid + faulty, "valid": valid, "errors": faulty},
        )
    return record


_STAGED_COLUMNS = (
    "progress_import_id",
    "line",
    "email",
    "account_id",
    "user_id",
    "course_id",
    "percent",
    "completed",
    "completed_at",
    "part",
)


_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@contextlib.contextmanager
def _stager(record: ProgressImport) -> Iterator[Callable[[ImportRow], None]]:
    """Write checked rows to the staging table as they come: COPY on PostgreSQL, else batches."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ProgressImportRow._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN") as copy,
        ):
            # COPY's text format written directly (one string per row, a block per STAGE_BATCH rows).
            pk, lines = record.pk, []

            def stage(r: ImportRow) -> None:
                when = r.completed_at.isoformat() if r.completed_at else _COPY_NULL
                lines.append(
                    f"{pk}\t{r.line}\t{r.email.translate(_COPY_ESCAPES)}\t{r.account_id}\t{r.user_id}\t"
                    f"{r.course_id}\t{r.percent}\t{'t' if r.completed else 'f'}\t{when}\t"
                    f"{r.part.translate(_COPY_ESCAPES)}\n"
                )
                if len(lines) >= STAGE_BATCH:
                    copy.write("".join(lines))
                    lines.clear()

            yield stage
            copy.write("".join(lines))
        return
    batch: list[ProgressImportRow] = []

    def stage(r: ImportRow) -> None:
        batch.append(
            ProgressImportRow(
                progress_import=record,
                line=r.line,
                email=r.email,
                account_id=r.account_id,
                user_id=r.user_id,
                course_id=r.course_id,
                percent=r.percent,
                completed=r.completed,
                completed_at=r.completed_at,
                part=r.part,
            )
        )
        if len(batch) >= STAGE_BATCH:
            ProgressImportRow.objects.bulk_create(batch)
            batch.clear()

    yield stage
    ProgressImportRow.objects.bulk_create(batch)


def _file_digest(record: ProgressImport) -> str:
    h = hashlib.sha256()
    with record.file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _recheck(record: ProgressImport) -> None:
    """Refuse to write a preview that no longer holds: the file changed, or a checked row would now
    resolve to another LMS account, person or course (an account's e-mail was edited, a course
    renamed), or the LMS date format or time zone changed. Rows are re-resolved, not re-parsed."""
    continuum = record.continuum
    if not record.resolution or not record.file:
        raise ValidationError("This preview was made by an earlier version; upload the file again.")
    if _file_digest(record) != record.digest:
        raise ValidationError("The file changed since the preview. Upload it again to see a fresh preview.")
    if (
        record.resolution.get("date_format") != _date_format(continuum)
        or record.resolution.get("timezone") != continuum.timezone
    ):
        raise ValidationError(STALE_DATA)
    lookups = Lookups.load(continuum, owners=False)
    for id_text, name_text, course_id, part in record.resolution.get("courses", []):
        found = lookups.course(id_text, name_text)
        if found is None or (found[0], found[2]) != (course_id, part):
            raise ValidationError(STALE_DATA)
    staged = ProgressImportRow.objects.filter(progress_import=record)
    if staged.count() != record.valid_rows:
        raise ValidationError(STALE_DATA)
    for email, account_id, user_id in staged.values_list("email", "account_id", "user_id").distinct():
        if lookups.accounts.get(email) != (account_id, user_id):
            raise ValidationError(STALE_DATA)


def progress_import_apply(
    *, progress_import: ProgressImport, actor: User, now: dt.datetime | None = None
) -> dict[str, int]:
    """Write every valid row of a previewed import, all or nothing."""
    continuum = progress_import.continuum
    _guard(continuum, actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = ProgressImport.objects.select_for_update().get(pk=progress_import.pk)
        if locked.status != ProgressImport.Status.PREVIEWED:
            raise ValidationError(f"This import was already {locked.get_status_display().lower()}.")
        _recheck(locked)
        summary = {"created": 0, "updated": 0, "unchanged": 0, "skipped_rows": locked.error_rows}
        touched: set[int] = set()
        staged = ProgressImportRow.objects.filter(progress_import=locked)
        # A (person, course) with rows about the course's parts is merged row by row, all its rows.
        part_pairs = set(staged.exclude(part="").values_list("user_id", "course_id").distinct())
        set_based = SET_BASED and connection.vendor == "postgresql"
        if set_based:
            counts, users = _write_set_based(locked, actor, now, part_pairs=part_pairs)
            for k, v in counts.items():
                summary[k] += v
            touched |= users
        for chunk in _row_chunks(locked, pairs=part_pairs if set_based else None):
            counts, users = _write_chunk(continuum, chunk, now, actor=actor, progress_import=locked)
            for k, v in counts.items():
                summary[k] += v
            touched |= users
        # The checked rows are written (or not needed any more): the file stays as the record.
        ProgressImportRow.objects.filter(progress_import=locked).delete()
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


def _row_chunks(record: ProgressImport, *, pairs: set[tuple[int, int]] | None) -> Iterator[list[ImportRow]]:
    """The staged rows for the row-by-row merge, by person and course (a course's rows in file
    order), in chunks: all of them, or those of some (person, course) pairs."""
    staged = ProgressImportRow.objects.filter(progress_import=record)
    if pairs is not None:
        if not pairs:
            return
        staged = staged.filter(user_id__in={u for u, _ in pairs}, course_id__in={c for _, c in pairs})
    fields = (
        "line", "email", "account_id", "user_id", "course_id", "percent", "completed", "completed_at", "part"
    )  # fmt: skip
    chunk: list[ImportRow] = []
    for values in staged.order_by("user_id", "course_id", "line").values_list(*fields):
        row = dict(zip(fields, values, strict=True))
        if pairs is not None and (row["user_id"], row["course_id"]) not in pairs:
            continue
        chunk.append(ImportRow(course_name="", **row))
        if len(chunk) >= WRITE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The set-based write (PostgreSQL). $-names are table names and shared fragments (substituted by
# _sql, never data); values are always query parameters.
# The course-level rows to write, copied to a temporary table with its own statistics (the staged
# rows may be too new for the planner to know them), less the (person, course) pairs that have part
# rows (two arrays).
_SOURCE_ROWS = """
    CREATE TEMPORARY TABLE $src ON COMMIT DROP AS
    SELECT s.user_id, s.course_id, s.account_id, s.percent, s.completed,
           COALESCE(s.completed_at, %(now)s) AS done_at
    FROM $staged s
    WHERE s.progress_import_id = %(import)s AND s.part = ''
      AND NOT EXISTS (
        SELECT 1 FROM unnest(%(part_users)s::bigint[], %(part_courses)s::bigint[]) AS p(user_id, course_id)
        WHERE p.user_id = s.user_id AND p.course_id = s.course_id)
"""
# merge_progress for one observation of an existing enrolment: it moves when it is not completed,
# its progress is not another LMS account's, and the row completes it (after any reset) or raises
# its percentage.
_MOVES = """
    e.continuum_id = %(continuum)s AND e.completed_at IS NULL
    AND (e.lms_account_id IS NULL OR e.lms_account_id = src.account_id)
    AND CASE WHEN src.completed THEN e.reset_at IS NULL OR src.done_at > e.reset_at
             ELSE src.percent > e.percent END
"""
# One audit event per state change, the same fields as services.audit_bulk; completed_at as
# Python's isoformat() of the UTC value.
_AUDIT_INSERT = """
    INSERT INTO $audit (occurred_at, actor_id, actor_label, continuum_id, action, object_type_id,
                        object_id, object_repr, before, after, ip_address, metadata)
    SELECT %(now)s, %(actor)s, %(actor_label)s, %(continuum)s, %(action)s, %(content_type)s,
           t.id::text, 'Enrollment ' || t.id, $before,
           jsonb_build_object('state', t.state, 'percent', t.percent, 'completed_at',
             to_char(t.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
             || CASE WHEN date_trunc('second', t.completed_at) <> t.completed_at
                     THEN to_char(t.completed_at AT TIME ZONE 'UTC', '.US') ELSE '' END
             || '+00:00'),
           NULL, %(metadata)s::jsonb
"""
_LOCK_MOVING = """
    SELECT count(*) FROM (
      SELECT e.id FROM $enrollment e JOIN $src src ON e.user_id = src.user_id AND e.course_id = src.course_id
      WHERE $moves ORDER BY e.id FOR UPDATE OF e) locked
"""
_UPDATE_MOVING = """
    WITH t AS (
      UPDATE $enrollment e SET
        state = CASE WHEN src.completed THEN %(completed)s ELSE %(in_progress)s END,
        percent = CASE WHEN src.completed THEN 100 ELSE src.percent END,
        completed_at = CASE WHEN src.completed THEN src.done_at END,
        started_at = COALESCE(e.started_at, CASE WHEN src.completed THEN src.done_at ELSE %(now)s END),
        last_progress_at = CASE WHEN src.completed THEN GREATEST(e.last_progress_at, src.done_at)
                                ELSE %(now)s END,
        source = %(source)s,
        lms_account_id = COALESCE(e.lms_account_id, src.account_id),
        updated_at = %(now)s
      FROM $src src, $enrollment o
      WHERE e.user_id = src.user_id AND e.course_id = src.course_id AND o.id = e.id AND $moves
      RETURNING e.id, e.user_id, e.state, e.percent, e.completed_at,
                o.state AS old_state, o.percent AS old_percent
    ),
    audited AS (
      $audit_insert FROM t WHERE t.old_state <> t.state
    )
    SELECT count(*), coalesce(array_agg(DISTINCT user_id), '{}') FROM t
"""
# A row for a course the person has no enrolment in yet creates it, unless it says 0 %.
_INSERT_NEW = """
    WITH t AS (
      INSERT INTO $enrollment (continuum_id, user_id, course_id, lms_account_id, state, percent,
        source, lms_enrolled_at, started_at, completed_at, reset_at, last_progress_at,
        status_checked_at, units, created_at, updated_at)
      SELECT %(continuum)s, src.user_id, src.course_id, src.account_id,
        CASE WHEN src.completed THEN %(completed)s ELSE %(in_progress)s END,
        CASE WHEN src.completed THEN 100 ELSE src.percent END,
        %(source)s, NULL,
        CASE WHEN src.completed THEN src.done_at ELSE %(now)s END,
        CASE WHEN src.completed THEN src.done_at END,
        NULL,
        CASE WHEN src.completed THEN src.done_at ELSE %(now)s END,
        NULL, '{}'::jsonb, %(now)s, %(now)s
      FROM $src src
      WHERE (src.completed OR src.percent > 0)
        AND NOT EXISTS (
          SELECT 1 FROM $enrollment e WHERE e.user_id = src.user_id AND e.course_id = src.course_id)
      ORDER BY src.user_id, src.course_id
      RETURNING id, user_id, state, percent, completed_at
    ),
    audited AS (
      $audit_insert FROM t
    )
    SELECT count(*), coalesce(array_agg(DISTINCT user_id), '{}') FROM t
"""


def _sql(template: str, **extra: str) -> str:
    quote = connection.ops.quote_name
    names = {
        "enrollment": quote(Enrollment._meta.db_table),
        "staged": quote(ProgressImportRow._meta.db_table),
        "audit": quote(AuditEvent._meta.db_table),
        "src": "progress_import_src",
    }
    fragments = {
        "moves": _MOVES,
        "audit_insert": string.Template(_AUDIT_INSERT).substitute(names, before=extra.get("before", "")),
    }
    return string.Template(template).substitute(names, **fragments)


def _write_set_based(
    record: ProgressImport, actor: User, now: dt.datetime, *, part_pairs: set[tuple[int, int]]
) -> tuple[dict[str, int], set[int]]:
    """PostgreSQL: write the course-level rows of the staging table in a few statements — lock the
    enrolments that move (in id order), UPDATE … FROM, INSERT … SELECT the new ones — each auditing
    its state changes in the same statement. Rows of courses taught in parts (a course's rows when
    any is about a part) are left to `_write_chunk`."""
    params = {
        "import": record.pk,
        "continuum": record.continuum_id,
        "now": now,
        "completed": Enrollment.State.COMPLETED,
        "in_progress": Enrollment.State.IN_PROGRESS,
        "source": Enrollment.Source.CSV_IMPORT,
        "content_type": ContentType.objects.get_for_model(Enrollment).pk,
        "action": "training.enrollment_progress",
        "actor": actor.pk,
        "actor_label": actor.email,
        "metadata": json.dumps({"source": "csv_import", "import": record.pk}),
        "part_users": [u for u, _ in part_pairs],
        "part_courses": [c for _, c in part_pairs],
    }
    old = "jsonb_build_object('state', t.old_state, 'percent', t.old_percent, 'completed_at', NULL)"
    with connection.cursor() as cursor:
        cursor.execute(_sql(_SOURCE_ROWS), params)
        cursor.execute("ANALYZE progress_import_src")
        cursor.execute("SELECT count(*) FROM progress_import_src")
        (rows,) = cursor.fetchone()
        cursor.execute(_sql(_LOCK_MOVING), params)
        cursor.execute(_sql(_UPDATE_MOVING, before=old), params)
        updated, updated_users = cursor.fetchone()
        cursor.execute(_sql(_INSERT_NEW, before="'{}'::jsonb"), params)
        created, created_users = cursor.fetchone()
        cursor.execute("DROP TABLE progress_import_src")
    return (
        {"created": created, "updated": updated, "unchanged": rows - created - updated},
        set(updated_users) | set(created_users),
    )


def _write_chunk(
    continuum: Continuum,
    chunk: list[ImportRow],
    now: dt.datetime,
    *,
    actor: User | None = None,
    progress_import: ProgressImport | None = None,
) -> tuple[dict[str, int], set[int]]:
    """The row-by-row merge of one chunk of rows sorted by person and course (SQLite, and the
    rows of courses taught in parts on PostgreSQL)."""
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
        metadata={"source": "csv_import", **({"import": progress_import.pk} if progress_import else {})},
        actor=actor,
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
        ProgressImportRow.objects.filter(progress_import=locked).delete()
        audit_record(
            action="training.progress_import_cancelled", actor=actor, continuum=continuum, obj=locked
        )
        # The export holds people's names and e-mails: do not keep a file nobody will use.
        file_name = locked.file.name
        transaction.on_commit(lambda: locked.file.storage.delete(file_name))
    return locked
