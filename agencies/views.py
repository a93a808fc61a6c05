"""Tenant pages: persona home pages, the agency directory and profile, CoC settings, the audit trail,
ATA designation and HRS hosts. Thin: selectors read, services write, refusals are recorded."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.exports import csv_response
from hmis_onboarding.home import home_panels
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.security import user_has_totp
from hmis_onboarding.tenancy import record_refusal

from . import participation, selectors, services
from .filters import AgencyFilter
from .forms import (
    AgencyProfileForm,
    ContinuumSettingsForm,
    DesignateAtaForm,
    HrsHostApproveForm,
    HrsHostRevokeForm,
)
from .models import Agency, HrsHostStatus
from .policies import agency_capabilities, may_countersign, may_sign, may_upload


def refuse(request: HttpRequest, reason: str, message: str) -> PermissionDenied:
    """Record the refusal in the audit trail and return the 403 to raise."""
    record_refusal(request, reason=reason, continuum=request.continuum)
    return PermissionDenied(message)


def vsp_notice(request: HttpRequest, agency: Agency) -> HttpResponse:
    """Victim service providers have no HMIS client-data paths: say where their staff go instead."""
    return render(request, "agencies/vsp_notice.html", {"agency": agency}, status=403)


def add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@tenant_view()
def tenant_home(request: HttpRequest) -> HttpResponse:
    """One home per persona: CoC staff see what waits, agency leads their agency, users their status."""
    continuum, user, access = request.continuum, request.user, request.access
    context = {"access": access, "panels": home_panels(request)}
    if access.is_staff:
        context["overview"] = selectors.staff_overview(continuum=continuum, user=user)
        context["recent_events"] = (
            list(selectors.audit_events(continuum=continuum, user=user)[:8])
            if access.can(Capability.VIEW_AUDIT_TRAIL)
            else []
        )
        context["countersign_queue"] = (
            selectors.countersign_queue(continuum=continuum, user=user)[:10]
            if access.can(Capability.COUNTERSIGN_AGREEMENTS)
            else []
        )
        context["expiring"] = selectors.agreements_expiring_for_viewer(continuum=continuum, user=user)
        if access.can(Capability.SETUP_PROGRAMS):
            context["setup_queue"] = list(selectors.program_setup_queue(continuum=continuum, user=user)[:10])
        template = "agencies/home_staff.html"
    elif access.can(Capability.VIEW_OWN_AGENCY):
        agencies, people = selectors.agency_lead_home(continuum=continuum, user=user)
        gates = {agency.pk: participation.agency_can_submit_access_requests(agency) for agency in agencies}
        context.update(agencies=agencies, people=people, gates=gates)
        template = "agencies/home_agency_lead.html"
    else:
        memberships = list(selectors.my_memberships(continuum=continuum, user=user))
        context.update(
            memberships=memberships,
            contacts=selectors.agency_contacts(continuum=continuum, user=user),
            mfa_enabled=user_has_totp(user),
            vsp_agencies=sorted(
                {m.agency.name for m in memberships if m.agency_id and m.agency.victim_service_provider}
            ),
        )
        template = "agencies/home_agency_user.html"
    return render(request, template, context)


@tenant_view(Capability.VIEW_ALL_AGENCIES)
def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = selectors.agency_list(continuum=request.continuum, user=request.user)
    directory = AgencyFilter(request.GET or None, queryset=agencies, request=request)
    rows = list(directory.qs)
    standings = participation.agreement_standings(continuum=request.continuum, agencies=rows)
    for agency in rows:
        agency.standings = sorted(standings[agency.pk].values(), key=lambda s: s.agreement_type.name)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"agencies-{request.continuum.slug}",
            header=[
                "id",
                "name",
                "hmis_participating",
                "coc_member",
                "victim_service_provider",
                "license_pool_size",
                "agreements",
                "contact_email",
            ],
            rows=rows,
            row=lambda a: [
                a.pk,
                a.name,
                a.hmis_participating,
                a.coc_member,
                a.victim_service_provider,
                a.license_pool_size,
                "; ".join(f"{st.agreement_type.name}: {st.label}" for st in a.standings),
                a.contact_email,
            ],
        )
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "agencies/agency_list.html",
        {
            "filter": directory,
            "agencies": rows,
            "filtered": bool(request.GET),
            "can_manage": request.access.can(Capability.MANAGE_AGENCIES),
            "query": query.urlencode(),
        },
    )


@tenant_view(Capability.MANAGE_AGENCIES)
def agency_create(request: HttpRequest) -> HttpResponse:
    form = AgencyProfileForm(request.POST or None, instance=Agency(continuum=request.continuum))
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_create(
                continuum=request.continuum,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in services.AGENCY_PROFILE_FIELDS},
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{agency.name} added.")
            return redirect("agency_detail", continuum_slug=request.continuum.slug, agency_id=agency.pk)
    return render(request, "agencies/agency_form.html", {"form": form, "agency": None})


@tenant_view(Capability.MANAGE_AGENCIES)
def agency_edit(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = selectors.agency_get(continuum=request.continuum, user=request.user, agency_id=agency_id)
    form = AgencyProfileForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_update_profile(
                agency=agency,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Agency profile saved.")
            return redirect("agency_detail", continuum_slug=request.continuum.slug, agency_id=agency.pk)
    return render(request, "agencies/agency_form.html", {"form": form, "agency": agency})


@tenant_view()
def agency_detail(request: HttpRequest, agency_id: int) -> HttpResponse:
    continuum, user, access = request.continuum, request.user, request.access
    agency = selectors.agency_get(continuum=continuum, user=user, agency_id=agency_id)
    caps = agency_capabilities(access, agency.pk)
    standings = participation.agency_standings(agency)
    for standing in standings:
        t = standing.agreement_type
        standing.can_sign = may_sign(access, t, agency) and not agency.victim_service_provider
        standing.can_upload = may_upload(access, t, agency) and not agency.victim_service_provider
    host = selectors.hrs_hosts(continuum=continuum, user=user).filter(agency=agency).first()
    context = {
        "agency": agency,
        "gate": participation.agency_can_submit_access_requests(agency),
        "standings": standings,
        "agreements": selectors.agency_agreements(continuum=continuum, user=user, agency=agency),
        "projects": list(selectors.project_list(continuum=continuum, user=user).filter(agency=agency)),
        "setup_requests": list(
            selectors.program_setup_requests(continuum=continuum, user=user).filter(agency=agency)[:10]
        ),
        "people": selectors.people_list(continuum=continuum, user=user, agency=agency),
        "atas": selectors.agency_ata_memberships(continuum=continuum, user=user, agency=agency),
        "history": selectors.agency_history(continuum=continuum, user=user, agency=agency),
        "hrs_host": host,
        "hrs_host_active": bool(host and host.status == HrsHostStatus.APPROVED),
        "can_manage": Capability.MANAGE_AGENCIES in caps,
        "can_setup_programs": Capability.SETUP_PROGRAMS in caps,
        "can_request_setup": Capability.REQUEST_PROGRAM_SETUP in caps,
        "can_approve_hosts": Capability.APPROVE_HRS_HOSTS in caps,
        "show_program_setup": continuum.access_requires_program_setup,
        "can_countersign_any": any(may_countersign(access, s.agreement_type) for s in standings),
    }
    return render(request, "agencies/agency_detail.html", context)


@tenant_view(Capability.MANAGE_AGENCIES)
def agency_designate_ata(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = selectors.agency_get(continuum=request.continuum, user=request.user, agency_id=agency_id)
    form = DesignateAtaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.agency_designate_ata(
                agency=agency,
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{membership.user.get_full_name()} is now an ATA of {agency.name}.")
            return redirect("agency_detail", continuum_slug=request.continuum.slug, agency_id=agency.pk)
    atas = selectors.agency_ata_memberships(continuum=request.continuum, user=request.user, agency=agency)
    return render(request, "agencies/ata_form.html", {"form": form, "agency": agency, "atas": atas})


@require_POST
@tenant_view(Capability.MANAGE_AGENCIES)
def agency_remove_ata(request: HttpRequest, agency_id: int, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(
        continuum=request.continuum, user=request.user, membership_id=membership_id
    )
    if membership.agency_id != agency_id or membership.role != Role.ATA:
        raise Http404
    services.agency_remove_ata(membership=membership, actor=request.user)
    messages.success(
        request, f"{membership.user.get_full_name()} is no longer an ATA of {membership.agency.name}."
    )
    return redirect("agency_detail", continuum_slug=request.continuum.slug, agency_id=agency_id)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def continuum_settings(request: HttpRequest) -> HttpResponse:
    continuum = request.continuum
    form = ContinuumSettingsForm(request.POST or None, instance=continuum)
    if request.method == "POST" and form.is_valid():
        try:
            services.continuum_update_settings(
                continuum=continuum,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("continuum_settings", continuum_slug=continuum.slug)
    history = selectors.object_history(continuum=continuum, user=request.user, obj=continuum)
    return render(request, "agencies/continuum_settings.html", {"form": form, "history": history})


# --- Housing Resource Specialist hosts ------------------------------------------------------------


@tenant_view(Capability.APPROVE_HRS_HOSTS)
def hrs_host_list(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    hosts = list(selectors.hrs_hosts(continuum=continuum, user=user))
    hosted = {h.agency_id for h in hosts if h.status == HrsHostStatus.APPROVED}
    candidates = [
        (agency, participation.hrs_host_eligibility(agency))
        for agency in selectors.agency_list(continuum=continuum, user=user)
        if agency.pk not in hosted and not agency.victim_service_provider
    ]
    for host in hosts:
        host.still_eligible = participation.hrs_host_eligibility(
            host.agency, exception_reason=host.exception_reason
        )
    return render(request, "agencies/hrs_host_list.html", {"hosts": hosts, "candidates": candidates})


@tenant_view(Capability.APPROVE_HRS_HOSTS)
def hrs_host_approve(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = selectors.agency_get(continuum=request.continuum, user=request.user, agency_id=agency_id)
    form = HrsHostApproveForm(request.POST or None)
    eligibility = participation.hrs_host_eligibility(agency)
    if request.method == "POST" and form.is_valid():
        try:
            services.hrs_host_approve(
                agency=agency, actor=request.user, exception_reason=form.cleaned_data["exception_reason"]
            )
        except participation.AgencyNotEligible as error:
            for reason in error.eligibility.reasons:
                field = "exception_reason" if reason.code == "no_hmis_or_exception" else None
                form.add_error(field, reason.message)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{agency.name} may now host Housing Resource Specialists.")
            return redirect("hrs_host_list", continuum_slug=request.continuum.slug)
    return render(
        request,
        "agencies/hrs_host_approve.html",
        {"form": form, "agency": agency, "eligibility": eligibility},
    )


@require_POST
@tenant_view(Capability.APPROVE_HRS_HOSTS)
def hrs_host_revoke(request: HttpRequest, host_id: int) -> HttpResponse:
    host = selectors.hrs_host_get(continuum=request.continuum, user=request.user, host_id=host_id)
    form = HrsHostRevokeForm(request.POST)
    if form.is_valid():
        try:
            services.hrs_host_revoke(host=host, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{host.agency.name} no longer hosts Housing Resource Specialists.")
    else:
        messages.error(request, "Record why hosting ends.")
    return redirect("hrs_host_list", continuum_slug=request.continuum.slug)
