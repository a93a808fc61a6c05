"""Course catalog configuration pages for CoC administrators: add and edit courses (with their
parts and prerequisites), "choose one of" bundles, and the training policy's recency windows.
Writes go through training.configuration / training.services; each recomputes learning paths after
commit without touching recorded progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies import selectors as agency_selectors
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import configuration, selectors, services
from .forms import BundleForm, CourseForm, CoursePartFormSet, CoursePrerequisiteForm, TrainingPolicyForm


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _course_redirect(request: HttpRequest, course_id: int) -> HttpResponse:
    return redirect("training_course_edit", continuum_slug=request.continuum.slug, course_id=course_id)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def course_new(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    courses = selectors.course_list(continuum=continuum, user=user)
    bundles = selectors.bundle_list(continuum=continuum, user=user)
    form = CourseForm(request.POST or None, course=None, courses=courses, bundles=bundles)
    if request.method == "POST" and form.is_valid():
        try:
            course = configuration.course_save(
                continuum=continuum, actor=user, code=form.cleaned_data["code"], **form.values()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"“{course.name}” added to the catalog. Add its parts and prerequisites."
            )
            return _course_redirect(request, course.pk)
    return render(
        request, "training/config/course_new.html", {"form": form}, status=400 if form.errors else 200
    )


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    """One course: its settings, its parts and its prerequisites (three forms, told apart by `action`)."""
    continuum, user = request.continuum, request.user
    courses = selectors.course_list(continuum=continuum, user=user)
    course = selectors.course_get(continuum=continuum, user=user, course_id=course_id)
    bundles = selectors.bundle_list(continuum=continuum, user=user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if action else None

    form = CourseForm(
        data if action == "course" else None,
        initial=CourseForm.initial_for(course),
        course=course,
        courses=courses,
        bundles=bundles,
    )
    parts_initial = [
        {"title": p.title, "lms_unit_name": p.lms_unit_name, "topics": ", ".join(p.topics or [])}
        for p in course.parts.all()
    ]
    parts = CoursePartFormSet(data if action == "parts" else None, initial=parts_initial, prefix="parts")
    prerequisite = CoursePrerequisiteForm(
        data if action == "prerequisite" else None, course=course, courses=courses
    )

    if action == "course" and form.is_valid():
        changes = {k: v for k, v in form.values().items() if k in form.changed_data}
        try:
            configuration.course_save(continuum=continuum, actor=user, course=course, **changes)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Course saved; learning paths follow the change, progress is kept.")
            return _course_redirect(request, course.pk)
    elif action == "parts" and parts.is_valid():
        rows = []
        for part in parts.forms:
            cleaned = part.cleaned_data
            if not cleaned or cleaned.get("DELETE") or not cleaned.get("title"):
                continue
            rows.append(
                {
                    "title": cleaned["title"],
                    "lms_unit_name": cleaned.get("lms_unit_name", ""),
                    "topics": [t.strip() for t in cleaned.get("topics", "").split(",") if t.strip()],
                }
            )
        try:
            configuration.course_parts_save(course=course, actor=user, parts=rows)
        except ValidationError as error:
            parts._non_form_errors = parts.error_class(error.messages)
        else:
            messages.success(request, "Parts saved.")
            return _course_redirect(request, course.pk)
    elif action == "prerequisite" and prerequisite.is_valid():
        try:
            services.prerequisite_add(
                course=course,
                requires=prerequisite.cleaned_data["requires"],
                min_percent=prerequisite.cleaned_data["min_percent"],
                actor=user,
            )
        except ValidationError as error:
            prerequisite.add_error(None, error)
        else:
            messages.success(
                request, f"“{course.name}” now requires “{prerequisite.cleaned_data['requires']}”."
            )
            return _course_redirect(request, course.pk)
    elif action == "remove_prerequisite":
        try:
            link_id = int(request.POST.get("link", ""))
        except ValueError:
            return HttpResponse("Unknown prerequisite.", status=400)
        link = selectors.prerequisite_get(continuum=continuum, user=user, link_id=link_id)
        services.prerequisite_remove(link=link, actor=user)
        messages.success(request, f"“{link.course}” no longer requires “{link.requires}”.")
        return _course_redirect(request, course.pk)
    elif action and action not in ("course", "parts", "prerequisite"):
        return HttpResponse("Unknown action.", status=400)

    invalid = bool(form.errors or prerequisite.errors or (action == "parts" and not parts.is_valid()))
    context = {
        "course": course,
        "form": form,
        "parts": parts,
        "prerequisite": prerequisite,
        "links": course.prerequisite_links.all(),
        "history": agency_selectors.object_history(continuum=continuum, user=user, obj=course),
    }
    return render(request, "training/config/course_edit.html", context, status=400 if invalid else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def bundles(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    form = BundleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bundle = configuration.bundle_save(continuum=continuum, actor=user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Bundle “{bundle.name}” added. Put courses into it from their pages.")
            return redirect("training_bundles", continuum_slug=continuum.slug)
    context = {"form": form, "bundles": selectors.bundle_list(continuum=continuum, user=user)}
    return render(request, "training/config/bundles.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def bundle_edit(request: HttpRequest, bundle_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    bundle = selectors.bundle_get(continuum=continuum, user=user, bundle_id=bundle_id)
    form = BundleForm(
        request.POST or None, editing=True, initial={"name": bundle.name, "description": bundle.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            configuration.bundle_save(
                continuum=continuum,
                actor=user,
                bundle=bundle,
                **{k: form.cleaned_data[k] for k in form.changed_data},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Bundle saved.")
            return redirect("training_bundles", continuum_slug=continuum.slug)
    context = {
        "form": form,
        "bundle": bundle,
        "history": agency_selectors.object_history(continuum=continuum, user=user, obj=bundle),
    }
    return render(request, "training/config/bundle_edit.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def training_policy(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    policy = selectors.training_policy(continuum)
    form = TrainingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        # The ModelForm has copied the values onto `policy`: compare with the stored policy instead.
        stored = selectors.training_policy(continuum)
        changes = {
            name: form.cleaned_data[name]
            for name in configuration.POLICY_FIELDS
            if form.cleaned_data[name] != getattr(stored, name)
        }
        try:
            configuration.training_policy_update(continuum=continuum, actor=user, **changes)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Training policy saved; learning paths use it from now on.")
            return redirect("training_policy", continuum_slug=continuum.slug)
    history = agency_selectors.object_history(continuum=continuum, user=user, obj=policy) if policy.pk else []
    context = {"form": form, "history": history}
    return render(request, "training/config/policy.html", context, status=400 if form.errors else 200)
