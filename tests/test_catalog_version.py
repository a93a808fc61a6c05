"""The trainee's tracker reuses the CoC's catalog snapshot across requests (`training.catalog_version`)
and shows every catalog change on the next view: each kind of catalog write (a course added,
changed or switched off; its parts; a bundle; prerequisites added or removed; a shipped catalog
loaded; a save or delete outside the services, as the admin or a shell does) gives the catalog a new
version. Each test first opens the tracker (so the snapshot is kept), then writes, then opens it
again."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.permissions import Role
from training import configuration, services
from training.models import CatalogVersion, Course, CourseBundle, CoursePart, Prerequisite
from training.path import Needs, ProjectNeed

from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CATALOG_TABLES = ('FROM "training_course"', 'FROM "training_coursepart"', 'FROM "training_prerequisite"')


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


@pytest.fixture
def viewer(client, chicago):
    """A trainee in an emergency shelter project (HUD type 1) and a housing project (3: the
    "choose one" housing bundle), signed in; returns a function that opens their tracker."""
    person = UserFactory(email="ana@agency.org", full_name="Ana")
    MembershipFactory(user=person, continuum=chicago.continuum, role=Role.AGENCY_USER, agency=chicago.agency)
    services.learning_path_assign(
        continuum=chicago.continuum,
        person=person,
        needs=Needs(projects=(ProjectNeed(1), ProjectNeed(3))),
        now=timezone.now(),
    )
    client.force_login(person)
    address = reverse("my_onboarding", kwargs={"continuum_slug": chicago.continuum.slug})

    def open_tracker() -> str:
        response = client.get(address)
        assert response.status_code == 200
        return response.content.decode()

    return open_tracker


def course(tenant, code: str) -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


def course_section(page: str, key: str) -> str:
    start = page.index(f'id="course-{key}"')
    end = page.find('id="course-', start + 1)
    return page[start : end if end != -1 else len(page)]


def test_the_tracker_reads_the_catalog_once_and_shows_the_same_page_after(viewer):
    with CaptureQueriesContext(connection) as first:
        page = viewer()
    with CaptureQueriesContext(connection) as second:
        again = viewer()
    assert any(table in q["sql"] for q in first for table in CATALOG_TABLES)
    assert not any(table in q["sql"] for q in second for table in CATALOG_TABLES)
    section = page[page.index('data-stage="courses"') : page.index('data-stage="sample_client"')]
    assert section == again[again.index('data-stage="courses"') : again.index('data-stage="sample_client"')]
    assert "Introduction to HMIS" in section and "Data Management" in section


def test_it_shows_a_course_renamed_or_switched_off_on_the_catalog_page(viewer, chicago):
    assert "Emergency Shelter" in course_section(viewer(), "es-th-sh")
    es = course(chicago, "es-th-sh")
    configuration.course_save(
        continuum=chicago.continuum, actor=chicago["coc_admin"], course=es, name="Shelters 2027"
    )
    page = viewer()
    assert "Shelters 2027" in course_section(page, "es-th-sh")
    configuration.course_save(
        continuum=chicago.continuum, actor=chicago["coc_admin"], course=es, is_active=False
    )
    assert 'id="course-es-th-sh"' not in viewer()


def test_it_shows_a_course_added_on_the_catalog_page(viewer, chicago):
    assert 'id="course-privacy-basics"' not in viewer()
    configuration.course_save(
        continuum=chicago.continuum,
        actor=chicago["coc_admin"],
        code="privacy-basics",
        name="Privacy basics",
        category=Course.Category.FOUNDATION,
        applies_to=Course.AppliesTo.EVERYONE,
    )
    assert "Privacy basics" in course_section(viewer(), "privacy-basics")


def test_it_shows_parts_given_to_a_course_that_had_none(viewer, chicago):
    """The parts are written with bulk_create, which sends no signal of its own."""
    assert "app-course-parts" not in course_section(viewer(), "es-th-sh")
    configuration.course_parts_save(
        course=course(chicago, "es-th-sh"),
        actor=chicago["coc_admin"],
        parts=[{"title": "Part A: Intake"}, {"title": "Part B: Exits"}],
    )
    section = course_section(viewer(), "es-th-sh")
    assert "Part A: Intake: 0%" in section and "Part B: Exits: 0%" in section


def test_it_shows_a_course_s_parts_replaced(viewer, chicago):
    assert "Part 1: Personal Information Security" in course_section(viewer(), "data-management")
    configuration.course_parts_save(
        course=course(chicago, "data-management"),
        actor=chicago["coc_admin"],
        parts=[{"title": "Part 1: Security"}, {"title": "Part 2: Guidelines"}, {"title": "Part 3: Quality"}],
    )
    section = course_section(viewer(), "data-management")
    assert "Part 1: Personal Information Security" not in section
    assert "Part 3: Quality: 0%" in section


def test_it_shows_a_bundle_renamed(viewer, chicago):
    assert "choose one" in course_section(viewer(), "bundlepsh-rrh")
    bundle = CourseBundle.objects.get(continuum=chicago.continuum, code="psh-rrh")
    configuration.bundle_save(
        continuum=chicago.continuum, actor=chicago["coc_admin"], bundle=bundle, name="Housing projects"
    )
    section = course_section(viewer(), "bundlepsh-rrh")
    assert "Housing projects" in section and "choose one" not in section


def test_it_shows_prerequisites_added_and_removed(viewer, chicago):
    assert "Data Management" not in course_section(viewer(), "es-th-sh")
    es, dm, intro = (
        course(chicago, "es-th-sh"),
        course(chicago, "data-management"),
        course(chicago, "intro-to-hmis"),
    )
    services.prerequisite_add(course=es, requires=dm, actor=chicago["coc_admin"])
    section = course_section(viewer(), "es-th-sh")
    assert "Opens when you finish:" in section and "Data Management" in section
    for required in (dm, intro):
        link = Prerequisite.objects.get(course=es, requires=required)
        services.prerequisite_remove(link=link, actor=chicago["coc_admin"])
    section = course_section(viewer(), "es-th-sh")
    assert "Opens when you finish" not in section and 'data-state="available"' in section


def test_it_shows_courses_a_loaded_catalog_adds(viewer, chicago):
    assert 'id="course-coc-orientation"' not in viewer()
    spec = {
        "courses": [
            {
                "code": "coc-orientation",
                "name": "CoC orientation",
                "category": "foundation",
                "applies_to": "everyone",
                "parts": [{"title": "Welcome"}],
            }
        ]
    }
    services.catalog_load(continuum=chicago.continuum, spec=spec)
    assert "Welcome: 0%" in course_section(viewer(), "coc-orientation")


def test_it_shows_saves_and_deletes_made_outside_the_services(viewer, chicago):
    """What the admin's course and bundle pages and its inlines do: plain model saves and deletes
    (also a query-set delete, which sends a signal per row)."""
    viewer()
    es = course(chicago, "es-th-sh")
    es.name = "Shelter programs"
    es.save()
    assert "Shelter programs" in course_section(viewer(), "es-th-sh")
    CoursePart.objects.create(continuum=chicago.continuum, course=es, position=1, title="Admin part")
    assert "Admin part: 0%" in course_section(viewer(), "es-th-sh")
    CoursePart.objects.get(course=es).delete()
    assert "Admin part" not in course_section(viewer(), "es-th-sh")
    Prerequisite.objects.filter(course=es).delete()
    assert "Opens when you finish" not in course_section(viewer(), "es-th-sh")
    bundle = CourseBundle.objects.get(continuum=chicago.continuum, code="psh-rrh")
    bundle.name = "Housing (admin)"
    bundle.save()
    assert "Housing (admin)" in course_section(viewer(), "bundlepsh-rrh")


def test_a_change_that_rolls_back_leaves_the_catalog_as_it_was(viewer, chicago):
    viewer()
    es = course(chicago, "es-th-sh")
    with pytest.raises(RuntimeError), transaction.atomic():
        configuration.course_save(
            continuum=chicago.continuum, actor=chicago["coc_admin"], course=es, name="Never saved"
        )
        assert "Never saved" in course_section(viewer(), "es-th-sh")  # inside the change: its own view
        raise RuntimeError
    section = course_section(viewer(), "es-th-sh")
    assert "Never saved" not in section and "Emergency Shelter" in section


def test_a_catalog_write_gives_the_coc_a_new_version_and_no_other(chicago, tenant_b):
    services.catalog_load(continuum=tenant_b.continuum, spec=services.catalog_spec("chicago"))
    before = dict(CatalogVersion.objects.values_list("continuum_id", "token"))
    configuration.course_save(
        continuum=chicago.continuum,
        actor=chicago["coc_admin"],
        course=course(chicago, "es-th-sh"),
        name="New",
    )
    after = dict(CatalogVersion.objects.values_list("continuum_id", "token"))
    assert after[chicago.continuum.pk] != before[chicago.continuum.pk]
    assert after[tenant_b.continuum.pk] == before[tenant_b.continuum.pk]
