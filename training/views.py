"""Training pages: the course catalog (+ prerequisite editing), LMS settings, progress imports, the
trainee's own tracker and the ATA / staff progress view."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies import selectors as agency_selectors
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import record_refusal

from . import imports, records, selectors, services
from .filters import TraineeProgressFilter
from .forms import LmsConfigurationForm, PrerequisiteForm, ProgressImportForm
from .services import LMS_SETTING_FIELDS
from .tracker import my_tracker

# Larger imports are written by a worker: a web request would time out (bench: ~3k rows/s).
INLINE_IMPORT_ROWS = 5000


def _refuse(request: HttpRequest, capability: str) -> None:
    record_refusal(request, reason=f"missing capability {capability}", continuum=request.continuum)
    raise PermissionDenied("Your role does not include this action.")


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


@tenant_view()
def course_catalog(request: HttpRequest) -> HttpResponse:
    """Every member may read the catalog; CoC administrators also edit its prerequisites here."""
    continuum, user, access = request.continuum, request.user, request.access
    can_configure = access.can(Capability.CONFIGURE_CONTINUUM)
    courses = selectors.course_list(continuum=continuum, user=user)
    form = PrerequisiteForm(courses=courses)
    if request.method == "POST":
        if not can_configure:
            _refuse(request, Capability.CONFIGURE_CONTINUUM)
        if "remove" in request.POST:
            try:
                link_id = int(request.POST["remove"])
            except ValueError:
                return HttpResponse("Unknown prerequisite.", status=400)
            link = selectors.prerequisite_get(continuum=continuum, user=user, link_id=link_id)
            services.prerequisite_remove(link=link, actor=user)
            messages.success(request, f"“{link.course}” no longer requires “{link.requires}”.")
            return redirect("training_catalog", continuum_slug=continuum.slug)
        form = PrerequisiteForm(request.POST, courses=courses)
        if form.is_valid():
            try:
                services.prerequisite_add(
                    course=form.cleaned_data["course"],
                    requires=form.cleaned_data["requires"],
                    min_percent=form.cleaned_data["min_percent"],
                    actor=user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Prerequisite added.")
                return redirect("training_catalog", continuum_slug=continuum.slug)
    context = {
        "courses": courses,
        "bundles": selectors.bundle_list(continuum=continuum, user=user),
        "policy": selectors.training_policy(continuum),
        "form": form,
        "can_configure": can_configure,
        "can_manage": access.can(Capability.MANAGE_TRAINING),
    }
    return render(request, "training/catalog.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def lms_settings(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    config = selectors.lms_configuration(continuum=continuum, user=user)
    form = LmsConfigurationForm(instance=config)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "test":
                messages.success(request, services.lms_connection_test(continuum=continuum, actor=user))
                return redirect("training_lms_settings", continuum_slug=continuum.slug)
            if action == "sync":
                services.lms_sync_request(continuum=continuum, actor=user)
                messages.success(request, "A sync run was queued; its outcome appears below within minutes.")
                return redirect("training_lms_settings", continuum_slug=continuum.slug)
        except ValidationError as error:
            for text in _errors(error):
                messages.error(request, text)
            return redirect("training_lms_settings", continuum_slug=continuum.slug)
        form = LmsConfigurationForm(request.POST, instance=config)
        if form.is_valid():
            try:
                services.lms_configuration_update(
                    continuum=continuum,
                    actor=user,
                    api_key=form.cleaned_data.get("api_key", ""),
                    **{name: form.cleaned_data[name] for name in LMS_SETTING_FIELDS},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "LMS settings saved.")
                return redirect("training_lms_settings", continuum_slug=continuum.slug)
    history = agency_selectors.object_history(continuum=continuum, user=user, obj=config) if config.pk else []
    context = {
        "form": form,
        "config": config,
        "can_configure": True,
        "can_manage": request.access.can(Capability.MANAGE_TRAINING),
        "cursor": selectors.lms_sync_cursor(continuum=continuum, user=user),
        "history": history,
    }
    return render(request, "training/lms_settings.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.MANAGE_TRAINING)
def progress_imports(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    form = ProgressImportForm()
    if request.method == "POST":
        form = ProgressImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                record = imports.progress_import_create(
                    continuum=continuum, actor=user, upload=form.cleaned_data["file"]
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect(
                    "training_progress_import", continuum_slug=continuum.slug, import_id=record.pk
                )
    page = Paginator(selectors.progress_import_list(continuum=continuum, user=user), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "cursor": selectors.lms_sync_cursor(continuum=continuum, user=user),
        "can_manage": True,
        "can_configure": request.access.can(Capability.CONFIGURE_CONTINUUM),
    }
    return render(request, "training/progress_imports.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.MANAGE_TRAINING)
def progress_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    record = selectors.progress_import_get(continuum=continuum, user=user, import_id=import_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm" and record.valid_rows > INLINE_IMPORT_ROWS:
                imports.progress_import_request_apply(progress_import=record, actor=user)
                messages.success(request, "Confirmed. The import is being written in the background.")
            elif action == "confirm":
                summary = imports.progress_import_apply(progress_import=record, actor=user)
                messages.success(
                    request,
                    f"Import applied: {summary['created']} new and {summary['updated']} updated enrolments, "
                    f"{summary['unchanged']} unchanged, {summary['skipped_rows']} rows skipped.",
                )
            elif action == "cancel":
                imports.progress_import_cancel(progress_import=record, actor=user)
                messages.success(request, "Import cancelled; nothing was written.")
            else:
                return HttpResponse("Choose confirm or cancel.", status=400)
        except ValidationError as error:
            for text in _errors(error):
                messages.error(request, text)
        return redirect("training_progress_import", continuum_slug=continuum.slug, import_id=record.pk)
    history = agency_selectors.object_history(continuum=continuum, user=user, obj=record)
    return render(request, "training/progress_import_detail.html", {"record": record, "history": history})


@tenant_view()
def my_onboarding(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own tracker; it never shows anyone else's data, so any member may open it."""
    continuum, user = request.continuum, request.user
    tracker = my_tracker(continuum=continuum, user=user)
    context = {
        "tracker": tracker,
        "certificate": tracker.path_complete,
    }
    return render(request, "training/my_onboarding.html", context)


def may_see_progress(access) -> bool:
    return any(
        access.can(c)
        for c in (Capability.VIEW_ALL_AGENCIES, Capability.MANAGE_TRAINING, Capability.VIEW_OWN_AGENCY)
    )


def _person_url(name: str, continuum_slug: str) -> Callable[[int], str]:
    """The URL of `name` (a per-person page of the CoC) for any person id: reversed once, then the
    id put in its place, instead of one reverse() per row."""
    marker = 2_147_483_647
    prefix, found, suffix = reverse(name, args=[continuum_slug, marker]).partition(f"/{marker}/")
    if not found:
        raise ValueError(f"{name} does not take the person id as a path segment")
    return lambda person_id: f"{prefix}/{int(person_id)}/{suffix}"


@tenant_view()
def trainee_progress(request: HttpRequest) -> HttpResponse:
    """Everyone in training: CoC staff see the CoC, agency leads (ATA, supervisor, director) their agency."""
    continuum, user = request.continuum, request.user
    if not may_see_progress(request.access):
        _refuse(request, Capability.VIEW_OWN_AGENCY)
    days, cutoff = selectors.stalled_cutoff(continuum)
    paths = selectors.learning_path_list(continuum=continuum, user=user)
    filterset = TraineeProgressFilter(
        request.GET or None,
        queryset=paths,
        agencies=selectors.progress_agencies(continuum=continuum, user=user),
        stalled_before=cutoff,
    )
    if filterset.is_bound and not filterset.is_valid():
        return render(
            request,
            "training/progress.html",
            {"filter": filterset, "page": None, "stalled_days": days},
            status=400,
        )
    rows = filterset.qs.only(*selectors.PROGRESS_PAGE_FIELDS)
    page = Paginator(selectors.AgencyOrderedPaths(rows, continuum), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    duplicates = selectors.lms_duplicates_for(continuum, [path.user for path in page])
    record_url = _person_url("training_onboarding_record", continuum.slug)
    certificate_url = _person_url("training_certificate", continuum.slug)
    for path in page:
        # What the row shows, worked out once here rather than by template lookups (50 rows a page).
        path.name = path.user.full_name or path.user.email
        path.days_idle = (now - path.progress_at).days
        path.stalled = not path.is_complete and path.progress_at < cutoff
        path.lms_duplicates = duplicates.get(path.user_id, [])
        who = {"viewer": user, "person_id": path.user_id, "agency_id": path.agency_id}
        may_have_record = records.may_have_record(request.access, **who)
        path.record_url = record_url(path.user_id) if may_have_record else ""
        may_have_certificate = path.is_complete and records.may_have_certificate(request.access, **who)
        path.certificate_url = certificate_url(path.user_id) if may_have_certificate else ""
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "stalled_days": days,
        "query": query.urlencode(),
        "can_resolve_duplicates": request.access.can(Capability.MANAGE_TRAINING)
        or request.access.can(Capability.MANAGE_AGENCY_PEOPLE),
        "can_verify": request.access.can(Capability.VIEW_ALL_AGENCIES),
    }
    return render(request, "training/progress.html", context)


@tenant_view()
def lms_duplicate_resolve(request: HttpRequest) -> HttpResponse:
    """The ATA (or Help Desk) answers "is this the same person's earlier LMS account?": use it, or
    record that it is someone else's. POST only, from the training progress page."""
    continuum, user = request.continuum, request.user
    if request.method != "POST":
        return HttpResponse("Use the buttons on the training progress page.", status=405)
    if not may_see_progress(request.access):
        _refuse(request, Capability.VIEW_OWN_AGENCY)
    try:
        person_id, account_id = int(request.POST.get("person", "")), int(request.POST.get("account", ""))
    except ValueError:
        return HttpResponse("Choose a person and an LMS account.", status=400)
    action = request.POST.get("action")
    if action not in ("use_existing", "not_same"):
        return HttpResponse("Choose whether to use the existing account.", status=400)
    person, account = selectors.lms_duplicate_get(
        continuum=continuum, user=user, person_id=person_id, account_id=account_id
    )
    name = person.full_name or person.email
    try:
        if action == "use_existing":
            earlier = account.email
            updated = services.lms_account_use_existing(
                continuum=continuum, person=person, existing=account, actor=user
            )
            messages.success(
                request,
                f"{name} keeps the LMS account they had under {earlier}; no new account will be made. "
                f"Ask them to sign in to the LMS with it and change its e-mail to {updated.email}.",
            )
        else:
            services.lms_account_not_duplicate(
                continuum=continuum, person=person, existing=account, actor=user
            )
            messages.success(
                request, f"Noted: the account under {account.email} is someone else's. {name} gets their own."
            )
    except PermissionDenied:
        _refuse(request, Capability.MANAGE_AGENCY_PEOPLE)
    except ValidationError as error:
        for text in _errors(error):
            messages.error(request, text)
    return redirect("training_progress", continuum_slug=continuum.slug)
