"""The REST API under /api/<continuum_slug>/: same scoping and refusals as the pages."""

from __future__ import annotations

import pytest

from agencies.models import AgreementStatus, HmisProject

from .helpers import make_agreement

pytestmark = pytest.mark.django_db


def api(tenant, path):
    return f"/api/{tenant.continuum.slug}/{path}"


def test_it_lists_agencies_with_their_standing_for_staff(tenant_a, apa_a, login):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    data = login(tenant_a["help_desk"]).get(api(tenant_a, "agencies/")).json()["results"]
    by_name = {a["name"]: a for a in data}
    assert set(by_name) == {tenant_a.agency.name, tenant_a.other_agency.name}
    assert by_name[tenant_a.agency.name]["agreements"][0]["state"] == "current"
    assert by_name[tenant_a.other_agency.name]["agreements"][0]["state"] == "never_signed"


def test_its_agency_list_body_is_exactly_the_serializers_with_constant_queries(tenant_a, apa_a, login):
    """The list builds its body without DRF's per-field work (issue 9): the same data as
    `AgencySerializer`, and the same number of queries for 2 agencies as for 8."""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.renderers import JSONRenderer

    from agencies import participation, selectors
    from agencies.serializers import AgencySerializer
    from tests.factories import AgencyFactory

    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_a["help_desk"])
    client.get(api(tenant_a, "agencies/"))
    with CaptureQueriesContext(connection) as few:
        listed = client.get(api(tenant_a, "agencies/")).json()["results"]
    agencies = list(selectors.agency_list(continuum=tenant_a.continuum, user=tenant_a["help_desk"]))
    standings = participation.agreement_standings(continuum=tenant_a.continuum, agencies=agencies)
    expected = AgencySerializer(agencies, many=True, context={"standings": standings}).data
    assert listed == json.loads(JSONRenderer().render(expected))
    assert {a["name"]: a["agreements"][0]["state"] for a in listed}[tenant_a.agency.name] == "current"
    for i in range(6):
        AgencyFactory(continuum=tenant_a.continuum, name=f"Zeta {i}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(api(tenant_a, "agencies/")).json()["results"]) == 8
    assert len(many) == len(few) <= 15


def test_its_agency_list_body_equals_the_serializers_in_every_standing_page_and_filter(
    tenant_a, apa_a, login
):
    """The list's rows and standings (`selectors.agency_page_rows`, `participation.list_standings`) give
    the JSON `AgencySerializer` gives from model instances and `agreement_standings`, for every
    standing (current, expiring by date and by a re-sign deadline, awaiting countersignature,
    expired, re-sign required, returned, never signed), a type without a published version, an
    inactive type, superseded agreements, agencies with and without an ATA, page by page and
    filtered."""
    import datetime
    import json

    from rest_framework.renderers import JSONRenderer

    from agencies import participation, selectors
    from agencies.models import Agreement, Membership
    from agencies.serializers import AgencySerializer
    from hmis_onboarding.permissions import Role
    from tests.factories import AgencyFactory

    from .helpers import make_type, make_version

    staff = tenant_a["help_desk"]
    signer = tenant_a["executive_director"]
    continuum = tenant_a.continuum
    today = participation.today_in(continuum)
    apa_v1 = apa_a.versions.get()
    apa_v2 = make_version(
        apa_a, number=2, requires_resign=True, resign_by=today + datetime.timedelta(days=10)
    )
    dsa = make_type(continuum, code="dsa", name="Data Sharing Agreement", short_name="DSA", gates=[])
    dsa_v1 = make_version(dsa)
    dsa_v2 = make_version(dsa, number=2, requires_resign=True, published_days_ago=5)
    make_type(continuum, code="new", name="New Agreement", short_name="NEW", gates=[])  # no version yet
    old = make_type(continuum, code="old", name="Old Agreement", short_name="OLD", is_active=False)
    make_version(old)
    a1, a2 = tenant_a.agency, tenant_a.other_agency
    a3, a4, a5 = (AgencyFactory(continuum=continuum, name=f"Zeta {i}") for i in range(3))
    make_agreement(a1, apa_a, submitted_by=signer, version=apa_v1)  # re-sign deadline ahead: expiring
    make_agreement(a1, dsa, submitted_by=signer, version=dsa_v1)  # v2 must be signed now: re-sign
    make_agreement(a1, old, submitted_by=signer)  # inactive type: not listed
    make_agreement(a2, apa_a, state="awaiting", submitted_by=signer, version=apa_v2)
    make_agreement(a2, dsa, state="returned", submitted_by=signer, version=dsa_v2)
    make_agreement(a3, apa_a, state="expired", submitted_by=signer, version=apa_v2)
    make_agreement(a3, dsa, submitted_by=signer, version=dsa_v2, executed_days_ago=3)
    superseded = make_agreement(a3, dsa, submitted_by=signer, version=dsa_v1, executed_days_ago=1)
    Agreement.objects.filter(pk=superseded.pk).update(status=AgreementStatus.SUPERSEDED)
    make_agreement(a4, apa_a, submitted_by=signer, version=apa_v2, expires_in_days=400)
    make_agreement(a5, apa_a, submitted_by=signer, version=apa_v2, expires_in_days=5)
    Membership.objects.create(continuum=continuum, user=signer, agency=a4, role=Role.ATA, is_active=False)

    def expected(**filters):
        agencies = selectors.agency_list(continuum=continuum, user=staff).filter(**filters)
        agencies = list(agencies)
        standings = participation.agreement_standings(continuum=continuum, agencies=agencies)
        data = AgencySerializer(agencies, many=True, context={"standings": standings}).data
        return json.loads(JSONRenderer().render(data))

    client = login(staff)
    first = client.get(api(tenant_a, "agencies/"), {"page_size": 3}).json()
    second = client.get(first["next"]).json()
    assert first["count"] == 5 and second["next"] is None
    listed = first["results"] + second["results"]
    assert listed == expected()
    states = {(a["name"], s["agreement_type"]): s["state"] for a in listed for s in a["agreements"]}
    assert set(states.values()) == {
        "current",
        "expiring",
        "awaiting_countersignature",
        "expired",
        "resign_required",
        "returned",
        "never_signed",
    }
    assert states[(a1.name, "APA")] == "expiring" and states[(a1.name, "DSA")] == "resign_required"
    assert "OLD" not in {s["agreement_type"] for a in listed for s in a["agreements"]}
    assert {a["name"]: a["has_ata"] for a in listed} == {
        a1.name: True,
        a2.name: True,
        a3.name: False,
        a4.name: False,
        a5.name: False,
    }
    no_ata = client.get(api(tenant_a, "agencies/"), {"has_ata": "false"}).json()["results"]
    assert no_ata == expected(pk__in=[a3.pk, a4.pk, a5.pk])
    current = client.get(api(tenant_a, "agencies/"), {"participation": "current"}).json()["results"]
    assert current == expected(pk__in=[a4.pk])
    assert client.get(api(tenant_a, "agencies/"), {"participation": "bogus"}).status_code == 400
    nothing = client.get(api(tenant_a, "agencies/"), {"q": "no such agency"}).json()
    assert nothing["count"] == 0 and nothing["results"] == []
    assert client.get(api(tenant_a, "agencies/"), {"page": 3, "page_size": 3}).status_code == 404


def test_it_gives_the_ata_only_their_agency_with_the_gate_reasons(tenant_a, apa_a, login):
    client = login(tenant_a["ata"])
    data = client.get(api(tenant_a, "agencies/")).json()["results"]
    assert [a["name"] for a in data] == [tenant_a.agency.name]
    detail = client.get(api(tenant_a, f"agencies/{tenant_a.agency.pk}/")).json()
    assert detail["access_requests"]["allowed"] is False
    [reason] = detail["access_requests"]["reasons"]
    assert reason["code"] == "agreement_missing" and "executive director" in reason["who_must_act"].lower()
    assert client.get(api(tenant_a, f"agencies/{tenant_a.other_agency.pk}/")).status_code == 404


def test_it_filters_agencies_by_standing(tenant_a, apa_a, login):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    data = (
        login(tenant_a["coc_admin"])
        .get(api(tenant_a, "agencies/"), {"participation": "current"})
        .json()["results"]
    )
    assert [a["name"] for a in data] == [tenant_a.agency.name]


def test_it_refuses_the_api_to_trainees(tenant_a, login):
    client = login(tenant_a["agency_user"])
    for path in ("agencies/", "agreements/", "programs/"):
        assert client.get(api(tenant_a, path)).status_code == 403


def test_it_answers_404_to_another_tenant(tenant_a, tenant_b, apa_a, login):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_b["coc_admin"])
    for path in (
        "agencies/",
        "agreements/",
        "programs/",
        "agreement-types/",
        f"agreements/{agreement.pk}/document/",
    ):
        assert client.get(api(tenant_a, path)).status_code == 404
    assert client.get(api(tenant_b, f"agreements/{agreement.pk}/")).status_code == 404
    assert client.get(api(tenant_b, f"agencies/{tenant_a.agency.pk}/")).status_code == 404


def test_it_answers_401_to_anonymous_callers(tenant_a, client):
    assert client.get(api(tenant_a, "agencies/")).status_code == 401


def test_it_lists_agreements_and_serves_the_document_to_the_agency(tenant_a, apa_a, login):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    make_agreement(tenant_a.other_agency, apa_a, submitted_by=tenant_a["other_ata"])
    client = login(tenant_a["executive_director"])
    data = client.get(api(tenant_a, "agreements/")).json()["results"]
    assert [a["id"] for a in data] == [agreement.pk]
    assert "signer_ip" not in data[0]
    response = client.get(data[0]["document_url"])
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_it_refuses_another_agencys_document_through_the_api(tenant_a, apa_a, login):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_a["other_ata"])
    assert client.get(api(tenant_a, f"agreements/{agreement.pk}/document/")).status_code == 404
    assert client.get(api(tenant_a, f"agreements/{agreement.pk}/")).status_code == 404


def test_it_countersigns_through_the_api_for_the_configured_roles_only(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    path = api(tenant_a, f"agreements/{agreement.pk}/countersign/")
    payload = {"countersigner_name": "Hal Desk", "countersigner_title": "Manager"}
    assert login(tenant_a["ce_team"]).post(path, payload).status_code == 403  # not named by this type
    assert login(tenant_a["ata"]).post(path, payload).status_code == 403
    client = login(tenant_a["help_desk"])
    assert client.post(path, {}).status_code == 400
    response = client.post(path, payload)
    assert response.status_code == 200 and response.json()["status"] == AgreementStatus.EXECUTED
    again = client.post(path, payload)
    assert again.status_code == 400 and "nothing to countersign" in str(again.json())


def test_it_lets_the_implementation_team_create_and_change_programs(tenant_a, login):
    client = login(tenant_a["implementation_team"])
    response = client.post(
        api(tenant_a, "programs/"),
        {"agency": tenant_a.agency.pk, "name": "Day Shelter", "hud_project_type": 11, "funded_esg": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["funding"] == ["ESG"]
    project = HmisProject.objects.get()
    response = client.patch(
        api(tenant_a, f"programs/{project.pk}/"), {"funded_hpcc": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["funding"] == ["ESG", "HPCC"]
    dup = client.post(
        api(tenant_a, "programs/"),
        {"agency": tenant_a.agency.pk, "name": "Day Shelter", "hud_project_type": 11},
        content_type="application/json",
    )
    assert dup.status_code == 400


def test_it_refuses_program_writes_to_other_roles_and_other_tenants_agencies(tenant_a, tenant_b, login):
    payload = {"agency": tenant_a.agency.pk, "name": "X", "hud_project_type": 0}
    assert (
        login(tenant_a["ata"])
        .post(api(tenant_a, "programs/"), payload, content_type="application/json")
        .status_code
        == 403
    )
    other = login(tenant_b["implementation_team"])
    response = other.post(api(tenant_b, "programs/"), payload, content_type="application/json")
    assert response.status_code == 400  # tenant A's agency is not a valid choice in tenant B
    assert not HmisProject.objects.exists()


def test_it_refuses_programs_for_a_victim_service_provider_through_the_api(tenant_a, login):
    tenant_a.agency.victim_service_provider = True
    tenant_a.agency.save()
    response = login(tenant_a["implementation_team"]).post(
        api(tenant_a, "programs/"),
        {"agency": tenant_a.agency.pk, "name": "X", "hud_project_type": 0},
        content_type="application/json",
    )
    assert response.status_code == 400 and "victim service provider" in str(response.json())


def test_it_lists_agreement_types_to_every_member(tenant_a, apa_a, login):
    data = login(tenant_a["agency_user"]).get(api(tenant_a, "agreement-types/")).json()["results"]
    assert data[0]["code"] == "apa" and data[0]["current_version"] == "v1"


def test_it_describes_the_endpoints_in_the_openapi_schema_without_warnings(tmp_path):
    from django.core.management import call_command
    from drf_spectacular.generators import SchemaGenerator

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for expected in (
        "/api/{continuum_slug}/agencies/",
        "/api/{continuum_slug}/agencies/{id}/",
        "/api/{continuum_slug}/agreements/{id}/countersign/",
        "/api/{continuum_slug}/agreements/{id}/document/",
        "/api/{continuum_slug}/programs/",
    ):
        assert expected in paths
