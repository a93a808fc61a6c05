"""Every page and endpoint this app adds, walked as the right role, the wrong role, a member of another
CoC and an anonymous visitor. A route missing from ROUTES fails the completeness test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agencies import services
from agencies.models import HmisProject
from hmis_onboarding.permissions import Role

from .helpers import make_agreement, pdf_bytes

pytestmark = pytest.mark.django_db

# Routes that predate this app's issue and are covered by the kernel's own tests.
KERNEL_ROUTES = {"tenant_home", "continuum_settings", "audit_trail"}


@dataclass(frozen=True)
class Route:
    name: str
    args: tuple[str, ...]  # names of objects from the `world` fixture
    allowed: str
    wrong: str | None  # a member of the same CoC who must be refused
    wrong_status: int = 403
    method: str = "get"


ROUTES = [
    Route("agency_list", (), "help_desk", "ata"),
    Route("agency_create", (), "coc_admin", "ce_team"),
    Route("agency_detail", ("agency",), "ata", "other_ata", 404),
    Route("agency_edit", ("agency",), "coc_admin", "implementation_team"),
    Route("agency_designate_ata", ("agency",), "help_desk", "ata"),
    Route("agency_remove_ata", ("agency", "ata_membership"), "coc_admin", "ata", method="post"),
    Route("agreement_sign", ("agency", "agreement_type"), "executive_director", "ata"),
    Route("agreement_upload", ("agency", "agreement_type"), "ata", "agency_supervisor"),
    Route("program_create", ("agency",), "implementation_team", "help_desk"),
    Route("program_setup_new", ("agency",), "ata", "implementation_team"),
    Route("hrs_host_approve", ("agency",), "ce_team", "coc_admin"),
    Route("agreement_queue", (), "help_desk", "implementation_team"),
    Route("agreement_detail", ("agreement",), "ata", "other_ata", 404),
    Route("agreement_countersign", ("agreement",), "help_desk", "ce_team", method="post"),
    Route("agreement_return", ("agreement",), "coc_admin", "ata", method="post"),
    Route("agreement_document", ("agreement",), "executive_director", "other_ata", 404),
    Route("agreement_executed_document", ("agreement",), "agency_supervisor", "agency_user", 404),
    Route("program_list", (), "auditor", "ata"),
    Route("program_edit", ("project",), "implementation_team", "ce_team"),
    Route("program_setup_queue", (), "implementation_team", "help_desk"),
    Route("program_setup_detail", ("setup_request",), "ata", "other_ata", 404),
    Route("program_setup_start", ("setup_request",), "implementation_team", "ata", method="post"),
    Route("program_setup_complete", ("setup_request",), "implementation_team", "ata", method="post"),
    Route("program_setup_confirm", ("setup_request",), "ata", "implementation_team", method="post"),
    Route("program_setup_problem", ("setup_request",), "ata", "help_desk", method="post"),
    Route("program_setup_cancel", ("setup_request",), "ata", "coc_admin", method="post"),
    Route("hrs_host_list", (), "ce_team", "help_desk"),
    Route("hrs_host_revoke", ("hrs_host",), "ce_team", "coc_admin", method="post"),
    Route("agreement_type_list", (), "coc_admin", "help_desk"),
    Route("agreement_type_new", (), "coc_admin", "ce_team"),
    Route("agreement_type_edit", ("agreement_type",), "coc_admin", "auditor"),
    Route("agreement_version_new", ("agreement_type",), "coc_admin", "executive_director"),
    # API
    Route("api_agency-list", (), "ata", "agency_user"),
    Route("api_agency-detail", ("agency",), "ata", "other_ata", 404),
    Route("api_agreement_type-list", (), "agency_user", None),
    Route("api_agreement_type-detail", ("agreement_type",), "agency_user", None),
    Route("api_agreement-list", (), "ata", "agency_user"),
    Route("api_agreement-detail", ("agreement",), "ata", "other_ata", 404),
    Route("api_agreement-countersign", ("agreement",), "help_desk", "ce_team", method="post"),
    Route("api_agreement-document", ("agreement",), "ata", "other_ata", 404),
    Route("api_agreement-executed-document", ("agreement",), "ata", "agency_user", 403),
    Route("api_program-list", (), "ata", "agency_user"),
    Route("api_program-detail", ("project",), "implementation_team", "ata", method="patch"),
]


def route_names(patterns, prefix_names=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from route_names(p.url_patterns)
        elif isinstance(p, URLPattern) and p.name:
            module = getattr(p.callback, "__module__", "") or ""
            cls = getattr(p.callback, "cls", None)
            if module.startswith("agencies") or (cls and cls.__module__.startswith("agencies")):
                yield p.name


def test_it_lists_every_route_of_the_app():
    names = set(route_names(get_resolver().url_patterns)) - KERNEL_ROUTES - {"public_participation"}
    assert names == {r.name for r in ROUTES}


@pytest.fixture
def world(tenant_a, apa_a):
    tenant_a.continuum.access_requires_program_setup = True
    tenant_a.continuum.save()
    agency = tenant_a.agency
    agency.direct_services_provider = True
    agency.save()
    current = make_agreement(agency, apa_a, submitted_by=tenant_a["executive_director"])
    current.executed_document.save("x.pdf", ContentFile(pdf_bytes()), save=True)
    awaiting = make_agreement(agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"])
    project = HmisProject.objects.create(
        continuum=tenant_a.continuum, agency=agency, name="P", hud_project_type=4, ces_program_type="outreach"
    )
    setup_request = services.program_setup_request_file(
        agency=agency,
        actor=tenant_a["ata"],
        kind="new",
        ces_roles=["assessment_only"],
        program_types=["assessment_only"],
        programs_description="x",
    )
    host = services.hrs_host_approve(agency=agency, actor=tenant_a["ce_team"])
    return {
        "agency": agency.pk,
        "agreement_type": apa_a.pk,
        "agreement": awaiting.pk,
        "executed": current.pk,
        "project": project.pk,
        "setup_request": setup_request.pk,
        "hrs_host": host.pk,
        "ata_membership": tenant_a["ata"].memberships.get(role=Role.ATA).pk,
    }


def url_for(route: Route, continuum, world) -> str:
    values = [
        world["executed"]
        if route.name.endswith("executed-document") or route.name.endswith("executed_document")
        else world[a]
        for a in route.args
    ]
    return reverse(route.name, args=[continuum.slug, *values])


def call(client, route: Route, url: str):
    if route.method == "patch":
        return client.patch(url, {}, content_type="application/json")
    return getattr(client, route.method)(url)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_it_refuses_the_wrong_role_another_tenant_and_anonymous_visitors(
    route, tenant_a, tenant_b, world, login, client
):
    url = url_for(route, tenant_a.continuum, world)
    anonymous = call(client, route, url)
    if url.startswith("/api/"):
        assert anonymous.status_code == 401, anonymous.status_code
    else:
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    outsider = call(login(tenant_b["coc_admin"]), route, url)
    assert outsider.status_code == 404, (route.name, outsider.status_code)

    if route.wrong:
        refused = call(login(tenant_a[route.wrong]), route, url)
        assert refused.status_code == route.wrong_status, (route.name, route.wrong, refused.status_code)

    allowed = call(login(tenant_a[route.allowed]), route, url)
    assert allowed.status_code not in (403, 404), (route.name, route.allowed, allowed.status_code)
