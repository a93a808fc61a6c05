"""Reads of tenant data. Every function takes the tenant and the person asking, and returns only
what that person may see there; "not yours" and "not there" are the same 404."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from hmis_onboarding.models import AuditEvent, User
from hmis_onboarding.permissions import AGENCY_ROLES, Capability, Role
from hmis_onboarding.tenancy import access_for

from .models import (
    Agency,
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    Continuum,
    Gate,
    HmisProject,
    HrsHost,
    Membership,
    ProgramSetupRequest,
    ProgramSetupStatus,
)
from .participation import Standing, agreement_standings, today_in
from .policies import may_countersign, viewable_agency_ids


def schema_placeholder(model_name: str) -> QuerySet:
    """An empty queryset of one of this app's models, for the OpenAPI generator (it has no tenant)."""
    from django.apps import apps

    return apps.get_model("agencies", model_name)._default_manager.none()


def continuums_for_user(user: User) -> QuerySet[Continuum]:
    """The CoCs a person belongs to (for the switcher); not tenant data, so no tenant argument."""
    if not user.is_authenticated:
        return Continuum.objects.none()
    return Continuum.objects.filter(memberships__user=user, memberships__is_active=True).distinct()


def _visible_agencies(continuum: Continuum, user: User) -> QuerySet[Agency]:
    access = access_for(continuum, user)
    qs = Agency.objects.filter(continuum=continuum)
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    if access.can(Capability.VIEW_OWN_AGENCY):
        # Only agencies where the person holds a role that sees the agency (not where they are a trainee).
        return qs.filter(pk__in=viewable_agency_ids(access))
    return qs.none()


def _has_ata() -> Exists:
    return Exists(Membership.objects.filter(agency=OuterRef("pk"), role=Role.ATA, is_active=True))


def agency_list(*, continuum: Continuum, user: User, counts: bool = True) -> QuerySet[Agency]:
    """The agencies the person may see, by name, with `has_ata`; `counts` adds `people_count` and
    `has_programs` (the pages show them; the API does not, and the people count is a join over every
    membership of the CoC)."""
    qs = _visible_agencies(continuum, user)
    active_projects = HmisProject.objects.filter(agency=OuterRef("pk"), is_active=True)
    qs = qs.select_related("continuum").annotate(has_ata=_has_ata()).order_by("name")
    if not counts:
        return qs
    return qs.annotate(
        people_count=Count("memberships__user", filter=Q(memberships__is_active=True), distinct=True),
        has_programs=Exists(active_projects),
    )


# The columns of an agency the API's list shows (`agency_page_rows`), in `AgencySerializer`'s order.
AGENCY_LIST_FIELDS = (
    "id",
    "name",
    "hmis_participating",
    "coc_member",
    "victim_service_provider",
    "direct_services_provider",
    "license_pool_size",
    "ces_roles",
    "has_ata",
)


def agency_page_rows(*, continuum: Continuum, page: QuerySet[Agency]) -> list[dict[str, Any]]:
    """One page of an `agency_list(counts=False)` queryset (sliced, not yet read) as plain rows with
    the columns the API's list shows, each with `agreements`: the agency's agreements other than
    superseded ones, newest signed first, as (id, type id, version id, status, expires_on) tuples —
    all in one query (the page's agencies LEFT JOIN their agreements), no model instances."""
    live = [s for s in AgreementStatus.values if s != AgreementStatus.SUPERSEDED]
    joined = (
        Agency.objects.filter(pk__in=page.values("pk"))
        .annotate(
            has_ata=_has_ata(),
            live=FilteredRelation(
                "agreements", condition=Q(agreements__continuum=continuum, agreements__status__in=live)
            ),
        )
        .order_by("name", "pk", "-live__signed_at", "-live__id")
        .values_list(
            *AGENCY_LIST_FIELDS,
            "live__id",
            "live__agreement_type_id",
            "live__version_id",
            "live__status",
            "live__expires_on",
        )
    )
    width = len(AGENCY_LIST_FIELDS)
    rows: list[dict[str, Any]] = []
    for values in joined:
        if not rows or rows[-1]["id"] != values[0]:
            rows.append({**dict(zip(AGENCY_LIST_FIELDS, values[:width], strict=True)), "agreements": []})
        if values[width] is not None:
            rows[-1]["agreements"].append(values[width:])
    return rows


def agency_choices(*, continuum: Continuum, user: User) -> QuerySet[Agency]:
    """The agencies of `agency_list` as a filter's choices: id and name only, without the people
    counts and flags the directory computes for every agency (80 ms on a metro CoC's 900)."""
    return _visible_agencies(continuum, user).only("pk", "name").order_by("name")


def agency_get(*, continuum: Continuum, user: User, agency_id: int) -> Agency:
    agency = agency_list(continuum=continuum, user=user).filter(pk=agency_id).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


@dataclass
class Person:
    """One person as seen inside one agency or CoC, with all their roles there."""

    user: User
    roles: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles]


def visible_memberships(*, continuum: Continuum, user: User) -> QuerySet[Membership]:
    """The active memberships behind the people the viewer may see: CoC staff see everyone's, agency
    roles that see their agency (ATA, supervisor, executive director) their agencies'."""
    access = access_for(continuum, user)
    qs = Membership.objects.filter(continuum=continuum, is_active=True)
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    if not access.can(Capability.VIEW_OWN_AGENCY):
        return qs.none()
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def people_list(*, continuum: Continuum, user: User, agency: Agency | None = None) -> list[Person]:
    """People of the CoC the viewer may see: CoC staff see everyone, agency roles their agencies."""
    qs = visible_memberships(continuum=continuum, user=user)
    if agency is not None:
        qs = qs.filter(agency=agency)
    return _people(qs)[0]


def _people(memberships: QuerySet[Membership]) -> tuple[list[Person], dict[int, set[int]]]:
    """The people behind `memberships` (one query), and each agency's user ids among them."""
    people: dict[int, Person] = {}
    members: dict[int, set[int]] = {}
    for m in memberships.select_related("user", "agency").order_by("user__full_name", "user__email", "role"):
        person = people.setdefault(m.user_id, Person(user=m.user))
        if m.role not in person.roles:
            person.roles.append(m.role)
        if m.agency_id:
            members.setdefault(m.agency_id, set()).add(m.user_id)
            if m.agency.name not in person.agencies:
                person.agencies.append(m.agency.name)
    return list(people.values()), members


def agency_lead_home(*, continuum: Continuum, user: User) -> tuple[list[Agency], list[Person]]:
    """The agency lead's home page: the agencies they see (by name, each with `people_count`, its
    people with an active membership, as `agency_list` counts them) and those people, in two
    queries. The counts come from the memberships read for the people list (they are exactly the
    active memberships of the agencies the person sees), not from a join and GROUP BY of their own."""
    agencies = list(_visible_agencies(continuum, user).order_by("name"))
    # The people table shows names, e-mails, roles and agency names: only those columns.
    memberships = visible_memberships(continuum=continuum, user=user).only(
        "role", "agency_id", "user_id", "user__full_name", "user__email", "agency__name"
    )
    people, members = _people(memberships)
    for agency in agencies:
        agency.continuum = continuum  # the request's CoC: no join, and its preloaded settings
        agency.people_count = len(members.get(agency.pk, ()))
    return agencies, people


def my_memberships(*, continuum: Continuum, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(continuum=continuum, user=user, is_active=True)
        .select_related("agency")
        .order_by("agency__name", "role")
    )


def agency_contacts(*, continuum: Continuum, user: User) -> list[Membership]:
    """The ATAs and supervisors of the agencies the person belongs to: who to ask for help."""
    access = access_for(continuum, user)
    return list(
        Membership.objects.filter(
            continuum=continuum,
            agency_id__in=access.agency_ids,
            role__in=[Role.ATA, Role.AGENCY_SUPERVISOR],
            is_active=True,
        )
        .exclude(user=user)
        .select_related("user", "agency")
        .order_by("agency__name", "role", "user__full_name")
    )


def staff_overview(*, continuum: Continuum, user: User) -> dict[str, Any]:
    """Figures and worklists for CoC staff home pages."""
    access = access_for(continuum, user)
    if not access.can(Capability.VIEW_ALL_AGENCIES):
        raise Http404
    agencies = agency_list(continuum=continuum, user=user)
    totals = agencies.aggregate(
        agencies=Count("id", distinct=True),
        without_ata=Count("id", filter=Q(has_ata=False), distinct=True),
        vsp=Count("id", filter=Q(victim_service_provider=True), distinct=True),
    )
    people = (
        Membership.objects.filter(continuum=continuum, is_active=True, role__in=list(AGENCY_ROLES))
        .values("user")
        .distinct()
        .count()
    )
    return {
        **totals,
        "people": people,
        "agencies_without_ata": list(agencies.filter(has_ata=False)[:10]),
    }


def audit_events(*, continuum: Continuum, user: User) -> QuerySet[AuditEvent]:
    access = access_for(continuum, user)
    if not access.can(Capability.VIEW_AUDIT_TRAIL):
        raise Http404
    return AuditEvent.objects.filter(continuum=continuum).select_related("object_type")


def object_history(*, continuum: Continuum, user: User, obj: Any, limit: int = 50) -> list[AuditEvent]:
    """An object's audit history; the caller has already fetched `obj` through a scoped selector."""
    return list(AuditEvent.objects.filter(continuum=continuum).for_object(obj)[:limit])


def agency_history(*, continuum: Continuum, user: User, agency: Agency, limit: int = 50) -> list[AuditEvent]:
    """The agency's own changes and those of its agreements, programs, setup requests and HRS hosting
    (services put the agency's id in each event's metadata)."""
    own = AuditEvent.objects.filter(continuum=continuum).for_object(agency)
    related = AuditEvent.objects.filter(continuum=continuum, metadata__agency_id=agency.pk)
    return list((own | related).order_by("-occurred_at", "-id")[:limit])


def user_prefetch_memberships(continuum: Continuum) -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(continuum=continuum, is_active=True).select_related("agency"),
    )


def agency_ata_memberships(*, continuum: Continuum, user: User, agency: Agency) -> list[Membership]:
    """The agency's designated ATAs (the caller fetched `agency` through a scoped selector)."""
    return list(
        Membership.objects.filter(continuum=continuum, agency=agency, role=Role.ATA, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def membership_get(*, continuum: Continuum, user: User, membership_id: int) -> Membership:
    """A membership in an agency the viewer may see."""
    agencies = agency_list(continuum=continuum, user=user)
    membership = (
        Membership.objects.filter(continuum=continuum, pk=membership_id, agency__in=agencies)
        .select_related("user", "agency", "continuum")
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    return membership


# --- Agreements ------------------------------------------------------------------------------------


def agreement_types(
    *, continuum: Continuum, user: User, include_inactive: bool = False
) -> QuerySet[AgreementType]:
    """Agreement types are CoC configuration every member may read (agencies must know what to sign)."""
    if not access_for(continuum, user).is_member:
        return AgreementType.objects.none()
    qs = AgreementType.objects.filter(continuum=continuum)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("name")


def agreement_type_get(*, continuum: Continuum, user: User, agreement_type_id: int) -> AgreementType:
    found = (
        agreement_types(continuum=continuum, user=user, include_inactive=True)
        .filter(pk=agreement_type_id)
        .first()
    )
    if found is None:
        raise Http404("No such agreement type.")
    return found


def agreement_versions(
    *, continuum: Continuum, user: User, agreement_type: AgreementType
) -> list[AgreementVersion]:
    if agreement_type.continuum_id != continuum.pk or not access_for(continuum, user).is_member:
        raise Http404
    return list(agreement_type.versions.order_by("-number").select_related("published_by"))


def agreement_list(*, continuum: Continuum, user: User) -> QuerySet[Agreement]:
    """CoC staff see every agreement of the CoC; ATAs, supervisors and directors their agencies'."""
    access = access_for(continuum, user)
    qs = Agreement.objects.filter(continuum=continuum).select_related(
        "agency", "agreement_type", "version", "submitted_by", "countersigned_by"
    )
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def agreement_get(*, continuum: Continuum, user: User, agreement_id: int) -> Agreement:
    agreement = agreement_list(continuum=continuum, user=user).filter(pk=agreement_id).first()
    if agreement is None:
        raise Http404("No such agreement.")
    return agreement


def agency_agreements(*, continuum: Continuum, user: User, agency: Agency) -> list[Agreement]:
    return list(
        agreement_list(continuum=continuum, user=user).filter(agency=agency).order_by("-signed_at", "-id")
    )


def countersign_queue(*, continuum: Continuum, user: User) -> list[Agreement]:
    """Signed agreements waiting for a countersignature this person may give."""
    access = access_for(continuum, user)
    types = [t for t in AgreementType.objects.filter(continuum=continuum) if may_countersign(access, t)]
    return list(
        agreement_list(continuum=continuum, user=user)
        .filter(status=AgreementStatus.AWAITING_COUNTERSIGNATURE, agreement_type__in=types)
        .order_by("signed_at")
    )


def agreements_expiring_for_viewer(*, continuum: Continuum, user: User) -> list[Agreement]:
    """Current agreements that stop counting within the CoC's warning window, among those the person sees."""
    today = today_in(continuum)
    horizon = today + datetime.timedelta(days=continuum.agreement_warning_days)
    return list(
        agreement_list(continuum=continuum, user=user)
        .filter(status=AgreementStatus.EXECUTED, expires_on__gte=today, expires_on__lte=horizon)
        .order_by("expires_on", "agency__name")
    )


# --- Programs --------------------------------------------------------------------------------------


def project_list(*, continuum: Continuum, user: User) -> QuerySet[HmisProject]:
    access = access_for(continuum, user)
    qs = HmisProject.objects.filter(continuum=continuum).select_related("agency")
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def project_get(*, continuum: Continuum, user: User, project_id: int) -> HmisProject:
    project = project_list(continuum=continuum, user=user).filter(pk=project_id).first()
    if project is None:
        raise Http404("No such program.")
    return project


def program_setup_requests(*, continuum: Continuum, user: User) -> QuerySet[ProgramSetupRequest]:
    access = access_for(continuum, user)
    qs = ProgramSetupRequest.objects.filter(continuum=continuum).select_related(
        "agency", "submitted_by", "handled_by", "confirmed_by"
    )
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def program_setup_request_get(*, continuum: Continuum, user: User, request_id: int) -> ProgramSetupRequest:
    found = program_setup_requests(continuum=continuum, user=user).filter(pk=request_id).first()
    if found is None:
        raise Http404("No such program setup request.")
    return found


def program_setup_queue(*, continuum: Continuum, user: User) -> QuerySet[ProgramSetupRequest]:
    return program_setup_requests(continuum=continuum, user=user).filter(
        status__in=[
            ProgramSetupStatus.SUBMITTED,
            ProgramSetupStatus.IN_PROGRESS,
            ProgramSetupStatus.AWAITING_CONFIRMATION,
        ]
    )


# --- HRS hosts ---------------------------------------------------------------------------------------


def hrs_hosts(*, continuum: Continuum, user: User) -> QuerySet[HrsHost]:
    access = access_for(continuum, user)
    qs = HrsHost.objects.filter(continuum=continuum).select_related("agency", "approved_by", "revoked_by")
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def hrs_host_get(*, continuum: Continuum, user: User, host_id: int) -> HrsHost:
    host = hrs_hosts(continuum=continuum, user=user).filter(pk=host_id).first()
    if host is None:
        raise Http404("No such host.")
    return host


# --- Public participation status -------------------------------------------------------------------


PUBLIC_SETUP_LABELS = {
    ProgramSetupStatus.SUBMITTED: "Requested",
    ProgramSetupStatus.IN_PROGRESS: "In progress",
    ProgramSetupStatus.AWAITING_CONFIRMATION: "Awaiting the agency's confirmation",
    ProgramSetupStatus.CONFIRMED: "Programs set up",
}


@dataclass
class PublicAgencyRow:
    name: str
    standings: list[tuple[str, str, str]]  # (agreement short name, standing label, tone)
    ces_roles: list[str]
    program_setup: str
    hrs_host: bool


def continuum_has_hrs_hosting(continuum: Continuum) -> bool:
    """Whether the CoC uses Housing Resource Specialist hosts at all (Chicago does, LA does not)."""
    return HrsHost.objects.filter(continuum=continuum).exists() or any(
        Gate.HOST_HRS in t.gates for t in AgreementType.objects.filter(continuum=continuum, is_active=True)
    )


def public_continuum(slug: str) -> Continuum:
    """A CoC whose participation list is public; anything else is a 404 (no tenant data is revealed)."""
    continuum = Continuum.objects.filter(slug=slug, participation_page_public=True).first()
    if continuum is None:
        raise Http404("No such participation list.")
    return continuum


def public_participation(continuum: Continuum) -> tuple[list[AgreementType], list[PublicAgencyRow]]:
    """Participating agencies and their agreement / CES status: names of organisations only, never
    people. Victim service providers are left out: they do not take part in HMIS, and naming them on a
    public HMIS list would say more about them than they need to share."""
    # The participation agreements (those that gate access requests), as the CoCs' own lists show.
    types = [
        t
        for t in AgreementType.objects.filter(continuum=continuum, is_active=True).order_by("name")
        if Gate.SUBMIT_ACCESS_REQUESTS in t.gates
    ]
    agencies = list(
        Agency.objects.filter(continuum=continuum, victim_service_provider=False).order_by("name")
    )
    standings = agreement_standings(continuum=continuum, agencies=agencies, agreement_types=types)
    setup_by_agency: dict[int, str] = {}
    for req in (
        ProgramSetupRequest.objects.filter(continuum=continuum)
        .exclude(status=ProgramSetupStatus.CANCELLED)
        .order_by("submitted_at")
    ):
        setup_by_agency[req.agency_id] = PUBLIC_SETUP_LABELS[req.status]
    ready = set(
        HmisProject.objects.filter(continuum=continuum, is_active=True)
        .filter(Q(setup_confirmed_at__isnull=False) | Q(ces_program_type="permanent_housing"))
        .values_list("agency_id", flat=True)
    )
    hosts = set(
        HrsHost.objects.filter(continuum=continuum, status="approved").values_list("agency_id", flat=True)
    )
    rows = []
    for agency in agencies:
        by_type = standings[agency.pk]
        row_standings = [(t.short_name, by_type[t.pk].label, by_type[t.pk].tone) for t in types]
        participates = agency.hmis_participating or any(
            by_type[t.pk].state != Standing.NEVER_SIGNED for t in types
        )
        if not participates:
            continue
        setup = "Programs set up" if agency.pk in ready else setup_by_agency.get(agency.pk, "Not requested")
        rows.append(
            PublicAgencyRow(
                name=agency.name,
                standings=row_standings,
                ces_roles=agency.ces_role_labels,
                program_setup=setup,
                hrs_host=agency.pk in hosts,
            )
        )
    return types, rows
