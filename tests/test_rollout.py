"""Rollout plans: switches decided by phases (and the access-request submission check), standings
per ATA, recording completions, the staff pages and the ATA's home panel — scoped to the CoC, staff
only, and refused to other tenants and roles."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from access_requests.models import RequestStatus
from hmis_onboarding.models import AuditEvent
from rollout.gates import request_submission_closed_reason
from rollout.models import ObligationCompletion, RolloutPlan, Switch
from rollout.selectors import Standing, obligation_reports, switch_state
from rollout.services import obligation_completion_record

from .rollout_helpers import complete, make_obligation, make_phase, make_plan
from .test_access_requests import chicago, draft  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

# Wednesday 21 January 2026, in the transition period of Chicago's rollout.
TODAY = dt.datetime(2026, 1, 21, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(tenant_a, clock):
    plan = make_plan(tenant_a.continuum, summary="New forms replace the old ones.")
    make_phase(
        plan,
        "ATA trainings",
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 19),
        **{Switch.REQUEST_FORMS: False, Switch.LEGACY_REQUEST_FORMS: True},
    )
    make_phase(plan, "Transition period", dt.date(2026, 1, 9), dt.date(2026, 1, 23))
    make_phase(
        plan,
        "Implementation",
        dt.date(2026, 1, 26),
        **{Switch.REQUEST_FORMS: True, Switch.LEGACY_REQUEST_FORMS: False},
    )
    return plan


@pytest.fixture
def overdue_obligation(plan):
    return make_obligation(plan, due_on=dt.date(2026, 1, 5), available_from=dt.date(2025, 12, 19))


@pytest.fixture
def upcoming_obligation(plan):
    # Two business days after Wednesday 21 January: inside the 7-day window, so at risk.
    return make_obligation(plan, title="Confirm your agency's active users", due_on=dt.date(2026, 1, 23))


# --- Switches and the submission check ----------------------------------------------------------


def test_it_decides_each_switch_by_the_latest_started_phase(tenant_a, plan):
    continuum = tenant_a.continuum
    assert switch_state(continuum, Switch.REQUEST_FORMS, dt.date(2025, 11, 30)) == (True, None)  # default
    on, phase = switch_state(continuum, Switch.REQUEST_FORMS, dt.date(2026, 1, 21))
    assert not on and phase.name == "ATA trainings"  # the transition phase sets nothing
    on, phase = switch_state(continuum, Switch.REQUEST_FORMS, dt.date(2026, 1, 26))
    assert on and phase.name == "Implementation"
    assert switch_state(continuum, Switch.LEGACY_REQUEST_FORMS, dt.date(2026, 1, 26))[0] is False
    plan.is_active = False
    plan.save()
    assert switch_state(continuum, Switch.REQUEST_FORMS, dt.date(2026, 1, 21)) == (True, None)


def test_it_says_when_the_new_forms_open(tenant_a, plan):
    reason = request_submission_closed_reason(tenant_a.continuum, dt.date(2026, 1, 21))
    assert reason == (
        "The new access request forms are not open during “ATA trainings” (2026 HMIS Access Request "
        "Process). They open on January 26, 2026."
    )
    assert request_submission_closed_reason(tenant_a.continuum, dt.date(2026, 1, 26)) is None


def test_it_refuses_access_request_submission_while_the_forms_are_switched_off(chicago, plan, clock):  # noqa: F811
    from access_requests import services

    req = draft(chicago)
    with pytest.raises(ValidationError) as refusal:
        services.access_request_submit(access_request=req, actor=chicago["ata"])
    assert "They open on January 26, 2026." in " ".join(refusal.value.messages)
    req.refresh_from_db()
    assert req.status == RequestStatus.DRAFT
    clock.move_to(dt.datetime(2026, 1, 26, 15, 0, tzinfo=dt.UTC))
    assert services.access_request_submit(access_request=req, actor=chicago["ata"]).status == "submitted"


def test_it_warns_the_ata_on_the_new_request_page_while_the_forms_are_closed(chicago, plan, login):  # noqa: F811
    html = login(chicago["ata"]).get("/alpha/requests/new/").content.decode()
    assert "They open on January 26, 2026. You can prepare drafts now and submit them then." in html


def test_it_does_not_let_another_tenants_plan_close_the_forms(tenant_b, plan):
    assert request_submission_closed_reason(tenant_b.continuum, dt.date(2026, 1, 21)) is None


# --- Standings ------------------------------------------------------------------------------------


def test_it_reports_each_ata_as_compliant_at_risk_overdue_or_not_yet_due(
    tenant_a, plan, overdue_obligation, upcoming_obligation
):
    far = make_obligation(plan, title="Later course", due_on=dt.date(2026, 3, 31))
    complete(overdue_obligation, tenant_a["ata"], tenant_a["help_desk"], on=dt.date(2025, 12, 10))
    reports = {r.obligation.pk: r for r in obligation_reports(plan=plan, today=dt.date(2026, 1, 21))}
    overdue = {row.person.pk: row.standing for row in reports[overdue_obligation.pk].rows}
    assert overdue == {tenant_a["ata"].pk: Standing.COMPLIANT, tenant_a["other_ata"].pk: Standing.OVERDUE}
    # Worst first.
    assert reports[overdue_obligation.pk].rows[0].person == tenant_a["other_ata"]
    assert {row.standing for row in reports[upcoming_obligation.pk].rows} == {Standing.AT_RISK}
    assert {row.standing for row in reports[far.pk].rows} == {Standing.ON_TRACK}
    assert reports[overdue_obligation.pk].counts == {
        "compliant": 1,
        "on_track": 0,
        "at_risk": 0,
        "overdue": 1,
    }


# --- Recording completions ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["help_desk", "coc_admin"])
def test_it_records_a_completion_with_its_source_and_audits_it(tenant_a, overdue_obligation, role):
    completion = obligation_completion_record(
        obligation=overdue_obligation,
        person=tenant_a["ata"],
        actor=tenant_a[role],
        completed_on=dt.date(2026, 1, 2),
        source="lms_course",
        note="TalentLMS report",
    )
    assert completion.recorded_by == tenant_a[role]
    event = AuditEvent.objects.get(action="rollout.obligation_completed")
    assert event.after == {"completed_on": "2026-01-02", "source": "lms_course", "note": "TalentLMS report"}
    # Recording again corrects the same row.
    obligation_completion_record(
        obligation=overdue_obligation,
        person=tenant_a["ata"],
        actor=tenant_a[role],
        completed_on=dt.date(2025, 12, 10),
        source="live_training",
    )
    assert ObligationCompletion.objects.get().source == "live_training"


@pytest.mark.parametrize("role", ["ata", "ce_team", "auditor", "agency_supervisor"])
def test_it_refuses_recording_to_other_roles(tenant_a, overdue_obligation, role):
    with pytest.raises(PermissionDenied):
        obligation_completion_record(
            obligation=overdue_obligation,
            person=tenant_a["ata"],
            actor=tenant_a[role],
            completed_on=dt.date(2026, 1, 2),
            source="lms_course",
        )


@pytest.mark.parametrize(
    "person_key, completed_on, source, message",
    [
        ("agency_user", dt.date(2026, 1, 2), "lms_course", "does not hold the role"),
        ("ata", dt.date(2026, 2, 2), "lms_course", "cannot be in the future"),
        ("ata", dt.date(2026, 1, 2), "recording", "Choose how the obligation was met"),
    ],
)
def test_it_refuses_bad_completions(tenant_a, overdue_obligation, person_key, completed_on, source, message):
    with pytest.raises(ValidationError, match=message):
        obligation_completion_record(
            obligation=overdue_obligation,
            person=tenant_a[person_key],
            actor=tenant_a["help_desk"],
            completed_on=completed_on,
            source=source,
        )
    assert not ObligationCompletion.objects.exists()


# --- Pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["help_desk", "coc_admin", "ce_team", "auditor", "implementation_team"])
def test_it_shows_the_plan_with_every_atas_standing_to_coc_staff(
    tenant_a, tenant_b, plan, overdue_obligation, upcoming_obligation, login, role
):
    make_plan(tenant_b.continuum, name="Beta secret plan")
    client = login(tenant_a[role])
    listing = client.get("/alpha/rollout/").content.decode()
    assert listing.count("<h1") == 1 and "2026 HMIS Access Request Process" in listing
    assert "Beta secret plan" not in listing
    assert "No phase: the default" not in listing  # the request forms are decided by a phase
    html = client.get(f"/alpha/rollout/{plan.pk}/").content.decode()
    assert html.count("<h1") == 1
    for text in ("ATA trainings", "Transition period", "Implementation", "Jan 26, 2026"):
        assert text in html
    assert "New access request forms accept submissions: <strong>off</strong>" in html
    assert tenant_a["other_ata"].email in html and tenant_a["ata"].email in html
    assert "Subject to removal of access" in html  # the overdue flag
    assert "At risk" in html and "Overdue" in html
    can_record = role in ("help_desk", "coc_admin")
    assert ("Record completion" in html) is can_record


def test_it_filters_the_plan_by_standing(tenant_a, plan, overdue_obligation, login):
    complete(overdue_obligation, tenant_a["ata"], tenant_a["help_desk"], on=dt.date(2025, 12, 10))
    client = login(tenant_a["help_desk"])
    html = client.get(f"/alpha/rollout/{plan.pk}/?standing=overdue").content.decode()
    assert tenant_a["other_ata"].email in html and tenant_a["ata"].email not in html
    assert client.get(f"/alpha/rollout/{plan.pk}/?standing=nonsense").status_code == 200


def test_it_records_a_completion_from_the_page(tenant_a, plan, overdue_obligation, login):
    client = login(tenant_a["help_desk"])
    url = f"/alpha/rollout/obligations/{overdue_obligation.pk}/completions/"
    response = client.post(
        url,
        {
            "person": tenant_a["other_ata"].pk,
            "completed_on": "2026-01-04",
            "source": "lms_course",
            "note": "LMS",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/alpha/rollout/{plan.pk}/#obligation-{overdue_obligation.pk}"
    assert ObligationCompletion.objects.get().person == tenant_a["other_ata"]
    # Bad input is a message on the form, not a 500 and not a row.
    bad = client.post(
        url, {"person": tenant_a["ata"].pk, "completed_on": "2027-01-01", "source": "lms_course"}
    )
    assert bad.status_code == 400 and "cannot be in the future" in bad.content.decode()
    nobody = client.post(url, {"person": tenant_a["agency_user"].pk, "completed_on": "2026-01-04"})
    assert nobody.status_code == 400
    assert ObligationCompletion.objects.count() == 1


@pytest.mark.parametrize("role", ["ata", "agency_supervisor", "agency_user", "executive_director"])
def test_it_refuses_the_plan_pages_to_agency_roles(tenant_a, plan, overdue_obligation, login, role):
    client = login(tenant_a[role])
    assert client.get("/alpha/rollout/").status_code == 403
    assert client.get(f"/alpha/rollout/{plan.pk}/").status_code == 403
    post = client.post(f"/alpha/rollout/obligations/{overdue_obligation.pk}/completions/", {})
    assert post.status_code == 403


@pytest.mark.parametrize("role", ["ce_team", "auditor"])
def test_it_refuses_recording_to_staff_who_only_read(tenant_a, overdue_obligation, login, role):
    client = login(tenant_a[role])
    assert (
        client.post(f"/alpha/rollout/obligations/{overdue_obligation.pk}/completions/", {}).status_code == 403
    )


def test_it_hides_another_tenants_plans(tenant_a, tenant_b, plan, overdue_obligation, login):
    client = login(tenant_b["help_desk"])
    assert client.get(f"/beta/rollout/{plan.pk}/").status_code == 404
    url = f"/beta/rollout/obligations/{overdue_obligation.pk}/completions/"
    assert client.post(url, {"person": tenant_a["ata"].pk}).status_code == 404
    # And members of B cannot reach A's pages at all.
    assert client.get("/alpha/rollout/").status_code == 404
    assert not ObligationCompletion.objects.exists()


# --- The ATA's home panel -------------------------------------------------------------------------


def test_it_shows_the_ata_their_own_obligations_on_the_home_page(
    tenant_a, plan, overdue_obligation, upcoming_obligation, login
):
    complete(upcoming_obligation, tenant_a["ata"], tenant_a["help_desk"], on=dt.date(2026, 1, 20))
    html = login(tenant_a["ata"]).get("/alpha/").content.decode()
    assert "Your rollout deadlines" in html
    assert "LMS course “HMIS Access Process”" in html
    assert "Subject to removal of access: contact the Help Desk." in html
    assert "Recorded Jan 20: Completed the LMS course" in html


def test_it_shows_no_rollout_panel_to_people_without_obligations(
    tenant_a, tenant_b, plan, overdue_obligation, login
):
    assert "Your rollout deadlines" not in login(tenant_a["agency_user"]).get("/alpha/").content.decode()
    assert "Your rollout deadlines" not in login(tenant_b["ata"]).get("/beta/").content.decode()


# --- Demo data ------------------------------------------------------------------------------------


def test_it_seeds_chicagos_real_plan_and_current_demo_plans(db):
    call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())  # idempotent
    chicago_plan = RolloutPlan.objects.get(continuum__slug="chicago", name="2026 HMIS Access Request Process")
    assert [(p.name, p.starts_on) for p in chicago_plan.phases.all()] == [
        ("ATA trainings", dt.date(2025, 12, 1)),
        ("LMS course available", dt.date(2025, 12, 19)),
        ("Transition period", dt.date(2026, 1, 9)),
        ("Implementation", dt.date(2026, 1, 26)),
    ]
    obligation = chicago_plan.obligations.get()
    assert (obligation.available_from, obligation.due_on) == (dt.date(2025, 12, 19), dt.date(2026, 1, 5))
    assert obligation.lms_course_name == "HMIS Access Process"
    assert RolloutPlan.objects.filter(continuum__slug="chicago").count() == 2
    assert RolloutPlan.objects.filter(continuum__slug="los-angeles").count() == 1
    standings = {
        row.standing
        for plan in RolloutPlan.objects.filter(continuum__slug="chicago")
        for report in obligation_reports(plan=plan)
        for row in report.rows
    }
    assert {Standing.COMPLIANT, Standing.AT_RISK, Standing.OVERDUE} <= standings
