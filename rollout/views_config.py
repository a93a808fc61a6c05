"""Rollout plan configuration for CoC administrators: plans, their dated phases (with the switches
each turns on or off) and their obligations (what, who, by when). Every change is validated by
rollout.services, audited, and read by the next request."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies import selectors as agency_selectors
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import selectors, services
from .forms import ObligationForm, PhaseForm, PlanForm


def _edit_redirect(request: HttpRequest, plan_id: int) -> HttpResponse:
    return redirect("rollout_plan_edit", continuum_slug=request.continuum.slug, plan_id=plan_id)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.rollout_plan_save(
                continuum=request.continuum, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Plan “{plan.name}” created. Add its phases and obligations.")
            return _edit_redirect(request, plan.pk)
    return render(request, "rollout/config/plan_new.html", {"form": form}, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    continuum, user = request.continuum, request.user
    plan = selectors.plan_get(continuum=continuum, user=user, plan_id=plan_id)
    initial = {"name": plan.name, "summary": plan.summary, "is_active": plan.is_active}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.rollout_plan_save(
                continuum=continuum,
                actor=user,
                plan=plan,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Plan saved.")
            return _edit_redirect(request, plan.pk)
    context = {
        "plan": plan,
        "form": form,
        "phases": list(plan.phases.all()),
        "obligations": list(plan.obligations.all()),
        "history": agency_selectors.object_history(continuum=continuum, user=user, obj=plan),
    }
    return render(request, "rollout/config/plan_edit.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def phase_edit(request: HttpRequest, plan_id: int, phase_id: int | None = None) -> HttpResponse:
    continuum, user = request.continuum, request.user
    plan = selectors.plan_get(continuum=continuum, user=user, plan_id=plan_id)
    phase = (
        selectors.phase_get(continuum=continuum, user=user, plan=plan, phase_id=phase_id)
        if phase_id is not None
        else None
    )
    if request.method == "POST" and phase is not None and request.POST.get("action") == "delete":
        services.rollout_phase_delete(phase=phase, actor=user)
        messages.success(request, f"Phase “{phase.name}” removed.")
        return _edit_redirect(request, plan.pk)
    form = PhaseForm(request.POST or None, initial=PhaseForm.initial_for(phase) if phase else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.rollout_phase_save(plan=plan, actor=user, phase=phase, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Phase “{saved.name}” saved; its switches apply from its start date.")
            return _edit_redirect(request, plan.pk)
    context = {"plan": plan, "phase": phase, "form": form}
    return render(request, "rollout/config/phase.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def obligation_edit(request: HttpRequest, plan_id: int, obligation_id: int | None = None) -> HttpResponse:
    continuum, user = request.continuum, request.user
    plan = selectors.plan_get(continuum=continuum, user=user, plan_id=plan_id)
    obligation = None
    if obligation_id is not None:
        obligation = selectors.obligation_get(continuum=continuum, user=user, obligation_id=obligation_id)
        if obligation.plan_id != plan.pk:
            raise Http404("No such obligation in this plan.")
    if request.method == "POST" and obligation is not None and request.POST.get("action") == "delete":
        try:
            services.rollout_obligation_delete(obligation=obligation, actor=user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect(request.path)
        messages.success(request, f"Obligation “{obligation.title}” removed.")
        return _edit_redirect(request, plan.pk)
    initial = None
    if obligation is not None:
        initial = {name: getattr(obligation, name) for name in services.OBLIGATION_FIELDS}
    form = ObligationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.rollout_obligation_save(
                plan=plan, actor=user, obligation=obligation, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Obligation “{saved.title}” saved.")
            return _edit_redirect(request, plan.pk)
    context = {
        "plan": plan,
        "obligation": obligation,
        "form": form,
        "completions": obligation.completions.count() if obligation else 0,
    }
    return render(request, "rollout/config/obligation.html", context, status=400 if form.errors else 200)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
