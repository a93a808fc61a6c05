"""Reads of access requests, scoped to (continuum, user): CoC staff see the CoC's requests, ATAs and
supervisors their agencies', reviewers their team's queue; everything else is 404."""

from __future__ import annotations

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from agencies.models import Continuum, HmisProject
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from .models import (
    OPEN_STATUSES,
    AccessRequest,
    CesRole,
    CredentialPolicy,
    EndUserAgreementVersion,
    Queue,
    RequestedPerson,
    RequestMessage,
    RequestPolicy,
    RequestStatus,
    RequestType,
    RubricElement,
)

AGENCY_VIEWER_ROLES = frozenset({Role.ATA, Role.AGENCY_SUPERVISOR})


class SlaState:
    PAUSED = "paused"
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    ON_TRACK = "on_track"
    CLOSED = "closed"
    LABELS = {
        PAUSED: "Paused — waiting for the ATA",
        OVERDUE: "Overdue",
        DUE_TODAY: "Due today",
        ON_TRACK: "On track",
        CLOSED: "Closed",
    }


def today_in(continuum: Continuum) -> datetime.date:
    return timezone.now().astimezone(continuum.tzinfo).date()


def with_sla_state(qs: QuerySet[AccessRequest], today: datetime.date) -> QuerySet[AccessRequest]:
    return qs.annotate(
        sla_state=Case(
            When(status=RequestStatus.INFO_REQUESTED, then=Value(SlaState.PAUSED)),
            When(~Q(status__in=OPEN_STATUSES), then=Value(SlaState.CLOSED)),
            When(sla_due_on__lt=today, then=Value(SlaState.OVERDUE)),
            When(sla_due_on=today, then=Value(SlaState.DUE_TODAY)),
            default=Value(SlaState.ON_TRACK),
            output_field=CharField(),
        )
    )


def _agency_ids_viewable(continuum: Continuum, user: User) -> frozenset[int] | None:
    """None = the whole CoC; otherwise the agencies whose requests the person may see."""
    access = access_for(continuum, user)
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return None
    return frozenset(a for a in access.agency_ids if access.roles_in_agency(a) & AGENCY_VIEWER_ROLES)


def _base(continuum: Continuum) -> QuerySet[AccessRequest]:
    # A correlated count, not a JOIN + GROUP BY: lists sort and cut (LIMIT) the requests first, and
    # only count the people of the rows they show (a metro CoC has 40k requests).
    return (
        AccessRequest.objects.filter(continuum=continuum)
        .select_related("agency", "request_type", "assignee", "submitted_by")
        .annotate(people_count=Coalesce(_people_count(), 0))
    )


def request_list(*, continuum: Continuum, user: User) -> QuerySet[AccessRequest]:
    agencies = _agency_ids_viewable(continuum, user)
    qs = _base(continuum)
    # Drafts belong to the agency; CoC staff only see what was submitted.
    qs = qs.filter(agency_id__in=agencies) if agencies is not None else qs.exclude(status=RequestStatus.DRAFT)
    # pk breaks ties, so that pages never repeat or skip a request created at the same instant.
    return with_sla_state(qs, today_in(continuum)).order_by("-created_at", "-pk")


# What a row of the request list or a review queue shows (the CSV and the request page read more).
PAGE_ROW_FIELDS = (
    "id",
    "status",
    "submitted_at",
    "sla_due_on",
    "agency__name",
    "request_type__short_name",
    "assignee__full_name",
    "assignee__email",
)


def page_rows(requests: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    """`request_list` or `queue_requests` (scoped, filtered, sorted) reading only the columns a page's
    rows show: building 50 rows of five whole models (the filer and assignee with every column) was
    a large share of a page's work. Any other field would be a query per row; the query-count tests
    would see it."""
    return (
        requests.select_related(None)
        .select_related("agency", "request_type", "assignee")
        .only(*PAGE_ROW_FIELDS)
    )


LIST_ROW_FIELDS = (
    "id",
    "agency_id",
    "agency__name",
    "request_type__code",
    "queue",
    "status",
    "read_only",
    "responsibilities",
    "assignee__email",
    "submitted_at",
    "sla_due_on",
    "sla_state",
    "enrollments_confirmed_at",
    "training_account_created_at",
    "license_use_confirmed_at",
    "decided_at",
    "decision_reason",
    "correct_type_id",
    "resubmission_of_id",
    "created_at",
    "updated_at",
)


def request_list_rows(requests: QuerySet[AccessRequest]) -> QuerySet:
    """The API list's columns of `request_list` (already scoped and filtered) as plain rows."""
    return requests.values(*LIST_ROW_FIELDS)


def request_list_relations(request_ids: list[int]) -> dict[str, dict[int, list]]:
    """The people, project ids and CES role codes of the listed requests (three queries, in the
    models' own orderings, as the serializer's prefetches read them)."""
    people: dict[int, list] = {}
    projects: dict[int, list] = {}
    ces_roles: dict[int, list] = {}
    if not request_ids:
        return {"people": people, "projects": projects, "ces_roles": ces_roles}
    for row in (
        RequestedPerson.objects.filter(access_request_id__in=request_ids)
        .order_by(*RequestedPerson._meta.ordering, "pk")
        .values(
            "access_request_id",
            "id",
            "first_name",
            "last_name",
            "email",
            "suggested_type__code",
            "suggestion_reason",
            "credited_training",
            "credit_note",
        )
    ):
        people.setdefault(row["access_request_id"], []).append(
            {
                "id": row["id"],
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "email": row["email"],
                "suggested_type": row["suggested_type__code"],
                "suggestion_reason": row["suggestion_reason"],
                "credited_training": row["credited_training"],
                "credit_note": row["credit_note"],
            }
        )
    for relation, target, column, into in (
        ("projects", "hmisproject", "hmisproject_id", projects),
        ("ces_roles", "cesrole", "cesrole__code", ces_roles),
    ):
        through = getattr(AccessRequest, relation).through
        ordering = [f"{target}__{f}" for f in through._meta.get_field(target).related_model._meta.ordering]
        for request_id, value in (
            through.objects.filter(accessrequest_id__in=request_ids)
            .order_by(*ordering, f"{target}_id")
            .values_list("accessrequest_id", column)
        ):
            into.setdefault(request_id, []).append(value)
    return {"people": people, "projects": projects, "ces_roles": ces_roles}


def _people_count() -> Subquery:
    return Subquery(
        RequestedPerson.objects.filter(access_request=OuterRef("pk"))
        .order_by()
        .values("access_request")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def home_requests(*, continuum: Continuum, user: User) -> tuple[list[AccessRequest], list[AccessRequest]]:
    """The agency home panel's two short lists, scoped like `request_list` but reading only what the
    panel shows (form and people count; no SLA state, assignee or filer): what needs the ATA (at most
    10, newest first) and the latest changes (5)."""
    agencies = _agency_ids_viewable(continuum, user)
    # Only the columns the panel shows (a request row is wide; compiling and building it costs).
    qs = (
        AccessRequest.objects.filter(continuum=continuum)
        .select_related("request_type")
        .only("pk", "status", "request_type__short_name")
    )
    qs = qs.filter(agency_id__in=agencies) if agencies is not None else qs.exclude(status=RequestStatus.DRAFT)
    needs_me = (
        qs.filter(
            Q(status__in=[RequestStatus.INFO_REQUESTED, RequestStatus.DRAFT])
            # "Not re-filed yet" as NOT EXISTS: the LEFT JOIN of the requests with themselves that
            # `resubmission__isnull` makes cost PostgreSQL ~1.5 ms of planning per view.
            | Q(
                Q(status=RequestStatus.RETURNED)
                & ~Exists(AccessRequest.objects.filter(resubmission_of=OuterRef("pk")))
            )
        )
        .annotate(people_count=Coalesce(_people_count(), 0))
        .order_by("-created_at")[:10]
    )
    recent = qs.exclude(status=RequestStatus.DRAFT).order_by("-updated_at")[:5]
    return list(needs_me), list(recent)


def request_get(*, continuum: Continuum, user: User, request_id: int) -> AccessRequest:
    req = request_list(continuum=continuum, user=user).filter(pk=request_id).first()
    if req is None:
        raise Http404("No such access request.")
    return req


def reviewable_queues(*, continuum: Continuum, user: User) -> list[str]:
    access = access_for(continuum, user)
    queues = []
    if access.can(Capability.REVIEW_REQUESTS):
        queues.append(Queue.HELP_DESK)
    if access.can(Capability.REVIEW_CE_REQUESTS):
        queues.append(Queue.CE_TEAM)
    return queues


def queue_requests(*, continuum: Continuum, user: User, queue: str) -> QuerySet[AccessRequest]:
    """A team's open work, oldest first. Only that team's reviewers (and auditors, read-only) see it."""
    access = access_for(continuum, user)
    if queue not in reviewable_queues(continuum=continuum, user=user) and not access.can(
        Capability.VIEW_AUDIT_TRAIL
    ):
        raise Http404
    qs = _base(continuum).filter(queue=queue, status__in=OPEN_STATUSES)
    return with_sla_state(qs, today_in(continuum)).order_by("submitted_at", "pk")


def queue_counts(*, continuum: Continuum, user: User) -> dict[str, dict[str, int]]:
    """Open / overdue / waiting-for-ATA counts per queue the person reviews (one query)."""
    queues = reviewable_queues(continuum=continuum, user=user)
    if not queues:
        return {}
    today = today_in(continuum)
    rows = (
        AccessRequest.objects.filter(continuum=continuum, queue__in=queues, status__in=OPEN_STATUSES)
        .values("queue")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(sla_due_on__lt=today) & ~Q(status=RequestStatus.INFO_REQUESTED)),
            paused=Count("id", filter=Q(status=RequestStatus.INFO_REQUESTED)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
        )
    )
    counts = {q: {"open": 0, "overdue": 0, "paused": 0, "unassigned": 0} for q in queues}
    for row in rows:
        counts[row["queue"]] = {k: row[k] for k in ("open", "overdue", "paused", "unassigned")}
    return counts


def queue_agencies(*, continuum: Continuum, user: User, queue: str, keep: str = "") -> QuerySet:
    """What a queue's agency filter offers: the agencies the person may see that have open requests
    in this queue (any other choice could only match nothing), plus the one already chosen (`keep`,
    the submitted value) so that a filter stays valid after its agency's last request is decided."""
    from agencies.selectors import agency_choices

    with_open = AccessRequest.objects.filter(
        continuum=continuum, queue=queue, status__in=OPEN_STATUSES
    ).values("agency_id")
    condition = Q(pk__in=with_open)
    if keep.isdigit():
        condition |= Q(pk=int(keep))
    return agency_choices(continuum=continuum, user=user).filter(condition)


def request_types(*, continuum: Continuum) -> QuerySet[RequestType]:
    return RequestType.objects.filter(continuum=continuum, is_active=True).order_by("position", "name")


def agency_projects(*, continuum: Continuum, user: User, agency_id: int) -> QuerySet[HmisProject]:
    agencies = _agency_ids_viewable(continuum, user)
    if agencies is not None and agency_id not in agencies:
        return HmisProject.objects.none()
    return HmisProject.objects.filter(continuum=continuum, agency_id=agency_id, is_active=True).order_by(
        "name"
    )


def ces_roles(*, continuum: Continuum) -> QuerySet[CesRole]:
    return CesRole.objects.filter(continuum=continuum, is_active=True).order_by("rank")


def request_messages(*, access_request: AccessRequest) -> list[RequestMessage]:
    return list(access_request.messages.select_related("author"))


def reviewers(*, continuum: Continuum, queue: str) -> QuerySet[User]:
    role = Role.HELP_DESK if queue == Queue.HELP_DESK else Role.CE_TEAM
    return User.objects.filter(
        memberships__continuum=continuum, memberships__role=role, memberships__is_active=True, is_active=True
    ).distinct()


def filer_agencies(*, continuum: Continuum, user: User):
    """Agencies where the person is an ATA (and so may file requests)."""
    from agencies.models import Agency

    access = access_for(continuum, user)
    ids = [a for a in access.agency_ids if Role.ATA in access.roles_in_agency(a)]
    # With their CoC: the submission gate shown for each reads it (a query per agency otherwise).
    return Agency.objects.filter(continuum=continuum, pk__in=ids).select_related("continuum").order_by("name")


def request_type_by_code(*, continuum: Continuum, code: str) -> RequestType | None:
    return request_types(continuum=continuum).filter(code=code).first()


def ces_roles_by_code(*, continuum: Continuum, codes: list[str]) -> list[CesRole]:
    return list(ces_roles(continuum=continuum).filter(code__in=codes))


def no_requests() -> QuerySet[AccessRequest]:
    """An empty queryset, for schema generation (drf-spectacular has no tenant)."""
    return AccessRequest.objects.none()


# --- Pathway configuration (CoC administrators) -------------------------------------------------------


def _require_configure(continuum: Continuum, user: User) -> None:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404


def config_request_types(*, continuum: Continuum, user: User) -> QuerySet[RequestType]:
    """Every request form of the CoC, inactive ones too."""
    _require_configure(continuum, user)
    return RequestType.objects.filter(continuum=continuum).order_by("position", "name")


def config_request_type(*, continuum: Continuum, user: User, type_id: int) -> RequestType:
    rtype = config_request_types(continuum=continuum, user=user).filter(pk=type_id).first()
    if rtype is None:
        raise Http404
    return rtype


def config_ces_roles(*, continuum: Continuum, user: User) -> QuerySet[CesRole]:
    _require_configure(continuum, user)
    return CesRole.objects.filter(continuum=continuum).order_by("rank", "name")


def config_policy(*, continuum: Continuum, user: User) -> RequestPolicy:
    from .configuration import policy_for

    _require_configure(continuum, user)
    return policy_for(continuum)


def config_credential_policy(*, continuum: Continuum, user: User) -> CredentialPolicy:
    """The CoC's credential policy (an unsaved row with the defaults until one is saved)."""
    from .credential_config import policy_for

    _require_configure(continuum, user)
    return policy_for(continuum)


def config_agreement_versions(*, continuum: Continuum, user: User) -> QuerySet[EndUserAgreementVersion]:
    """Every published version of the CoC's individual agreements, newest first, with signatures."""
    _require_configure(continuum, user)
    return (
        EndUserAgreementVersion.objects.filter(continuum=continuum)
        .annotate(signature_count=Count("signatures"))
        .order_by("kind", "-pk")
    )


def config_rubric(*, continuum: Continuum, user: User) -> QuerySet[RubricElement]:
    """The CoC's sample client rubric, deactivated elements too."""
    _require_configure(continuum, user)
    return RubricElement.objects.filter(continuum=continuum).order_by("position", "code")


def config_rubric_element(*, continuum: Continuum, user: User, element_id: int) -> RubricElement:
    element = config_rubric(continuum=continuum, user=user).filter(pk=element_id).first()
    if element is None:
        raise Http404
    return element
