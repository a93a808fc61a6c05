"""Each persona's home page shows their own real data, with a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hmis_onboarding.audit import audit_record
from hmis_onboarding.permissions import Role

from .factories import AgencyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def home(client, tenant):
    return client.get(f"/{tenant.continuum.slug}/")


def test_it_shows_the_ata_their_agency_and_people(client, tenant_a):
    client.force_login(tenant_a["ata"])
    body = home(client, tenant_a).content.decode()
    assert tenant_a.agency.name in body
    assert tenant_a["agency_user"].email in body
    assert tenant_a.other_agency.name not in body
    assert tenant_a["other_ata"].email not in body


def test_it_shows_the_help_desk_what_is_waiting(client, tenant_a):
    AgencyFactory(continuum=tenant_a.continuum, name="Agency Without Anyone")
    client.force_login(tenant_a["help_desk"])
    body = home(client, tenant_a).content.decode()
    assert "Waiting for you" in body
    assert "Agency Without Anyone" in body


def test_it_shows_an_agency_user_their_own_status_and_who_can_help(client, tenant_a):
    client.force_login(tenant_a["agency_user"])
    body = home(client, tenant_a).content.decode()
    assert "Agency user at " + tenant_a.agency.name in body
    assert tenant_a["ata"].email in body  # their ATA, as the person to ask
    assert tenant_a["help_desk"].email not in body


def test_it_shows_navigation_by_role(client, tenant_a):
    client.force_login(tenant_a["agency_user"])
    body = home(client, tenant_a).content.decode()
    assert "Audit trail" not in body and "CoC settings" not in body and ">Agencies<" not in body
    client.force_login(tenant_a["coc_admin"])
    body = home(client, tenant_a).content.decode()
    assert "Audit trail" in body and "CoC settings" in body


def grow(tenant, n: int) -> None:
    """Add n agencies with people and audit events, as a CoC grows."""
    for i in range(n):
        agency = AgencyFactory(continuum=tenant.continuum)
        for role in ("ata", "agency_user", "agency_user"):
            MembershipFactory(user=UserFactory(), continuum=tenant.continuum, agency=agency, role=role)
        MembershipFactory(
            user=UserFactory(), continuum=tenant.continuum, agency=tenant.agency, role="agency_user"
        )
        audit_record(action=f"test.event{i}", continuum=tenant.continuum)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_it_keeps_home_page_queries_constant_as_data_grows(client, tenant_a, role):
    client.force_login(tenant_a[role])
    home(client, tenant_a)  # warm up session and content types

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert home(client, tenant_a).status_code == 200
        return len(ctx.captured_queries)

    grow(tenant_a, 2)
    small = count()
    grow(tenant_a, 20)
    large = count()
    assert small == large, f"{role}: {small} queries with little data, {large} with more"
    assert large <= 15


@pytest.mark.parametrize("path", ["agencies/", "audit/"])
def test_it_keeps_list_page_queries_constant_as_data_grows(client, tenant_a, path):
    client.force_login(tenant_a["coc_admin"])
    url = f"/{tenant_a.continuum.slug}/{path}"
    client.get(url)
    grow(tenant_a, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    grow(tenant_a, 20)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_it_shows_the_ata_what_needs_them_until_a_returned_request_is_re_filed(client, tenant_a):
    """The agency panel's "These need you": questions from the reviewers, drafts, and returned requests
    that were not re-filed yet (a re-filed one leaves the list; the latest changes still show it)."""
    from django.utils import timezone

    from access_requests.models import AccessRequest, RequestType

    form = RequestType.objects.create(
        continuum=tenant_a.continuum,
        code="new-user",
        name="New user",
        short_name="New user form",
        eligibility="new_or_lapsed",
    )

    def request(status, **extra):
        return AccessRequest.objects.create(
            continuum=tenant_a.continuum,
            agency=extra.pop("agency", tenant_a.agency),
            request_type=form,
            queue="help_desk",
            status=status,
            created_by=tenant_a["ata"],
            submitted_by=tenant_a["ata"],
            submitted_at=timezone.now(),
            **extra,
        )

    question, returned, approved = request("info_requested"), request("returned"), request("approved")
    request("returned", agency=tenant_a.other_agency)  # not the ATA's agency
    client.force_login(tenant_a["ata"])
    body = home(client, tenant_a).content.decode()
    needs = body[body.index("These need you:") : body.index("Latest")]
    assert f"Request #{question.pk} (New user form, 0 people)" in needs
    assert "the reviewers asked a question" in needs
    assert f"Request #{returned.pk} " in needs and "re-file it through the correct form" in needs
    assert f"Request #{approved.pk} " not in needs
    assert needs.count("Request #") == 2
    request("submitted", resubmission_of=returned)
    body = home(client, tenant_a).content.decode()
    needs = body[body.index("These need you:") : body.index("Latest")]
    assert f"Request #{returned.pk} " not in needs and f"Request #{question.pk} " in needs
    assert f"#{returned.pk}</a> New user form — Returned" in body[body.index("Latest") :]
