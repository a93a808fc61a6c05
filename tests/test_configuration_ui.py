"""The CoC pathway configuration pages of issue 8 item 5: the course catalog (courses, parts,
prerequisites, bundles, recency windows), rollout plans, and the configuration history that records
every change with before → after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access_requests import configuration as access_configuration
from hmis_onboarding import services as kernel_services
from hmis_onboarding.config_history import config_actions, diff
from hmis_onboarding.models import AuditEvent
from rollout import services as rollout_services
from rollout.gates import request_submission_closed_reason
from rollout.models import RolloutObligation, RolloutPhase, RolloutPlan
from rollout.selectors import today_in
from training import configuration, services
from training.models import Course, CourseBundle, CoursePart, Enrollment, Prerequisite, TrainingPolicy
from training.path import Needs, ProjectNeed

from .factories import UserFactory
from .rollout_helpers import make_obligation, make_phase, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def course(tenant, code: str) -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


def url(tenant, path: str) -> str:
    return f"/{tenant.continuum.slug}/{path}"


def course_form(c: Course, **overrides) -> dict:
    data = {
        "action": "course",
        "name": c.name,
        "description": c.description,
        "kind": c.kind,
        "category": c.category,
        "applies_to": c.applies_to,
        "hud_project_types": c.hud_project_types,
        "program_tags": ", ".join(c.program_tags),
        "training_roles": ", ".join(c.training_roles),
        "bundle": c.bundle_id or "",
        "read_only_alternate_of": c.read_only_alternate_of_id or "",
        "includes": c.includes_id or "",
        "recency_months": c.recency_months or "",
        "lms_course_id": c.lms_course_id,
        "duration_minutes": c.duration_minutes or "",
        "led_by": c.led_by,
        "position": c.position,
    }
    if c.new_users_only:
        data["new_users_only"] = "on"
    if c.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Course catalog ----------------------------------------------------------------------------------------
def test_it_refuses_a_prerequisite_cycle_on_the_course_page_and_names_it(chicago, client):
    intro = course(chicago, "intro-to-hmis")
    shelter = course(chicago, "es-th-sh")  # already requires Introduction to HMIS
    client.force_login(chicago["coc_admin"])
    response = client.post(
        url(chicago, f"training/catalog/courses/{intro.pk}/"),
        {"action": "prerequisite", "requires": shelter.pk, "min_percent": 100},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "would make a cycle" in body
    assert f"Introduction to HMIS → {shelter.name} → Introduction to HMIS" in body
    assert not Prerequisite.objects.filter(course=intro).exists()


def test_it_refuses_a_bundle_that_would_close_a_cycle(chicago, client):
    """Members of a "choose one" bundle are one step: Y requires Z, Z requires X, so X and Y in one
    bundle would make that step wait for itself."""
    admin = chicago["coc_admin"]
    continuum = chicago.continuum
    x, y, z = (
        configuration.course_save(continuum=continuum, actor=admin, code=code, name=name)
        for code, name in (("x-course", "Course X"), ("y-course", "Course Y"), ("z-course", "Course Z"))
    )
    services.prerequisite_add(course=z, requires=x, actor=admin)
    services.prerequisite_add(course=y, requires=z, actor=admin)
    bundle = configuration.bundle_save(continuum=continuum, actor=admin, code="xy", name="X or Y")
    configuration.course_save(continuum=continuum, actor=admin, course=x, bundle=bundle)
    client.force_login(admin)
    response = client.post(
        url(chicago, f"training/catalog/courses/{y.pk}/"), course_form(y, bundle=bundle.pk)
    )
    assert response.status_code == 400
    assert "X or Y → Course Z → X or Y" in response.content.decode()
    y.refresh_from_db()
    assert y.bundle is None


def test_it_adds_a_course_that_existing_paths_gain_without_losing_progress(
    chicago, client, django_capture_on_commit_callbacks
):
    continuum = chicago.continuum
    person = UserFactory()
    services.learning_path_assign(continuum=continuum, person=person, needs=Needs(projects=(ProjectNeed(1),)))
    Enrollment.objects.filter(user=person, course__code="intro-to-hmis").update(
        percent=60, state="in_progress"
    )
    client.force_login(chicago["coc_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(chicago, "training/catalog/courses/new/"),
            {
                "code": "privacy-refresher",
                "name": "Privacy refresher",
                "kind": "self_paced",
                "category": "foundation",
                "applies_to": "everyone",
                "position": 5,
                "is_active": "on",
            },
        )
    assert response.status_code == 302
    new = course(chicago, "privacy-refresher")
    assert response["Location"] == url(chicago, f"training/catalog/courses/{new.pk}/")
    enrolments = dict(Enrollment.objects.filter(user=person).values_list("course__code", "percent"))
    assert "privacy-refresher" in enrolments
    assert enrolments["intro-to-hmis"] == 60
    event = AuditEvent.objects.get(action="training.course_created")
    assert event.after["code"] == "privacy-refresher" and event.actor == chicago["coc_admin"]

    # Deactivating it takes it off the path but keeps the row of anyone who already has progress.
    Enrollment.objects.filter(user=person, course=new).update(percent=40, state="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(chicago, f"training/catalog/courses/{new.pk}/"), course_form(new, is_active=None)
        )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.is_active is False
    assert Enrollment.objects.get(user=person, course=new).percent == 40


def test_it_refuses_a_duplicate_code_and_a_course_including_itself_in_a_loop(chicago, client):
    admin = chicago["coc_admin"]
    client.force_login(admin)
    response = client.post(
        url(chicago, "training/catalog/courses/new/"),
        {
            "code": "intro-to-hmis",
            "name": "Again",
            "kind": "self_paced",
            "category": "project",
            "applies_to": "matching",
            "position": 1,
        },
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    a = configuration.course_save(continuum=chicago.continuum, actor=admin, code="a-part", name="A")
    b = configuration.course_save(
        continuum=chicago.continuum, actor=admin, code="b-part", name="B", includes=a
    )
    with pytest.raises(ValidationError, match=r"loop \(A → B → A\)"):
        configuration.course_save(continuum=chicago.continuum, actor=admin, course=a, includes=b)
    a.refresh_from_db()
    assert a.includes is None


def test_it_edits_a_course_s_parts_in_order(chicago, client):
    dm = course(chicago, "data-management")
    client.force_login(chicago["coc_admin"])
    data = {
        "action": "parts",
        "parts-TOTAL_FORMS": 3,
        "parts-INITIAL_FORMS": 2,
        "parts-MIN_NUM_FORMS": 0,
        "parts-MAX_NUM_FORMS": 30,
        "parts-0-title": "Part 1: Personal Information Security",
        "parts-0-DELETE": "on",
        "parts-1-title": "Part 2: HMIS Specific Data Guidelines",
        "parts-1-lms_unit_name": "Unit 2",
        "parts-2-title": "Part 3: Data quality",
        "parts-2-topics": "completeness, timeliness",
    }
    response = client.post(url(chicago, f"training/catalog/courses/{dm.pk}/"), data)
    assert response.status_code == 302
    parts = list(CoursePart.objects.filter(course=dm).order_by("position"))
    assert [(p.position, p.title) for p in parts] == [
        (1, "Part 2: HMIS Specific Data Guidelines"),
        (2, "Part 3: Data quality"),
    ]
    assert parts[1].topics == ["completeness", "timeliness"]
    event = AuditEvent.objects.get(action="training.course_parts_changed")
    assert event.before["parts"][0] == "Part 1: Personal Information Security"
    assert event.after["parts"] == ["Part 2: HMIS Specific Data Guidelines", "Part 3: Data quality"]


def test_it_changes_recency_windows_and_paths_use_them(chicago, client):
    client.force_login(chicago["coc_admin"])
    policy = TrainingPolicy.objects.get(continuum=chicago.continuum)
    response = client.post(
        url(chicago, "training/catalog/policy/"),
        {
            "project_course_recency_months": 4,
            "foundation_recency_months": policy.foundation_recency_months,
            "training_expires_after_months": policy.training_expires_after_months,
            "stalled_after_days": policy.stalled_after_days,
            "corrections_reminder_days": 9,
            "sample_client_required": "on",
            "sample_client_exempt_tags": "hpcc, state_prevention",
        },
    )
    assert response.status_code == 302
    from training.selectors import catalog_snapshot

    assert catalog_snapshot(chicago.continuum).project_recency_months == 4
    event = AuditEvent.objects.get(action="training.policy_changed")
    assert event.before == {
        "project_course_recency_months": policy.project_course_recency_months,
        "corrections_reminder_days": policy.corrections_reminder_days,
    }
    assert event.after == {"project_course_recency_months": 4, "corrections_reminder_days": 9}
    policy.refresh_from_db()
    assert policy.corrections_reminder_days == 9
    response = client.post(
        url(chicago, "training/catalog/policy/"),
        {"project_course_recency_months": 0, "foundation_recency_months": 99},
    )
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()


def test_it_adds_and_renames_a_bundle(chicago, client):
    client.force_login(chicago["coc_admin"])
    response = client.post(
        url(chicago, "training/catalog/bundles/"), {"code": "outreach", "name": "Outreach"}
    )
    assert response.status_code == 302
    bundle = CourseBundle.objects.get(continuum=chicago.continuum, code="outreach")
    response = client.post(url(chicago, "training/catalog/bundles/"), {"code": "outreach", "name": "Again"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = client.post(
        url(chicago, f"training/catalog/bundles/{bundle.pk}/"), {"name": "Street outreach", "description": ""}
    )
    assert response.status_code == 302
    bundle.refresh_from_db()
    assert bundle.name == "Street outreach"


def test_it_keeps_catalog_configuration_to_coc_administrators(chicago, tenant_b, client):
    intro = course(chicago, "intro-to-hmis")
    with pytest.raises(PermissionDenied):
        configuration.course_save(
            continuum=chicago.continuum, actor=chicago["help_desk"], course=intro, name="Renamed"
        )
    with pytest.raises(PermissionDenied):
        configuration.training_policy_update(
            continuum=chicago.continuum, actor=chicago["auditor"], stalled_after_days=3
        )
    client.force_login(chicago["help_desk"])
    assert client.get(url(chicago, f"training/catalog/courses/{intro.pk}/")).status_code == 403
    assert (
        client.post(url(chicago, "training/catalog/bundles/"), {"code": "z", "name": "Z"}).status_code == 403
    )
    client.force_login(tenant_b["coc_admin"])
    # Another CoC's administrator reaches neither this CoC nor its course through their own CoC.
    assert client.get(url(chicago, f"training/catalog/courses/{intro.pk}/")).status_code == 404
    assert client.get(url(tenant_b, f"training/catalog/courses/{intro.pk}/")).status_code == 404
    intro.refresh_from_db()
    assert intro.name == "Introduction to HMIS"
    assert not CourseBundle.objects.filter(code="z").exists()


# --- Rollout plans ------------------------------------------------------------------------------------------
def test_it_creates_a_plan_whose_phase_switch_applies_at_once(tenant_a, client):
    continuum = tenant_a.continuum
    today = today_in(continuum)
    client.force_login(tenant_a["coc_admin"])
    response = client.post(url(tenant_a, "rollout/new/"), {"name": "New forms", "is_active": "on"})
    plan = RolloutPlan.objects.get(continuum=continuum, name="New forms")
    assert response["Location"] == url(tenant_a, f"rollout/{plan.pk}/edit/")
    assert request_submission_closed_reason(continuum) is None
    response = client.post(
        url(tenant_a, f"rollout/{plan.pk}/phases/new/"),
        {
            "name": "Training period",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=10)).isoformat(),
            "switch_request_forms": "off",
            "switch_legacy_request_forms": "",
        },
    )
    assert response.status_code == 302
    phase = RolloutPhase.objects.get(plan=plan)
    assert phase.switches == {"request_forms": False}
    assert "Training period" in request_submission_closed_reason(continuum)
    event = AuditEvent.objects.get(action="rollout.phase_created")
    assert event.after["switches"] == {"request_forms": False}


def test_it_refuses_phases_out_of_order_with_a_clear_message(tenant_a, client):
    plan = make_plan(tenant_a.continuum)
    make_phase(plan, "ATA trainings", dt.date(2025, 12, 1), dt.date(2025, 12, 19))
    last = make_phase(plan, "Implementation", dt.date(2026, 1, 26))
    client.force_login(tenant_a["coc_admin"])
    new_phase = url(tenant_a, f"rollout/{plan.pk}/phases/new/")
    response = client.post(new_phase, {"name": "Overlap", "starts_on": "2025-12-10", "ends_on": "2025-12-31"})
    assert response.status_code == 400
    assert "“Overlap” would start on December 10, 2025, before “ATA trainings” ends on December 19, 2025" in (
        response.content.decode()
    )
    response = client.post(new_phase, {"name": "After the end", "starts_on": "2026-03-01"})
    assert response.status_code == 400
    assert "“Implementation” has no end date, so it must be the last phase" in response.content.decode()
    response = client.post(
        new_phase, {"name": "Backwards", "starts_on": "2026-01-10", "ends_on": "2026-01-05"}
    )
    assert response.status_code == 400 and "cannot end before it starts" in response.content.decode()
    # The handover day may be shared.
    response = client.post(
        new_phase, {"name": "Transition", "starts_on": "2025-12-19", "ends_on": "2026-01-26"}
    )
    assert response.status_code == 302
    assert list(plan.phases.values_list("name", flat=True)) == [
        "ATA trainings",
        "Transition",
        "Implementation",
    ]
    response = client.post(url(tenant_a, f"rollout/{plan.pk}/phases/{last.pk}/"), {"action": "delete"})
    assert response.status_code == 302
    assert not RolloutPhase.objects.filter(pk=last.pk).exists()
    assert AuditEvent.objects.get(action="rollout.phase_deleted").before["name"] == "Implementation"


def test_it_validates_obligation_dates_and_keeps_met_obligations(tenant_a, client):
    plan = make_plan(tenant_a.continuum)
    client.force_login(tenant_a["coc_admin"])
    form = {
        "title": "Complete the LMS course",
        "role": "ata",
        "available_from": "2026-01-10",
        "due_on": "2026-01-05",
        "consequence": "Subject to removal of access",
        "accepted_sources": ["lms_course"],
    }
    response = client.post(url(tenant_a, f"rollout/{plan.pk}/obligations/new/"), form)
    assert response.status_code == 400
    assert "deadline cannot come before" in response.content.decode()
    assert not RolloutObligation.objects.filter(plan=plan).exists()
    response = client.post(
        url(tenant_a, f"rollout/{plan.pk}/obligations/new/"), {**form, "due_on": "2026-02-01"}
    )
    assert response.status_code == 302
    obligation = RolloutObligation.objects.get(plan=plan)
    assert obligation.accepted_sources == ["lms_course"] and obligation.due_on == dt.date(2026, 2, 1)

    rollout_services.obligation_completion_record(
        obligation=obligation,
        person=tenant_a["ata"],
        actor=tenant_a["help_desk"],
        completed_on=dt.date(2026, 1, 12),
        source="lms_course",
    )
    edit = url(tenant_a, f"rollout/{plan.pk}/obligations/{obligation.pk}/")
    response = client.post(edit, {**form, "due_on": "2026-02-01", "role": "agency_supervisor"})
    assert response.status_code == 400 and "cannot change" in response.content.decode()
    response = client.post(edit, {"action": "delete"}, follow=True)
    assert "Completions are recorded" in response.content.decode()
    assert RolloutObligation.objects.filter(pk=obligation.pk).exists()


def test_it_keeps_rollout_configuration_to_coc_administrators(tenant_a, tenant_b, client):
    plan = make_plan(tenant_a.continuum)
    obligation = make_obligation(plan, due_on=dt.date(2026, 1, 5))
    with pytest.raises(PermissionDenied):
        rollout_services.rollout_plan_save(
            continuum=tenant_a.continuum, actor=tenant_a["help_desk"], plan=plan, name="Renamed"
        )
    client.force_login(tenant_a["help_desk"])  # records completions, but does not configure plans
    assert client.get(url(tenant_a, f"rollout/{plan.pk}/edit/")).status_code == 403
    assert client.post(url(tenant_a, "rollout/new/"), {"name": "Sneaky"}).status_code == 403
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url(tenant_b, f"rollout/{plan.pk}/edit/")).status_code == 404
    assert client.get(url(tenant_b, f"rollout/{plan.pk}/obligations/{obligation.pk}/")).status_code == 404
    other = make_plan(tenant_b.continuum, name="B's plan")
    client.force_login(tenant_b["coc_admin"])
    # An obligation of one plan is not reachable through another plan's address.
    assert client.get(url(tenant_b, f"rollout/{other.pk}/obligations/{obligation.pk}/")).status_code == 404
    assert not RolloutPlan.objects.filter(name="Sneaky").exists()


# --- Configuration history ----------------------------------------------------------------------------------
def test_it_records_every_configuration_page_s_change_in_the_history(chicago, client):
    continuum, admin = chicago.continuum, chicago["coc_admin"]
    sla = access_configuration.policy_for(continuum).sla_business_days
    access_configuration.request_policy_update(continuum=continuum, actor=admin, sla_business_days=sla + 2)
    kernel_services.holiday_add(
        continuum=continuum, actor=admin, day=dt.date(2026, 12, 24), name="Christmas Eve"
    )
    plan = rollout_services.rollout_plan_save(continuum=continuum, actor=admin, name="Go-live")
    rollout_services.rollout_plan_save(continuum=continuum, actor=admin, plan=plan, summary="Forms change")
    configuration.course_save(
        continuum=continuum,
        actor=admin,
        course=course(chicago, "es-th-sh"),
        hud_project_types=[0, 1, 2, 8, 11],
    )
    client.force_login(admin)
    body = client.get(url(chicago, "configuration/history/")).content.decode()
    for text in (
        "Access-request pathway: Request policy changed",
        "Business calendar and reminders: Holiday added",
        "Rollout plans: Plan changed — Go-live",
        "Course catalog: Course changed",
        "Christmas Eve",
        "Forms change",
    ):
        assert text in body, text
    assert f"<del>{sla}</del>" in body and f"<ins>{sla + 2}</ins>" in body
    assert "Added: 11" in body  # a list setting shows what was added
    # Narrowed to one area.
    body = client.get(url(chicago, "configuration/history/?area=rollout")).content.decode()
    assert "Go-live" in body and "Request policy changed" not in body
    # Sign-ins and other non-configuration events are not configuration changes.
    assert "login.succeeded" not in config_actions()


def test_it_shows_the_history_to_auditors_and_refuses_agency_roles(chicago, client):
    access_configuration.request_policy_update(
        continuum=chicago.continuum, actor=chicago["coc_admin"], sla_business_days=9
    )
    client.force_login(chicago["auditor"])
    response = client.get(url(chicago, "configuration/history/"))
    assert response.status_code == 200 and "Request policy changed" in response.content.decode()
    assert "Open the settings" not in response.content.decode()  # auditors read; they do not edit
    for role in ("ata", "ce_team", "agency_user"):
        client.force_login(chicago[role])
        assert client.get(url(chicago, "configuration/history/")).status_code == 403


def test_it_diffs_snapshots_field_by_field():
    changes = diff({"a": 1, "tags": ["x", "y"], "same": True}, {"a": 2, "tags": ["y", "z"], "same": True})
    assert [(c.field, c.before, c.after) for c in changes] == [("a", 1, 2), ("tags", ["x", "y"], ["y", "z"])]
    assert changes[1].added == ("z",) and changes[1].removed == ("x",)
    assert changes[1].before_text == "x, y"
    created = diff({}, {"name": "Go-live", "is_active": True})
    assert [(c.field, c.before_text, c.after_text) for c in created] == [
        ("is_active", "", "Yes"),
        ("name", "", "Go-live"),
    ]


def test_it_restores_a_simple_setting_as_a_new_version(chicago, client):
    continuum, admin = chicago.continuum, chicago["coc_admin"]
    sla = access_configuration.policy_for(continuum).sla_business_days
    access_configuration.request_policy_update(continuum=continuum, actor=admin, sla_business_days=sla + 4)
    change = AuditEvent.objects.filter(action="request_policy.changed").latest("id")
    client.force_login(chicago["auditor"])  # reads the history, restores nothing
    assert client.post(url(chicago, f"configuration/history/{change.pk}/restore/")).status_code == 403
    client.force_login(admin)
    assert (
        "Restore the values before this change"
        in client.get(url(chicago, "configuration/history/")).content.decode()
    )
    response = client.post(url(chicago, f"configuration/history/{change.pk}/restore/"), follow=True)
    body = response.content.decode()
    assert "Restored: sla business days." in body
    assert access_configuration.policy_for(continuum).sla_business_days == sla
    restore = AuditEvent.objects.filter(action="request_policy.changed").latest("id")
    assert restore.pk != change.pk
    assert (restore.before["sla_business_days"], restore.after["sla_business_days"]) == (sla + 4, sla)
    # A change that is not a simple setting (a new plan) has nothing to restore in one step.
    plan = rollout_services.rollout_plan_save(continuum=continuum, actor=admin, name="Go-live")
    created = AuditEvent.objects.filter(action="rollout.plan_created").latest("id")
    response = client.post(url(chicago, f"configuration/history/{created.pk}/restore/"), follow=True)
    assert "cannot be restored in one step" in response.content.decode()
    assert RolloutPlan.objects.filter(pk=plan.pk).exists()


def test_it_refuses_a_second_course_with_the_same_lms_id_on_the_form(chicago, client):
    intro = course(chicago, "intro-to-hmis")
    assert intro.lms_course_id
    client.force_login(chicago["coc_admin"])
    response = client.post(
        url(chicago, "training/catalog/courses/new/"),
        {
            "code": "intro-copy",
            "name": "Intro copy",
            "kind": "self_paced",
            "category": "foundation",
            "applies_to": "everyone",
            "position": 1,
            "lms_course_id": intro.lms_course_id,
        },
    )
    assert response.status_code == 400
    assert "“Introduction to HMIS” already uses this LMS course id." in response.content.decode()
    assert not Course.objects.filter(code="intro-copy").exists()
