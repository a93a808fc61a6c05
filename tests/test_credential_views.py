"""Pages of issue 6: the person's HMIS access page, the sample client queue and review, issuance,
the licenses page and the agreement PDF — scoping, the whole flow, and constant query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from access_requests import credentials, sample_client
from access_requests.models import (
    AssignmentStatus,
    HmisAccount,
    Onboarding,
    OnboardingStage,
    SampleClientRound,
)

from .credential_helpers import a_project, onboarding_for, setup_coc

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    return tenant_a


def url(tenant, path: str) -> str:
    return f"/{tenant.continuum.slug}/{path}"


def test_it_walks_a_trainee_from_sign_up_to_a_credential_through_the_pages(client, coc):
    onboarding = onboarding_for(coc, user=coc["agency_user"], name=("Agency", "User"))
    person, helpdesk, ata = coc["agency_user"], coc["help_desk"], coc["ata"]
    client.force_login(helpdesk)
    client.post(url(coc, f"onboarding/{onboarding.pk}/confirm-training/"))
    client.force_login(person)
    assert "Sign up for the sample client" in client.get(url(coc, "my-access/")).content.decode()
    client.post(url(coc, f"my-access/{onboarding.pk}/sign-up/"))
    client.post(url(coc, f"my-access/{onboarding.pk}/submit/"), {"client_reference": "SC-77"})
    rnd = SampleClientRound.objects.get()
    client.force_login(helpdesk)
    queue = client.get(url(coc, "sample-clients/")).content.decode()
    assert "Agency User" in queue
    page = client.get(url(coc, f"sample-clients/rounds/{rnd.pk}/")).content.decode()
    assert "3.917 Prior Living Situation" in page and "4.14 Bed-night Date" in page
    elements = sample_client.rubric_for(coc.continuum, 1)
    data = {f"errors_{e.pk}": 0 for e in elements} | {"outcome": "corrections", "feedback": "Fix the DOB."}
    data[f"errors_{elements[2].pk}"] = 2
    data[f"comment_{elements[2].pk}"] = "Year is wrong"
    # Bad input is a message on the form, not a 500 and not a half-written review.
    response = client.post(url(coc, f"sample-clients/rounds/{rnd.pk}/"), {**data, "feedback": ""})
    assert response.status_code == 400 and not SampleClientRound.objects.get().reviewed_at
    assert client.post(url(coc, f"sample-clients/rounds/{rnd.pk}/"), data).status_code == 302
    client.force_login(person)
    mine = client.get(url(coc, "my-access/")).content.decode()
    assert "Corrections needed" in mine and "Year is wrong" in mine and "Fix the DOB." in mine
    client.post(url(coc, f"my-access/{onboarding.pk}/submit/"), {"client_reference": "SC-78"})
    second = SampleClientRound.objects.get(number=2)
    client.force_login(helpdesk)
    client.post(
        url(coc, f"sample-clients/rounds/{second.pk}/"),
        {**data, "outcome": "pass", f"errors_{elements[2].pk}": 0},
    )
    assert onboarding.assignments.get().status == AssignmentStatus.PASSED
    client.force_login(person)
    assert "End User Agreement" in client.get(url(coc, "my-access/")).content.decode()
    client.post(url(coc, f"my-access/{onboarding.pk}/sign/"), {"signed_name": "Agency User", "agree": "on"})
    onboarding.refresh_from_db()
    assert onboarding.stage == OnboardingStage.READY
    client.force_login(helpdesk)
    project = a_project(coc)
    response = client.post(
        url(coc, f"onboarding/{onboarding.pk}/credential/"),
        {"hmis_username": "auser", "hmis_role": "Case Manager", "projects": [project.pk]},
    )
    assert response.status_code == 302
    client.force_login(ata)
    licenses = client.get(url(coc, "licenses/")).content.decode()
    assert "auser" in licenses and "Version 2026.1 (PDF)" in licenses
    signature = onboarding.signatures.get()
    pdf = client.get(url(coc, f"agreements/end-user/{signature.pk}.pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages[0].extract_text()
    assert "Agency User" in text


def test_it_keeps_licenses_and_agreements_inside_the_agency_and_the_coc(client, coc, tenant_b):
    mine = onboarding_for(
        coc, user=coc["agency_user"], name=("Agency", "User"), stage=OnboardingStage.AGREEMENT
    )
    signature = credentials.eua_sign(onboarding=mine, actor=coc["agency_user"], signed_name="Agency User")
    HmisAccount.objects.create(
        continuum=coc.continuum,
        agency=coc.agency,
        email="x@example.org",
        hmis_username="xuser",
        issued_at="2026-01-01T00:00:00Z",
    )
    HmisAccount.objects.create(
        continuum=coc.continuum,
        agency=coc.other_agency,
        email="y@example.org",
        hmis_username="yuser",
        issued_at="2026-01-01T00:00:00Z",
    )
    client.force_login(coc["other_ata"])
    page = client.get(url(coc, "licenses/")).content.decode()
    assert "yuser" in page and "xuser" not in page
    assert client.get(url(coc, f"agreements/end-user/{signature.pk}.pdf")).status_code == 404
    account = HmisAccount.objects.get(hmis_username="xuser")
    assert client.post(url(coc, f"licenses/accounts/{account.pk}/offboard/")).status_code == 404
    client.force_login(coc["agency_user"])
    assert client.get(url(coc, "licenses/")).status_code == 403
    assert client.get(url(coc, "sample-clients/")).status_code == 403
    client.force_login(tenant_b["help_desk"])
    assert client.get(url(coc, "licenses/")).status_code == 404
    assert client.get(url(tenant_b, f"agreements/end-user/{signature.pk}.pdf")).status_code == 404
    client.force_login(coc["ata"])
    page = client.get(url(coc, "licenses/")).content.decode()
    assert "xuser" in page and "yuser" not in page
    assert client.post(url(coc, f"licenses/accounts/{account.pk}/offboard/")).status_code == 302
    account.refresh_from_db()
    assert account.status == "revoked"


def _grow(coc, n: int, offset: int) -> None:
    for i in range(n):
        ob = onboarding_for(coc, name=(f"P{offset + i}", "Grow"))
        credentials.onboarding_confirm_training(onboarding=ob, actor=coc["help_desk"])
        assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=ob.user)
        if assignment.status == "open":
            sample_client.sample_client_submit(
                assignment=assignment, actor=ob.user, client_reference=f"SC{i}"
            )
        Onboarding.objects.filter(pk=ob.pk)
        HmisAccount.objects.create(
            continuum=coc.continuum,
            agency=coc.agency,
            email=f"grow{offset + i}@example.org",
            hmis_username=f"grow{offset + i}",
            issued_at="2026-01-01T00:00:00Z",
            onboarding=ob,
        )


@pytest.mark.parametrize(
    "path,role", [("sample-clients/", "help_desk"), ("licenses/", "ata"), ("licenses/", "help_desk")]
)
def test_it_keeps_query_counts_constant_as_data_grows(client, coc, path, role):
    _grow(coc, 2, 0)
    client.force_login(coc[role])
    client.get(url(coc, path))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(coc, path)).status_code == 200
    _grow(coc, 6, 100)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url(coc, path)).status_code == 200
    assert len(large) == len(small), (len(small), len(large))


def test_it_keeps_the_trainee_page_constant_as_rounds_grow(client, coc):
    ob = onboarding_for(coc, user=coc["agency_user"], name=("Agency", "User"))
    credentials.onboarding_confirm_training(onboarding=ob, actor=coc["help_desk"])
    assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=ob.user)
    elements = sample_client.rubric_for(coc.continuum, 1)

    def a_round(n):
        rnd = sample_client.sample_client_submit(
            assignment=assignment, actor=ob.user, client_reference=f"SC{n}"
        )
        sample_client.sample_client_review(
            round=rnd,
            reviewer=coc["help_desk"],
            results=[sample_client.ElementResult(e.pk, 1, "x") for e in elements],
            outcome="walkthrough",
            walkthrough_at=rnd.submitted_at,
            walkthrough_link="https://meet.example.org/a",
            walkthrough_with="Pat",
        )

    a_round(1)
    client.force_login(coc["agency_user"])
    client.get(url(coc, "my-access/"))
    with CaptureQueriesContext(connection) as small:
        client.get(url(coc, "my-access/"))
    a_round(2)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url(coc, "my-access/")).content.decode()
    assert "Round 2" in body
    assert len(large) == len(small), (len(small), len(large))
