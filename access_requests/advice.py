"""Which form applies to a person, and why — told to the ATA before they submit.

Chicago's four forms differ by the person's HMIS history (seed 001): new or inactive for more than
the window → "new users"; active within the window or holding access at another agency →
"returning user" (one per request, training credit possible); an active user of this agency →
"new project access". HRS / CE 1474 is chosen for the role, not inferred from history.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from agencies.models import Agency, Continuum, HmisProject

from .configuration import policy_for
from .models import CesRole, Eligibility, HmisAccount, HmisAccountStatus, RequestPolicy, RequestType


@dataclass(frozen=True)
class Advice:
    request_type: RequestType | None
    reason: str
    eligibility: str
    # HUD project types of the person's earlier access: training for these may be credited.
    trained_project_types: frozenset[int] = field(default_factory=frozenset)


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(
        today.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month - 1],
    )
    return datetime.date(year, month, day)


def advise(*, continuum: Continuum, agency: Agency, email: str, today: datetime.date | None = None) -> Advice:
    """Advice for one e-mail address; reads only this CoC's records."""
    today = today or timezone.now().astimezone(continuum.tzinfo).date()
    policy = policy_for(continuum)
    types = {t.eligibility: t for t in RequestType.objects.filter(continuum=continuum, is_active=True)}
    if Eligibility.ROLE_BASED in types:
        return Advice(
            types[Eligibility.ROLE_BASED], "This CoC registers everyone by CES role.", Eligibility.ROLE_BASED
        )
    accounts = list(
        HmisAccount.objects.filter(continuum=continuum, email__iexact=email.strip()).select_related("agency")
    )
    cutoff = _months_ago(today, policy.inactivity_window_months)
    trained = frozenset(t for a in accounts for t in a.project_types)
    window = f"{policy.inactivity_window_months} months"

    def pick(eligibility: str, reason: str) -> Advice:
        return Advice(types.get(eligibility), reason, eligibility, trained)

    if not accounts:
        return pick(Eligibility.NEW_OR_LAPSED, f"No HMIS account on record for {email} in {continuum.name}.")
    active = [a for a in accounts if a.status == HmisAccountStatus.ACTIVE]
    here = [a for a in active if a.agency_id == agency.pk]
    if here:
        return pick(
            Eligibility.CURRENT_AGENCY_USER,
            f"{email} is an active user of {agency.name} (HMIS user {here[0].hmis_username}).",
        )
    elsewhere = [a for a in active if a.agency_id != agency.pk]
    if elsewhere:
        return pick(
            Eligibility.RETURNING,
            f"{email} holds current access at another agency ({elsewhere[0].agency.name}).",
        )
    last = max((a.last_activity_on for a in accounts if a.last_activity_on), default=None)
    if last and last >= cutoff:
        return pick(
            Eligibility.RETURNING, f"{email} was last active in HMIS on {last:%B %-d, %Y}, within {window}."
        )
    when = f"on {last:%B %-d, %Y}" if last else "at an unknown date"
    return pick(Eligibility.NEW_OR_LAPSED, f"{email} was last active {when}, more than {window} ago.")


def needs_separate_training(policy: RequestPolicy, project: HmisProject) -> bool:
    if project.hud_project_type in policy.separately_trained_project_types:
        return True
    return "path" in policy.separately_trained_funding and project.funded_path


def training_credit(
    *, policy: RequestPolicy, trained_project_types: frozenset[int], projects: list[HmisProject]
) -> tuple[bool, str]:
    """Whether a returning user's earlier training covers the requested projects (seed 001)."""
    if not projects:
        return False, ""
    separate = [p.name for p in projects if needs_separate_training(policy, p)]
    if separate:
        return False, "Needs its own training: " + ", ".join(separate) + "."
    missing = [p.name for p in projects if p.hud_project_type not in trained_project_types]
    if missing:
        return False, "No earlier training for: " + ", ".join(missing) + "."
    return True, "Earlier training covers every requested project type."


@dataclass(frozen=True)
class CesAccess:
    hmis_role: str
    permissions: list[str]
    trainings: list[str]
    highest_role: CesRole | None


def ces_access(roles: list[CesRole]) -> CesAccess:
    """Several CES roles → the highest appropriate HMIS role, and the union of their trainings."""
    if not roles:
        return CesAccess("", [], [], None)
    highest = max(roles, key=lambda r: r.rank)
    permissions = sorted({p for r in roles for p in r.permissions})
    trainings: list[str] = []
    for role in sorted(roles, key=lambda r: r.rank):
        for training in role.trainings:
            if training not in trainings:
                trainings.append(training)
    return CesAccess(highest.hmis_role, permissions, trainings, highest)
