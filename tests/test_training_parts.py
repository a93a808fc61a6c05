"""Data Management's two parts (issue 5): part-level progress from the CSV export's unit rows and the
LMS sync, two sub-bars on the trainee's tracker, and the course complete only when both parts are."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from training import imports, services
from training.models import Course, Enrollment
from training.parts import part_progress

from .factories import UserFactory
from .test_training_sync import world  # noqa: F401  (the fake TalentLMS fixture)

pytestmark = pytest.mark.django_db

HEADER = "User email,Course,Progress (%),Completion status,Completion date\n"
PART_1 = "Part 1: Personal Information Security"
PART_2 = "Part 2: HMIS Specific Data Guidelines"


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def trainee(tenant, email="ana@agency.org"):
    from agencies.models import Membership
    from training.path import Needs, ProjectNeed

    person = UserFactory(email=email, full_name="Ana Parts")
    Membership.objects.create(
        continuum=tenant.continuum, user=person, agency=tenant.agency, role="agency_user"
    )
    services.lms_account_request(continuum=tenant.continuum, person=person, email=email)
    services.learning_path_assign(
        continuum=tenant.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
    )
    return person


def import_rows(tenant, text: str):
    record = imports.progress_import_create(
        continuum=tenant.continuum,
        actor=tenant["help_desk"],
        upload=SimpleUploadedFile("progress.csv", (HEADER + text).encode(), content_type="text/csv"),
    )
    return record, imports.progress_import_apply(progress_import=record, actor=tenant["help_desk"])


def data_management(person) -> Enrollment:
    return Enrollment.objects.get(user=person, course__code="data-management")


def test_it_records_each_part_from_the_export_and_completes_the_course_only_with_both(chicago):
    ana = trainee(chicago)
    record, _ = import_rows(chicago, f"ana@agency.org,{PART_1},100,Completed,14/01/2026\n")
    assert record.error_rows == 0
    dm = data_management(ana)
    assert (dm.percent, dm.completed_at) == (50, None) and dm.state != "completed"
    assert [(p.title, p.percent) for p in part_progress([(PART_1, PART_1), (PART_2, PART_2)], dm.units)] == [
        (PART_1, 100),
        (PART_2, 0),
    ]

    import_rows(chicago, f"ana@agency.org,{PART_2.upper()},40,,\n")
    dm = data_management(ana)
    assert dm.percent == 70 and dm.state != "completed"

    import_rows(chicago, f"ana@agency.org,{PART_2},100,Completed,20/01/2026\n")
    dm = data_management(ana)
    assert dm.state == "completed" and dm.percent == 100
    assert (dm.completed_at.month, dm.completed_at.day) == (1, 20)


def test_it_takes_both_parts_in_one_file_and_refuses_a_repeated_part(chicago):
    ana = trainee(chicago)
    text = (
        f"ana@agency.org,{PART_1},100,Completed,14/01/2026\n"
        f"ana@agency.org,{PART_1},100,Completed,14/01/2026\n"
        f"ana@agency.org,{PART_2},100,Completed,15/01/2026\n"
        "ana@agency.org,Introduction to HMIS,100,Completed,10/01/2026\n"
    )
    record, summary = import_rows(chicago, text)
    assert record.error_rows == 1 and "same person and part" in record.errors[0]["message"]
    assert data_management(ana).state == "completed"
    assert summary["created"] + summary["updated"] == 2  # Data Management once, Intro once


def test_it_shows_two_sub_bars_on_the_tracker(client, chicago):
    ana = trainee(chicago)
    import_rows(chicago, f"ana@agency.org,{PART_1},100,Completed,14/01/2026\n")
    client.force_login(ana)
    page = client.get(reverse("my_onboarding", args=[chicago.continuum.slug])).content.decode()
    dm = page[page.index('id="course-data-management"') :]
    dm = dm[: dm.index("</li>\n  \n")] if "</li>\n  \n" in dm else dm[:4000]
    assert f"{PART_1}: 100% (done)" in dm and f"{PART_2}: 0%" in dm
    assert dm.count("app-progress--part") == 2
    assert "The course is complete when every part is." in dm


def test_it_reads_part_progress_from_the_lms_sync(world):  # noqa: F811
    person = trainee(world.tenant, "jo@agency.org")
    world.run(stages=("accounts", "enrollments"))
    lms_id = int(person.lms_accounts.get().lms_user_id)
    course_id = int(Course.objects.get(continuum=world.continuum, code="data-management").lms_course_id)
    # The fake LMS's Data Management has two units (lesson, assessment) unless told its parts; the
    # catalog's parts are named like the LMS units, so name them so.
    world.fake.state.courses[course_id]["units"] = [
        {"id": str(i), "name": name, "type": "Content"} for i, name in enumerate((PART_1, PART_2), 1)
    ]
    world.fake.set_progress(lms_id, course_id, 50)
    world.run(stages=("statuses",))
    dm = data_management(person)
    progress = part_progress([(PART_1, PART_1), (PART_2, PART_2)], dm.units)
    assert [p.percent for p in progress] == [100, 0] and dm.state != "completed"
