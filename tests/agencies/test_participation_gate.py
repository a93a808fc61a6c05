"""The participation gate: which agencies may file access requests, and the reasons an ATA can act on."""

from __future__ import annotations

import datetime

import pytest

from agencies.models import HmisProject
from agencies.participation import (
    AgencyNotEligible,
    Standing,
    agency_can_submit_access_requests,
    agency_standings,
    ensure_agency_can_submit_access_requests,
    today_in,
)

from .helpers import make_agreement, make_type, make_version

pytestmark = pytest.mark.django_db


def codes(eligibility):
    return [r.code for r in eligibility.reasons]


def test_it_refuses_an_agency_without_any_signed_apa_and_says_who_must_sign(tenant_a, apa_a):
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert not result.allowed
    assert codes(result) == ["agreement_missing"]
    reason = result.reasons[0]
    assert "Agency Participation Agreement (APA)" in reason.message
    assert "executive director" in reason.who_must_act.lower()
    assert tenant_a.agency.name in reason.who_must_act


def test_it_raises_the_reason_from_the_guard(tenant_a, apa_a):
    with pytest.raises(AgencyNotEligible) as excinfo:
        ensure_agency_can_submit_access_requests(tenant_a.agency)
    assert "There is no signed Agency Participation Agreement" in str(excinfo.value)
    assert excinfo.value.eligibility.reasons[0].code == "agreement_missing"


def test_it_requires_the_countersignature_before_the_agency_may_file(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"])
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert codes(result) == ["awaiting_countersignature"]
    assert "Help Desk" in result.reasons[0].who_must_act or "administrator" in result.reasons[0].who_must_act


def test_it_allows_an_agency_with_a_current_fully_executed_apa(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    result = ensure_agency_can_submit_access_requests(tenant_a.agency)
    assert result.allowed and result.reasons == () and result.warnings == ()


def test_it_refuses_once_the_apa_has_expired_even_before_the_sweep_runs(tenant_a, apa_a):
    agreement = make_agreement(
        tenant_a.agency,
        apa_a,
        state="current",
        submitted_by=tenant_a["executive_director"],
        expires_in_days=0,
    )
    today = today_in(tenant_a.continuum)
    assert agency_can_submit_access_requests(tenant_a.agency, on=today).allowed
    tomorrow = today + datetime.timedelta(days=1)
    result = agency_can_submit_access_requests(tenant_a.agency, on=tomorrow)
    assert codes(result) == ["agreement_expired"]
    assert f"{agreement.expires_on:%B}" in result.reasons[0].message


def test_it_warns_when_the_apa_expires_within_the_warning_window(tenant_a, apa_a):
    make_agreement(
        tenant_a.agency,
        apa_a,
        state="current",
        submitted_by=tenant_a["executive_director"],
        expires_in_days=30,
    )
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert result.allowed
    assert [w.code for w in result.warnings] == ["agreement_expiring"]
    [standing] = agency_standings(tenant_a.agency)
    assert standing.state == Standing.EXPIRING


def test_it_does_not_warn_outside_the_window(tenant_a, apa_a):
    make_agreement(
        tenant_a.agency,
        apa_a,
        state="current",
        submitted_by=tenant_a["executive_director"],
        expires_in_days=31,
    )
    assert agency_can_submit_access_requests(tenant_a.agency).warnings == ()


def test_it_requires_re_signing_when_a_new_version_demands_it(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    make_version(apa_a, number=2, requires_resign=True, published_days_ago=1)
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert codes(result) == ["agreement_resign_required"]
    assert "version v2" in result.reasons[0].message


def test_it_keeps_the_old_version_counting_until_the_re_sign_deadline_with_a_warning(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    today = today_in(tenant_a.continuum)
    make_version(apa_a, number=2, requires_resign=True, resign_by=today + datetime.timedelta(days=10))
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert result.allowed
    assert "must be signed by" in result.warnings[0].message
    after = agency_can_submit_access_requests(tenant_a.agency, on=today + datetime.timedelta(days=11))
    assert codes(after) == ["agreement_resign_required"]


def test_it_does_not_require_re_signing_for_a_version_that_does_not_ask_for_it(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    make_version(apa_a, number=2, requires_resign=False)
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_reports_a_returned_agreement_with_the_cocs_reason(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="returned", submitted_by=tenant_a["executive_director"])
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert codes(result) == ["agreement_returned"]
    assert "Illegible scan" in result.reasons[0].message


def test_it_refuses_an_agency_not_in_the_hmis(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    tenant_a.agency.hmis_participating = False
    tenant_a.agency.save()
    assert codes(agency_can_submit_access_requests(tenant_a.agency)) == ["not_hmis_participating"]


def test_it_sends_victim_service_providers_to_the_separate_ce_process(tenant_a, apa_a):
    tenant_a.continuum.vsp_ce_contact_email = "dv-ces@example.org"
    tenant_a.continuum.save()
    tenant_a.agency.victim_service_provider = True
    tenant_a.agency.save()
    result = agency_can_submit_access_requests(tenant_a.agency)
    assert codes(result) == ["victim_service_provider"]
    assert "dv-ces@example.org" in result.reasons[0].message


def test_it_lists_every_missing_agreement(tenant_a, apa_a):
    other = make_type(
        tenant_a.continuum,
        code="privacy",
        name="Privacy Addendum",
        short_name="Privacy",
        gates=["submit_access_requests"],
    )
    make_version(other)
    assert codes(agency_can_submit_access_requests(tenant_a.agency)) == [
        "agreement_missing",
        "agreement_missing",
    ]


def test_it_ignores_agreements_that_gate_something_else(tenant_a, apa_a):
    host = make_type(
        tenant_a.continuum, code="hrs", name="HRS Host Agreement", short_name="HRS", gates=["host_hrs"]
    )
    make_version(host)
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_enforces_la_step_2_before_step_3(tenant_a, apa_a):
    """LA: the Organization Agreement (step 1) and a confirmed setup (step 2) come before access (step 3)."""
    tenant_a.continuum.access_requires_program_setup = True
    tenant_a.continuum.save()
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    assert codes(agency_can_submit_access_requests(tenant_a.agency)) == ["program_setup_missing"]
    project = HmisProject.objects.create(
        continuum=tenant_a.continuum,
        agency=tenant_a.agency,
        name="Access Center",
        hud_project_type=6,
        ces_program_type="access_center",
    )
    assert not agency_can_submit_access_requests(tenant_a.agency).allowed
    project.setup_confirmed_at = project.created_at
    project.save()
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_counts_permanent_housing_programs_as_needing_no_setup(tenant_a, apa_a):
    tenant_a.continuum.access_requires_program_setup = True
    tenant_a.continuum.save()
    make_agreement(tenant_a.agency, apa_a, state="current", submitted_by=tenant_a["executive_director"])
    HmisProject.objects.create(
        continuum=tenant_a.continuum,
        agency=tenant_a.agency,
        name="PSH",
        hud_project_type=3,
        ces_program_type="permanent_housing",
    )
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_does_not_count_another_agencys_agreement(tenant_a, apa_a):
    make_agreement(tenant_a.other_agency, apa_a, state="current", submitted_by=tenant_a["other_ata"])
    assert not agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_lets_an_inactive_agreement_type_stop_gating(tenant_a, apa_a):
    apa_a.is_active = False
    apa_a.save()
    assert agency_can_submit_access_requests(tenant_a.agency).allowed
