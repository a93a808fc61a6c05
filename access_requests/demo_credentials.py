"""Demo people at every step after approval (issue 6), for both reference CoCs: in training, with an
open sample client that needed corrections, waiting for review, with a walk-through scheduled, past
the sample client and due to sign, signed and ready for credentials, credentialed, suspended and
offboarded; in Chicago also a Housing Resource Specialist awaiting the Coordinated Entry team.
Built through the real services; running it twice changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.utils import timezone

from agencies.models import Agency, Continuum, HmisProject, Membership
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Role

from . import access_review, credential_config, credentials, sample_client
from .models import (
    AccessRequest,
    HmisAccount,
    Onboarding,
    RequestedPerson,
    RequestStatus,
    RequestType,
)


@dataclass(frozen=True)
class DemoTrainee:
    email: str
    first: str
    last: str
    state: str


@dataclass(frozen=True)
class DemoCredentials:
    agency: str
    ata: str
    help_desk: str
    request_type: str
    trainees: tuple[DemoTrainee, ...]


STATES = (
    "training",
    "corrections",
    "submitted",
    "walkthrough",
    "agreement",
    "ready",
    "credentialed",
    "suspended",
    "offboarded",
)

DEMO = {
    "chicago": DemoCredentials(
        agency="Lakeshore Family Services",
        ata="chicago.ata@example.org",
        help_desk="chicago.helpdesk@example.org",
        request_type="new-users",
        trainees=(
            DemoTrainee("r.okafor@example.org", "Rita", "Okafor", "training"),
            DemoTrainee("chicago.user@example.org", "Jordan", "Kim", "corrections"),
            DemoTrainee("b.santos@example.org", "Bruno", "Santos", "submitted"),
            DemoTrainee("h.lee@example.org", "Hugo", "Lee", "walkthrough"),
            DemoTrainee("d.ahmed@example.org", "Dina", "Ahmed", "agreement"),
            DemoTrainee("e.novak@example.org", "Emil", "Novak", "ready"),
            DemoTrainee("f.obi@example.org", "Femi", "Obi", "credentialed"),
            DemoTrainee("g.hart@example.org", "Gina", "Hart", "suspended"),
            DemoTrainee("i.park@example.org", "Ian", "Park", "offboarded"),
        ),
    ),
    "la": DemoCredentials(
        agency="Golden State Housing Partners",
        ata="la.ata@example.org",
        help_desk="la.helpdesk@example.org",
        request_type="ces-user-registration",
        trainees=(
            DemoTrainee("t.nguyen@example.org", "Tara", "Nguyen", "training"),
            DemoTrainee("la.user@example.org", "Brianna", "Woods", "corrections"),
            DemoTrainee("m.ali@example.org", "Marcus", "Ali", "submitted"),
            DemoTrainee("p.diaz@example.org", "Paula", "Diaz", "walkthrough"),
            DemoTrainee("s.kowalski@example.org", "Sofia", "Kowalski", "agreement"),
            DemoTrainee("j.brown@example.org", "Jonah", "Brown", "ready"),
            DemoTrainee("a.hassan@example.org", "Amira", "Hassan", "credentialed"),
            DemoTrainee("o.reed@example.org", "Oscar", "Reed", "suspended"),
            DemoTrainee("v.lopez@example.org", "Vera", "Lopez", "offboarded"),
        ),
    ),
}


def _person(email: str, full_name: str, agency: Agency, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    Membership.objects.get_or_create(
        continuum=agency.continuum, user=user, agency=agency, role=Role.AGENCY_USER
    )
    return user


def _approved_request(
    continuum: Continuum, agency: Agency, spec: DemoCredentials, trainee: DemoTrainee, project
):
    ata = User.objects.get(email=spec.ata)
    now = timezone.now()
    req = AccessRequest.objects.create(
        continuum=continuum,
        agency=agency,
        request_type=RequestType.objects.get(continuum=continuum, code=spec.request_type),
        queue="help_desk",
        status=RequestStatus.APPROVED,
        created_by=ata,
        submitted_by=ata,
        submitted_at=now - datetime.timedelta(days=30),
        decided_by=User.objects.get(email=spec.help_desk),
        decided_at=now - datetime.timedelta(days=28),
        responsibilities="Intake and enrollments.",
    )
    req.projects.set([project])
    return req


def _review(helpdesk: User, rnd, outcome: str, errors: dict[str, int], **kwargs) -> None:
    elements = sample_client.rubric_for(rnd.continuum, rnd.assignment.project_type)
    results = [
        sample_client.ElementResult(
            e.pk, errors.get(e.code, 0), "See the scenario." if e.code in errors else ""
        )
        for e in elements
    ]
    sample_client.sample_client_review(
        round=rnd, reviewer=helpdesk, results=results, outcome=outcome, **kwargs
    )


def seed_credentials(continuum: Continuum, key: str, password: str = "") -> int:
    """Returns the number of onboardings created (0 when they exist already)."""
    from agencies.demo import DEMO_PASSWORD

    if key == "chicago":
        credential_config.install_chicago(continuum)
    else:
        credential_config.install_los_angeles(continuum)
    if Onboarding.objects.filter(continuum=continuum).exists():
        return 0
    spec = DEMO[key]
    agency = Agency.objects.get(continuum=continuum, name=spec.agency)
    project = HmisProject.objects.filter(agency=agency, is_active=True).order_by("pk").first()
    if project is None:
        return 0
    helpdesk = User.objects.get(email=spec.help_desk)
    ata = User.objects.get(email=spec.ata)
    created = 0
    for number, trainee in enumerate(spec.trainees):
        name = f"{trainee.first} {trainee.last}"
        user = _person(trainee.email, name, agency, password or DEMO_PASSWORD)
        req = _approved_request(continuum, agency, spec, trainee, project)
        RequestedPerson.objects.create(
            continuum=continuum,
            access_request=req,
            first_name=trainee.first,
            last_name=trainee.last,
            email=trainee.email,
            user=user,
        )
        (onboarding,) = credentials.onboarding_start(access_request=req)
        created += 1
        if trainee.state == "training":
            continue
        onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=helpdesk)
        assignment = sample_client.sample_client_sign_up(onboarding=onboarding, actor=user)
        rnd = sample_client.sample_client_submit(
            assignment=assignment, actor=user, client_reference=f"SC-{1000 + number}"
        )
        if trainee.state == "submitted":
            continue
        if trainee.state == "corrections":
            _review(
                helpdesk,
                rnd,
                "corrections",
                {"3.03": 1, "3.917": 2},
                feedback="Check the date of birth and the prior living situation: the length of stay "
                "and the times homeless do not match the scenario.",
            )
            continue
        if trainee.state == "walkthrough":
            _review(
                helpdesk,
                rnd,
                "walkthrough",
                {"3.10": 1, "3.15": 1, "4.02": 3},
                feedback="Let's go through the enrollment together.",
                walkthrough_at=timezone.now() + datetime.timedelta(days=2),
                walkthrough_link="https://meet.example.org/hmis-walkthrough",
                walkthrough_with=helpdesk.get_full_name() or helpdesk.email,
            )
            continue
        _review(helpdesk, rnd, "pass", {})
        if trainee.state == "agreement":
            continue
        onboarding.refresh_from_db()
        credentials.eua_sign(onboarding=onboarding, actor=user, signed_name=name)
        if trainee.state == "ready":
            continue
        onboarding.refresh_from_db()
        account = credentials.hmis_account_issue(
            onboarding=onboarding,
            actor=helpdesk,
            hmis_username=f"{trainee.first[0]}{trainee.last}".lower(),
            hmis_role="Case Manager",
            projects=[project],
        )
        if trainee.state == "suspended":
            HmisAccount.objects.filter(pk=account.pk).update(
                last_activity_on=timezone.now().date() - datetime.timedelta(days=200)
            )
            credentials.hmis_account_suspend(
                account=account, actor=None, reason=credentials.SuspensionReason.INACTIVE
            )
        elif trainee.state == "offboarded":
            credentials.hmis_account_offboard(account=account, actor=ata, note="Moved to another city")
    if key == "chicago":
        created += _seed_hrs_awaiting_ce(continuum, agency, helpdesk, ata, password or DEMO_PASSWORD)
    # This quarter's access review, open for the ATAs to certify.
    access_review.access_review_open(continuum=continuum, actor=helpdesk)
    return created


# A Housing Resource Specialist (seed 000) at Lakeshore Family Services, an approved HRS host: HRS
# training done (no sample client: an HRS-only request), both agreements signed, waiting for the
# Coordinated Entry team's approval before the Help Desk may issue Coordinated Entry access.
HRS_DEMO = DemoTrainee("m.castillo@example.org", "Marisol", "Castillo", "hrs_awaiting_ce")
CHICAGO_CE_TEAM = "chicago.ce@example.org"


def _seed_hrs_awaiting_ce(
    continuum: Continuum, agency: Agency, helpdesk: User, ata: User, password: str
) -> int:
    trainee = HRS_DEMO
    name = f"{trainee.first} {trainee.last}"
    user = _person(trainee.email, name, agency, password)
    now = timezone.now()
    req = AccessRequest.objects.create(
        continuum=continuum,
        agency=agency,
        request_type=RequestType.objects.get(continuum=continuum, code="hrs-1474"),
        queue="ce_team",
        status=RequestStatus.APPROVED,
        created_by=ata,
        submitted_by=ata,
        submitted_at=now - datetime.timedelta(days=21),
        decided_by=User.objects.get(email=CHICAGO_CE_TEAM),
        decided_at=now - datetime.timedelta(days=19),
        responsibilities="Administer the Standardized Housing Assessment at the drop-in center.",
    )
    RequestedPerson.objects.create(
        continuum=continuum,
        access_request=req,
        first_name=trainee.first,
        last_name=trainee.last,
        email=trainee.email,
        user=user,
    )
    (onboarding,) = credentials.onboarding_start(access_request=req)
    onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=helpdesk)
    credentials.hrs_agreement_sign(onboarding=onboarding, actor=user, signed_name=name)
    onboarding.refresh_from_db()
    credentials.eua_sign(onboarding=onboarding, actor=user, signed_name=name)
    return 1
