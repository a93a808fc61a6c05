"""The CoC's access-request pathway, configured by its administrators: policy thresholds, request
forms and their rules, and the CES role matrix. Changes are audited and take effect on the next
request (everything is read from the database, nothing is cached in the process)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import configuration, credential_settings, selectors
from .credential_config import project_type_label
from .forms import (
    AgreementVersionForm,
    CredentialPolicyForm,
    RequestPolicyForm,
    RequestTypeConfigForm,
    RubricElementForm,
)
from .models import AgreementKind, CesPermission


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def pathway(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    policy = selectors.config_policy(continuum=continuum, user=user)
    initial = {name: getattr(policy, name) for name in configuration.POLICY_FIELDS}
    form = RequestPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            configuration.request_policy_update(
                continuum=continuum, actor=user, **{n: form.cleaned_data[n] for n in form.changed_data}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Request policy saved; it applies from now on.")
            return redirect("pathway_config", continuum_slug=continuum.slug)
    roles = list(selectors.config_ces_roles(continuum=continuum, user=user))
    return render(
        request,
        "access_requests/config/pathway.html",
        {
            "form": form,
            "request_types": selectors.config_request_types(continuum=continuum, user=user),
            "roles": roles,
            "permissions": CesPermission.choices,
        },
    )


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def request_type_edit(request: HttpRequest, type_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    rtype = selectors.config_request_type(continuum=continuum, user=user, type_id=type_id)
    form = RequestTypeConfigForm(request.POST or None, instance=rtype)
    if request.method == "POST" and form.is_valid():
        changes = {n: form.cleaned_data[n] for n in form.changed_data}
        # The ModelForm has already copied the values onto `rtype`: start again from the database.
        fresh = selectors.config_request_type(continuum=continuum, user=user, type_id=type_id)
        try:
            configuration.request_type_update(request_type=fresh, actor=user, **changes)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{fresh.name}” saved.")
            return redirect("pathway_config", continuum_slug=continuum.slug)
    return render(request, "access_requests/config/request_type.html", {"form": form, "rtype": rtype})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def ces_matrix(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("pathway_config", continuum_slug=request.continuum.slug)
    continuum, user = request.continuum, request.user
    matrix: dict[int, dict] = {}
    problems: list[str] = []
    for role in selectors.config_ces_roles(continuum=continuum, user=user):
        raw = request.POST.get(f"rank-{role.pk}", "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 99:
            problems.append(f"{role.name}: the rank is a whole number from 1 to 99.")
            continue
        matrix[role.pk] = {
            "rank": int(raw),
            "permissions": request.POST.getlist(f"perm-{role.pk}"),
        }
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect("pathway_config", continuum_slug=continuum.slug)
    try:
        changed = configuration.ces_matrix_update(continuum=continuum, actor=user, matrix=matrix)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"CES role matrix saved ({changed} role{'s' if changed != 1 else ''} changed)."
        )
    return redirect("pathway_config", continuum_slug=continuum.slug)


# --- The last steps to a credential -------------------------------------------------------------------


def _errors_onto(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def credential_policy(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    policy = selectors.config_credential_policy(continuum=continuum, user=user)
    form = CredentialPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        changes = {n: form.cleaned_data[n] for n in form.changed_data}
        try:
            credential_settings.credential_policy_update(continuum=continuum, actor=user, **changes)
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            messages.success(request, "Credential policy saved; it applies from now on.")
            return redirect("credential_policy_config", continuum_slug=continuum.slug)
    return render(request, "access_requests/config/credential_policy.html", {"form": form})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def agreements(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    versions = list(selectors.config_agreement_versions(continuum=continuum, user=user))
    kinds = [
        {"kind": kind, "label": label, "versions": [v for v in versions if v.kind == kind]}
        for kind, label in AgreementKind.choices
    ]
    return render(request, "access_requests/config/agreements.html", {"kinds": kinds})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def agreement_publish(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in AgreementKind.values:
        raise Http404
    continuum, user = request.continuum, request.user
    versions = selectors.config_agreement_versions(continuum=continuum, user=user).filter(kind=kind)
    current = versions.filter(is_current=True).first()
    form = AgreementVersionForm(request.POST or None, initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            version = credential_settings.agreement_version_publish(
                continuum=continuum, actor=user, kind=kind, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            messages.success(
                request,
                f"Version {version.label} of the {version.title} is now current."
                + (
                    " People who signed an earlier version are asked to sign it."
                    if current and version.requires_resign
                    else ""
                ),
            )
            return redirect("agreements_config", continuum_slug=continuum.slug)
    return render(
        request,
        "access_requests/config/agreement_publish.html",
        {"form": form, "kind_label": AgreementKind(kind).label, "current": current},
    )


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def rubric(request: HttpRequest) -> HttpResponse:
    """The sample client rubric by HUD project type: what a reviewer checks for each type."""
    continuum, user = request.continuum, request.user
    elements = list(selectors.config_rubric(continuum=continuum, user=user))
    active = [e for e in elements if e.is_active]
    types = sorted({t for e in active for t in e.project_types})
    by_type = [
        {
            "label": project_type_label(t),
            "elements": [e for e in active if e.project_types and t in e.project_types],
        }
        for t in types
    ]
    rows = [{"element": e, "types": [project_type_label(t) for t in e.project_types]} for e in elements]
    return render(
        request,
        "access_requests/config/rubric.html",
        {
            "rows": rows,
            "universal": [e for e in active if not e.project_types],
            "by_type": by_type,
        },
    )


def _rubric_form_page(request: HttpRequest, element=None) -> HttpResponse:
    continuum, user = request.continuum, request.user
    form = RubricElementForm(request.POST or None, instance=element)
    if request.method == "POST" and form.is_valid():
        fields = {n: form.cleaned_data[n] for n in form.changed_data} if element else dict(form.cleaned_data)
        fresh = (
            selectors.config_rubric_element(continuum=continuum, user=user, element_id=element.pk)
            if element
            else None
        )
        try:
            saved = credential_settings.rubric_element_save(
                continuum=continuum, actor=user, element=fresh, **fields
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            messages.success(request, f"Rubric element {saved.code} {saved.name} saved.")
            return redirect("rubric_config", continuum_slug=continuum.slug)
    return render(request, "access_requests/config/rubric_element.html", {"form": form, "element": element})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def rubric_element_new(request: HttpRequest) -> HttpResponse:
    return _rubric_form_page(request)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def rubric_element_edit(request: HttpRequest, element_id: int) -> HttpResponse:
    element = selectors.config_rubric_element(
        continuum=request.continuum, user=request.user, element_id=element_id
    )
    return _rubric_form_page(request, element)
