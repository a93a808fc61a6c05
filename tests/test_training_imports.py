"""The CSV fallback: the LMS's progress export is checked row by row, previewed, and written only
when confirmed — all of it or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from hmis_onboarding.models import AuditEvent
from training import imports, services
from training.models import Enrollment, LmsAccount, ProgressImport
from training.path import Needs, ProjectNeed

from .factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = "User email,Course,Progress (%),Completion status,Completion date\n"


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    people = {}
    for name in ("ana", "ben", "cy"):
        person = UserFactory(email=f"{name}@agency.org", full_name=name.title())
        services.lms_account_request(continuum=tenant_a.continuum, person=person, email=f"{name}@agency.org")
        services.learning_path_assign(
            continuum=tenant_a.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
        )
        people[name] = person
    tenant_a.people.update(people)
    return tenant_a


def upload(text: str, name: str = "progress.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def snapshot():
    return sorted(Enrollment.objects.values_list("user_id", "course_id", "state", "percent", "completed_at"))


def test_it_previews_row_level_errors_and_writes_nothing(chicago):
    before = snapshot()
    audits = AuditEvent.objects.filter(action="training.enrollment_progress").count()
    text = HEADER + (
        "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"
        "ben@agency.org,Data Management,45,In progress,\n"
        "\n"
        "nobody@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"
        "ana@agency.org,Basket Weaving,10,,\n"
        "ben@agency.org,Introduction to HMIS,abc,,\n"
        "ben@agency.org,Employment and Income,140,,\n"
        "cy@agency.org,Introduction to HMIS,100,Completed,31/02/2026\n"
        "cy@agency.org,Data Management,100,Completed,01/01/2099\n"
        "cy@agency.org,Services Only,40,Completed,\n"
        "ana@agency.org,introduction to hmis,100,Completed,15/01/2026\n"
        ",Introduction to HMIS,100,,\n"
        "not-an-email,Introduction to HMIS,100,,\n"
        "cy@agency.org,SSVF Workflow Training,,,\n"
        "cy@agency.org,Drop-in/Day Shelter Workflow,30,,05/01/2026\n"
    )
    record = imports.progress_import_create(
        continuum=chicago.continuum, actor=chicago["help_desk"], upload=upload(text)
    )
    assert record.status == ProgressImport.Status.PREVIEWED
    assert (record.total_rows, record.valid_rows, record.error_rows) == (14, 2, 12)
    messages = {e["line"]: e["message"] for e in record.errors}
    assert messages[5] == "No LMS account in this CoC uses this e-mail."
    assert "not in the CoC's catalog" in messages[6]
    assert "is not a percentage" in messages[7]
    assert "outside 0–100" in messages[8]
    assert "is not a date" in messages[9] and "DMY" in messages[9]
    assert "in the future" in messages[10]
    assert "says completed but the progress is 40" in messages[11]
    assert messages[12] == "Repeats row 2 (same person and course)."
    assert messages[13] == "No e-mail address."
    assert "is not an e-mail address" in messages[14]
    assert "No progress percentage" in messages[15]
    assert "completion date is given but the progress is 30" in messages[16]
    assert [r["line"] for r in record.preview_rows] == [2, 3]
    # Nothing but the import record itself was written.
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="training.enrollment_progress").count() == audits


def test_confirming_writes_the_valid_rows_and_unlocks_courses(chicago):
    text = HEADER + (
        "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"
        "ben@agency.org,Data Management,45,In progress,\n"
        "nobody@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"
    )
    helpdesk = chicago["help_desk"]
    record = imports.progress_import_create(continuum=chicago.continuum, actor=helpdesk, upload=upload(text))
    summary = imports.progress_import_apply(progress_import=record, actor=helpdesk)
    assert summary == {"created": 0, "updated": 2, "unchanged": 0, "skipped_rows": 1}
    ana = Enrollment.objects.get(user=chicago["ana"], course__code="intro-to-hmis")
    assert ana.state == "completed" and ana.completed_at.date().isoformat() == "2026-01-14"
    assert ana.source == Enrollment.Source.CSV_IMPORT
    assert Enrollment.objects.get(user=chicago["ana"], course__code="es-th-sh").state == "available"
    assert Enrollment.objects.get(user=chicago["ben"], course__code="data-management").percent == 45
    record.refresh_from_db()
    assert record.status == ProgressImport.Status.APPLIED and record.decided_by == helpdesk
    assert AuditEvent.objects.filter(
        action="training.progress_import_applied", object_id=str(record.pk)
    ).exists()
    with pytest.raises(ValidationError, match="already applied"):
        imports.progress_import_apply(progress_import=record, actor=helpdesk)


def test_importing_the_same_export_twice_changes_nothing_the_second_time(chicago):
    text = (
        HEADER
        + "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"
        + "ben@agency.org,Data Management,45,,\n"
    )
    helpdesk = chicago["help_desk"]
    imports.progress_import_apply(
        progress_import=imports.progress_import_create(
            continuum=chicago.continuum, actor=helpdesk, upload=upload(text)
        ),
        actor=helpdesk,
    )
    before = snapshot()
    second = imports.progress_import_apply(
        progress_import=imports.progress_import_create(
            continuum=chicago.continuum, actor=helpdesk, upload=upload(text)
        ),
        actor=helpdesk,
    )
    assert second == {"created": 0, "updated": 0, "unchanged": 2, "skipped_rows": 0}
    assert snapshot() == before


def test_an_older_export_never_lowers_progress(chicago):
    helpdesk = chicago["help_desk"]
    newer = HEADER + "ben@agency.org,Data Management,80,,\n"
    older = HEADER + "ben@agency.org,Data Management,20,,\n"
    for text in (newer, older):
        imports.progress_import_apply(
            progress_import=imports.progress_import_create(
                continuum=chicago.continuum, actor=helpdesk, upload=upload(text)
            ),
            actor=helpdesk,
        )
    assert Enrollment.objects.get(user=chicago["ben"], course__code="data-management").percent == 80


def test_cancelling_writes_nothing_and_deletes_the_file(chicago, django_capture_on_commit_callbacks):
    helpdesk = chicago["help_desk"]
    record = imports.progress_import_create(
        continuum=chicago.continuum,
        actor=helpdesk,
        upload=upload(HEADER + "ana@agency.org,Introduction to HMIS,100,Completed,\n"),
    )
    before = snapshot()
    storage, name = record.file.storage, record.file.name
    with django_capture_on_commit_callbacks(execute=True):
        imports.progress_import_cancel(progress_import=record, actor=helpdesk)
    assert snapshot() == before and not storage.exists(name)
    with pytest.raises(ValidationError, match="already cancelled"):
        imports.progress_import_apply(progress_import=record, actor=helpdesk)


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "row-by-row"])
def test_a_failure_half_way_writes_nothing(chicago, monkeypatch, set_based):
    helpdesk = chicago["help_desk"]
    text = HEADER + "".join(
        f"{name}@agency.org,{course},100,Completed,\n"
        for name in ("ana", "ben", "cy")
        for course in ("Introduction to HMIS", "Data Management")
    )
    record = imports.progress_import_create(continuum=chicago.continuum, actor=helpdesk, upload=upload(text))
    before = snapshot()
    audits = AuditEvent.objects.count()
    monkeypatch.setattr(imports, "SET_BASED", set_based)
    monkeypatch.setattr(imports, "WRITE_CHUNK", 2)
    real_audit = imports.audit_record

    def failing_audit(**kwargs):
        # Every enrolment is written by now; the import's own record fails.
        assert Enrollment.objects.filter(source=Enrollment.Source.CSV_IMPORT).count() == 6
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "audit_record", failing_audit)
    with pytest.raises(RuntimeError):
        imports.progress_import_apply(progress_import=record, actor=helpdesk)
    assert snapshot() == before and AuditEvent.objects.count() == audits
    record.refresh_from_db()
    assert record.status == ProgressImport.Status.PREVIEWED
    assert record.rows.count() == record.valid_rows == 6
    # It can be confirmed again once the fault is gone.
    monkeypatch.setattr(imports, "audit_record", real_audit)
    summary = imports.progress_import_apply(progress_import=record, actor=helpdesk)
    assert summary == {"created": 0, "updated": 6, "unchanged": 0, "skipped_rows": 0}


def test_a_stale_preview_must_be_uploaded_again(chicago):
    helpdesk = chicago["help_desk"]
    record = imports.progress_import_create(
        continuum=chicago.continuum,
        actor=helpdesk,
        upload=upload(HEADER + "ana@agency.org,Introduction to HMIS,100,Completed,\n"),
    )
    LmsAccount.objects.filter(user=chicago["ana"]).update(email="ana@other-agency.org")
    with pytest.raises(ValidationError, match="changed since the preview"):
        imports.progress_import_apply(progress_import=record, actor=helpdesk)


def test_it_never_moves_progress_to_another_lms_account(chicago):
    # Ana's Intro progress was recorded under another LMS account (her old one, kept for its
    # history): a row from her current account must not be merged into it.
    old = UserFactory(email="ana.old@agency.org")
    old_account = services.lms_account_request(
        continuum=chicago.continuum, person=old, email="ana.old@agency.org"
    )
    Enrollment.objects.filter(user=chicago["ana"], course__code="intro-to-hmis").update(
        lms_account=old_account
    )
    before = snapshot()
    record = imports.progress_import_create(
        continuum=chicago.continuum,
        actor=chicago["help_desk"],
        upload=upload(HEADER + "ana@agency.org,Introduction to HMIS,100,Completed,\n"),
    )
    assert record.valid_rows == 0
    assert "belongs to another LMS account" in record.errors[0]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("Name,Score\nAna,3\n", "needs an e-mail column"),
        ("Email,Course\nana@agency.org,Introduction to HMIS\n", "progress or completion status column"),
        (HEADER, "no rows"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_progress_export(chicago, text, message):
    with pytest.raises(ValidationError, match=message):
        imports.progress_import_create(
            continuum=chicago.continuum, actor=chicago["help_desk"], upload=upload(text)
        )
    assert not ProgressImport.objects.exists()


def test_it_reads_semicolons_a_byte_order_mark_windows_encoding_and_course_ids(chicago):
    text = "\ufeffE-mail;Course ID;Completion percentage;Completed on\nana@agency.org;101;100;14/01/2026\n"
    record = imports.progress_import_create(
        continuum=chicago.continuum, actor=chicago["help_desk"], upload=upload(text)
    )
    assert record.valid_rows == 1, record.errors
    latin = "Email,Course,Progress\nben@agency.org,Data Management,50\n# Ren\xe9e,,\n"
    record = imports.progress_import_create(
        continuum=chicago.continuum, actor=chicago["help_desk"], upload=upload(latin, encoding="cp1252")
    )
    assert record.valid_rows == 1 and record.error_rows == 1


def test_only_the_help_desk_imports_progress(chicago):
    for role in ("ata", "agency_user", "ce_team", "auditor"):
        with pytest.raises(PermissionDenied):
            imports.progress_import_create(
                continuum=chicago.continuum,
                actor=chicago[role],
                upload=upload(HEADER + "ana@agency.org,Introduction to HMIS,100,,\n"),
            )


def test_the_file_is_checked_once_and_a_changed_file_is_refused(chicago, monkeypatch):
    helpdesk = chicago["help_desk"]
    record = imports.progress_import_create(
        continuum=chicago.continuum,
        actor=helpdesk,
        upload=upload(HEADER + "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"),
    )
    assert record.rows.count() == 1  # the checked row is staged with the preview
    # Confirmation does not parse the file again ...
    monkeypatch.setattr(imports, "_check_rows", lambda *a, **k: pytest.fail("parsed twice"))
    # ... but refuses a file that is not the one previewed.
    with record.file.open("wb") as handle:
        handle.write((HEADER + "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2025\n").encode())
    before = snapshot()
    with pytest.raises(ValidationError, match="file changed since the preview"):
        imports.progress_import_apply(progress_import=record, actor=helpdesk)
    assert snapshot() == before


MIXED = HEADER + (
    "ana@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"  # completes
    "ana@agency.org,Data Management,30,,\n"  # raises a percentage
    "ben@agency.org,Data Management,45,In progress,\n"
    "ben@agency.org,Introduction to HMIS,0,,\n"  # nothing new
    "cy@agency.org,Introduction to HMIS,100,Completed,\n"  # completed today
    "cy@agency.org,Employment and Income,20,,\n"  # not on cy's path yet: created
    "cy@agency.org,Data Management,10,,\n"
    "nobody@agency.org,Introduction to HMIS,100,Completed,14/01/2026\n"  # skipped
)


def _import_outcome(tenant, text, *, set_based, monkeypatch):
    """Apply an export on the current data, return what it wrote, and roll it all back."""
    from django.db import transaction

    monkeypatch.setattr(imports, "SET_BASED", set_based)
    helpdesk = tenant["help_desk"]
    # A lowered percentage and a reset that a later completion must not undo.
    Enrollment.objects.filter(user=tenant["ben"], course__code="data-management").update(
        percent=60, state="in_progress"
    )
    outcome = {}

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            record = imports.progress_import_create(
                continuum=tenant.continuum, actor=helpdesk, upload=upload(text)
            )
            outcome["summary"] = imports.progress_import_apply(progress_import=record, actor=helpdesk)
            outcome["enrollments"] = sorted(
                Enrollment.objects.values_list(
                    "user_id", "course_id", "lms_account_id", "state", "percent", "source", "started_at",
                    "completed_at", "last_progress_at", "units",
                ).order_by("user_id", "course_id")
            )  # fmt: skip
            events = AuditEvent.objects.filter(
                action="training.enrollment_progress", metadata__import=record.pk
            )
            outcome["audit"] = sorted(
                (
                    Enrollment.objects.filter(pk=e.object_id).values_list("user_id", "course_id").get(),
                    e.before.get("state"),
                    e.after["state"],
                    e.after["percent"],
                    e.actor_id,
                )
                for e in events
            )
            outcome["paths"] = sorted(
                services.LearningPath.objects.values_list("user_id", "percent_complete", "next_step")
            )
            outcome["record"] = record.pk
            raise Rollback
    except Rollback:
        pass
    return outcome


def test_the_set_based_write_gives_the_row_by_row_result(chicago, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the set-based write is PostgreSQL's")
    now = imports.timezone.now()
    monkeypatch.setattr(imports.timezone, "now", lambda: now)
    row_by_row = _import_outcome(chicago, MIXED, set_based=False, monkeypatch=monkeypatch)
    set_based = _import_outcome(chicago, MIXED, set_based=True, monkeypatch=monkeypatch)
    assert row_by_row["summary"] == {"created": 1, "updated": 4, "unchanged": 2, "skipped_rows": 1}
    for key in ("summary", "enrollments", "audit", "paths"):
        assert set_based[key] == row_by_row[key], key


def test_confirming_records_the_counts_and_each_enrolment_change(chicago):
    helpdesk = chicago["help_desk"]
    record = imports.progress_import_create(continuum=chicago.continuum, actor=helpdesk, upload=upload(MIXED))
    summary = imports.progress_import_apply(progress_import=record, actor=helpdesk)
    assert summary == {"created": 1, "updated": 5, "unchanged": 1, "skipped_rows": 1}
    applied = AuditEvent.objects.get(action="training.progress_import_applied", object_id=str(record.pk))
    assert applied.after == summary and applied.actor == helpdesk
    events = AuditEvent.objects.filter(action="training.enrollment_progress", metadata__import=record.pk)
    intro = Enrollment.objects.get(user=chicago["ana"], course__code="intro-to-hmis")
    ana = events.get(object_id=str(intro.pk))
    assert ana.before["state"] != "completed" and ana.after["state"] == "completed"
    assert ana.after["completed_at"].startswith("2026-01-14") and ana.actor == helpdesk
    created = Enrollment.objects.get(user=chicago["cy"], course__code="employment-income")
    assert events.get(object_id=str(created.pk)).before == {}
    assert record.rows.count() == 0  # the staged rows go once written
