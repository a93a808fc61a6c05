"""Demo access requests in every state for the two reference CoCs (called by seed_demo).

Created through the services, so they carry their audit history, then back-dated so that the
queues show ages and SLA states as a real Help Desk would see them. Idempotent: a CoC that already
has demo requests is left alone.
"""

from __future__ import annotations

import datetime

from django.db.models import F
from django.utils import timezone

from agencies.models import Agency, Continuum, HmisProject
from hmis_onboarding.business_calendar import add_business_days, is_business_day
from hmis_onboarding.models import User

from . import configuration, services
from .models import AccessRequest, CesRole, HmisAccount, HmisAccountStatus, RequestType

CHICAGO_ACCOUNTS = [
    # (e-mail, name, agency, HMIS username, project types, status, days since last activity)
    ("l.mendez@example.org", "Luis Mendez", "Lakeshore Family Services", "lmendez", [1, 13], "active", 2),
    ("s.johnson@example.org", "Shanice Johnson", "Lakeshore Family Services", "sjohnson", [1], "active", 9),
    (
        "k.brooks@example.org",
        "Kayla Brooks",
        "Northside Housing Collaborative",
        "kbrooks",
        [3, 13],
        "active",
        4,
    ),
    ("t.walker@example.org", "Terrence Walker", "Westside Community Shelter", "twalker", [1], "revoked", 95),
    ("m.garcia@example.org", "Maria Garcia", "Pilsen Street Outreach", "mgarcia", [4], "revoked", 420),
]


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _backdate(req: AccessRequest, business_days_ago: int) -> None:
    continuum = req.continuum
    today = timezone.now().astimezone(continuum.tzinfo).date()
    day = today
    while business_days_ago > 0:
        day -= datetime.timedelta(days=1)
        if is_business_day(continuum, day):
            business_days_ago -= 1
    submitted = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 30)), continuum.tzinfo)
    policy = configuration.policy_for(continuum)
    AccessRequest.objects.filter(pk=req.pk).update(
        submitted_at=submitted,
        created_at=submitted - datetime.timedelta(minutes=20),
        sla_due_on=add_business_days(continuum, day, policy.sla_business_days),
        sla_paused_since=F("sla_paused_since"),
    )


def _draft(
    continuum: Continuum,
    agency: Agency,
    ata: User,
    code: str,
    people,
    projects,
    responsibilities: str,
    roles=(),
) -> AccessRequest:
    rtype = RequestType.objects.get(continuum=continuum, code=code)
    req = services.access_request_create(agency=agency, actor=ata, request_type=rtype)
    for first, last, email in people:
        services.requested_person_add(
            access_request=req, actor=ata, first_name=first, last_name=last, email=email
        )
    services.access_request_update_draft(
        access_request=req,
        actor=ata,
        read_only=False,
        responsibilities=responsibilities,
        projects=list(HmisProject.objects.filter(agency=agency, name__in=projects)),
        ces_roles=list(CesRole.objects.filter(continuum=continuum, code__in=roles)),
    )
    return req


def seed_chicago(continuum: Continuum) -> int:
    configuration.install_chicago(continuum)
    if AccessRequest.objects.filter(continuum=continuum).exists():
        return 0
    now = timezone.now()
    for email, name, agency_name, username, types, status, idle_days in CHICAGO_ACCOUNTS:
        HmisAccount.objects.get_or_create(
            continuum=continuum,
            hmis_username=username,
            defaults={
                "agency": Agency.objects.get(continuum=continuum, name=agency_name),
                "email": email,
                "full_name": name,
                "user": User.objects.filter(email=email).first(),
                "project_types": types,
                "status": status if status in HmisAccountStatus.values else "active",
                "issued_at": now - datetime.timedelta(days=400),
                "last_activity_on": (now - datetime.timedelta(days=idle_days)).date(),
            },
        )
    lakeshore = Agency.objects.get(continuum=continuum, name="Lakeshore Family Services")
    ata, helpdesk, ce = (
        _user("chicago.ata@example.org"),
        _user("chicago.helpdesk@example.org"),
        _user("chicago.ce@example.org"),
    )
    shelter = ["Lakeshore Family Shelter"]
    # 1. A draft the ATA is still putting together.
    _draft(
        continuum,
        lakeshore,
        ata,
        "new-users",
        [("Nadia", "Haddad", "n.haddad@example.org")],
        shelter,
        "Intake and shelter enrollments on the overnight shift.",
    )
    # 2. Submitted a week ago and nobody has taken it: overdue.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "new-users",
        [
            ("Omar", "Farouk", "o.farouk@example.org"),
            ("Grace", "Whitfield", "g.whitfield@example.org"),
            ("Hector", "Ramos", "h.ramos@example.org"),
        ],
        shelter,
        "Case managers: intake, enrollments, case notes and exits.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 7)
    # 3. In review, waiting for the ATA's answer.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "new-users",
        [("Priscilla", "Yeboah", "p.yeboah@example.org")],
        ["Lakeshore Rapid Rehousing"],
        "Housing locator for the RRH program.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 2)
    services.access_request_claim(access_request=req, reviewer=helpdesk)
    services.access_request_request_info(
        access_request=req,
        reviewer=helpdesk,
        question="Will Priscilla also enter data for the family shelter? If so, add that project.",
    )
    # 4. A returning user, approved with training credit.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "returning-user",
        [("Terrence", "Walker", "t.walker@example.org")],
        shelter,
        "Shelter intake; he used HMIS at Westside until this summer.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 4)
    for step in services.CHECKLIST_STEPS:
        services.access_request_confirm_step(access_request=req, reviewer=helpdesk, step=step)
    services.access_request_approve(
        access_request=req, reviewer=helpdesk, note="Training credited for shelter."
    )
    # 5. Filed through the wrong form: returned, to be re-filed in one click.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "new-users",
        [("Kayla", "Brooks", "k.brooks@example.org")],
        shelter,
        "Joining from Northside; shelter intake.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 3)
    services.access_request_return(
        access_request=req,
        reviewer=helpdesk,
        correct_type=RequestType.objects.get(continuum=continuum, code="returning-user"),
        reason="Kayla holds current access at Northside, so this is a returning-user request.",
    )
    # 6. Coordinated Entry 1474 access, in the CE team's queue.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "hrs-1474",
        [("Jasmine", "Ortega", "j.ortega@example.org")],
        [],
        "Housing Resource Specialist completing CE assessments.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 1)
    # 7. Rejected.
    req = _draft(
        continuum,
        lakeshore,
        ata,
        "new-users",
        [("Victor", "Lang", "v.lang@example.org")],
        shelter,
        "Volunteer.",
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 9)
    services.access_request_reject(
        access_request=req,
        reviewer=helpdesk,
        reason="Volunteers do not receive HMIS access in this CoC; the agency's staff enter the data.",
    )
    del ce
    return AccessRequest.objects.filter(continuum=continuum).count()


def seed_los_angeles(continuum: Continuum) -> int:
    configuration.install_los_angeles(continuum)
    if AccessRequest.objects.filter(continuum=continuum).exists():
        return 0
    golden = Agency.objects.get(continuum=continuum, name="Golden State Housing Partners")
    ata, helpdesk = _user("la.ata@example.org"), _user("la.helpdesk@example.org")
    projects = list(HmisProject.objects.filter(agency=golden).values_list("name", flat=True))
    req = _draft(
        continuum,
        golden,
        ata,
        "ces-user-registration",
        [
            ("Elena", "Morales", "e.morales@example.org"),
            ("Darius", "Coleman", "d.coleman@example.org"),
        ],
        projects[:2],
        "Housing navigation and case management at the access center.",
        roles=("housing-navigator", "community-coordinator"),
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 2)
    req = _draft(
        continuum,
        golden,
        ata,
        "ces-user-registration",
        [("Wendy", "Chu", "w.chu@example.org")],
        projects[:1],
        "Adds vacancies and tracks occupancy.",
        roles=("housing-provider",),
    )
    services.access_request_submit(access_request=req, actor=ata)
    _backdate(req, 5)
    services.access_request_claim(access_request=req, reviewer=helpdesk)
    return AccessRequest.objects.filter(continuum=continuum).count()


SEEDERS = {"chicago": seed_chicago, "la": seed_los_angeles}


def seed_access_requests(continuum: Continuum, key: str) -> int:
    return SEEDERS[key](continuum)
