"""Demo rollout plans (seed_demo): Chicago's real 2026 access-process rollout (seed 001), a current
Chicago plan so the pages show people at risk and overdue today, and a Los Angeles plan. Dates of the
current plans are relative to the CoC's today; running the seed twice changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from agencies.models import Continuum, Membership
from hmis_onboarding.business_calendar import calendar_for
from hmis_onboarding.permissions import Role

from .models import (
    CompletionSource,
    ObligationCompletion,
    RolloutObligation,
    RolloutPhase,
    RolloutPlan,
    Switch,
)
from .selectors import today_in

D = datetime.date
LIVE, LMS = CompletionSource.LIVE_TRAINING, CompletionSource.LMS_COURSE


@dataclass
class DemoPhase:
    name: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    description: str
    switches: dict[str, bool] = field(default_factory=dict)


@dataclass
class DemoObligation:
    title: str
    instructions: str
    available_from: datetime.date | None
    due_on: datetime.date
    lms_course_name: str = ""
    accepted_sources: list[str] = field(default_factory=list)
    # e-mail → (completed on, source, note)
    completions: dict[str, tuple[datetime.date, str, str]] = field(default_factory=dict)


@dataclass
class DemoPlan:
    name: str
    summary: str
    phases: list[DemoPhase]
    obligations: list[DemoObligation]


def chicago_2026() -> DemoPlan:
    """The 2026 HMIS Access Request Process rollout, as published (seed 001)."""
    return DemoPlan(
        name="2026 HMIS Access Request Process",
        summary="New access request forms replace the old ones. ATAs attend a live training in December "
        "2025 or complete the LMS course “HMIS Access Process” by January 5, 2026; the new forms open "
        "on January 26, 2026.",
        phases=[
            DemoPhase(
                "ATA trainings",
                D(2025, 12, 1),
                D(2025, 12, 19),
                "Live webinars for every ATA on the 2026 HMIS Access Request Process; the recording is "
                "published afterwards.",
                {Switch.REQUEST_FORMS: False, Switch.LEGACY_REQUEST_FORMS: True},
            ),
            DemoPhase(
                "LMS course available",
                D(2025, 12, 19),
                D(2026, 1, 5),
                "The LMS course “HMIS Access Process” and a recording of a live training are available. "
                "ATAs who missed the live trainings complete the course by January 5, 2026; ATAs who do "
                "not complete it before implementation may be subject to removal of access.",
            ),
            DemoPhase(
                "Transition period",
                D(2026, 1, 9),
                D(2026, 1, 23),
                "Two weeks to finish requests on the old forms and prepare for the new process.",
            ),
            DemoPhase(
                "Implementation",
                D(2026, 1, 26),
                None,
                "The new access request forms are the only way to request HMIS access; the old forms are "
                "closed.",
                {Switch.REQUEST_FORMS: True, Switch.LEGACY_REQUEST_FORMS: False},
            ),
        ],
        obligations=[
            DemoObligation(
                "Attend a live ATA training or complete the LMS course “HMIS Access Process”",
                "Attend one of the December live webinars, or complete the LMS course in TalentLMS.",
                D(2025, 12, 19),
                D(2026, 1, 5),
                lms_course_name="HMIS Access Process",
                accepted_sources=[LIVE, LMS],
                completions={
                    "chicago.ata@example.org": (D(2025, 12, 10), LIVE, "December 10 webinar"),
                    "northside.ata@example.org": (D(2026, 1, 2), LMS, "TalentLMS completion report"),
                    "westside.ata@example.org": (D(2025, 12, 17), LIVE, "December 17 webinar"),
                },
            )
        ],
    )


def chicago_current(today: datetime.date, cal) -> DemoPlan:
    start = cal.add_business_days(today, -12)
    return DemoPlan(
        name="FY2027 HMIS Data Standards update",
        summary="HUD's FY2027 data standards change intake screens. Every ATA completes the ATA course "
        "and confirms their agency's active users before go-live.",
        phases=[
            DemoPhase(
                "ATA briefings",
                start,
                cal.add_business_days(today, 4),
                "Recorded briefing and the LMS course “FY2027 Data Standards for ATAs” are available.",
            ),
            DemoPhase(
                "Go-live",
                cal.add_business_days(today, 10),
                None,
                "The updated intake screens go live in HMIS.",
            ),
        ],
        obligations=[
            DemoObligation(
                "Complete the LMS course “FY2027 Data Standards for ATAs”",
                "Complete the course in TalentLMS; the Help Desk records completions from the LMS report.",
                start,
                cal.add_business_days(today, 3),
                lms_course_name="FY2027 Data Standards for ATAs",
                accepted_sources=[LMS, CompletionSource.EXEMPTION],
                completions={
                    "westside.ata@example.org": (cal.add_business_days(today, -2), LMS, "LMS report"),
                },
            ),
            DemoObligation(
                "Confirm your agency's active HMIS users",
                "Send the Help Desk the list of people who still need HMIS access at your agency.",
                start,
                cal.add_business_days(today, -3),
                completions={
                    "chicago.ata@example.org": (
                        cal.add_business_days(today, -5),
                        LIVE,
                        "Confirmed at briefing",
                    ),
                },
            ),
        ],
    )


def la_current(today: datetime.date, cal) -> DemoPlan:
    start = cal.add_business_days(today, -5)
    return DemoPlan(
        name="CES role-based registration",
        summary="Agencies register people by CES role instead of by form. Every ATA attends the HMIS 10 "
        "webinar on role-based registration.",
        phases=[
            DemoPhase("Webinars", start, cal.add_business_days(today, 15), "HMIS 10 webinars (3 hours)."),
            DemoPhase("Role-based registration only", cal.add_business_days(today, 16), None, ""),
        ],
        obligations=[
            DemoObligation(
                "Attend the HMIS 10 webinar on role-based registration",
                "Register for a session in the LMS; attendance is recorded by the HMIS team.",
                start,
                cal.add_business_days(today, 15),
                accepted_sources=[LIVE, CompletionSource.RECORDING],
                completions={"la.ata@example.org": (cal.add_business_days(today, -1), LIVE, "Session 1")},
            )
        ],
    )


def _plans(continuum: Continuum, key: str) -> list[DemoPlan]:
    today, cal = today_in(continuum), calendar_for(continuum)
    if key == "chicago":
        return [chicago_2026(), chicago_current(today, cal)]
    if key == "la":
        return [la_current(today, cal)]
    return []


def seed_rollout(continuum: Continuum, key: str) -> int:
    created = 0
    recorder = (
        Membership.objects.filter(continuum=continuum, role=Role.HELP_DESK, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    for spec in _plans(continuum, key):
        plan, new = RolloutPlan.objects.get_or_create(
            continuum=continuum, name=spec.name, defaults={"summary": spec.summary}
        )
        created += int(new)
        if not new:
            continue  # a plan once seeded is the CoC's to change
        for phase in spec.phases:
            RolloutPhase.objects.create(
                continuum=continuum,
                plan=plan,
                name=phase.name,
                starts_on=phase.starts_on,
                ends_on=phase.ends_on,
                description=phase.description,
                switches={str(k): v for k, v in phase.switches.items()},
            )
            created += 1
        for ob in spec.obligations:
            obligation = RolloutObligation.objects.create(
                continuum=continuum,
                plan=plan,
                title=ob.title,
                instructions=ob.instructions,
                available_from=ob.available_from,
                due_on=ob.due_on,
                lms_course_name=ob.lms_course_name,
                accepted_sources=[str(s) for s in ob.accepted_sources],
            )
            created += 1
            for email, (completed_on, source, note) in ob.completions.items():
                person = (
                    Membership.objects.filter(continuum=continuum, role=Role.ATA, user__email=email)
                    .select_related("user")
                    .first()
                )
                if person is None or recorder is None:
                    continue
                ObligationCompletion.objects.create(
                    continuum=continuum,
                    obligation=obligation,
                    person=person.user,
                    completed_on=completed_on,
                    source=source,
                    note=note,
                    recorded_by=recorder.user,
                )
                created += 1
    return created
