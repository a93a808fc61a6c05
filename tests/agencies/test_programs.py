"""HMIS programs and LA's program setup / modification requests (seed 004 step 2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from agencies import services
from agencies.models import HmisProject, HudProjectType, ProgramSetupRequest, ProgramSetupStatus
from agencies.participation import agency_can_submit_access_requests

from .helpers import make_agreement

pytestmark = pytest.mark.django_db


def url(tenant, path=""):
    return f"/{tenant.continuum.slug}/{path}"


def test_it_knows_the_hud_project_type_codes():
    codes = {c.value: c.label for c in HudProjectType}
    assert codes[0].startswith("Emergency Shelter") and codes[1].endswith("Night-by-Night")
    assert {2, 3, 4, 6, 8, 11, 12, 13, 14} <= set(codes)


def test_it_lets_the_implementation_team_add_a_program_with_funding_flags(tenant_a, login):
    client = login(tenant_a["implementation_team"])
    response = client.post(
        url(tenant_a, f"agencies/{tenant_a.agency.pk}/programs/new/"),
        {"name": "Street Outreach", "hud_project_type": "4", "funded_path": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    project = HmisProject.objects.get()
    assert project.funding_labels == ["PATH"] and project.continuum == tenant_a.continuum
    response = client.post(
        url(tenant_a, f"programs/{project.pk}/edit/"),
        {
            "name": "Street Outreach",
            "hud_project_type": "4",
            "funded_path": "on",
            "funded_esg": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.funding_labels == ["PATH", "ESG"]


def test_it_lists_and_filters_programs_for_staff(tenant_a, login):
    HmisProject.objects.create(
        continuum=tenant_a.continuum,
        agency=tenant_a.agency,
        name="SSVF RRH",
        hud_project_type=13,
        funded_ssvf=True,
    )
    HmisProject.objects.create(
        continuum=tenant_a.continuum, agency=tenant_a.agency, name="Night Shelter", hud_project_type=1
    )
    client = login(tenant_a["auditor"])
    page = client.get(url(tenant_a, "programs/"), {"funding": "funded_ssvf"}).content.decode()
    assert "SSVF RRH" in page and "Night Shelter" not in page
    page = client.get(url(tenant_a, "programs/"), {"hud_project_type": "1"}).content.decode()
    assert "Night Shelter" in page and "SSVF RRH" not in page


@pytest.mark.parametrize("role", ["help_desk", "ce_team", "ata", "executive_director", "auditor"])
def test_it_refuses_program_changes_to_other_roles(tenant_a, login, role):
    project = HmisProject.objects.create(
        continuum=tenant_a.continuum, agency=tenant_a.agency, name="P", hud_project_type=0
    )
    client = login(tenant_a[role])
    assert client.get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/programs/new/")).status_code == 403
    assert client.post(url(tenant_a, f"programs/{project.pk}/edit/"), {"name": "Q"}).status_code == 403


def test_it_hides_programs_from_another_tenant(tenant_a, tenant_b, login):
    project = HmisProject.objects.create(
        continuum=tenant_a.continuum, agency=tenant_a.agency, name="P", hud_project_type=0
    )
    client = login(tenant_b["implementation_team"])
    assert client.get(url(tenant_b, f"programs/{project.pk}/edit/")).status_code == 404
    assert client.get(url(tenant_b, f"agencies/{tenant_a.agency.pk}/programs/new/")).status_code == 404


# --- Program setup (LA) ----------------------------------------------------------------------------------


@pytest.fixture
def la(tenant_a, apa_a):
    tenant_a.continuum.access_requires_program_setup = True
    tenant_a.continuum.save()
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    return tenant_a


def test_it_runs_the_setup_flow_and_then_opens_the_gate(la, login):
    assert [r.code for r in agency_can_submit_access_requests(la.agency).reasons] == ["program_setup_missing"]
    manager = login(la["agency_supervisor"])
    response = manager.post(
        url(la, f"agencies/{la.agency.pk}/program-setup/new/"),
        {
            "kind": "new",
            "ces_roles": ["assessment_only", "housing_navigation"],
            "program_types": ["access_center"],
            "programs_description": "Our access center on Main Street",
        },
    )
    setup = ProgramSetupRequest.objects.get()
    assert response.status_code == 302 and setup.status == ProgramSetupStatus.SUBMITTED

    team = login(la["implementation_team"])
    assert team.post(url(la, f"program-setup/{setup.pk}/start/")).status_code == 302
    team.post(
        url(la, f"agencies/{la.agency.pk}/programs/new/"),
        {
            "name": "Main Street Access Center",
            "hud_project_type": "6",
            "ces_program_type": "access_center",
            "is_active": "on",
        },
    )
    project = HmisProject.objects.get()
    response = team.post(
        url(la, f"program-setup/{setup.pk}/complete/"), {"projects": [project.pk], "note": "Done"}
    )
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.status == ProgramSetupStatus.AWAITING_CONFIRMATION
    assert not agency_can_submit_access_requests(la.agency).allowed  # not until the manager confirms

    manager = login(la["ata"])
    assert manager.post(url(la, f"program-setup/{setup.pk}/confirm/")).status_code == 302
    setup.refresh_from_db()
    la.agency.refresh_from_db()
    assert setup.status == ProgramSetupStatus.CONFIRMED
    assert la.agency.ces_roles == ["assessment_only", "housing_navigation"]
    assert agency_can_submit_access_requests(la.agency).allowed
    # The public participation list shows the CES status: the roles and the confirmed setup.
    public = Client().get(f"/p/{la.continuum.slug}/participation/").content.decode()
    row = public.split(f'<th scope="row">{la.agency.name}</th>')[1].split("</tr>")[0]
    assert "Assessment Only, Housing Navigation / Case Management" in row and "Programs set up" in row


def test_it_lets_the_program_manager_send_the_setup_back(la):
    project = HmisProject.objects.create(
        continuum=la.continuum, agency=la.agency, name="O", hud_project_type=4, ces_program_type="outreach"
    )
    setup = services.program_setup_request_file(
        agency=la.agency,
        actor=la["ata"],
        kind="modification",
        ces_roles=["housing_navigation"],
        program_types=["outreach"],
        programs_description="Outreach to CES",
        projects=[project],
    )
    services.program_setup_complete(setup_request=setup, actor=la["implementation_team"], projects=[project])
    with pytest.raises(ValidationError):
        services.program_setup_report_problem(setup_request=setup, actor=la["ata"], note="")
    back = services.program_setup_report_problem(setup_request=setup, actor=la["ata"], note="Wrong services")
    assert back.status == ProgramSetupStatus.IN_PROGRESS and back.problem_note == "Wrong services"


def test_it_refuses_permanent_housing_in_a_setup_request(la):
    with pytest.raises(ValidationError):
        services.program_setup_request_file(
            agency=la.agency,
            actor=la["ata"],
            kind="new",
            ces_roles=["housing_provider"],
            program_types=["permanent_housing"],
            programs_description="PSH",
        )
    ph = HmisProject.objects.create(
        continuum=la.continuum,
        agency=la.agency,
        name="PSH",
        hud_project_type=3,
        ces_program_type="permanent_housing",
    )
    with pytest.raises(ValidationError, match="need no setup"):
        services.program_setup_request_file(
            agency=la.agency,
            actor=la["ata"],
            kind="modification",
            ces_roles=["housing_provider"],
            program_types=["outreach"],
            programs_description="x",
            projects=[ph],
        )


def test_it_shows_form_errors_for_an_empty_setup_request(la, login):
    response = login(la["ata"]).post(url(la, f"agencies/{la.agency.pk}/program-setup/new/"), {"kind": "new"})
    assert response.status_code == 400
    assert 'id="id_ces_roles_error"' in response.content.decode()


def test_it_refuses_the_setup_steps_to_the_wrong_side(la, login):
    setup = services.program_setup_request_file(
        agency=la.agency,
        actor=la["ata"],
        kind="new",
        ces_roles=["assessment_only"],
        program_types=["assessment_only"],
        programs_description="x",
    )
    with pytest.raises(PermissionDenied):
        services.program_setup_start(setup_request=setup, actor=la["ata"])
    with pytest.raises(PermissionDenied):
        services.program_setup_confirm(setup_request=setup, actor=la["implementation_team"])
    with pytest.raises(PermissionDenied):
        services.program_setup_request_file(
            agency=la.agency,
            actor=la["other_ata"],
            kind="new",
            ces_roles=["assessment_only"],
            program_types=["assessment_only"],
            programs_description="x",
        )
    ata = login(la["ata"])
    assert ata.post(url(la, f"program-setup/{setup.pk}/start/")).status_code == 403
    assert ata.post(url(la, f"program-setup/{setup.pk}/complete/"), {}).status_code == 403
    assert (
        login(la["agency_user"]).get(url(la, f"agencies/{la.agency.pk}/program-setup/new/")).status_code
        == 404
    )
    assert login(la["other_ata"]).get(url(la, f"program-setup/{setup.pk}/")).status_code == 404
    team = login(la["implementation_team"])
    assert team.post(url(la, f"program-setup/{setup.pk}/confirm/")).status_code == 403
    assert team.get(url(la, f"agencies/{la.agency.pk}/program-setup/new/")).status_code == 403
    assert login(la["help_desk"]).get(url(la, "program-setup/")).status_code == 403


def test_it_hides_setup_requests_from_another_tenant(la, tenant_b, login):
    setup = services.program_setup_request_file(
        agency=la.agency,
        actor=la["ata"],
        kind="new",
        ces_roles=["assessment_only"],
        program_types=["assessment_only"],
        programs_description="x",
    )
    client = login(tenant_b["implementation_team"])
    assert client.get(url(tenant_b, f"program-setup/{setup.pk}/")).status_code == 404
    assert client.post(url(tenant_b, f"program-setup/{setup.pk}/start/")).status_code == 404


def test_it_lets_the_agency_cancel_only_a_request_not_yet_started(la):
    setup = services.program_setup_request_file(
        agency=la.agency,
        actor=la["ata"],
        kind="new",
        ces_roles=["assessment_only"],
        program_types=["assessment_only"],
        programs_description="x",
    )
    services.program_setup_start(setup_request=setup, actor=la["implementation_team"])
    with pytest.raises(ValidationError):
        services.program_setup_cancel(setup_request=setup, actor=la["ata"])
