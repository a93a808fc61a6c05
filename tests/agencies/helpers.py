"""Builders for agreement configuration and agreements in any state (no WeasyPrint: fast)."""

from __future__ import annotations

import datetime
import hashlib
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfWriter

from agencies.models import (
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    SigningMethod,
)
from agencies.participation import today_in
from agencies.services import _expiry_for


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_type(continuum, **overrides) -> AgreementType:
    values = {
        "code": "apa",
        "name": "Agency Participation Agreement",
        "short_name": "APA",
        "signer_roles": ["executive_director"],
        "requires_countersignature": True,
        "countersigner_roles": ["coc_admin", "help_desk"],
        "renewal_months": 12,
        "gates": ["submit_access_requests", "host_hrs"],
    }
    values.update(overrides)
    return AgreementType.objects.create(continuum=continuum, **values)


def make_version(agreement_type, *, number=1, label=None, body=None, published_days_ago=400, **extra):
    body = body or f"The agency agrees to protect client data. Version {number}."
    return AgreementVersion.objects.create(
        continuum=agreement_type.continuum,
        agreement_type=agreement_type,
        number=number,
        label=label or f"v{number}",
        body=body,
        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        published_at=timezone.now() - datetime.timedelta(days=published_days_ago),
        **extra,
    )


def make_agreement(
    agency,
    agreement_type,
    *,
    state="current",
    submitted_by,
    version=None,
    executed_days_ago=30,
    expires_in_days=None,
):
    """An agreement row in a given state without going through signing (fast; no WeasyPrint)."""
    continuum = agency.continuum
    today = today_in(continuum)
    version = version or agreement_type.versions.order_by("-number").first()
    agreement = Agreement(
        continuum=continuum,
        agency=agency,
        agreement_type=agreement_type,
        version=version,
        method=SigningMethod.UPLOAD,
        status=AgreementStatus.AWAITING_COUNTERSIGNATURE,
        signer_name="Dana Director",
        signer_title="Executive Director",
        signed_on=today - datetime.timedelta(days=executed_days_ago + 2),
        signed_at=timezone.now() - datetime.timedelta(days=executed_days_ago + 2),
        submitted_by=submitted_by,
        document_sha256="0" * 64,
        document_pages=1,
        document_size=100,
    )
    agreement.document.save("a.pdf", ContentFile(pdf_bytes()), save=False)
    if state in ("current", "expired", "executed"):
        agreement.executed_on = today - datetime.timedelta(days=executed_days_ago)
        agreement.expires_on = _expiry_for(agreement_type, agreement.executed_on)
        if expires_in_days is not None:
            agreement.expires_on = today + datetime.timedelta(days=expires_in_days)
        agreement.status = AgreementStatus.EXECUTED
        if state == "expired":
            agreement.expires_on = today - datetime.timedelta(days=1)
    elif state == "returned":
        agreement.status = AgreementStatus.RETURNED
        agreement.returned_reason = "Illegible scan"
    agreement.save()
    return agreement
