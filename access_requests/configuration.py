"""The reference CoCs' access-request configuration, installed through the same code a CoC
administrator's settings use. Each installer is idempotent: it updates rows in place by code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import Continuum
from hmis_onboarding.audit import audit_record, snapshot
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from .models import CesPermission, CesRole, Eligibility, Queue, RequestPolicy, RequestType
from .models import CesPermission as P

# HUD project types (FY2024 HMIS Data Standards 2.02.6) whose access needs its own training in
# Chicago: "Access to Housing, Outreach, and PATH-funded projects will require separate training".
HOUSING_PROJECT_TYPES = [3, 9, 10, 13]  # PSH, PH – housing only, PH – housing with services, RRH
OUTREACH_PROJECT_TYPES = [4]  # Street Outreach

CHICAGO_REQUEST_TYPES = [
    {
        "code": "new-users",
        "name": "New agency user or users that will require the same access",
        "short_name": "New user(s)",
        "description": (
            "For people new to the CoC's HMIS, or last active more than six months ago. People who need "
            "the same access (responsibilities and projects) should be bundled into one request. When it "
            "is processed, they and you receive their training account and instructions for the LMS."
        ),
        "eligibility": Eligibility.NEW_OR_LAPSED,
        "queue": Queue.HELP_DESK,
        "allows_multiple_people": True,
        "position": 1,
    },
    {
        "code": "returning-user",
        "name": "New agency user with previous or current HMIS access",
        "short_name": "Returning user",
        "description": (
            "For someone active in the HMIS within the last six months, or holding current access at "
            "another agency of the CoC. One person per request. Training already completed for the same "
            "project types may be credited; housing, outreach and PATH-funded projects need their own "
            "training."
        ),
        "eligibility": Eligibility.RETURNING,
        "queue": Queue.HELP_DESK,
        "allows_multiple_people": False,
        "position": 2,
    },
    {
        "code": "new-project-access",
        "name": "Current agency user(s) that require new project access",
        "short_name": "New project access",
        "description": (
            "For current, active users of your agency who need access to more projects. Housing, outreach "
            "and PATH-funded projects need their own training."
        ),
        "eligibility": Eligibility.CURRENT_AGENCY_USER,
        "queue": Queue.HELP_DESK,
        "allows_multiple_people": True,
        "position": 3,
    },
    {
        "code": "hrs-1474",
        "name": "Housing Resource Specialist(s) or users entering data for Coordinated Entry 1474",
        "short_name": "HRS / CE 1474",
        "description": (
            "For new or current HMIS users who need Coordinated Entry 1474 access. Reviewed by the "
            "Coordinated Entry team, not the Help Desk. Your agency must be an approved HRS host."
        ),
        "eligibility": Eligibility.HRS,
        "queue": Queue.CE_TEAM,
        "allows_multiple_people": True,
        "requires_projects": False,
        "position": 4,
    },
]

LA_REQUEST_TYPES = [
    {
        "code": "ces-user-registration",
        "name": "HMIS for CES user registration",
        "short_name": "CES user registration",
        "description": (
            "Register the people who will attend HMIS training, with their CES role(s). Each role comes "
            "with its trainings and the HMIS role it provides; someone with several roles receives the "
            "highest appropriate level of access. Steps 1 (Organization Agreement) and 2 (program setup) "
            "must be complete first. Access follows within 3 business days of training and forms."
        ),
        "eligibility": Eligibility.ROLE_BASED,
        "queue": Queue.HELP_DESK,
        "allows_multiple_people": True,
        "uses_ces_roles": True,
        "position": 1,
    },
]

# Seed 004's matrix, role by role (least to most access).
LA_CES_ROLES = [
    {
        "code": "housing-provider",
        "name": "Housing Provider",
        "rank": 1,
        "hmis_role": "CES_Housing_Provider",
        "permissions": [P.VIEW_HOUSING_RESOURCES, P.MANAGE_HOUSING_RESOURCES, P.ENTER_VACANCY],
        "trainings": ["HMIS 511 Webinar (1 hour)"],
        "program_types": ["permanent_housing"],
    },
    {
        "code": "assessment-only",
        "name": "Assessment Only",
        "rank": 2,
        "hmis_role": "CES_Assessments",
        "permissions": [P.ENTER_CES_SURVEY],
        "trainings": ["HMIS 10 Webinar (new users; 3 hours)", "HMIS 509 – first half (3 hours)"],
        "program_types": ["assessment_only"],
    },
    {
        "code": "housing-navigator",
        "name": "Housing Navigator/Case Manager",
        "rank": 3,
        "hmis_role": "CES_Standard",
        "permissions": [
            P.ENTER_CES_SURVEY,
            P.HOUSING_NAVIGATION,
            P.CASE_MANAGEMENT,
            P.VIEW_PRIORITIZATION,
            P.VIEW_HOUSING_RESOURCES,
        ],
        "trainings": ["HMIS 10 Webinar (new users; 3 hours)", "HMIS 509 – full class (7 hours)"],
        "program_types": ["access_center", "emergency_shelter_th"],
    },
    {
        "code": "outreach",
        "name": "Outreach",
        "rank": 4,
        "hmis_role": "CES_Outreach",
        "permissions": [
            P.ENTER_CES_SURVEY,
            P.HOUSING_NAVIGATION,
            P.CASE_MANAGEMENT,
            P.VIEW_PRIORITIZATION,
            P.VIEW_HOUSING_RESOURCES,
            P.SERVICES_BEFORE_SURVEY,
        ],
        "trainings": ["HMIS 10 Webinar (new users; 3 hours)", "HMIS 102 (3 hours)"],
        "program_types": ["outreach"],
    },
    {
        "code": "community-coordinator",
        "name": "Community Coordinator",
        "rank": 5,
        "hmis_role": "CES_Coordinator",
        "permissions": [
            P.ENTER_CES_SURVEY,
            P.HOUSING_NAVIGATION,
            P.CASE_MANAGEMENT,
            P.VIEW_PRIORITIZATION,
            P.VIEW_HOUSING_RESOURCES,
            P.MANAGE_PRIORITIZATION,
            P.MANAGE_HOUSING_RESOURCES,
            P.ENTER_VACANCY,
        ],
        "trainings": ["HMIS 10 Webinar (new users; 3 hours)", "HMIS 509 – full class (7 hours)"],
        "program_types": [],
    },
    {
        "code": "community-matcher",
        "name": "Community Matcher",
        "rank": 6,
        "hmis_role": "CES_Matcher",
        "permissions": [
            P.ENTER_CES_SURVEY,
            P.HOUSING_NAVIGATION,
            P.CASE_MANAGEMENT,
            P.VIEW_PRIORITIZATION,
            P.VIEW_HOUSING_RESOURCES,
            P.MANAGE_PRIORITIZATION,
            P.MANAGE_HOUSING_RESOURCES,
            P.ENTER_VACANCY,
        ],
        "trainings": [
            "HMIS 10 Webinar (new users)",
            "HMIS 509 – full class (7 hours)",
            "HMIS 510 Webinar",
        ],
        "program_types": [],
    },
]


def install_request_types(continuum: Continuum, specs: list[dict]) -> int:
    created = 0
    for spec in specs:
        values = {k: v for k, v in spec.items() if k != "code"}
        _, new = RequestType.objects.update_or_create(continuum=continuum, code=spec["code"], defaults=values)
        created += int(new)
    return created


def install_ces_roles(continuum: Continuum, specs: list[dict]) -> int:
    created = 0
    for spec in specs:
        values = {
            k: ([str(p) for p in v] if k == "permissions" else v) for k, v in spec.items() if k != "code"
        }
        _, new = CesRole.objects.update_or_create(continuum=continuum, code=spec["code"], defaults=values)
        created += int(new)
    return created


def install_chicago(continuum: Continuum) -> int:
    RequestPolicy.objects.update_or_create(
        continuum=continuum,
        defaults={
            "inactivity_window_months": 6,
            "separately_trained_project_types": HOUSING_PROJECT_TYPES + OUTREACH_PROJECT_TYPES,
            "separately_trained_funding": ["path"],
            "sla_business_days": 5,
        },
    )
    return install_request_types(continuum, CHICAGO_REQUEST_TYPES)


def install_los_angeles(continuum: Continuum) -> int:
    RequestPolicy.objects.update_or_create(
        continuum=continuum,
        defaults={
            "inactivity_window_months": 6,
            "separately_trained_project_types": [],
            "separately_trained_funding": [],
            "sla_business_days": 3,
        },
    )
    return install_request_types(continuum, LA_REQUEST_TYPES) + install_ces_roles(continuum, LA_CES_ROLES)


def policy_for(continuum: Continuum) -> RequestPolicy:
    policy, _ = RequestPolicy.objects.get_or_create(continuum=continuum)
    return policy


# --- Changes by a CoC administrator (the pathway configuration pages) ---------------------------------
# Every change is validated, audited with before → after, and read from the database on the next
# request: nothing is cached in the process, so it takes effect without a restart.

POLICY_FIELDS = [
    "inactivity_window_months",
    "sla_business_days",
    "separately_trained_project_types",
    "separately_trained_funding",
]
REQUEST_TYPE_FIELDS = [
    "name",
    "short_name",
    "description",
    "eligibility",
    "queue",
    "allows_multiple_people",
    "requires_projects",
    "uses_ces_roles",
    "position",
    "is_active",
]


def _require_configure(continuum: Continuum, actor: Any) -> None:
    if not access_for(continuum, actor).can(Capability.CONFIGURE_CONTINUUM):
        raise PermissionDenied("Only the CoC's administrators may change its access-request pathway.")


def request_policy_update(*, continuum: Continuum, actor: Any, **changes: Any) -> RequestPolicy:
    _require_configure(continuum, actor)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"Not a policy setting: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        policy_for(continuum)
        policy = RequestPolicy.objects.select_for_update().get(continuum=continuum)
        before = snapshot(policy, POLICY_FIELDS)
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save(update_fields=list(changes) or None)
        audit_record(
            action="request_policy.changed",
            actor=actor,
            continuum=continuum,
            obj=policy,
            before=before,
            after=snapshot(policy, POLICY_FIELDS),
        )
    return policy


def request_type_update(*, request_type: RequestType, actor: Any, **changes: Any) -> RequestType:
    continuum = request_type.continuum
    _require_configure(continuum, actor)
    unknown = set(changes) - set(REQUEST_TYPE_FIELDS)
    if unknown:
        raise ValidationError(f"Not a request form setting: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        rtype = RequestType.objects.select_for_update().get(pk=request_type.pk)
        before = snapshot(rtype, REQUEST_TYPE_FIELDS)
        for name, value in changes.items():
            setattr(rtype, name, value)
        errors: dict[str, str] = {}
        if before["is_active"] and not rtype.is_active:
            others = RequestType.objects.filter(continuum=continuum, is_active=True).exclude(pk=rtype.pk)
            if not others.exists():
                errors["is_active"] = "This is the CoC's last active form; ATAs could file nothing."
        if rtype.uses_ces_roles and not CesRole.objects.filter(continuum=continuum, is_active=True).exists():
            errors["uses_ces_roles"] = "The CoC has no active CES roles to choose from."
        if rtype.eligibility == Eligibility.HRS and rtype.queue != Queue.CE_TEAM:
            errors["queue"] = "Housing Resource Specialist access is reviewed by the Coordinated Entry team."
        if errors:
            raise ValidationError(errors)
        rtype.full_clean()
        rtype.save(update_fields=list(changes) or None)
        audit_record(
            action="request_type.changed",
            actor=actor,
            continuum=continuum,
            obj=rtype,
            before=before,
            after=snapshot(rtype, REQUEST_TYPE_FIELDS),
        )
    return rtype


def ces_matrix_update(*, continuum: Continuum, actor: Any, matrix: dict[int, dict[str, Any]]) -> int:
    """`matrix`: role id → {"rank": int, "permissions": [CesPermission values]}. Returns roles changed."""
    _require_configure(continuum, actor)
    with transaction.atomic():
        roles = {r.pk: r for r in CesRole.objects.select_for_update().filter(continuum=continuum)}
        if set(matrix) - set(roles):
            raise ValidationError("A role in the matrix is not one of this CoC's CES roles.")
        ranks = [matrix.get(pk, {}).get("rank", role.rank) for pk, role in roles.items() if role.is_active]
        if len(ranks) != len(set(ranks)):
            raise ValidationError(
                "Two active roles share a rank; ranks decide which role wins when someone has several."
            )
        changed = 0
        for pk, values in matrix.items():
            role = roles[pk]
            permissions = sorted({p for p in values.get("permissions", []) if p in CesPermission.values})
            before = {"rank": role.rank, "permissions": sorted(role.permissions)}
            after = {"rank": values.get("rank", role.rank), "permissions": permissions}
            if before == after:
                continue
            role.rank, role.permissions = after["rank"], after["permissions"]
            role.save(update_fields=["rank", "permissions"])
            audit_record(
                action="ces_role.changed",
                actor=actor,
                continuum=continuum,
                obj=role,
                before=before,
                after=after,
            )
            changed += 1
    return changed
