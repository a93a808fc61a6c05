"""Agreement pages: configuration of agreement types and versions, signing, uploading a scanned copy,
countersigning, and serving the signed documents to the people allowed to see them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from hmis_onboarding.audit import client_ip
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import participation, selectors, services
from .documents import upload_max_bytes
from .forms import (
    AgreementTypeForm,
    AgreementVersionForm,
    CountersignForm,
    ReturnAgreementForm,
    SignAgreementForm,
    UploadAgreementForm,
)
from .models import Agreement, AgreementStatus, AgreementType
from .policies import may_countersign, may_sign, may_upload
from .views import add_errors, refuse, vsp_notice


@tenant_view(Capability.COUNTERSIGN_AGREEMENTS)
def agreement_queue(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    return render(
        request,
        "agencies/agreement_queue.html",
        {
            "queue": selectors.countersign_queue(continuum=continuum, user=user),
            "expiring": selectors.agreements_expiring_for_viewer(continuum=continuum, user=user),
        },
    )


@tenant_view()
def agreement_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    agreement = selectors.agreement_get(continuum=continuum, user=user, agreement_id=agreement_id)
    can_countersign = (
        may_countersign(request.access, agreement.agreement_type)
        and agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE
    )
    return render(
        request,
        "agencies/agreement_detail.html",
        {
            "agreement": agreement,
            "can_countersign": can_countersign,
            "countersign_form": CountersignForm(initial={"countersigner_name": user.full_name}),
            "return_form": ReturnAgreementForm(),
            "history": selectors.object_history(continuum=continuum, user=user, obj=agreement),
        },
    )


def _countersign_page(
    request: HttpRequest, agreement: Agreement, countersign_form=None, return_form=None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "agencies/agreement_detail.html",
        {
            "agreement": agreement,
            "can_countersign": True,
            "countersign_form": countersign_form or CountersignForm(),
            "return_form": return_form or ReturnAgreementForm(),
            "history": selectors.object_history(
                continuum=request.continuum, user=request.user, obj=agreement
            ),
        },
        status=status,
    )


@require_POST
@tenant_view(Capability.COUNTERSIGN_AGREEMENTS)
def agreement_countersign(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = selectors.agreement_get(
        continuum=request.continuum, user=request.user, agreement_id=agreement_id
    )
    if not may_countersign(request.access, agreement.agreement_type):
        raise refuse(
            request, "may not countersign this type", "Your role does not countersign this agreement."
        )
    form = CountersignForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_countersign(
                agreement=agreement,
                actor=request.user,
                countersigner_name=form.cleaned_data["countersigner_name"],
                countersigner_title=form.cleaned_data["countersigner_title"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Countersigned. {agreement.agency.name}'s agreement is now executed.")
            return redirect(
                "agreement_detail", continuum_slug=request.continuum.slug, agreement_id=agreement.pk
            )
    return _countersign_page(request, agreement, countersign_form=form, status=400)


@require_POST
@tenant_view(Capability.COUNTERSIGN_AGREEMENTS)
def agreement_return(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = selectors.agreement_get(
        continuum=request.continuum, user=request.user, agreement_id=agreement_id
    )
    if not may_countersign(request.access, agreement.agreement_type):
        raise refuse(
            request, "may not countersign this type", "Your role does not countersign this agreement."
        )
    form = ReturnAgreementForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_return(
                agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Returned to {agreement.agency.name} with your reason.")
            return redirect(
                "agreement_detail", continuum_slug=request.continuum.slug, agreement_id=agreement.pk
            )
    return _countersign_page(request, agreement, return_form=form, status=400)


def agreement_file_response(agreement: Agreement, field_file, suffix: str) -> FileResponse:
    """A stored agreement PDF as a download; the caller has fetched `agreement` through a scoped selector."""
    if not field_file:
        raise Http404("No such document.")
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The document is missing from storage.") from error
    parts = [slugify(agreement.agreement_type.short_name), slugify(agreement.agency.name)]
    name = f"{'-'.join(parts)}-{agreement.signed_on:%Y-%m-%d}{suffix}.pdf"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@tenant_view()
def agreement_document(request: HttpRequest, agreement_id: int) -> FileResponse:
    """The agency's signed copy (generated or uploaded). Only people who may see the agreement get it;
    anyone else gets the same 404 as for a document that does not exist."""
    agreement = selectors.agreement_get(
        continuum=request.continuum, user=request.user, agreement_id=agreement_id
    )
    return agreement_file_response(agreement, agreement.document, "")


@tenant_view()
def agreement_executed_document(request: HttpRequest, agreement_id: int) -> FileResponse:
    agreement = selectors.agreement_get(
        continuum=request.continuum, user=request.user, agreement_id=agreement_id
    )
    return agreement_file_response(agreement, agreement.executed_document, "-executed")


def _agency_and_type(request: HttpRequest, agency_id: int, agreement_type_id: int):
    continuum, user = request.continuum, request.user
    agency = selectors.agency_get(continuum=continuum, user=user, agency_id=agency_id)
    agreement_type = selectors.agreement_type_get(
        continuum=continuum, user=user, agreement_type_id=agreement_type_id
    )
    if not agreement_type.is_active:
        raise Http404("The CoC no longer asks for this agreement.")
    return agency, agreement_type


@tenant_view()
def agreement_sign(request: HttpRequest, agency_id: int, agreement_type_id: int) -> HttpResponse:
    agency, agreement_type = _agency_and_type(request, agency_id, agreement_type_id)
    if not may_sign(request.access, agreement_type, agency):
        raise refuse(
            request,
            "not a signer for this agency",
            f"Only the {' or '.join(agreement_type.signer_role_labels).lower()} of {agency.name} "
            "signs this agreement.",
        )
    if agency.victim_service_provider:
        return vsp_notice(request, agency)
    versions = selectors.agreement_versions(
        continuum=request.continuum, user=request.user, agreement_type=agreement_type
    )
    version = versions[0] if versions else None
    form = SignAgreementForm(
        request.POST or None,
        initial={"version": version.pk if version else None, "signer_name": request.user.full_name},
    )
    if request.method == "POST" and version is not None and form.is_valid():
        signed_version = next((v for v in versions if v.pk == form.cleaned_data["version"]), None)
        try:
            if signed_version is None:
                raise ValidationError(
                    "The version you read no longer exists. Read the current version and sign again."
                )
            agreement = services.agreement_sign(
                agency=agency,
                agreement_type=agreement_type,
                version=signed_version,
                actor=request.user,
                signer_name=form.cleaned_data["signer_name"],
                signer_title=form.cleaned_data["signer_title"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if agreement.status == AgreementStatus.EXECUTED:
                messages.success(request, f"Signed. The {agreement_type.name} is now in force.")
            else:
                messages.success(
                    request, f"Signed. The {agreement_type.name} now waits for the CoC's countersignature."
                )
            return redirect(
                "agreement_detail", continuum_slug=request.continuum.slug, agreement_id=agreement.pk
            )
    standing = next(
        (s for s in participation.agency_standings(agency) if s.agreement_type.pk == agreement_type.pk), None
    )
    return render(
        request,
        "agencies/agreement_sign.html",
        {
            "agency": agency,
            "agreement_type": agreement_type,
            "version": version,
            "form": form,
            "standing": standing,
            "today": participation.today_in(request.continuum),
        },
        status=400 if request.method == "POST" else 200,
    )


@tenant_view()
def agreement_upload(request: HttpRequest, agency_id: int, agreement_type_id: int) -> HttpResponse:
    agency, agreement_type = _agency_and_type(request, agency_id, agreement_type_id)
    if not may_upload(request.access, agreement_type, agency):
        raise refuse(
            request,
            "may not upload for this agency",
            "Only the agency's signer or ATA, or the CoC's countersigners, upload signed copies.",
        )
    if agency.victim_service_provider:
        return vsp_notice(request, agency)
    versions = selectors.agreement_versions(
        continuum=request.continuum, user=request.user, agreement_type=agreement_type
    )
    form = UploadAgreementForm(
        request.POST or None,
        request.FILES or None,
        versions=versions,
        max_bytes=upload_max_bytes(),
        initial={"version": versions[0].pk if versions else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_upload(
                agency=agency,
                agreement_type=agreement_type,
                version=form.cleaned_data["version"],
                actor=request.user,
                upload=form.cleaned_data["document"],
                signer_name=form.cleaned_data["signer_name"],
                signer_title=form.cleaned_data["signer_title"],
                signed_on=form.cleaned_data["signed_on"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Signed copy uploaded.")
            return redirect(
                "agreement_detail", continuum_slug=request.continuum.slug, agreement_id=agreement.pk
            )
    return render(
        request,
        "agencies/agreement_upload.html",
        {"agency": agency, "agreement_type": agreement_type, "form": form, "has_versions": bool(versions)},
        status=400 if request.method == "POST" else 200,
    )


# --- Configuration (CoC administrators) ----------------------------------------------------------------


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def agreement_type_list(request: HttpRequest) -> HttpResponse:
    types = list(
        selectors.agreement_types(continuum=request.continuum, user=request.user, include_inactive=True)
    )
    for t in types:
        t.version_list = selectors.agreement_versions(
            continuum=request.continuum, user=request.user, agreement_type=t
        )
    return render(request, "agencies/agreement_type_list.html", {"types": types})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def agreement_type_edit(request: HttpRequest, agreement_type_id: int | None = None) -> HttpResponse:
    continuum = request.continuum
    existing = (
        selectors.agreement_type_get(
            continuum=continuum, user=request.user, agreement_type_id=agreement_type_id
        )
        if agreement_type_id
        else None
    )
    form = AgreementTypeForm(request.POST or None, instance=existing or AgreementType(continuum=continuum))
    if request.method == "POST" and form.is_valid():
        fields = form.Meta.fields
        try:
            saved = services.agreement_type_save(
                continuum=continuum,
                actor=request.user,
                agreement_type=existing,
                **{name: form.cleaned_data[name] for name in fields},
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("agreement_type_list", continuum_slug=continuum.slug)
    history = (
        selectors.object_history(continuum=continuum, user=request.user, obj=existing) if existing else []
    )
    return render(
        request,
        "agencies/agreement_type_form.html",
        {"form": form, "agreement_type": existing, "history": history},
    )


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def agreement_version_new(request: HttpRequest, agreement_type_id: int) -> HttpResponse:
    continuum = request.continuum
    agreement_type = selectors.agreement_type_get(
        continuum=continuum, user=request.user, agreement_type_id=agreement_type_id
    )
    versions = selectors.agreement_versions(
        continuum=continuum, user=request.user, agreement_type=agreement_type
    )
    latest = versions[0] if versions else None
    form = AgreementVersionForm(request.POST or None, initial={"body": latest.body if latest else ""})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.agreement_version_publish(
                agreement_type=agreement_type,
                actor=request.user,
                label=form.cleaned_data["label"],
                body=form.cleaned_data["body"],
                requires_resign=form.cleaned_data["requires_resign"],
                resign_by=form.cleaned_data["resign_by"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Version {version.label} of the {agreement_type.name} published.")
            return redirect("agreement_type_list", continuum_slug=continuum.slug)
    return render(
        request,
        "agencies/agreement_version_form.html",
        {"form": form, "agreement_type": agreement_type, "latest": latest},
    )
