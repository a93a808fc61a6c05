"""Agency directory, agency page, profile, ATA designation, HRS hosts, victim service providers, and the
public participation list — with the outsider and wrong-role refusals."""

from __future__ import annotations

import pytest

from agencies import services
from agencies.models import Agency, HmisProject, HrsHost, HrsHostStatus
from agencies.participation import agency_is_hrs_host
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Role

from .helpers import make_agreement, make_type, make_version

pytestmark = pytest.mark.django_db


def url(tenant, path=""):
    return f"/{tenant.continuum.slug}/{path}"


# --- Directory --------------------------------------------------------------------------------------


def test_it_lists_agencies_with_their_agreement_standing(tenant_a, apa_a, login):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    page = login(tenant_a["help_desk"]).get(url(tenant_a, "agencies/")).content.decode()
    assert tenant_a.agency.name in page and tenant_a.other_agency.name in page
    assert "Current" in page and "Not signed" in page


def test_it_filters_the_directory_by_agreement_standing_and_flags(tenant_a, apa_a, login):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_a["help_desk"])
    page = client.get(url(tenant_a, "agencies/"), {"participation": "never_signed"}).content.decode()
    assert tenant_a.other_agency.name in page and tenant_a.agency.name not in page
    page = client.get(url(tenant_a, "agencies/"), {"q": "outreach"}).content.decode()
    assert tenant_a.other_agency.name in page and tenant_a.agency.name not in page
    tenant_a.agency.victim_service_provider = True
    tenant_a.agency.save()
    page = client.get(url(tenant_a, "agencies/"), {"victim_service_provider": "true"}).content.decode()
    assert tenant_a.agency.name in page and tenant_a.other_agency.name not in page


def test_it_ignores_a_bad_filter_value_instead_of_failing(tenant_a, login):
    response = login(tenant_a["help_desk"]).get(url(tenant_a, "agencies/"), {"participation": "bogus"})
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["ata", "executive_director", "agency_user", "agency_supervisor"])
def test_it_refuses_the_directory_to_agency_roles(tenant_a, login, role):
    assert login(tenant_a[role]).get(url(tenant_a, "agencies/")).status_code == 403


def test_it_hides_the_directory_from_another_tenant(tenant_a, tenant_b, login):
    assert login(tenant_b["coc_admin"]).get(url(tenant_a, "agencies/")).status_code == 404


# --- Agency page -------------------------------------------------------------------------------------


def test_it_shows_the_ata_what_is_missing_and_who_must_sign(tenant_a, apa_a, login):
    page = login(tenant_a["ata"]).get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/")).content.decode()
    assert "cannot file HMIS access requests yet" in page
    assert "There is no signed Agency Participation Agreement (APA)." in page
    assert "Who must act: The executive director / authorized representative of" in page
    assert "Upload a signed copy" in page  # the ATA may upload the director's scan
    assert f"/agreements/{apa_a.pk}/sign/" not in page  # but not sign


def test_it_offers_the_director_the_signature(tenant_a, apa_a, login):
    page = (
        login(tenant_a["executive_director"])
        .get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/"))
        .content.decode()
    )
    assert f"/agencies/{tenant_a.agency.pk}/agreements/{apa_a.pk}/sign/" in page


def test_it_warns_the_ata_and_the_staff_about_an_expiring_agreement(tenant_a, apa_a, login):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"], expires_in_days=12)
    ata_home = login(tenant_a["ata"]).get(url(tenant_a)).content.decode()
    assert "Renew it to keep filing requests" in ata_home
    staff_home = login(tenant_a["help_desk"]).get(url(tenant_a)).content.decode()
    assert "Expiring within 30 days" in staff_home and tenant_a.agency.name in staff_home


def test_it_shows_staff_the_agency_with_profile_agreements_programs_people_and_history(
    tenant_a, apa_a, login
):
    agency = tenant_a.agency
    services.agency_update_profile(agency=agency, actor=tenant_a["coc_admin"], license_pool_size=9)
    make_agreement(agency, apa_a, submitted_by=tenant_a["executive_director"], expires_in_days=200)
    services.hmis_project_create(
        agency=agency,
        actor=tenant_a["implementation_team"],
        name="Westside PATH Outreach",
        hud_project_type=4,
        funded_path=True,
        funded_esg=True,
    )
    page = login(tenant_a["help_desk"]).get(url(tenant_a, f"agencies/{agency.pk}/")).content.decode()
    profile = page.split('id="profile-heading"')[1].split("</section>")[0]
    assert "<dt>License pool</dt><dd>9</dd>" in profile
    agreements = page.split('id="agreements-heading"')[1].split('id="programs-heading"')[0]
    assert "Agency Participation Agreement" in agreements and "Current" in agreements
    programs = page.split('id="programs-heading"')[1].split('id="people-heading"')[0]
    assert "Westside PATH Outreach" in programs and "Street Outreach" in programs and "[4]" in programs
    assert "PATH, ESG" in programs
    people = page.split('id="people-heading"')[1].split('id="history-heading"')[0]
    for role in ("executive_director", "ata", "agency_supervisor"):
        assert tenant_a[role].email in people
    assert "Executive director / authorized representative" in people and "Agency supervisor" in people
    history = page.split('id="history-heading"')[1]
    assert "agency.profile_changed" in history and "license_pool_size" in history


def test_it_hides_another_agencys_page_from_an_ata_and_trainees(tenant_a, login):
    assert (
        login(tenant_a["other_ata"]).get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/")).status_code == 404
    )
    assert (
        login(tenant_a["agency_user"]).get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/")).status_code
        == 404
    )


def test_it_hides_the_agency_page_from_another_tenant(tenant_a, tenant_b, login):
    client = login(tenant_b["coc_admin"])
    assert client.get(url(tenant_a, f"agencies/{tenant_a.agency.pk}/")).status_code == 404
    assert client.get(url(tenant_b, f"agencies/{tenant_a.agency.pk}/")).status_code == 404


# --- Profile and ATAs --------------------------------------------------------------------------------


def test_it_lets_staff_add_and_edit_an_agency_with_history(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    response = client.post(
        url(tenant_a, "agencies/new/"),
        {
            "name": "Uptown Day Center",
            "hmis_participating": "on",
            "coc_member": "on",
            "direct_services_provider": "on",
            "license_pool_size": "4",
        },
    )
    agency = Agency.objects.get(name="Uptown Day Center")
    assert response.status_code == 302 and agency.direct_services_provider
    response = client.post(
        url(tenant_a, f"agencies/{agency.pk}/edit/"),
        {"name": "Uptown Day Center", "coc_member": "on", "license_pool_size": "6"},
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.license_pool_size == 6 and not agency.hmis_participating
    page = client.get(url(tenant_a, f"agencies/{agency.pk}/")).content.decode()
    assert "agency.profile_changed" in page


def test_it_refuses_a_duplicate_agency_name_with_a_message(tenant_a, login):
    response = login(tenant_a["coc_admin"]).post(
        url(tenant_a, "agencies/new/"), {"name": tenant_a.agency.name, "license_pool_size": "1"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


@pytest.mark.parametrize("role", ["ata", "ce_team", "implementation_team", "auditor"])
def test_it_refuses_profile_changes_to_other_roles(tenant_a, login, role):
    client = login(tenant_a[role])
    assert client.get(url(tenant_a, "agencies/new/")).status_code == 403
    assert (
        client.post(url(tenant_a, f"agencies/{tenant_a.agency.pk}/edit/"), {"name": "X"}).status_code == 403
    )
    assert (
        client.post(
            url(tenant_a, f"agencies/{tenant_a.agency.pk}/atas/"), {"email": "x@example.org"}
        ).status_code
        == 403
    )


def test_it_lets_staff_designate_and_remove_an_ata(tenant_a, login):
    client = login(tenant_a["help_desk"])
    response = client.post(
        url(tenant_a, f"agencies/{tenant_a.agency.pk}/atas/"),
        {"email": "New.Ata@Example.org", "full_name": "Nia Ata"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.ata@example.org")
    membership = user.memberships.get(role=Role.ATA)
    assert membership.agency == tenant_a.agency and not user.has_usable_password()
    response = client.post(url(tenant_a, f"agencies/{tenant_a.agency.pk}/atas/{membership.pk}/remove/"))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_it_refuses_to_remove_an_ata_through_another_agencys_url(tenant_a, login):
    membership = tenant_a["other_ata"].memberships.get()
    response = login(tenant_a["coc_admin"]).post(
        url(tenant_a, f"agencies/{tenant_a.agency.pk}/atas/{membership.pk}/remove/")
    )
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.is_active


# --- Victim service providers ---------------------------------------------------------------------------


@pytest.fixture
def vsp(tenant_a, apa_a):
    tenant_a.continuum.vsp_ce_contact_email = "dv-ces@example.org"
    tenant_a.continuum.save()
    tenant_a.agency.victim_service_provider = True
    tenant_a.agency.save()
    return tenant_a.agency


def test_it_shows_no_hmis_paths_for_a_victim_service_provider(tenant_a, apa_a, vsp, login):
    page = login(tenant_a["coc_admin"]).get(url(tenant_a, f"agencies/{vsp.pk}/")).content.decode()
    assert "dv-ces@example.org" in page
    assert "/sign/" not in page and "/upload/" not in page
    assert "/programs/new/" not in page and "/program-setup/new/" not in page and "/hrs-host/" not in page


def test_it_points_vsp_staff_to_the_separate_ce_process(tenant_a, vsp, login):
    page = login(tenant_a["agency_user"]).get(url(tenant_a)).content.decode()
    assert "separate Coordinated Entry process" in page and "dv-ces@example.org" in page


def test_it_refuses_vsp_hmis_paths_even_when_typed_in(tenant_a, apa_a, vsp, login):
    director = login(tenant_a["executive_director"])
    response = director.get(url(tenant_a, f"agencies/{vsp.pk}/agreements/{apa_a.pk}/sign/"))
    assert response.status_code == 403 and "dv-ces@example.org" in response.content.decode()
    admin = login(tenant_a["coc_admin"])
    assert admin.get(url(tenant_a, f"agencies/{vsp.pk}/programs/new/")).status_code == 403
    assert (
        admin.post(
            url(tenant_a, f"agencies/{vsp.pk}/programs/new/"), {"name": "X", "hud_project_type": "0"}
        ).status_code
        == 403
    )
    assert not HmisProject.objects.filter(agency=vsp).exists()


def test_it_refuses_even_a_draft_access_request_for_a_victim_service_provider(tenant_a, vsp, login):
    from access_requests import configuration
    from access_requests import services as request_services
    from access_requests.models import AccessRequest, RequestType

    configuration.install_chicago(tenant_a.continuum)
    request_type = RequestType.objects.get(continuum=tenant_a.continuum, code="new-users")
    with pytest.raises(services.ValidationError, match="separate Coordinated Entry process"):
        request_services.access_request_create(agency=vsp, actor=tenant_a["ata"], request_type=request_type)
    response = login(tenant_a["ata"]).post(
        url(tenant_a, "requests/new/"), {"request_type": request_type.pk, "agency": vsp.pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "separate Coordinated Entry process" in page and "dv-ces@example.org" in page
    assert not AccessRequest.objects.filter(agency=vsp).exists()


def test_it_refuses_to_flag_an_agency_with_active_programs_as_vsp(tenant_a):
    HmisProject.objects.create(
        continuum=tenant_a.continuum, agency=tenant_a.agency, name="ES", hud_project_type=0
    )
    with pytest.raises(services.ValidationError) as excinfo:
        services.agency_update_profile(
            agency=tenant_a.agency, actor=tenant_a["coc_admin"], victim_service_provider=True
        )
    assert "victim_service_provider" in excinfo.value.error_dict


def test_it_has_no_client_pii_field_on_agency_records():
    """VSPs: "no client PII field exists for them anywhere" — the agency app stores no client data at all."""
    from django.apps import apps

    forbidden = {"ssn", "social_security", "date_of_birth", "dob", "client_name", "first_name", "last_name"}
    for model in apps.get_app_config("agencies").get_models():
        assert not forbidden & {f.name for f in model._meta.get_fields()}, model
    # Nor anywhere else in the product: people's names elsewhere are staff (users), never clients.
    # (SampleClientRound.client_reference is the id of a made-up training-site client, not a person.)
    client_words = (
        "ssn",
        "social_security",
        "birth",
        "date_of_birth",
        "dob",
        "client_name",
        "client_first",
        "client_last",
        "race",
        "ethnicity",
        "veteran_status",
    )
    for label in ("access_requests", "training", "rollout", "hmis_onboarding"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                name = field.name.lower()
                assert not any(name == w or name.startswith(w) for w in client_words), (model, field.name)


# --- HRS hosts -------------------------------------------------------------------------------------------


def test_it_lets_the_ce_team_approve_an_eligible_host(tenant_a, apa_a, login):
    tenant_a.agency.direct_services_provider = True
    tenant_a.agency.save()
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_a["ce_team"])
    assert client.get(url(tenant_a, "hrs-hosts/")).status_code == 200
    response = client.post(
        url(tenant_a, f"agencies/{tenant_a.agency.pk}/hrs-host/approve/"), {"exception_reason": ""}
    )
    assert response.status_code == 302
    assert agency_is_hrs_host(tenant_a.agency)


def test_it_refuses_a_host_without_direct_services_or_a_current_apa(tenant_a, apa_a, login):
    response = login(tenant_a["ce_team"]).post(
        url(tenant_a, f"agencies/{tenant_a.agency.pk}/hrs-host/approve/"), {}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "providing direct services" in html and "There is no signed Agency Participation Agreement" in html
    assert not HrsHost.objects.exists()


def test_it_requires_the_exception_reason_for_a_non_hmis_host(tenant_a, apa_a, login):
    agency = tenant_a.agency
    agency.direct_services_provider, agency.hmis_participating = True, False
    agency.save()
    make_agreement(agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_a["ce_team"])
    response = client.post(url(tenant_a, f"agencies/{agency.pk}/hrs-host/approve/"), {"exception_reason": ""})
    assert response.status_code == 200 and 'id="id_exception_reason_error"' in response.content.decode()
    response = client.post(
        url(tenant_a, f"agencies/{agency.pk}/hrs-host/approve/"),
        {"exception_reason": "Runs an electronic health record"},
    )
    assert response.status_code == 302
    host = HrsHost.objects.get()
    assert host.exception_granted and host.exception_reason == "Runs an electronic health record"


def test_it_suspends_hosting_when_the_apa_lapses_and_the_ce_team_can_revoke(tenant_a, apa_a, login):
    agency = tenant_a.agency
    agency.direct_services_provider = True
    agency.save()
    agreement = make_agreement(agency, apa_a, submitted_by=tenant_a["executive_director"])
    host = services.hrs_host_approve(agency=agency, actor=tenant_a["ce_team"])
    agreement.status = "expired"
    agreement.save()
    assert not agency_is_hrs_host(agency)
    response = login(tenant_a["ce_team"]).post(
        url(tenant_a, f"hrs-hosts/{host.pk}/revoke/"), {"reason": "APA lapsed"}
    )
    assert response.status_code == 302
    host.refresh_from_db()
    assert host.status == HrsHostStatus.REVOKED


def test_it_honours_an_hrs_host_agreement_when_the_coc_requires_one(tenant_a, apa_a):
    agency = tenant_a.agency
    agency.direct_services_provider = True
    agency.save()
    make_agreement(agency, apa_a, submitted_by=tenant_a["executive_director"])
    host_type = make_type(
        tenant_a.continuum,
        code="hrs",
        name="HRS Host Agreement",
        short_name="HRS",
        gates=["host_hrs"],
        countersigner_roles=["ce_team"],
    )
    make_version(host_type)
    with pytest.raises(services.AgencyNotEligible):
        services.hrs_host_approve(agency=agency, actor=tenant_a["ce_team"])
    make_agreement(agency, host_type, submitted_by=tenant_a["executive_director"])
    services.hrs_host_approve(agency=agency, actor=tenant_a["ce_team"])


@pytest.mark.parametrize("role", ["help_desk", "coc_admin", "ata", "executive_director"])
def test_it_refuses_hrs_host_decisions_to_anyone_but_the_ce_team(tenant_a, login, role):
    client = login(tenant_a[role])
    assert client.get(url(tenant_a, "hrs-hosts/")).status_code == 403
    assert (
        client.post(url(tenant_a, f"agencies/{tenant_a.agency.pk}/hrs-host/approve/"), {}).status_code == 403
    )


# --- Public participation list ---------------------------------------------------------------------------


def test_it_publishes_participation_without_login_or_personal_data(tenant_a, apa_a, client):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"], expires_in_days=10)
    make_agreement(tenant_a.other_agency, apa_a, state="awaiting", submitted_by=tenant_a["other_ata"])
    response = client.get(f"/p/{tenant_a.continuum.slug}/participation/")
    assert response.status_code == 200
    html = response.content.decode()
    assert tenant_a.agency.name in html and "Current — expires soon" in html
    assert "Signed — awaiting countersignature" in html
    assert "Dana Director" not in html and "@example.org" not in html.replace("helpdesk@example.org", "")
    for user in tenant_a.people.values():
        assert user.email not in html and user.full_name not in html


def test_it_leaves_victim_service_providers_off_the_public_list(tenant_a, apa_a, client):
    tenant_a.other_agency.victim_service_provider = True
    tenant_a.other_agency.save()
    html = client.get(f"/p/{tenant_a.continuum.slug}/participation/").content.decode()
    assert tenant_a.agency.name in html and tenant_a.other_agency.name not in html


def test_it_answers_404_for_an_unpublished_or_unknown_list(tenant_a, client):
    tenant_a.continuum.participation_page_public = False
    tenant_a.continuum.save()
    assert client.get(f"/p/{tenant_a.continuum.slug}/participation/").status_code == 404
    assert client.get("/p/nowhere/participation/").status_code == 404


def test_it_reserves_the_public_and_api_prefixes_as_coc_slugs(tenant_a):
    tenant_a.continuum.slug = "api"
    with pytest.raises(services.ValidationError):
        tenant_a.continuum.full_clean()
