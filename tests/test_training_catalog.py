"""Catalog configuration, learning path assignment/recomputation and LMS accounts (database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hmis_onboarding.models import AuditEvent
from training import services
from training.models import Course, CourseBundle, Enrollment, LearningPath, LmsAccount, Prerequisite
from training.path import Needs, ProjectNeed, StepState

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def course(tenant, code: str) -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


def es_needs(**kwargs) -> Needs:
    return Needs(projects=(ProjectNeed(1),), **kwargs)


def states(person) -> dict[str, str]:
    return dict(Enrollment.objects.filter(user=person).values_list("course__code", "state"))


# --- Catalog loading -------------------------------------------------------------------------------------
def test_it_loads_the_chicago_catalog_from_configuration_and_changes_nothing_the_second_time(chicago):
    continuum = chicago.continuum
    assert Course.objects.filter(continuum=continuum).count() == 17
    dm = course(chicago, "data-management")
    assert [p.title for p in dm.parts.all()] == [
        "Part 1: Personal Information Security",
        "Part 2: HMIS Specific Data Guidelines",
    ]
    assert course(chicago, "intro-to-hmis-read-only").read_only_alternate_of == course(
        chicago, "intro-to-hmis"
    )
    bundle = CourseBundle.objects.get(continuum=continuum, code="psh-rrh")
    assert {c.code for c in bundle.courses.all()} == {"families-ph-rrh", "singles-ph-rrh"}
    project_prereqs = Prerequisite.objects.filter(course__code="es-th-sh", course__continuum=continuum)
    assert [p.requires.code for p in project_prereqs] == ["intro-to-hmis"]
    assert course(chicago, "hrs-training").kind == Course.Kind.INSTRUCTOR_LED
    audits = AuditEvent.objects.filter(action="training.catalog_loaded").count()
    again = services.catalog_load(continuum=continuum, spec=services.catalog_spec("chicago"))
    assert again.total == 0
    assert AuditEvent.objects.filter(action="training.catalog_loaded").count() == audits


def test_it_loads_the_la_sessions(tenant_b):
    services.catalog_load(continuum=tenant_b.continuum, spec=services.catalog_spec("los-angeles"))
    sessions = {c.code: c for c in Course.objects.filter(continuum=tenant_b.continuum)}
    assert set(sessions) == {"hmis-10", "hmis-509-half", "hmis-509-full", "hmis-511", "hmis-102", "hmis-510"}
    assert sessions["hmis-10"].duration_minutes == 180 and sessions["hmis-10"].new_users_only
    assert sessions["hmis-509-full"].duration_minutes == 420
    assert sessions["hmis-509-full"].includes == sessions["hmis-509-half"]
    assert all(c.kind == Course.Kind.INSTRUCTOR_LED for c in sessions.values())


def test_it_refuses_a_catalog_file_with_a_cycle(tenant_a):
    spec = {
        "courses": [
            {"code": "a", "name": "A", "prerequisites": ["b"]},
            {"code": "b", "name": "B", "prerequisites": ["a"]},
        ]
    }
    with pytest.raises(ValidationError, match="cycle"):
        services.catalog_load(continuum=tenant_a.continuum, spec=spec)
    assert not Course.objects.filter(continuum=tenant_a.continuum).exists()


# --- Prerequisite DAG ----------------------------------------------------------------------------------
def test_it_refuses_a_prerequisite_that_would_make_a_cycle_with_a_clear_message(chicago):
    admin = chicago["coc_admin"]
    before = Prerequisite.objects.count()
    with pytest.raises(ValidationError) as error:
        services.prerequisite_add(
            course=course(chicago, "intro-to-hmis"), requires=course(chicago, "es-th-sh"), actor=admin
        )
    message = error.value.messages[0]
    assert "cycle" in message and "Introduction to HMIS" in message and "Emergency Shelter" in message
    # A longer cycle through Data Management is caught too.
    services.prerequisite_add(
        course=course(chicago, "es-th-sh"), requires=course(chicago, "data-management"), actor=admin
    )
    with pytest.raises(ValidationError, match="cycle"):
        services.prerequisite_add(
            course=course(chicago, "intro-to-hmis"), requires=course(chicago, "es-th-sh"), actor=admin
        )
    with pytest.raises(ValidationError, match="its own prerequisite"):
        services.prerequisite_add(
            course=course(chicago, "ssvf"), requires=course(chicago, "ssvf"), actor=admin
        )
    assert Prerequisite.objects.count() == before + 1


def test_it_refuses_making_one_bundle_member_require_the_other(chicago):
    with pytest.raises(ValidationError, match="cycle"):
        services.prerequisite_add(
            course=course(chicago, "families-ph-rrh"),
            requires=course(chicago, "singles-ph-rrh"),
            actor=chicago["coc_admin"],
        )


def test_only_coc_administrators_change_prerequisites(chicago):
    for role in ("help_desk", "ata", "agency_user"):
        with pytest.raises(PermissionDenied):
            services.prerequisite_add(
                course=course(chicago, "ssvf"),
                requires=course(chicago, "data-management"),
                actor=chicago[role],
            )


def test_a_new_prerequisite_restricts_open_courses_on_existing_paths(
    chicago, django_capture_on_commit_callbacks
):
    person = chicago["agency_user"]
    services.learning_path_assign(continuum=chicago.continuum, person=person, needs=es_needs())
    services.enrollment_record_progress(
        continuum=chicago.continuum, person=person, course=course(chicago, "intro-to-hmis"), percent=100
    )
    assert states(person)["es-th-sh"] == "available"
    with django_capture_on_commit_callbacks(execute=True):
        services.prerequisite_add(
            course=course(chicago, "es-th-sh"),
            requires=course(chicago, "data-management"),
            actor=chicago["coc_admin"],
        )
    assert states(person)["es-th-sh"] == "restricted"
    assert AuditEvent.objects.filter(action="training.prerequisite_added").count() == 1


# --- Learning paths -----------------------------------------------------------------------------------
def test_it_assigns_a_path_with_enrolments_in_restricted_and_available_states(chicago):
    person = chicago["agency_user"]
    path, result = services.learning_path_assign(
        continuum=chicago.continuum, person=person, needs=es_needs(), source="access_request:1"
    )
    assert states(person) == {
        "intro-to-hmis": "available",
        "data-management": "restricted",
        "es-th-sh": "restricted",
        "sample-client-instructions": "restricted",
    }
    assert result.next_step.key == "intro-to-hmis" and path.next_step == "Introduction to HMIS"
    assert AuditEvent.objects.filter(
        action="training.learning_path_assigned", object_id=str(path.pk)
    ).exists()


def test_intro_at_100_percent_unlocks_the_project_course(chicago):
    person = chicago["agency_user"]
    services.learning_path_assign(continuum=chicago.continuum, person=person, needs=es_needs())
    intro = course(chicago, "intro-to-hmis")
    services.enrollment_record_progress(continuum=chicago.continuum, person=person, course=intro, percent=99)
    assert states(person)["es-th-sh"] == "restricted"
    services.enrollment_record_progress(continuum=chicago.continuum, person=person, course=intro, percent=100)
    assert states(person)["intro-to-hmis"] == "completed"
    assert states(person)["es-th-sh"] == "available"
    assert states(person)["data-management"] == "available"


def test_recomputing_a_path_never_loses_progress(chicago):
    person = chicago["agency_user"]
    continuum = chicago.continuum
    services.learning_path_assign(continuum=continuum, person=person, needs=es_needs())
    for code, percent in (("intro-to-hmis", 100), ("data-management", 100), ("es-th-sh", 40)):
        services.enrollment_record_progress(
            continuum=continuum, person=person, course=course(chicago, code), percent=percent
        )
    snapshot = dict(Enrollment.objects.filter(user=person).values_list("course__code", "percent"))
    # The request changes: PSH instead of shelter, then read-only, then back.
    for needs in (
        Needs(projects=(ProjectNeed(3),)),
        Needs(read_only=True),
        es_needs(credited=frozenset({"data-management"})),
    ):
        services.learning_path_assign(continuum=continuum, person=person, needs=needs)
        now = dict(Enrollment.objects.filter(user=person).values_list("course__code", "percent"))
        for code, percent in snapshot.items():
            assert now[code] == percent, code
    result = services.selectors.learning_path_result(continuum, person)
    assert result.step("es-th-sh").percent == 40
    assert result.step("data-management").state == StepState.CREDITED
    assert LearningPath.objects.filter(user=person).count() == 1
    assert AuditEvent.objects.filter(action="training.learning_path_changed").count() == 3


def test_progress_only_rises_and_completion_is_recorded_once(chicago):
    person = chicago["agency_user"]
    intro = course(chicago, "intro-to-hmis")
    services.learning_path_assign(continuum=chicago.continuum, person=person, needs=es_needs())
    first = timezone.now() - dt.timedelta(days=3)
    services.enrollment_record_progress(
        continuum=chicago.continuum, person=person, course=intro, percent=100, completed_at=first
    )
    services.enrollment_record_progress(continuum=chicago.continuum, person=person, course=intro, percent=20)
    services.enrollment_record_progress(continuum=chicago.continuum, person=person, course=intro, percent=100)
    enrollment = Enrollment.objects.get(user=person, course=intro)
    assert enrollment.percent == 100 and enrollment.completed_at == first
    assert (
        AuditEvent.objects.filter(action="training.enrollment_progress", object_id=str(enrollment.pk)).count()
        == 1
    )


def test_only_the_help_desk_assigns_paths(chicago):
    with pytest.raises(PermissionDenied):
        services.learning_path_assign(
            continuum=chicago.continuum, person=chicago["agency_user"], needs=es_needs(), actor=chicago["ata"]
        )
    services.learning_path_assign(
        continuum=chicago.continuum,
        person=chicago["agency_user"],
        needs=es_needs(),
        actor=chicago["help_desk"],
    )


# --- LMS accounts -----------------------------------------------------------------------------------------
def test_it_refuses_a_personal_email_for_an_lms_account_and_says_why(chicago):
    with pytest.raises(ValidationError, match="personal address.*agency e-mail"):
        services.lms_account_request(
            continuum=chicago.continuum, person=chicago["agency_user"], email="me@Gmail.com"
        )
    assert not LmsAccount.objects.exists()


def test_it_keeps_the_lms_id_when_the_agency_email_changes(chicago):
    person = chicago["agency_user"]
    account = services.lms_account_request(
        continuum=chicago.continuum, person=person, email="jo@agency-one.org"
    )
    LmsAccount.objects.filter(pk=account.pk).update(lms_user_id="77", status=LmsAccount.Status.LINKED)
    moved = services.lms_account_request(
        continuum=chicago.continuum, person=person, email="jo@agency-two.org"
    )
    assert moved.pk == account.pk and moved.lms_user_id == "77" and moved.status == LmsAccount.Status.LINKED
    assert moved.previous_emails == ["jo@agency-one.org"]
    assert LmsAccount.objects.filter(user=person).count() == 1


def test_it_points_out_likely_duplicate_accounts(chicago):
    returning = UserFactory(full_name="Dana Whitfield", email="dana@new-agency.org")
    earlier = UserFactory(full_name="Dana Whitfield", email="dana.w@old-agency.org")
    services.lms_account_request(continuum=chicago.continuum, person=earlier, email="dana.w@old-agency.org")
    services.lms_account_request(continuum=chicago.continuum, person=returning, email="dana@new-agency.org")
    found = services.lms_account_possible_duplicates(continuum=chicago.continuum, person=returning)
    assert [a.email for a in found] == ["dana.w@old-agency.org"]


def test_it_reads_project_types_and_funding_from_the_agencys_hmis_projects(chicago):
    from agencies.models import HmisProject

    ssvf_rrh = HmisProject.objects.create(
        continuum=chicago.continuum,
        agency=chicago.agency,
        name="SSVF RRH",
        hud_project_type=13,
        funded_ssvf=True,
    )
    shelter = HmisProject.objects.create(
        continuum=chicago.continuum, agency=chicago.agency, name="Shelter", hud_project_type=1
    )
    needs = Needs(projects=services.project_needs([ssvf_rrh, shelter]))
    _, result = services.learning_path_assign(
        continuum=chicago.continuum, person=chicago["agency_user"], needs=needs
    )
    assert {"ssvf", "es-th-sh"} <= {s.key for s in result.steps}
    assert "bundle:psh-rrh" not in {s.key for s in result.steps}
