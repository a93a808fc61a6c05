"""Signing, uploading, countersigning, returning, re-signing and the expiry sweep (service layer)."""

from __future__ import annotations

import datetime
import io
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from agencies import services
from agencies.models import Agreement, AgreementStatus
from agencies.participation import agency_can_submit_access_requests, today_in
from hmis_onboarding.models import AuditEvent

from .helpers import make_agreement, make_type, make_version, pdf_bytes

pytestmark = pytest.mark.django_db


def sign(tenant, agreement_type, *, user=None, version=None, **extra):
    return services.agreement_sign(
        agency=tenant.agency,
        agreement_type=agreement_type,
        version=version or agreement_type.versions.order_by("-number").first(),
        actor=user or tenant["executive_director"],
        signer_name=extra.get("signer_name", "Dana Director"),
        signer_title=extra.get("signer_title", "Executive Director"),
        ip_address="198.51.100.7",
    )


def upload(tenant, agreement_type, content: bytes, *, name="signed.pdf", user=None, signed_on=None):
    return services.agreement_upload(
        agency=tenant.agency,
        agreement_type=agreement_type,
        version=agreement_type.versions.order_by("-number").first(),
        actor=user or tenant["ata"],
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
        signer_name="Dana Director",
        signer_title="Executive Director",
        signed_on=signed_on or today_in(tenant.continuum),
        ip_address="198.51.100.8",
    )


def pdf_text(field_file) -> str:
    with field_file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def test_it_records_an_e_signature_with_name_title_date_version_and_ip(tenant_a, apa_a, private_media):
    agreement = sign(tenant_a, apa_a)
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE
    assert (agreement.signer_name, agreement.signer_title) == ("Dana Director", "Executive Director")
    assert agreement.signed_on == today_in(tenant_a.continuum)
    assert agreement.version == apa_a.versions.get()
    assert agreement.signer_ip == "198.51.100.7"
    assert AuditEvent.objects.filter(action="agreement.signed", object_id=str(agreement.pk)).exists()


def test_it_produces_a_pdf_with_the_text_and_the_signature_block(tenant_a, apa_a, private_media):
    agreement = sign(tenant_a, apa_a)
    text = pdf_text(agreement.document)
    assert "protect client data" in text
    assert "Dana Director" in text and "Executive Director" in text
    assert "198.51.100.7" in text
    assert "Left blank for the CoC to countersign" in text
    assert agreement.document_pages >= 1


def test_it_stores_signed_documents_outside_the_public_media_path(tenant_a, apa_a, private_media):
    agreement = sign(tenant_a, apa_a)
    path = agreement.document.path
    assert path.startswith(os.path.join(str(private_media), "private") + os.sep)
    with pytest.raises(ValueError):
        agreement.document.url  # noqa: B018 - no public URL exists


def test_it_lets_only_the_configured_signer_sign(tenant_a, apa_a):
    with pytest.raises(PermissionDenied):
        sign(tenant_a, apa_a, user=tenant_a["ata"])
    with pytest.raises(PermissionDenied):
        sign(tenant_a, apa_a, user=tenant_a["coc_admin"])
    assert not Agreement.objects.exists()


def test_it_refuses_a_signature_on_a_version_that_is_no_longer_the_latest(tenant_a, apa_a):
    old = apa_a.versions.get()
    make_version(apa_a, number=2, published_days_ago=0)
    with pytest.raises(ValidationError, match="published version v2 while you were reading"):
        sign(tenant_a, apa_a, version=old)


def test_it_refuses_a_second_signature_while_one_awaits_countersignature(tenant_a, apa_a):
    sign(tenant_a, apa_a)
    with pytest.raises(ValidationError, match="already waiting"):
        sign(tenant_a, apa_a)
    assert Agreement.objects.count() == 1


def test_it_requires_a_typed_name(tenant_a, apa_a):
    with pytest.raises(ValidationError) as excinfo:
        sign(tenant_a, apa_a, signer_name="   ")
    assert "signer_name" in excinfo.value.error_dict


def test_it_executes_at_signing_when_the_type_needs_no_countersignature(tenant_a):
    t = make_type(tenant_a.continuum, requires_countersignature=False, countersigner_roles=[])
    make_version(t)
    agreement = sign(tenant_a, t)
    assert agreement.status == AgreementStatus.EXECUTED
    assert agreement.executed_on == today_in(tenant_a.continuum)
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


def test_it_executes_on_countersignature_and_starts_the_renewal_clock(tenant_a, apa_a, private_media):
    agreement = sign(tenant_a, apa_a)
    assert not agency_can_submit_access_requests(tenant_a.agency).allowed
    done = services.agreement_countersign(
        agreement=agreement,
        actor=tenant_a["help_desk"],
        countersigner_name="Hal Desk",
        countersigner_title="HMIS Manager",
        ip_address="192.0.2.1",
    )
    today = today_in(tenant_a.continuum)
    assert done.status == AgreementStatus.EXECUTED
    assert done.executed_on == today
    assert done.expires_on == services._add_months(today, 12) - datetime.timedelta(days=1)
    assert (done.expires_on - today).days in (364, 365)
    assert agency_can_submit_access_requests(tenant_a.agency).allowed
    text = pdf_text(done.executed_document)
    assert "Hal Desk" in text and "Dana Director" in text
    assert pdf_text(done.document).count("Hal Desk") == 0  # the agency's signed copy is untouched


def test_it_lets_only_the_configured_staff_roles_countersign(tenant_a, apa_a):
    agreement = sign(tenant_a, apa_a)
    for role in ("ce_team", "auditor", "implementation_team", "ata", "executive_director"):
        with pytest.raises(PermissionDenied):
            services.agreement_countersign(
                agreement=agreement,
                actor=tenant_a[role],
                countersigner_name="X",
                countersigner_title="Y",
                ip_address=None,
            )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE


def test_it_refuses_to_countersign_twice(tenant_a, apa_a):
    agreement = sign(tenant_a, apa_a)
    kwargs = {"countersigner_name": "Hal Desk", "countersigner_title": "Manager", "ip_address": None}
    services.agreement_countersign(agreement=agreement, actor=tenant_a["coc_admin"], **kwargs)
    with pytest.raises(ValidationError, match="nothing to countersign"):
        services.agreement_countersign(agreement=agreement, actor=tenant_a["coc_admin"], **kwargs)


def test_it_refuses_to_countersign_a_version_that_a_re_sign_version_replaced(tenant_a, apa_a):
    agreement = sign(tenant_a, apa_a)
    make_version(apa_a, number=2, requires_resign=True, published_days_ago=0)
    with pytest.raises(ValidationError, match="Return it"):
        services.agreement_countersign(
            agreement=agreement,
            actor=tenant_a["coc_admin"],
            countersigner_name="A",
            countersigner_title="B",
            ip_address=None,
        )


def test_it_returns_an_agreement_with_a_reason_and_lets_the_agency_sign_again(tenant_a, apa_a):
    agreement = sign(tenant_a, apa_a)
    with pytest.raises(ValidationError):
        services.agreement_return(agreement=agreement, actor=tenant_a["coc_admin"], reason=" ")
    services.agreement_return(agreement=agreement, actor=tenant_a["coc_admin"], reason="Wrong signer")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.RETURNED
    assert agency_can_submit_access_requests(tenant_a.agency).reasons[0].code == "agreement_returned"
    sign(tenant_a, apa_a)


def test_it_supersedes_the_previous_agreement_when_the_renewal_is_executed(tenant_a, apa_a):
    old = make_agreement(
        tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"], expires_in_days=10
    )
    renewal = sign(tenant_a, apa_a)
    assert agency_can_submit_access_requests(tenant_a.agency).allowed  # the old one still counts meanwhile
    services.agreement_countersign(
        agreement=renewal,
        actor=tenant_a["coc_admin"],
        countersigner_name="A",
        countersigner_title="B",
        ip_address=None,
    )
    old.refresh_from_db()
    assert old.status == AgreementStatus.SUPERSEDED


def test_it_accepts_the_new_version_after_a_re_sign(tenant_a, apa_a):
    make_agreement(tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"])
    make_version(apa_a, number=2, requires_resign=True, published_days_ago=0)
    assert not agency_can_submit_access_requests(tenant_a.agency).allowed
    renewal = sign(tenant_a, apa_a)
    assert renewal.version.number == 2
    services.agreement_countersign(
        agreement=renewal,
        actor=tenant_a["coc_admin"],
        countersigner_name="A",
        countersigner_title="B",
        ip_address=None,
    )
    assert agency_can_submit_access_requests(tenant_a.agency).allowed


# --- Uploads ---------------------------------------------------------------------------------------


def test_it_accepts_a_real_pdf_and_records_its_page_count(tenant_a, apa_a):
    agreement = upload(tenant_a, apa_a, pdf_bytes(pages=3))
    assert agreement.method == "upload"
    assert agreement.document_pages == 3
    assert agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE
    assert agreement.document.name.endswith(".pdf") and "signed" not in agreement.document.name


def test_it_refuses_a_file_that_is_not_a_pdf_whatever_its_name(tenant_a, apa_a):
    with pytest.raises(ValidationError) as excinfo:
        upload(tenant_a, apa_a, b"\x89PNG\r\n\x1a\n fake image", name="agreement.pdf")
    assert excinfo.value.error_dict["document"][0].messages == [
        "This file is not a PDF. Upload the signed agreement as a PDF document."
    ]
    assert not Agreement.objects.exists()


def test_it_refuses_a_damaged_pdf(tenant_a, apa_a):
    with pytest.raises(ValidationError, match="could not be read"):
        upload(tenant_a, apa_a, b"%PDF-1.7\n this is not really a pdf at all")


def test_it_refuses_a_password_protected_pdf(tenant_a, apa_a):
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match="password-protected"):
        upload(tenant_a, apa_a, out.getvalue())


def test_it_refuses_an_oversized_file_with_the_limit_in_the_message(tenant_a, apa_a, settings):
    settings.AGREEMENT_UPLOAD_MAX_BYTES = 2048
    with pytest.raises(ValidationError) as excinfo:
        upload(tenant_a, apa_a, pdf_bytes() + b"%" + b" " * 4096)
    [message] = excinfo.value.message_dict["document"]
    assert "the limit is 2.0\xa0KB" in message
    assert not Agreement.objects.exists()


def test_it_refuses_a_future_signature_date(tenant_a, apa_a):
    with pytest.raises(ValidationError) as excinfo:
        upload(
            tenant_a, apa_a, pdf_bytes(), signed_on=today_in(tenant_a.continuum) + datetime.timedelta(days=1)
        )
    assert "signed_on" in excinfo.value.error_dict


def test_it_lets_the_ata_or_a_countersigner_upload_but_not_a_trainee(tenant_a, apa_a):
    with pytest.raises(PermissionDenied):
        upload(tenant_a, apa_a, pdf_bytes(), user=tenant_a["agency_user"])
    with pytest.raises(PermissionDenied):
        upload(tenant_a, apa_a, pdf_bytes(), user=tenant_a["other_ata"])
    upload(tenant_a, apa_a, pdf_bytes(), user=tenant_a["help_desk"])


def test_it_never_lets_a_victim_service_provider_sign_an_hmis_agreement(tenant_a, apa_a):
    tenant_a.agency.victim_service_provider = True
    tenant_a.agency.save()
    with pytest.raises(ValidationError, match="Victim service providers"):
        sign(tenant_a, apa_a)
    with pytest.raises(ValidationError, match="Victim service providers"):
        upload(tenant_a, apa_a, pdf_bytes())


# --- Expiry sweep ------------------------------------------------------------------------------------


def test_it_marks_lapsed_agreements_expired_and_warns_once(tenant_a, apa_a):
    lapsed = make_agreement(
        tenant_a.agency, apa_a, state="expired", submitted_by=tenant_a["executive_director"]
    )
    soon = make_agreement(tenant_a.other_agency, apa_a, submitted_by=tenant_a["other_ata"], expires_in_days=5)
    result = services.agreement_expiry_sweep(continuum=tenant_a.continuum)
    assert result.expired == [lapsed.pk] and result.warned == [soon.pk]
    lapsed.refresh_from_db()
    soon.refresh_from_db()
    assert lapsed.status == AgreementStatus.EXPIRED
    assert soon.expiry_warning_at is not None
    again = services.agreement_expiry_sweep(continuum=tenant_a.continuum)
    assert again.expired == [] and again.warned == []
    assert AuditEvent.objects.filter(action="agreement.expired", object_id=str(lapsed.pk)).count() == 1
    assert AuditEvent.objects.filter(action="agreement.expiring_soon", object_id=str(soon.pk)).count() == 1


def test_it_sweeps_in_bounded_batches(tenant_a, apa_a):
    rows = [
        make_agreement(tenant_a.agency, apa_a, state="expired", submitted_by=tenant_a["executive_director"])
        for _ in range(5)
    ]
    result = services.agreement_expiry_sweep(continuum=tenant_a.continuum, batch_size=2)
    assert sorted(result.expired) == sorted(r.pk for r in rows)


def test_it_finds_expiring_agreements_for_reminders(tenant_a, tenant_b, apa_a, apa_b):
    soon = make_agreement(
        tenant_a.agency, apa_a, submitted_by=tenant_a["executive_director"], expires_in_days=3
    )
    make_agreement(tenant_a.other_agency, apa_a, submitted_by=tenant_a["other_ata"], expires_in_days=90)
    make_agreement(tenant_b.agency, apa_b, submitted_by=tenant_b["executive_director"], expires_in_days=3)
    assert services.agreements_expiring(continuum=tenant_a.continuum) == [soon]


def test_it_runs_the_sweep_task_for_every_continuum(tenant_a, tenant_b, apa_a, apa_b, settings):
    from agencies import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True
    from hmis_onboarding.celery import app

    app.conf.task_always_eager = True
    try:
        lapsed_a = make_agreement(
            tenant_a.agency, apa_a, state="expired", submitted_by=tenant_a["executive_director"]
        )
        lapsed_b = make_agreement(
            tenant_b.agency, apa_b, state="expired", submitted_by=tenant_b["executive_director"]
        )
        assert tasks.sweep_agreement_expiry() == 2
    finally:
        app.conf.task_always_eager = False
    assert {a.status for a in Agreement.objects.filter(pk__in=[lapsed_a.pk, lapsed_b.pk])} == {"expired"}


def test_it_schedules_the_daily_sweep():
    from hmis_onboarding.schedules import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["sweep-agreement-expiry"]["task"] == "agencies.tasks.sweep_agreement_expiry"


# --- Configuration ---------------------------------------------------------------------------------


def test_it_publishes_numbered_immutable_versions(tenant_a, apa_a):
    version = services.agreement_version_publish(
        agreement_type=apa_a, actor=tenant_a["coc_admin"], label="2027", body="New text", requires_resign=True
    )
    assert version.number == 2 and version.body_sha256
    with pytest.raises(ValidationError, match="already exists"):
        services.agreement_version_publish(
            agreement_type=apa_a, actor=tenant_a["coc_admin"], label="2027", body="x"
        )
    with pytest.raises(PermissionDenied):
        services.agreement_version_publish(
            agreement_type=apa_a, actor=tenant_a["help_desk"], label="2028", body="x"
        )


def test_it_refuses_a_countersigned_type_without_countersigners(tenant_a):
    with pytest.raises(ValidationError):
        services.agreement_type_save(
            continuum=tenant_a.continuum,
            actor=tenant_a["coc_admin"],
            code="x",
            name="X",
            short_name="X",
            signer_roles=["executive_director"],
            requires_countersignature=True,
            countersigner_roles=[],
            gates=["submit_access_requests"],
        )
