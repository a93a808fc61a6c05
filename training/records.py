"""A person's onboarding record and training completion certificate (PDFs), and the certificate's
verification code.

Who gets what (anyone else: 404, exactly like a person who does not exist):
- the onboarding record: the person themself, CoC staff who see every agency, and the ATAs and
  supervisors of an agency the person works for (or was requested by) — who then see only what
  concerns their own agencies;
- the certificate: the person, their agency's ATAs, and the staff who run training.

The verification code is not stored: it is a keyed hash (the site's secret key) of the CoC, the
person and the day their path was completed, so a code cannot be forged, a code of another CoC does
not verify here, and a certificate stops verifying as current when the training record changes
(a course reset, a new course added to the path)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from access_requests.models import (
    EndUserAgreementSignature,
    HmisAccount,
    Onboarding,
    RequestedPerson,
    RequestStatus,
    SampleClientAssignment,
    SampleClientRound,
)
from agencies.models import Continuum, Membership
from hmis_onboarding.exports import render_pdf
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from . import path as lp
from . import selectors
from .models import LearningPath

RECORD_LEAD_ROLES = frozenset({Role.ATA, Role.AGENCY_SUPERVISOR})
CERTIFICATE_LEAD_ROLES = frozenset({Role.ATA})


# --- Who may have a person's documents ------------------------------------------------------------------
def _person_agency_ids(continuum: Continuum, person: User) -> frozenset[int]:
    """Agencies the person works for here, or that named them on a submitted request."""
    members = Membership.objects.filter(
        continuum=continuum, user=person, is_active=True, agency__isnull=False
    ).values_list("agency_id", flat=True)
    requested = (
        RequestedPerson.objects.filter(continuum=continuum)
        .filter(Q(user=person) | Q(email__iexact=person.email))
        .exclude(access_request__status=RequestStatus.DRAFT)
        .values_list("access_request__agency_id", flat=True)
    )
    return frozenset(members) | frozenset(requested)


def _subject(
    *, continuum: Continuum, user: User, person_id: int, lead_roles: frozenset[str], staff_capability: str
) -> tuple[User, frozenset[int] | None]:
    """The person, and the agencies the viewer may see them through (None: all of them)."""
    access = access_for(continuum, user)
    person = User.objects.filter(pk=person_id).first() if access.is_member else None
    if person is None:
        raise Http404("No such person.")
    agencies = _person_agency_ids(continuum, person)
    if not agencies and not LearningPath.objects.filter(continuum=continuum, user=person).exists():
        raise Http404("No such person.")
    if person.pk == user.pk or access.can(staff_capability):
        return person, None
    shared = frozenset(a for a in access.agency_ids if access.roles_in_agency(a) & lead_roles) & agencies
    if not shared:
        raise Http404("No such person.")
    return person, shared


def record_subject(*, continuum: Continuum, user: User, person_id: int) -> tuple[User, frozenset[int] | None]:
    return _subject(
        continuum=continuum,
        user=user,
        person_id=person_id,
        lead_roles=RECORD_LEAD_ROLES,
        staff_capability=Capability.VIEW_ALL_AGENCIES,
    )


def certificate_subject(*, continuum: Continuum, user: User, person_id: int) -> User:
    person, _ = _subject(
        continuum=continuum,
        user=user,
        person_id=person_id,
        lead_roles=CERTIFICATE_LEAD_ROLES,
        staff_capability=Capability.MANAGE_TRAINING,
    )
    return person


def may_have_certificate(access: Any, *, viewer: User, person_id: int, agency_id: int | None) -> bool:
    """For links on pages: the same rule as `certificate_subject`, from what the page already knows."""
    if viewer.pk == person_id or access.can(Capability.MANAGE_TRAINING):
        return True
    return agency_id is not None and bool(access.roles_in_agency(agency_id) & CERTIFICATE_LEAD_ROLES)


def may_have_record(access: Any, *, viewer: User, person_id: int, agency_id: int | None) -> bool:
    """For links on pages: the same rule as `record_subject`, from what the page already knows."""
    if viewer.pk == person_id or access.can(Capability.VIEW_ALL_AGENCIES):
        return True
    return agency_id is not None and bool(access.roles_in_agency(agency_id) & RECORD_LEAD_ROLES)


# --- The learning path, as printed -----------------------------------------------------------------------
@dataclass(frozen=True)
class CourseLine:
    title: str
    state: str
    percent: int
    completed_on: dt.date | None
    credited: bool


@dataclass
class PathSummary:
    path: LearningPath
    result: lp.LearningPathResult
    courses: list[CourseLine] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return self.result.is_complete

    @property
    def completed_on(self) -> dt.date | None:
        """The day the last required course was completed (or the path was assigned, when every
        course was credited from earlier training)."""
        if not self.result.is_complete:
            return None
        days = [c.completed_on for c in self.courses if c.completed_on]
        if days:
            return max(days)
        return self.path.assigned_at.astimezone(self.path.continuum.tzinfo).date()


def path_summary(continuum: Continuum, person: User) -> PathSummary | None:
    path = LearningPath.objects.filter(continuum=continuum, user=person).select_related("continuum").first()
    if path is None:
        return None
    catalog = selectors.catalog_snapshot(continuum)
    result = selectors.learning_path_result(continuum, person, catalog=catalog)
    assert result is not None
    tz = continuum.tzinfo
    lines = []
    for step in result.steps:
        title = step.title
        if step.is_bundle and step.chosen and step.chosen in catalog.courses:
            title = f"{step.title}: {catalog.courses[step.chosen].name}"
        lines.append(
            CourseLine(
                title=title,
                state=step.state.label,
                percent=100 if step.satisfied else step.percent,
                completed_on=step.completed_at.astimezone(tz).date() if step.completed_at else None,
                credited=step.state == lp.StepState.CREDITED,
            )
        )
    return PathSummary(path=path, result=result, courses=lines)


# --- The onboarding record ---------------------------------------------------------------------------
def onboarding_record(*, continuum: Continuum, person: User, agency_ids: frozenset[int] | None) -> dict:
    """Everything from request to credential for one person (a fixed number of queries)."""
    tz = continuum.tzinfo
    by_agency = Q() if agency_ids is None else Q(agency_id__in=agency_ids)
    requested = (
        RequestedPerson.objects.filter(continuum=continuum)
        .filter(Q(user=person) | Q(email__iexact=person.email))
        .exclude(access_request__status=RequestStatus.DRAFT)
        .select_related(
            "access_request__agency",
            "access_request__request_type",
            "access_request__decided_by",
            "access_request__submitted_by",
        )
        .order_by("access_request__submitted_at", "pk")
    )
    if agency_ids is not None:
        requested = requested.filter(access_request__agency_id__in=agency_ids)
    assignments = (
        SampleClientAssignment.objects.filter(by_agency, continuum=continuum, user=person)
        .select_related("agency")
        .prefetch_related(
            Prefetch(
                "rounds", queryset=SampleClientRound.objects.select_related("reviewed_by").order_by("number")
            )
        )
        .order_by("requested_at", "pk")
    )
    signatures = (
        EndUserAgreementSignature.objects.filter(continuum=continuum, user=person)
        .filter(Q() if agency_ids is None else Q(onboarding__agency_id__in=agency_ids))
        .select_related("version", "onboarding__agency")
        .order_by("signed_at")
    )
    accounts = (
        HmisAccount.objects.filter(by_agency, continuum=continuum)
        .filter(Q(user=person) | Q(email__iexact=person.email))
        .select_related("agency", "issued_by")
        .order_by("issued_at", "pk")
    )
    onboardings = (
        Onboarding.objects.filter(by_agency, continuum=continuum, user=person)
        .select_related("agency", "training_confirmed_by")
        .order_by("created_at")
    )
    memberships = (
        Membership.objects.filter(continuum=continuum, user=person, is_active=True, agency__isnull=False)
        .filter(Q() if agency_ids is None else Q(agency_id__in=agency_ids))
        .select_related("agency")
        .order_by("agency__name", "role")
    )
    return {
        "continuum": continuum,
        "person": person,
        "memberships": list(memberships),
        "requests": [p.access_request for p in requested],
        "path": path_summary(continuum, person),
        "onboardings": list(onboardings),
        "assignments": list(assignments),
        "signatures": list(signatures),
        "accounts": list(accounts),
        "tz": tz,
        "generated_at": timezone.now().astimezone(tz),
        "limited_to_agencies": agency_ids is not None,
    }


def onboarding_record_pdf(*, continuum: Continuum, person: User, agency_ids: frozenset[int] | None) -> bytes:
    context = onboarding_record(continuum=continuum, person=person, agency_ids=agency_ids)
    return render_pdf("training/pdf/onboarding_record.html", context)


# --- The certificate and its verification code ----------------------------------------------------------
CODE_SALT = "training.certificate"
CODE_PATTERN = re.compile(r"^(\d+)-(\d{8})-([A-Z2-7]{4})-?([A-Z2-7]{4})-?([A-Z2-7]{4})-?([A-Z2-7]{4})$")


def _mac(continuum_id: int, person_id: int, day: dt.date, secret: str) -> str:
    digest = salted_hmac(
        CODE_SALT, f"{continuum_id}:{person_id}:{day:%Y%m%d}", secret=secret, algorithm="sha256"
    ).digest()
    return base64.b32encode(digest[:10]).decode()  # 16 characters, 80 bits


def certificate_code(continuum: Continuum, person: User, completed_on: dt.date) -> str:
    mac = _mac(continuum.pk, person.pk, completed_on, settings.SECRET_KEY)
    return f"{person.pk}-{completed_on:%Y%m%d}-" + "-".join(mac[i : i + 4] for i in range(0, 16, 4))


def certificate_verify_url(continuum: Continuum, code: str) -> str:
    path = reverse("training_certificate_verify", kwargs={"continuum_slug": continuum.slug})
    return f"{settings.SITE_URL}{path}?code={code}"


class CertificateUnavailable(Http404):
    """The person has no completed learning path here (no certificate to give)."""


def certificate_pdf(*, continuum: Continuum, person: User) -> tuple[bytes, str]:
    summary = path_summary(continuum, person)
    if summary is None or not summary.is_complete:
        raise CertificateUnavailable("This person has not completed their learning path.")
    completed_on = summary.completed_on
    assert completed_on is not None
    code = certificate_code(continuum, person, completed_on)
    now = timezone.now().astimezone(continuum.tzinfo)
    content = render_pdf(
        "training/pdf/certificate.html",
        {
            "continuum": continuum,
            "person": person,
            "summary": summary,
            "completed_on": completed_on,
            "issued_on": now.date(),
            "generated_at": now,
            "code": code,
            "verify_url": certificate_verify_url(continuum, code),
        },
    )
    return content, code


@dataclass(frozen=True)
class CertificateCheck:
    """What a verification code says. status: valid (the training record still shows the path
    completed that day), changed (a genuine code, but the record no longer matches), unknown."""

    status: str
    code: str
    person: User | None = None
    completed_on: dt.date | None = None
    current_completed_on: dt.date | None = None
    summary: PathSummary | None = None


def normalise_code(code: str) -> str:
    return re.sub(r"\s+", "", (code or "")).upper()


def certificate_check(*, continuum: Continuum, user: User, code: str) -> CertificateCheck:
    """Check a certificate's code for CoC staff who see every agency."""
    if not access_for(continuum, user).can(Capability.VIEW_ALL_AGENCIES):
        raise Http404
    code = normalise_code(code)
    match = CODE_PATTERN.match(code)
    if match is None:
        return CertificateCheck(status="unknown", code=code)
    person_id, day_text, *groups = match.groups()
    try:
        day = dt.datetime.strptime(day_text, "%Y%m%d").date()
    except ValueError:
        return CertificateCheck(status="unknown", code=code)
    mac = "".join(groups)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(mac, _mac(continuum.pk, int(person_id), day, s)) for s in secrets):
        return CertificateCheck(status="unknown", code=code)
    person = User.objects.filter(pk=int(person_id)).first()
    summary = path_summary(continuum, person) if person is not None else None
    if person is None or summary is None:
        return CertificateCheck(status="unknown", code=code)
    current = summary.completed_on
    status = "valid" if current == day else "changed"
    return CertificateCheck(
        status=status,
        code=code,
        person=person,
        completed_on=day,
        current_completed_on=current,
        summary=summary,
    )
