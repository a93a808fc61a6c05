"""Training records: each CoC's course catalog (configuration), its LMS connection, people's LMS
accounts, learning paths and per-course enrolments, and imports of the LMS's progress export."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agencies.models import HudProjectType

from .crypto import decrypt_secret, encrypt_secret


def default_personal_email_domains() -> list[str]:
    return [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "comcast.net",
        "att.net",
        "sbcglobal.net",
        "ymail.com",
    ]


def default_sample_client_exempt_tags() -> list[str]:
    return ["HPCC", "STATE_PREVENTION"]


class TrainingPolicy(models.Model):
    """A CoC's training rules (DESIGN.md §3: every timing rule is a setting)."""

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, related_name="training_policy"
    )
    project_course_recency_months = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="A project-specific course must be completed this recently before the sample client.",
    )
    foundation_recency_months = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="Intro to HMIS and Data Management must be completed this recently before the sample "
        "client.",
    )
    training_expires_after_months = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="After this long without finishing, the ATA must request training again.",
    )
    stalled_after_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Trainees without progress for this many days are shown as stalled, and their ATA is "
        "reminded in the daily digest.",
    )
    corrections_reminder_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="A sample client returned with corrections needed and not resubmitted after this many "
        "days is put in the ATA's daily digest.",
    )
    personal_email_domains = models.JSONField(
        default=default_personal_email_domains,
        blank=True,
        help_text="LMS accounts must use an agency e-mail; addresses at these domains are refused.",
    )
    sample_client_required = models.BooleanField(
        default=True, help_text="Trainees finish with the HMIS Sample Client Assignment (Chicago yes, LA no)."
    )
    sample_client_exempt_tags = models.JSONField(
        default=default_sample_client_exempt_tags,
        blank=True,
        help_text="Program tags whose users receive access without the sample client (Chicago: HPCC, "
        "State Prevention).",
    )

    class Meta:
        verbose_name_plural = "training policies"

    def __str__(self) -> str:
        return f"Training policy of {self.continuum}"


class CourseBundle(models.Model):
    """A "choose one of" group: completing any one member satisfies the requirement."""

    continuum = models.ForeignKey(
        "agencies.Continuum", on_delete=models.CASCADE, related_name="course_bundles"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="bundle_code_per_continuum")
        ]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    class Kind(models.TextChoices):
        SELF_PACED = "self_paced", "Self-paced LMS course"
        INSTRUCTOR_LED = "instructor_led", "Instructor-led session"

    class Category(models.TextChoices):
        # Order matters: it is the default order of steps that the prerequisites leave unordered.
        FOUNDATION = "foundation", "Foundation"
        DATA_MANAGEMENT = "data_management", "Data management"
        PROJECT = "project", "Project-specific"
        SPECIALIST = "specialist", "Specialist role"
        FINAL = "final", "Final instructions"

    class AppliesTo(models.TextChoices):
        EVERYONE = "everyone", "Everyone on the standard path"
        MATCHING = "matching", "People whose projects, programs or roles match"
        READ_ONLY = "read_only", "Read-only users (alternate path)"
        HRS = "hrs", "Housing Resource Specialists (Coordinated Entry 1474)"

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="courses")
    code = models.SlugField(max_length=60, help_text="Stable identifier used in configuration files.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SELF_PACED)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.PROJECT)
    applies_to = models.CharField(max_length=20, choices=AppliesTo.choices, default=AppliesTo.MATCHING)
    lms_course_id = models.CharField("LMS course id", max_length=64, blank=True)
    hud_project_types = models.JSONField(
        default=list, blank=True, help_text="HUD project type codes it covers."
    )
    program_tags = models.JSONField(
        default=list, blank=True, help_text="Funding or program tags it covers (PATH, SSVF, HPCC, …)."
    )
    training_roles = models.JSONField(
        default=list,
        blank=True,
        help_text="Individual roles that require it (LA: housing-provider, outreach, …).",
    )
    bundle = models.ForeignKey(
        CourseBundle, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses"
    )
    read_only_alternate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="read_only_alternates",
        help_text="Read-only users take this course instead of that one.",
    )
    includes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="included_in",
        help_text="Completing this course also completes that one (509 full class includes the first half).",
    )
    new_users_only = models.BooleanField(default=False, help_text="Returning users skip it (LA: HMIS 10).")
    recency_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Completion must be this recent before the sample client; empty = the CoC default for "
        "its category.",
    )
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    led_by = models.CharField(max_length=120, blank=True, help_text="Who teaches or approves it.")
    position = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="course_code_per_continuum"),
            models.UniqueConstraint(
                fields=["continuum", "lms_course_id"],
                condition=~Q(lms_course_id=""),
                name="course_lms_id_per_continuum",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        for name in ("bundle", "read_only_alternate_of", "includes"):
            other = getattr(self, name)
            if other is not None and other.continuum_id != self.continuum_id:
                raise ValidationError({name: "That belongs to another Continuum of Care."})
        if self.includes_id and self.includes_id == self.pk:
            raise ValidationError({"includes": "A course cannot include itself."})
        if not all(isinstance(t, int) and t in HudProjectType.values for t in self.hud_project_types or []):
            raise ValidationError({"hud_project_types": "Use HUD project type codes (0–14)."})

    @property
    def hud_project_type_labels(self) -> list[str]:
        return [HudProjectType(t).label for t in self.hud_project_types or () if t in HudProjectType.values]

    @property
    def is_lms_course(self) -> bool:
        return self.kind == self.Kind.SELF_PACED and bool(self.lms_course_id)


class CoursePart(models.Model):
    """A named part of a course (Data Management: Part 1 security, Part 2 HMIS data guidelines)."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    topics = models.JSONField(default=list, blank=True)
    lms_unit_name = models.CharField(
        max_length=200, blank=True, help_text="The LMS unit that records this part, matched by name."
    )

    class Meta:
        ordering = ["course", "position"]
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="course_part_position")]

    def __str__(self) -> str:
        return f"{self.course}: {self.title}"


class Prerequisite(models.Model):
    """`course` stays restricted until `requires` reaches `min_percent`. The graph must stay acyclic
    (enforced by `training.services.prerequisite_add`)."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="prerequisite_links")
    requires = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="unlocks_links")
    min_percent = models.PositiveSmallIntegerField(
        default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "requires"], name="prerequisite_unique"),
            models.CheckConstraint(condition=~Q(course=models.F("requires")), name="prerequisite_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.course} requires {self.requires}"


class CatalogVersion(models.Model):
    """Which version of a CoC's catalog (courses, their parts, bundles, prerequisites) is current: a
    fresh random token on every change, written in the change's own transaction (`training.catalog`).
    Page reads load it with the CoC (`tenancy.PRELOADED_SETTINGS`) and reuse the catalog snapshot
    built for that token instead of rebuilding it per request; a write that does not change the
    token would leave pages showing the old catalog, hence the receivers on every catalog model."""

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, related_name="catalog_version"
    )
    token = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return f"Catalog version {self.token} of {self.continuum_id}"


# --- LMS connection -------------------------------------------------------------------------------------
class LmsConfiguration(models.Model):
    class Provider(models.TextChoices):
        TALENTLMS = "talentlms", "TalentLMS"

    class DateFormat(models.TextChoices):
        DMY = "DMY", "Day/month/year"
        MDY = "MDY", "Month/day/year"
        YMD = "YMD", "Year/month/day"

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, related_name="lms_configuration"
    )
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.TALENTLMS)
    base_url = models.URLField(
        "portal address", blank=True, help_text="For example https://yourcoc.talentlms.com"
    )
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=False, help_text="Poll the LMS for progress.")
    poll_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(1440)]
    )
    hourly_quota = models.PositiveIntegerField(
        default=2000,
        validators=[MinValueValidator(100), MaxValueValidator(100000)],
        help_text="API calls per hour in the LMS plan (TalentLMS: 2,000 or 10,000).",
    )
    quota_share_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text="Share of the hourly quota the sync may use; the rest stays for people and staff.",
    )
    burst_limit = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Calls per 5 seconds.",
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    batch_size = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text="Most course statuses read per sync run.",
    )
    date_format = models.CharField(max_length=3, choices=DateFormat.choices, default=DateFormat.DMY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "LMS configuration"

    def __str__(self) -> str:
        return f"{self.get_provider_display()} for {self.continuum}"

    def set_api_key(self, raw: str) -> None:
        from django.utils import timezone

        self.api_key_encrypted = encrypt_secret(raw.strip()) if raw.strip() else ""
        self.api_key_set_at = timezone.now() if raw.strip() else None

    def get_api_key(self) -> str:
        return decrypt_secret(self.api_key_encrypted) if self.api_key_encrypted else ""

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    @property
    def is_usable(self) -> bool:
        return bool(self.base_url and self.api_key_encrypted)


class LmsSyncCursor(models.Model):
    """Where the progress sync of one CoC stopped, so the next run resumes there."""

    continuum = models.OneToOneField(
        "agencies.Continuum", on_delete=models.CASCADE, related_name="lms_cursor"
    )
    timeline_since = models.DateTimeField(
        null=True, blank=True, help_text="High-water mark of timeline events."
    )
    # Keys of the events already applied at exactly `timeline_since` (the API has no event ids and
    # several events may share one second).
    seen_at_high_water = models.JSONField(default=list, blank=True)
    needs_status_sweep = models.BooleanField(default=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    calls_last_run = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"LMS sync cursor of {self.continuum}"


class LmsAccount(models.Model):
    """A person's one account in the CoC's LMS. Its LMS id never changes once progress hangs on it:
    course progress cannot be moved between LMS accounts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be found or created in the LMS"
        LINKED = "linked", "Linked"
        FAILED = "failed", "Could not be linked"

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.PROTECT, related_name="lms_accounts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lms_accounts")
    email = models.EmailField("agency e-mail")
    lms_user_id = models.CharField("LMS user id", max_length=64, blank=True)
    login = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    previous_emails = models.JSONField(default=list, blank=True)
    # Other people's LMS accounts that the ATA or Help Desk said are not this person's (not warned again).
    not_duplicates = models.JSONField(default=list, blank=True)
    created_in_lms = models.BooleanField(default=False)
    linked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "user"], name="lms_account_one_per_person"),
            models.UniqueConstraint(
                fields=["continuum", "lms_user_id"],
                condition=~Q(lms_user_id=""),
                name="lms_account_unique_lms_id",
            ),
        ]
        indexes = [models.Index(fields=["continuum", "email"], name="lms_account_email")]

    def __str__(self) -> str:
        return self.email


class LearningPath(models.Model):
    """What one person must take in one CoC, from their approved request. The steps themselves are
    computed (`training.path.compute_learning_path`); this row keeps the inputs and a summary."""

    continuum = models.ForeignKey(
        "agencies.Continuum", on_delete=models.PROTECT, related_name="learning_paths"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="learning_paths"
    )
    needs = models.JSONField(default=dict, help_text="Project types, tags, roles, read-only, HRS, credits.")
    source = models.CharField(
        max_length=80, blank=True, help_text="What asked for it (e.g. access_request:12)."
    )
    assigned_at = models.DateTimeField()
    recomputed_at = models.DateTimeField()
    is_complete = models.BooleanField(default=False)
    percent_complete = models.PositiveSmallIntegerField(default=0)
    next_step = models.CharField(max_length=200, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    # The person's agency as the progress views show it (their first active agency membership by
    # agency name), stored so the lists sort and filter by agency without a per-person lookup. Kept
    # current by `training.services.learning_path_agencies_refresh`: the path services call it, and
    # so do membership grants / revocations and agency renames (through `agencies.services.
    # memberships_changed`).
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["continuum", "user"], name="learning_path_one_per_person")
        ]
        indexes = [models.Index(fields=["continuum", "agency"], name="learning_path_agency")]

    def __str__(self) -> str:
        return f"Learning path of {self.user}"


class Enrollment(models.Model):
    """One person in one course: state, percentage, where the last change came from and when."""

    class State(models.TextChoices):
        RESTRICTED = "restricted", "Restricted"
        AVAILABLE = "available", "Available"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    class Source(models.TextChoices):
        PATH = "path", "Learning path"
        LMS_TIMELINE = "lms_timeline", "LMS timeline"
        LMS_STATUS = "lms_status", "LMS course status"
        CSV_IMPORT = "csv_import", "LMS export import"
        SESSION_ATTENDANCE = "session_attendance", "Session attendance"
        STAFF = "staff", "Recorded by staff"

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.PROTECT, related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    lms_account = models.ForeignKey(
        LmsAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.RESTRICTED)
    percent = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PATH)
    lms_enrolled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the LMS enrolment was made."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reset_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    units = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_one_per_course"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="enrollment_percent_range"),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(percent=100, completed_at__isnull=False),
                name="enrollment_completed_means_100",
            ),
        ]
        indexes = [
            models.Index(fields=["continuum", "state"], name="enrollment_state"),
            models.Index(fields=["continuum", "status_checked_at"], name="enrollment_checked"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course} · {self.percent}%"

    def as_progress(self) -> dict[str, Any]:
        return {"percent": self.percent, "completed_at": self.completed_at, "started_at": self.started_at}


class ProgressImport(models.Model):
    """One upload of the LMS's progress export: previewed first, written only when confirmed."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Waiting for confirmation"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled"

    continuum = models.ForeignKey(
        "agencies.Continuum", on_delete=models.PROTECT, related_name="progress_imports"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="training/progress-imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first row-level errors, for the preview."
    )
    preview_rows = models.JSONField(default=list, blank=True)
    # SHA-256 of the file as checked: confirmation refuses a file that changed since the preview.
    digest = models.CharField(max_length=64, blank=True)
    # What the check depended on besides the file (the LMS date format, the CoC's time zone, how each
    # course text resolved): confirmation re-checks it instead of parsing the file again.
    resolution = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Large imports are confirmed here and written by a worker (a web request would time out).
    apply_requested_at = models.DateTimeField(null=True, blank=True)
    apply_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    apply_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Progress import {self.original_name} ({self.get_status_display()})"


class ProgressImportRow(models.Model):
    """One checked row of a previewed import, kept until it is confirmed or cancelled: confirming
    writes these rows (set-based on PostgreSQL) instead of parsing the file a second time.

    A staging table: plain ids, no foreign keys (confirmation re-checks that each row still
    resolves to the same account, person and course), deleted when the import is decided."""

    progress_import = models.ForeignKey(ProgressImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    email = models.CharField(max_length=254)
    account_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    course_id = models.BigIntegerField()
    percent = models.PositiveSmallIntegerField()
    completed = models.BooleanField()
    completed_at = models.DateTimeField(null=True)
    # A row about one part of a course (its LMS unit name), else "".
    part = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Import {self.progress_import_id} line {self.line}"


class TrainingSession(models.Model):
    """One scheduled class of an instructor-led course (LA: HMIS 10 webinar, 509, 511, 102, 510)."""

    continuum = models.ForeignKey(
        "agencies.Continuum", on_delete=models.PROTECT, related_name="training_sessions"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(help_text="Entered and shown in the CoC's time zone.")
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(15)])
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    location = models.CharField(max_length=200, blank=True)
    webinar_url = models.URLField("webinar link", blank=True)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["continuum", "starts_at"], name="training_session_start")]

    def __str__(self) -> str:
        return f"{self.course.name} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class SessionRegistration(models.Model):
    """One person's seat (or place on the waitlist) in one session, and their attendance."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WAITLISTED = "waitlisted", "On the waitlist"
        CANCELLED = "cancelled", "Cancelled"

    class Attendance(models.TextChoices):
        UNKNOWN = "", "Not taken"
        PRESENT = "present", "Present"
        ABSENT = "absent", "Absent"

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_registrations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REGISTERED)
    # First come, first served: the waitlist is ordered by when the person (re)joined it.
    queued_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendance = models.CharField(max_length=10, choices=Attendance.choices, blank=True, default="")
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_registration_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.session} · {self.get_status_display()}"


class AcknowledgementSignature(models.Model):
    """The HMIS 10 Acknowledgement Form, signed in the app by the person after attending HMIS 10
    (LA, seed 004). The signed text is kept as it was, with its version."""

    continuum = models.ForeignKey("agencies.Continuum", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    registration = models.ForeignKey(
        SessionRegistration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    typed_name = models.CharField(max_length=200)
    signed_on = models.DateField()
    text_version = models.CharField(max_length=20)
    text = models.TextField()
    signed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["continuum", "user", "text_version"], name="acknowledgement_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"HMIS 10 Acknowledgement by {self.typed_name} ({self.signed_on})"
