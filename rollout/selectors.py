"""Reads of rollout plans. Staff who see every agency see every plan; an ATA sees only their own
obligations (the home panel). Missing and forbidden both answer 404."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import Continuum, Membership
from hmis_onboarding.business_calendar import BusinessCalendar, calendar_for
from hmis_onboarding.models import User
from hmis_onboarding.notifications import notification_settings_for
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from .models import SWITCH_DEFAULTS, ObligationCompletion, RolloutObligation, RolloutPhase, RolloutPlan


class Standing:
    COMPLIANT = "compliant"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    LABELS = {
        COMPLIANT: "Compliant",
        ON_TRACK: "Not yet due",
        AT_RISK: "At risk",
        OVERDUE: "Overdue",
    }
    ORDER = {OVERDUE: 0, AT_RISK: 1, ON_TRACK: 2, COMPLIANT: 3}


def today_in(continuum: Continuum) -> datetime.date:
    return timezone.localtime(timezone.now(), continuum.tzinfo).date()


def standing_for(
    obligation: RolloutObligation,
    completion: ObligationCompletion | None,
    *,
    today: datetime.date,
    cal: BusinessCalendar,
    window: int,
) -> str:
    """Compliant once recorded; overdue after the due date; at risk within the CoC's largest reminder
    offset (business days) of it; otherwise not yet due."""
    if completion is not None:
        return Standing.COMPLIANT
    if today > obligation.due_on:
        return Standing.OVERDUE
    if cal.business_days_between(today, obligation.due_on) <= window:
        return Standing.AT_RISK
    return Standing.ON_TRACK


def _window(continuum: Continuum) -> int:
    return max(notification_settings_for(continuum).offsets or (1,))


# --- Switches ------------------------------------------------------------------------------------------


def switch_state(continuum: Continuum, switch: str, day: datetime.date) -> tuple[bool, RolloutPhase | None]:
    """Whether a switch is on on `day`, and the phase that decided it (None: the default). The latest
    started phase of an active plan that sets the switch wins."""
    phases = RolloutPhase.objects.filter(
        continuum=continuum, plan__is_active=True, starts_on__lte=day, switches__has_key=switch
    ).order_by("-starts_on", "-pk")
    phase = phases.select_related("plan").first()
    if phase is None:
        return SWITCH_DEFAULTS.get(switch, True), None
    return bool(phase.switches[switch]), phase


# --- Staff pages -------------------------------------------------------------------------------------


def _require_viewer(continuum: Continuum, user: User) -> None:
    if not access_for(continuum, user).can(Capability.VIEW_ALL_AGENCIES):
        raise Http404("No such rollout plan.")


def plan_list(*, continuum: Continuum, user: User) -> QuerySet[RolloutPlan]:
    _require_viewer(continuum, user)
    return RolloutPlan.objects.filter(continuum=continuum).prefetch_related("phases", "obligations")


def plan_get(*, continuum: Continuum, user: User, plan_id: int) -> RolloutPlan:
    plan = plan_list(continuum=continuum, user=user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such rollout plan.")
    return plan


def phase_get(*, continuum: Continuum, user: User, plan: RolloutPlan, phase_id: int) -> RolloutPhase:
    _require_viewer(continuum, user)
    phase = RolloutPhase.objects.filter(continuum=continuum, plan=plan, pk=phase_id).first()
    if phase is None:
        raise Http404("No such phase.")
    return phase


def obligation_get(*, continuum: Continuum, user: User, obligation_id: int) -> RolloutObligation:
    _require_viewer(continuum, user)
    obligation = (
        RolloutObligation.objects.filter(continuum=continuum, pk=obligation_id).select_related("plan").first()
    )
    if obligation is None:
        raise Http404("No such obligation.")
    return obligation


@dataclass
class PersonStanding:
    person: User
    agencies: list[str]
    standing: str
    completion: ObligationCompletion | None

    @property
    def label(self) -> str:
        return Standing.LABELS[self.standing]


@dataclass
class ObligationReport:
    obligation: RolloutObligation
    rows: list[PersonStanding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Standing.LABELS, 0)
        for row in self.rows:
            counts[row.standing] += 1
        return counts


def holders_of_role(continuum: Continuum, role: str) -> dict[int, tuple[User, list[str]]]:
    """Active people holding `role` in the CoC, with the agencies they hold it in (one query)."""
    holders: dict[int, tuple[User, list[str]]] = {}
    rows = (
        Membership.objects.filter(continuum=continuum, role=role, is_active=True, user__is_active=True)
        .select_related("user", "agency")
        .order_by("user__full_name", "user__email", "agency__name")
    )
    for m in rows:
        entry = holders.setdefault(m.user_id, (m.user, []))
        if m.agency is not None:
            entry[1].append(m.agency.name)
    return holders


def obligation_reports(
    *, plan: RolloutPlan, today: datetime.date | None = None, standing: str = ""
) -> list[ObligationReport]:
    """Per obligation of the plan, every person it applies to with their standing (worst first)."""
    continuum = plan.continuum
    today = today or today_in(continuum)
    cal, window = calendar_for(continuum), _window(continuum)
    obligations = list(plan.obligations.all())
    done: dict[tuple[int, int], ObligationCompletion] = {
        (c.obligation_id, c.person_id): c
        for c in ObligationCompletion.objects.filter(obligation__in=obligations).select_related("recorded_by")
    }
    holders_by_role: dict[str, dict[int, tuple[User, list[str]]]] = {}
    reports = []
    for obligation in obligations:
        if obligation.role not in holders_by_role:
            holders_by_role[obligation.role] = holders_of_role(continuum, obligation.role)
        report = ObligationReport(obligation)
        for user_id, (person, agencies) in holders_by_role[obligation.role].items():
            completion = done.get((obligation.pk, user_id))
            row_standing = standing_for(obligation, completion, today=today, cal=cal, window=window)
            if standing and row_standing != standing:
                continue
            report.rows.append(PersonStanding(person, agencies, row_standing, completion))
        report.rows.sort(key=lambda r: (Standing.ORDER[r.standing], r.person.get_full_name().lower()))
        reports.append(report)
    return reports


# --- The ATA's own obligations -------------------------------------------------------------------------


@dataclass
class MyObligation:
    obligation: RolloutObligation
    standing: str
    completion: ObligationCompletion | None

    @property
    def label(self) -> str:
        return Standing.LABELS[self.standing]


def my_obligations(
    *, continuum: Continuum, user: User, today: datetime.date | None = None
) -> list[MyObligation]:
    """Obligations of active plans that apply to this person's roles here: open ones, and the ones met
    in the last 30 days (so the panel confirms what staff recorded)."""
    roles = access_for(continuum, user).roles
    if not roles:
        return []
    obligations = list(
        RolloutObligation.objects.filter(continuum=continuum, plan__is_active=True, role__in=list(roles))
        .select_related("plan")
        .order_by("due_on", "pk")
    )
    if not obligations:
        return []  # (most people, most of the time: one simple query, no completions or calendar to read)
    # The person's own completions of these (at most one per obligation).
    completions = {
        c.obligation_id: c
        for c in ObligationCompletion.objects.filter(obligation__in=obligations, person=user).order_by()
    }
    today = today or today_in(continuum)
    cal, window = calendar_for(continuum), _window(continuum)
    recent = today - datetime.timedelta(days=30)
    mine = []
    for obligation in obligations:
        completion = completions.get(obligation.pk)
        if completion is not None and completion.completed_on < recent:
            continue
        if (
            completion is None
            and obligation.available_from
            and obligation.available_from > today + (datetime.timedelta(days=30))
        ):
            continue
        standing = standing_for(obligation, completion, today=today, cal=cal, window=window)
        mine.append(MyObligation(obligation, standing, completion))
    mine.sort(key=lambda m: (Standing.ORDER[m.standing], m.obligation.due_on))
    return mine


def open_obligations_by_person(
    continuum: Continuum,
) -> list[tuple[RolloutObligation, dict[int, tuple[User, list[str]]]]]:
    """For reminders: every obligation of an active plan with the people who have not met it."""
    obligations = list(
        RolloutObligation.objects.filter(continuum=continuum, plan__is_active=True).select_related("plan")
    )
    done: dict[int, set[int]] = defaultdict(set)
    for obligation_id, person_id in ObligationCompletion.objects.filter(
        obligation__in=obligations
    ).values_list("obligation_id", "person_id"):
        done[obligation_id].add(person_id)
    holders_by_role: dict[str, Any] = {}
    out = []
    for obligation in obligations:
        if obligation.role not in holders_by_role:
            holders_by_role[obligation.role] = holders_of_role(continuum, obligation.role)
        open_people = {
            uid: entry
            for uid, entry in holders_by_role[obligation.role].items()
            if uid not in done[obligation.pk]
        }
        out.append((obligation, open_people))
    return out
