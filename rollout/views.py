"""The rollout plan pages for CoC staff: the plans, and one plan with every ATA's standing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import selectors, services
from .forms import CompletionForm
from .models import Switch
from .selectors import Standing


@tenant_view(Capability.VIEW_ALL_AGENCIES)
def plan_list(request: HttpRequest) -> HttpResponse:
    continuum = request.continuum
    today = selectors.today_in(continuum)
    plans = list(selectors.plan_list(continuum=continuum, user=request.user))
    switches = [(Switch(key).label, *selectors.switch_state(continuum, key, today)) for key in Switch.values]
    context = {
        "plans": plans,
        "today": today,
        "switches": switches,
        "can_configure": request.access.can(Capability.CONFIGURE_CONTINUUM),
    }
    return render(request, "rollout/plan_list.html", context)


def _forms(request: HttpRequest, reports, bound=None) -> dict[int, CompletionForm]:
    forms = {}
    for report in reports:
        people = [
            (row.person.pk, row.person.get_full_name()) for row in report.rows if row.completion is None
        ]
        if bound is not None and bound.initial.get("obligation") == report.obligation.pk:
            forms[report.obligation.pk] = bound
        elif people:
            forms[report.obligation.pk] = CompletionForm(obligation=report.obligation, people=people)
    return forms


@tenant_view(Capability.VIEW_ALL_AGENCIES)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    continuum = request.continuum
    plan = selectors.plan_get(continuum=continuum, user=request.user, plan_id=plan_id)
    standing = request.GET.get("standing", "")
    if standing not in Standing.LABELS:
        standing = ""
    return _render_plan(request, plan, standing)


def _render_plan(
    request: HttpRequest, plan, standing: str = "", bound=None, status: int = 200
) -> HttpResponse:
    today = selectors.today_in(request.continuum)
    reports = selectors.obligation_reports(plan=plan, today=today, standing=standing)
    can_record = request.access.can(Capability.MANAGE_ROLLOUT)
    forms = _forms(request, reports, bound) if can_record else {}
    for report in reports:
        report.form = forms.get(report.obligation.pk)
    context = {
        "plan": plan,
        "phases": [(phase, phase.is_current(today)) for phase in plan.phases.all()],
        "reports": reports,
        "today": today,
        "standing": standing,
        "standings": list(Standing.LABELS.items()),
        "can_record": can_record,
        "can_configure": request.access.can(Capability.CONFIGURE_CONTINUUM),
    }
    return render(request, "rollout/plan_detail.html", context, status=status)


@require_POST
@tenant_view(Capability.MANAGE_ROLLOUT)
def completion_record(request: HttpRequest, obligation_id: int) -> HttpResponse:
    continuum = request.continuum
    obligation = selectors.obligation_get(continuum=continuum, user=request.user, obligation_id=obligation_id)
    holders = selectors.holders_of_role(continuum, obligation.role)
    people = [(uid, person.get_full_name()) for uid, (person, _) in holders.items()]
    form = CompletionForm(
        request.POST, obligation=obligation, people=people, initial={"obligation": obligation.pk}
    )
    if form.is_valid():
        person = holders[form.cleaned_data["person"]][0]
        try:
            services.obligation_completion_record(
                obligation=obligation,
                person=person,
                actor=request.user,
                completed_on=form.cleaned_data["completed_on"],
                source=form.cleaned_data["source"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded: {person.get_full_name()} met “{obligation.title}”.")
            url = reverse("rollout_plan_detail", args=[continuum.slug, obligation.plan_id])
            return redirect(f"{url}#obligation-{obligation.pk}")
    if not form.is_bound:  # pragma: no cover - always bound on POST
        raise Http404
    return _render_plan(request, obligation.plan, bound=form, status=400)
