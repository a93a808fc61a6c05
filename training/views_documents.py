"""A person's onboarding record and training certificate as PDFs, and the page where CoC staff check a
certificate's verification code. Who may have which document is decided in `training.records`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.exports import pdf_response
from hmis_onboarding.permissions import Capability

from . import records


def _name(person) -> str:
    return slugify(person.get_full_name()) or f"person-{person.pk}"


@tenant_view()
def onboarding_record(request: HttpRequest, person_id: int) -> HttpResponse:
    continuum = request.continuum
    person, agency_ids = records.record_subject(continuum=continuum, user=request.user, person_id=person_id)
    content = records.onboarding_record_pdf(continuum=continuum, person=person, agency_ids=agency_ids)
    return pdf_response(content, filename=f"onboarding-record-{_name(person)}.pdf")


@tenant_view()
def certificate(request: HttpRequest, person_id: int) -> HttpResponse:
    continuum = request.continuum
    person = records.certificate_subject(continuum=continuum, user=request.user, person_id=person_id)
    content, _ = records.certificate_pdf(continuum=continuum, person=person)
    return pdf_response(content, filename=f"training-certificate-{_name(person)}.pdf")


@tenant_view(Capability.VIEW_ALL_AGENCIES)
def certificate_verify(request: HttpRequest) -> HttpResponse:
    code = records.normalise_code(request.GET.get("code", ""))[:64]
    check = (
        records.certificate_check(continuum=request.continuum, user=request.user, code=code) if code else None
    )
    return render(request, "training/certificate_verify.html", {"code": code, "check": check})
