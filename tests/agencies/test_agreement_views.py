"""Agreement pages: signing, uploading, countersigning, documents, configuration — and who is refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import Agreement, AgreementStatus, AgreementType
from agencies.participation import agency_can_submit_access_requests, today_in
from hmis_onboarding.models import AuditEvent

from .helpers import make_agreement, make_version, pdf_bytes

pytestmark = pytest.mark.django_db


def sign_url(tenant, agreement_type, agency=None):
    agency = agency or tenant.agency
    return f"/{tenant.continuum.slug}/agencies/{agency.pk}/agreements/{agreement_type.pk}/sign/"


def upload_url(tenant, agreement_type):
    return f"/{tenant.continuum.slug}/agencies/{tenant.agency.pk}/agreements/{agreement_type.pk}/upload/"


def test_it_shows_the_director_the_exact_text_and_a_labelled_signature_form(tenant_a, apa_a, login):
    response = login(tenant_a["executive_director"]).get(sign_url(tenant_a, apa_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "protect client data" in html
    assert 'name="version"' in html and f'value="{apa_a.versions.get().pk}"' in html
    assert '<label class="usa-label" for="id_signer_name">' in html
    assert 'for="id_consent"' in html


def test_it_signs_through_the_page_and_records_the_ip(tenant_a, apa_a, login):
    client = login(tenant_a["executive_director"])
    response = client.post(
        sign_url(tenant_a, apa_a),
        {
            "version": apa_a.versions.get().pk,
            "signer_name": "Dana Director",
            "signer_title": "ED",
            "consent": "on",
        },
        REMOTE_ADDR="203.0.113.9",
    )
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/agreements/{agreement.pk}/")
    assert agreement.signer_ip == "203.0.113.9"
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE


def test_it_shows_errors_on_the_field_when_consent_is_missing(tenant_a, apa_a, login):
    response = login(tenant_a["executive_director"]).post(
        sign_url(tenant_a, apa_a),
        {"version": apa_a.versions.get().pk, "signer_name": "", "signer_title": "ED"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_signer_name_error"' in html and "Tick the box to sign." in html
    assert not Agreement.objects.exists()


def test_it_refuses_a_stale_version_with_a_message(tenant_a, apa_a, login):
    old = apa_a.versions.get()
    make_version(apa_a, number=2, published_days_ago=0)
    response = login(tenant_a["executive_director"]).post(
        sign_url(tenant_a, apa_a),
        {"version": old.pk, "signer_name": "D", "signer_title": "ED", "consent": "on"},
    )
    assert response.status_code == 400
    assert "while you were reading" in response.content.decode()
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("role", ["ata", "agency_supervisor", "help_desk", "coc_admin"])
def test_it_refuses_the_sign_page_to_roles_that_do_not_sign(tenant_a, apa_a, login, role):
    response = login(tenant_a[role]).get(sign_url(tenant_a, apa_a))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="authorization.refused").exists()


def test_it_hides_the_sign_page_from_trainees_other_agencies_and_other_tenants(
    tenant_a, tenant_b, apa_a, login
):
    assert login(tenant_a["agency_user"]).get(sign_url(tenant_a, apa_a)).status_code == 404
    assert login(tenant_a["other_ata"]).get(sign_url(tenant_a, apa_a)).status_code == 404
    assert login(tenant_b["executive_director"]).get(sign_url(tenant_a, apa_a)).status_code == 404


def test_it_uploads_a_scan_through_the_page(tenant_a, apa_a, login):
    response = login(tenant_a["ata"]).post(
        upload_url(tenant_a, apa_a),
        {
            "version": apa_a.versions.get().pk,
            "signer_name": "Dana Director",
            "signer_title": "ED",
            "signed_on": today_in(tenant_a.continuum).isoformat(),
            "document": SimpleUploadedFile("scan.pdf", pdf_bytes(2), content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    assert Agreement.objects.get().document_pages == 2


def test_it_refuses_a_non_pdf_upload_with_the_message_on_the_field(tenant_a, apa_a, login):
    response = login(tenant_a["ata"]).post(
        upload_url(tenant_a, apa_a),
        {
            "version": apa_a.versions.get().pk,
            "signer_name": "Dana Director",
            "signer_title": "ED",
            "signed_on": today_in(tenant_a.continuum).isoformat(),
            "document": SimpleUploadedFile("scan.pdf", b"GIF89a not a pdf", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_document_error"' in html
    assert "This file is not a PDF" in html
    assert not Agreement.objects.exists()


def test_it_refuses_an_oversized_upload_with_a_message(tenant_a, apa_a, login, settings):
    settings.AGREEMENT_UPLOAD_MAX_BYTES = 1024
    response = login(tenant_a["ata"]).post(
        upload_url(tenant_a, apa_a),
        {
            "version": apa_a.versions.get().pk,
            "signer_name": "Dana Director",
            "signer_title": "ED",
            "signed_on": today_in(tenant_a.continuum).isoformat(),
            "document": SimpleUploadedFile(
                "scan.pdf", pdf_bytes() + b" " * 2048, content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert "the limit is 1.0" in response.content.decode()
    assert not Agreement.objects.exists()


def test_it_refuses_the_upload_page_to_trainees_and_supervisors(tenant_a, apa_a, login):
    assert login(tenant_a["agency_supervisor"]).get(upload_url(tenant_a, apa_a)).status_code == 403
    assert login(tenant_a["agency_user"]).get(upload_url(tenant_a, apa_a)).status_code == 404


# --- Documents -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["executive_director", "ata", "agency_supervisor", "help_desk", "auditor"])
def test_it_serves_the_signed_copy_as_an_attachment_to_allowed_people(tenant_a, apa_a, login, role):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    response = login(tenant_a[role]).get(f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/document/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="apa-')
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_it_refuses_another_agencys_agreement_file(tenant_a, apa_a, login):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    url = f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/document/"
    assert login(tenant_a["other_ata"]).get(url).status_code == 404
    assert login(tenant_a["agency_user"]).get(url).status_code == 404


def test_it_refuses_the_file_to_another_tenant(tenant_a, tenant_b, apa_a, login):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    client = login(tenant_b["coc_admin"])
    assert client.get(f"/{tenant_b.continuum.slug}/agreements/{agreement.pk}/document/").status_code == 404
    assert client.get(f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/document/").status_code == 404


def test_it_does_not_serve_private_files_from_a_public_path(tenant_a, apa_a, client):
    agreement = make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    for prefix in ("/media/", "/static/", "/media/private/"):
        assert client.get(prefix + agreement.document.name).status_code == 404


# --- Countersigning -------------------------------------------------------------------------------


def countersign_url(tenant, agreement):
    return f"/{tenant.continuum.slug}/agreements/{agreement.pk}/countersign/"


def test_it_countersigns_from_the_agreement_page(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    client = login(tenant_a["help_desk"])
    page = client.get(f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/")
    assert "Countersign" in page.content.decode()
    response = client.post(
        countersign_url(tenant_a, agreement),
        {"countersigner_name": "Hal Desk", "countersigner_title": "HMIS Manager", "consent": "on"},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EXECUTED
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_refuses_countersigning_to_staff_roles_the_type_does_not_name(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    data = {"countersigner_name": "X", "countersigner_title": "Y", "consent": "on"}
    assert login(tenant_a["ce_team"]).post(countersign_url(tenant_a, agreement), data).status_code == 403
    assert login(tenant_a["ata"]).post(countersign_url(tenant_a, agreement), data).status_code == 403
    assert (
        login(tenant_a["executive_director"]).post(countersign_url(tenant_a, agreement), data).status_code
        == 403
    )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE


def test_it_returns_an_agreement_with_the_reason(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    client = login(tenant_a["coc_admin"])
    empty = client.post(f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/return/", {"reason": ""})
    assert empty.status_code == 400
    response = client.post(
        f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/return/", {"reason": "Unsigned page 3"}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.RETURNED and agreement.returned_reason == "Unsigned page 3"


def test_it_lists_the_countersignature_queue_for_countersigners_only(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    page = login(tenant_a["help_desk"]).get(f"/{tenant_a.continuum.slug}/agreements/")
    assert page.status_code == 200 and tenant_a.agency.name in page.content.decode()
    assert f"/agreements/{agreement.pk}/" in page.content.decode()
    assert login(tenant_a["ata"]).get(f"/{tenant_a.continuum.slug}/agreements/").status_code == 403
    assert (
        login(tenant_a["implementation_team"]).get(f"/{tenant_a.continuum.slug}/agreements/").status_code
        == 403
    )


def test_it_shows_the_agreement_page_to_the_agency_but_not_to_other_agencies(tenant_a, apa_a, login):
    agreement = make_agreement(
        tenant_a.agency, apa_a, state="awaiting", submitted_by=tenant_a["executive_director"]
    )
    url = f"/{tenant_a.continuum.slug}/agreements/{agreement.pk}/"
    page = login(tenant_a["ata"]).get(url)
    assert page.status_code == 200 and "Countersign</button>" not in page.content.decode()
    assert login(tenant_a["other_ata"]).get(url).status_code == 404


# --- Configuration ---------------------------------------------------------------------------------


def test_it_lets_the_coc_admin_configure_an_agreement_type_and_publish_a_version(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    base = f"/{tenant_a.continuum.slug}/settings/agreements/"
    assert client.get(base).status_code == 200
    response = client.post(
        base + "new/",
        {
            "name": "Organization Agreement",
            "short_name": "Org Agreement",
            "code": "org",
            "signer_roles": ["executive_director"],
            "requires_countersignature": "on",
            "countersigner_roles": ["coc_admin"],
            "renewal_months": "24",
            "gates": ["submit_access_requests"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = AgreementType.objects.get(code="org")
    assert created.gates == ["submit_access_requests"] and created.renewal_months == 24
    response = client.post(
        base + f"{created.pk}/versions/new/", {"label": "2026", "body": "We agree.", "requires_resign": ""}
    )
    assert response.status_code == 302
    assert created.versions.get().label == "2026"


def test_it_shows_the_error_when_a_countersigned_type_has_no_countersigner(tenant_a, login):
    response = login(tenant_a["coc_admin"]).post(
        f"/{tenant_a.continuum.slug}/settings/agreements/new/",
        {
            "name": "X",
            "short_name": "X",
            "code": "x",
            "signer_roles": ["executive_director"],
            "requires_countersignature": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Choose who countersigns for the CoC." in response.content.decode()


@pytest.mark.parametrize("role", ["help_desk", "ce_team", "ata", "executive_director"])
def test_it_refuses_agreement_configuration_to_other_roles(tenant_a, apa_a, login, role):
    client = login(tenant_a[role])
    base = f"/{tenant_a.continuum.slug}/settings/agreements/"
    for url in (base, base + "new/", base + f"{apa_a.pk}/", base + f"{apa_a.pk}/versions/new/"):
        assert client.get(url).status_code == 403


def test_it_hides_another_tenants_agreement_type(tenant_a, tenant_b, apa_b, login):
    client = login(tenant_a["coc_admin"])
    assert client.get(f"/{tenant_a.continuum.slug}/settings/agreements/{apa_b.pk}/").status_code == 404
    assert client.get(sign_url(tenant_a, apa_b)).status_code == 404
