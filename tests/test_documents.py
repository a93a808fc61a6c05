"""PDF exports (issue 8): the access request summary, a person's onboarding record and the training
completion certificate with its verification code — what each says (text extracted with pypdf), that
each is an attachment, and that outsiders and the wrong roles get a 404."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from access_requests.credential_config import install_end_user_agreement
from access_requests.credentials import eua_sign
from access_requests.models import (
    HmisAccount,
    Onboarding,
    SampleClientAssignment,
    SampleClientRound,
)
from hmis_onboarding.audit import audit_record
from training import records, services
from training.models import Course, Enrollment, LearningPath
from training.path import Needs, ProjectNeed

from .credential_helpers import onboarding_for, setup_coc
from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    reader = PdfReader(io.BytesIO(response.content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"continuum_slug": tenant.continuum.slug, **kwargs})


@pytest.fixture
def chicago(tenant_a):
    setup_coc(tenant_a)
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    tenant_a.continuum.hmis_lead_name = "All Chicago Making Homelessness History"
    tenant_a.continuum.save(update_fields=["hmis_lead_name"])
    return tenant_a


# --- The access request summary ----------------------------------------------------------------------
@pytest.fixture
def decided_request(chicago):
    onboarding = onboarding_for(chicago, name=("Ana", "Lopez"))
    req = onboarding.access_request
    for action, actor, after in (
        ("access_request.submitted", chicago["ata"], {"status": "submitted"}),
        ("access_request.assigned", chicago["help_desk"], {"status": "in_review"}),
        ("access_request.approved", chicago["help_desk"], {"status": "approved"}),
    ):
        audit_record(action=action, actor=actor, continuum=chicago.continuum, obj=req, after=after)
    return req


def test_it_summarises_a_request_with_people_projects_history_and_outcome(client, chicago, decided_request):
    client.force_login(chicago["ata"])
    response = client.get(url("request_summary_pdf", chicago, request_id=decided_request.pk))
    text = pdf_text(response)
    assert f"Access request #{decided_request.pk}" in text
    assert decided_request.request_type.name in text
    assert chicago.agency.name in text
    assert "Ana Lopez" in text and "Family Shelter" in text
    assert "Reviewer outcome" in text and "Approved" in text
    # The status history, oldest first, with who did it.
    history = text[text.index("Status history") :]
    submitted = history.index("Submitted")
    approved = history.index("Approved")
    assert submitted < approved
    assert chicago["ata"].get_full_name() in history and chicago["help_desk"].get_full_name() in history
    assert f"access-request-{decided_request.pk}-" in response["Content-Disposition"]


def test_it_links_the_summary_from_the_request_page(client, chicago, decided_request):
    client.force_login(chicago["help_desk"])
    page = client.get(url("request_detail", chicago, request_id=decided_request.pk)).content.decode()
    assert url("request_summary_pdf", chicago, request_id=decided_request.pk) in page


def test_it_refuses_the_summary_to_outsiders_and_other_agencies(client, chicago, decided_request, tenant_b):
    target = url("request_summary_pdf", chicago, request_id=decided_request.pk)
    for person in (chicago["other_ata"], tenant_b["help_desk"]):
        client.force_login(person)
        assert client.get(target).status_code == 404
    client.force_login(chicago["agency_user"])
    assert client.get(target).status_code in (403, 404)


# --- The onboarding record -----------------------------------------------------------------------------
def complete_path(tenant, person, *, when=None):
    """Give the person a path for a shelter project and complete every course on it."""
    services.learning_path_assign(
        continuum=tenant.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
    )
    from training.selectors import learning_path_result

    result = learning_path_result(tenant.continuum, person)
    for step in result.steps:
        services.enrollment_record_progress(
            continuum=tenant.continuum,
            person=person,
            course=Course.objects.get(continuum=tenant.continuum, code=step.chosen or step.options[0]),
            percent=100,
            completed_at=when,
            actor=tenant["help_desk"],
        )
    return learning_path_result(tenant.continuum, person)


@pytest.fixture
def onboarded(chicago):
    """Ana: approved, path complete, a passed sample client round, the EUA signed, an account later
    suspended."""
    person = UserFactory(full_name="Ana Lopez", email="ana@lakeshore.org")
    onboarding = onboarding_for(chicago, user=person, name=("Ana", "Lopez"))
    complete_path(chicago, person)
    now = timezone.now()
    assignment = SampleClientAssignment.objects.create(
        continuum=chicago.continuum,
        agency=chicago.agency,
        onboarding=onboarding,
        user=person,
        project_type=1,
        status="passed",
        requested_at=now,
        opened_at=now,
        closed_at=now,
    )
    SampleClientRound.objects.create(
        continuum=chicago.continuum,
        assignment=assignment,
        number=1,
        submitted_at=now,
        client_reference="SC-77",
        reviewed_by=chicago["help_desk"],
        reviewed_at=now,
        outcome="pass",
    )
    install_end_user_agreement(chicago.continuum)
    Onboarding.objects.filter(pk=onboarding.pk).update(stage="agreement")
    onboarding.refresh_from_db()
    eua_sign(onboarding=onboarding, actor=person, signed_name="Ana Lopez")
    HmisAccount.objects.create(
        continuum=chicago.continuum,
        agency=chicago.agency,
        user=person,
        email=person.email,
        hmis_username="alopez",
        issued_at=now,
        issued_by=chicago["help_desk"],
        status="suspended",
        status_reason="No sign-in for 90 days",
        status_changed_at=now,
    )
    return person


def test_it_records_a_persons_way_from_request_to_account(client, chicago, onboarded):
    client.force_login(onboarded)
    text = pdf_text(client.get(url("training_onboarding_record", chicago, person_id=onboarded.pk)))
    assert "Onboarding record: Ana Lopez" in text
    request_id = Onboarding.objects.get(user=onboarded).access_request_id
    assert f"#{request_id}" in text and "Approved" in text
    today = timezone.localdate(timezone=chicago.continuum.tzinfo)
    assert "Introduction to HMIS" in text and "100%" in text and today.strftime("%b %-d, %Y") in text
    assert "Pass" in text and chicago["help_desk"].get_full_name() in text
    assert "HMIS End User Agreement 2026.1" in text
    assert "alopez" in text and "Suspended" in text and "No sign-in for 90 days" in text


def test_it_gives_the_record_to_the_persons_ata_supervisor_and_staff_only(
    client, chicago, onboarded, tenant_b
):
    target = url("training_onboarding_record", chicago, person_id=onboarded.pk)
    for role in ("ata", "agency_supervisor", "help_desk", "coc_admin", "auditor"):
        client.force_login(chicago[role])
        assert client.get(target).status_code == 200, role
    for person in (
        chicago["other_ata"],
        chicago["executive_director"],
        chicago["agency_user"],
        tenant_b["coc_admin"],
    ):
        client.force_login(person)
        assert client.get(target).status_code == 404, person


def test_it_shows_an_ata_only_their_own_agencys_part_of_the_record(client, chicago, onboarded):
    HmisAccount.objects.create(
        continuum=chicago.continuum,
        agency=chicago.other_agency,
        user=onboarded,
        email=onboarded.email,
        hmis_username="alopez-outreach",
        issued_at=timezone.now(),
    )
    MembershipFactory(
        user=onboarded, continuum=chicago.continuum, agency=chicago.other_agency, role="agency_user"
    )
    target = url("training_onboarding_record", chicago, person_id=onboarded.pk)
    client.force_login(chicago["ata"])
    text = pdf_text(client.get(target))
    assert "alopez" in text and "limited to your agencies" in text
    assert "alopez-outreach" not in text.replace(" ", "")
    client.force_login(chicago["help_desk"])
    assert "alopez-outreach" in pdf_text(client.get(target)).replace(" ", "")


def test_it_links_the_record_from_the_tracker_and_the_progress_view(client, chicago, onboarded):
    target = url("training_onboarding_record", chicago, person_id=onboarded.pk)
    client.force_login(onboarded)
    assert target in client.get(url("my_onboarding", chicago)).content.decode()
    client.force_login(chicago["ata"])
    assert target in client.get(url("training_progress", chicago)).content.decode()
    client.force_login(chicago["executive_director"])
    assert target not in client.get(url("training_progress", chicago)).content.decode()


def test_it_links_each_trainees_documents_from_the_progress_view(client, chicago, onboarded):
    """The record for everyone in training, the certificate once the path is complete."""
    record = url("training_onboarding_record", chicago, person_id=onboarded.pk)
    certificate = url("training_certificate", chicago, person_id=onboarded.pk)
    client.force_login(chicago["ata"])
    page = client.get(url("training_progress", chicago)).content.decode()
    assert f'href="{record}" download>Onboarding record<span class="usa-sr-only"> of Ana Lopez</span>' in page
    assert f'href="{certificate}" download>Certificate<span class="usa-sr-only"> of Ana Lopez</span>' in page
    LearningPath.objects.filter(user=onboarded).update(is_complete=False)
    page = client.get(url("training_progress", chicago)).content.decode()
    assert record in page and certificate not in page


# --- The certificate -------------------------------------------------------------------------------
def test_it_certifies_a_completed_path_with_a_code_staff_can_verify(client, chicago, onboarded):
    client.force_login(onboarded)
    response = client.get(url("training_certificate", chicago, person_id=onboarded.pk))
    text = pdf_text(response)
    assert "training-certificate-ana-lopez" in response["Content-Disposition"]
    assert chicago.continuum.name in text and "All Chicago Making Homelessness History" in text
    assert "Ana Lopez" in text and "Certificate of HMIS training completion" in text
    today = timezone.localdate(timezone=chicago.continuum.tzinfo)
    assert f"Date issued: {today:%B} {today.day}, {today.year}" in text
    assert "Introduction to HMIS" in text
    code = re.search(r"Verification code: (\S+)", text).group(1)
    assert code.startswith(f"{onboarded.pk}-{today:%Y%m%d}-")
    assert f"/training/certificates/verify/?code={code}" in text.replace(" ", "")

    client.force_login(chicago["help_desk"])
    page = client.get(url("training_certificate_verify", chicago), {"code": code.lower()}).content.decode()
    assert "Valid." in page and "Ana Lopez" in page
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    page = client.get(url("training_certificate_verify", chicago), {"code": forged}).content.decode()
    assert "Not recognised." in page and "Ana Lopez" not in page


def test_it_stops_verifying_a_certificate_as_current_when_the_record_changes(client, chicago, onboarded):
    summary = records.path_summary(chicago.continuum, onboarded)
    code = records.certificate_code(chicago.continuum, onboarded, summary.completed_on)
    later = timezone.now() + dt.timedelta(days=3)
    Enrollment.objects.filter(user=onboarded).update(completed_at=later)
    client.force_login(chicago["help_desk"])
    page = client.get(url("training_certificate_verify", chicago), {"code": code}).content.decode()
    assert "no longer current" in page


def test_it_does_not_verify_another_cocs_code(client, chicago, onboarded, tenant_b):
    code = records.certificate_code(tenant_b.continuum, onboarded, timezone.localdate())
    client.force_login(chicago["help_desk"])
    page = client.get(url("training_certificate_verify", chicago), {"code": code}).content.decode()
    assert "Not recognised." in page


def test_it_gives_no_certificate_before_the_path_is_complete(client, chicago):
    person = UserFactory(full_name="Ben Ortiz")
    onboarding_for(chicago, user=person, name=("Ben", "Ortiz"))
    services.learning_path_assign(
        continuum=chicago.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
    )
    assert not LearningPath.objects.get(user=person).is_complete
    client.force_login(person)
    assert client.get(url("training_certificate", chicago, person_id=person.pk)).status_code == 404
    assert (
        url("training_certificate", chicago, person_id=person.pk)
        not in client.get(url("my_onboarding", chicago)).content.decode()
    )


def test_it_gives_the_certificate_to_the_person_their_ata_and_training_staff_only(
    client, chicago, onboarded, tenant_b
):
    target = url("training_certificate", chicago, person_id=onboarded.pk)
    for role in ("ata", "help_desk", "coc_admin"):
        client.force_login(chicago[role])
        assert client.get(target).status_code == 200, role
    for person in (
        chicago["agency_supervisor"],
        chicago["other_ata"],
        chicago["auditor"],
        chicago["agency_user"],
        tenant_b["ata"],
    ):
        client.force_login(person)
        assert client.get(target).status_code == 404, person


def test_it_keeps_the_verification_page_to_coc_staff(client, chicago):
    client.force_login(chicago["ata"])
    assert client.get(url("training_certificate_verify", chicago)).status_code == 403
    client.force_login(chicago["auditor"])
    assert client.get(url("training_certificate_verify", chicago)).status_code == 200
