"""Program pages: the CoC's HMIS projects, and LA's program setup / modification requests (step 2)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import selectors, services
from .filters import ProjectFilter
from .forms import HmisProjectForm, ProgramSetupCompleteForm, ProgramSetupProblemForm, ProgramSetupRequestForm
from .models import HmisProject, ProgramSetupStatus
from .policies import can_in_agency
from .views import add_errors, refuse, vsp_notice


@tenant_view(Capability.VIEW_ALL_AGENCIES)
def program_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.project_list(continuum=request.continuum, user=request.user).order_by(
        "agency__name", "name"
    )
    programs = ProjectFilter(request.GET or None, queryset=projects, request=request)
    return render(
        request,
        "agencies/program_list.html",
        {"filter": programs, "projects": programs.qs, "filtered": bool(request.GET)},
    )


@tenant_view(Capability.SETUP_PROGRAMS)
def program_create(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = selectors.agency_get(continuum=request.continuum, user=request.user, agency_id=agency_id)
    if agency.victim_service_provider:
        return vsp_notice(request, agency)
    form = HmisProjectForm(
        request.POST or None, instance=HmisProject(continuum=request.continuum, agency=agency)
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.hmis_project_create(
                agency=agency,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in services.HMIS_PROJECT_FIELDS},
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Program {project.name} added.")
            return redirect("agency_detail", continuum_slug=request.continuum.slug, agency_id=agency.pk)
    return render(request, "agencies/program_form.html", {"form": form, "agency": agency, "project": None})


@tenant_view(Capability.SETUP_PROGRAMS)
def program_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(continuum=request.continuum, user=request.user, project_id=project_id)
    form = HmisProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.hmis_project_update(
                project=project,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Program saved.")
            return redirect(
                "agency_detail", continuum_slug=request.continuum.slug, agency_id=project.agency_id
            )
    history = selectors.object_history(continuum=request.continuum, user=request.user, obj=project)
    return render(
        request,
        "agencies/program_form.html",
        {"form": form, "agency": project.agency, "project": project, "history": history},
    )


@tenant_view(Capability.SETUP_PROGRAMS)
def program_setup_queue(request: HttpRequest) -> HttpResponse:
    requests = list(
        selectors.program_setup_queue(continuum=request.continuum, user=request.user).order_by("submitted_at")
    )
    return render(request, "agencies/program_setup_queue.html", {"setup_requests": requests})


@tenant_view()
def program_setup_new(request: HttpRequest, agency_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    agency = selectors.agency_get(continuum=continuum, user=user, agency_id=agency_id)
    if not can_in_agency(request.access, agency, Capability.REQUEST_PROGRAM_SETUP):
        raise refuse(
            request,
            "may not request program setup",
            "Only the agency's program manager, ATA or executive director requests program setup.",
        )
    if agency.victim_service_provider:
        return vsp_notice(request, agency)
    projects = list(
        selectors.project_list(continuum=continuum, user=user).filter(agency=agency, is_active=True)
    )
    form = ProgramSetupRequestForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        try:
            setup_request = services.program_setup_request_file(
                agency=agency,
                actor=user,
                kind=form.cleaned_data["kind"],
                ces_roles=form.cleaned_data["ces_roles"],
                program_types=form.cleaned_data["program_types"],
                programs_description=form.cleaned_data["programs_description"],
                projects=list(form.cleaned_data["projects"]),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Request sent to the HMIS implementation team.")
            return redirect(
                "program_setup_detail", continuum_slug=continuum.slug, request_id=setup_request.pk
            )
    return render(
        request,
        "agencies/program_setup_form.html",
        {"form": form, "agency": agency},
        status=400 if request.method == "POST" else 200,
    )


@tenant_view()
def program_setup_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _detail(request, _get(request, request_id))


def _detail(request: HttpRequest, setup_request, *, complete_form=None, problem_form=None, status: int = 200):
    continuum, user, access = request.continuum, request.user, request.access
    is_team = access.can(Capability.SETUP_PROGRAMS)
    is_agency = can_in_agency(access, setup_request.agency_id, Capability.REQUEST_PROGRAM_SETUP)
    projects = list(
        selectors.project_list(continuum=continuum, user=user).filter(
            agency_id=setup_request.agency_id, is_active=True
        )
    )
    if complete_form is None:
        complete_form = ProgramSetupCompleteForm(
            projects=projects, initial={"projects": [p.pk for p in setup_request.projects.all()]}
        )
    return render(
        request,
        "agencies/program_setup_detail.html",
        {
            "setup_request": setup_request,
            "linked_projects": list(setup_request.projects.all()),
            "is_team": is_team,
            "is_agency": is_agency,
            "complete_form": complete_form,
            "problem_form": problem_form or ProgramSetupProblemForm(),
            "statuses": ProgramSetupStatus,
            "history": selectors.object_history(continuum=continuum, user=user, obj=setup_request),
        },
        status=status,
    )


def _get(request: HttpRequest, request_id: int):
    return selectors.program_setup_request_get(
        continuum=request.continuum, user=request.user, request_id=request_id
    )


def _back(request: HttpRequest, setup_request) -> HttpResponse:
    return redirect(
        "program_setup_detail", continuum_slug=request.continuum.slug, request_id=setup_request.pk
    )


@require_POST
@tenant_view(Capability.SETUP_PROGRAMS)
def program_setup_start(request: HttpRequest, request_id: int) -> HttpResponse:
    setup_request = _get(request, request_id)
    try:
        services.program_setup_start(setup_request=setup_request, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Marked as being set up.")
    return _back(request, setup_request)


@require_POST
@tenant_view(Capability.SETUP_PROGRAMS)
def program_setup_complete(request: HttpRequest, request_id: int) -> HttpResponse:
    setup_request = _get(request, request_id)
    projects = list(
        selectors.project_list(continuum=request.continuum, user=request.user).filter(
            agency_id=setup_request.agency_id, is_active=True
        )
    )
    form = ProgramSetupCompleteForm(request.POST, projects=projects)
    if form.is_valid():
        try:
            services.program_setup_complete(
                setup_request=setup_request,
                actor=request.user,
                projects=list(form.cleaned_data["projects"]),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Set up. The program manager is asked to confirm.")
            return _back(request, setup_request)
    return _detail(request, setup_request, complete_form=form, status=400)


def _agency_step(request: HttpRequest, setup_request) -> None:
    if not can_in_agency(request.access, setup_request.agency_id, Capability.REQUEST_PROGRAM_SETUP):
        raise refuse(
            request,
            "not the agency's program manager",
            "Only the agency's program manager, ATA or executive director takes this step.",
        )


@require_POST
@tenant_view()
def program_setup_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    setup_request = _get(request, request_id)
    _agency_step(request, setup_request)
    try:
        services.program_setup_confirm(setup_request=setup_request, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Setup confirmed. Step 2 is complete for these programs.")
    return _back(request, setup_request)


@require_POST
@tenant_view()
def program_setup_problem(request: HttpRequest, request_id: int) -> HttpResponse:
    setup_request = _get(request, request_id)
    _agency_step(request, setup_request)
    form = ProgramSetupProblemForm(request.POST)
    if form.is_valid():
        try:
            services.program_setup_report_problem(
                setup_request=setup_request, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Sent back to the implementation team with your note.")
            return _back(request, setup_request)
    return _detail(request, setup_request, problem_form=form, status=400)


@require_POST
@tenant_view()
def program_setup_cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    setup_request = _get(request, request_id)
    _agency_step(request, setup_request)
    try:
        services.program_setup_cancel(setup_request=setup_request, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Request cancelled.")
    return _back(request, setup_request)
