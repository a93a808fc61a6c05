"""Reads for onboarding, the sample client, agreements and licenses, scoped to (continuum, user):
people see their own; an agency's ATAs and supervisors see their agency's; CoC staff see the CoC's.
Missing and forbidden are both 404."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from agencies.models import Agency, Continuum, HmisProject
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from .models import (
    AgreementKind,
    AssignmentStatus,
    CeDecision,
    ElementReview,
    EndUserAgreementSignature,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
    SampleClientAssignment,
    SampleClientRound,
)

LEAD_ROLES = frozenset({Role.ATA, Role.AGENCY_SUPERVISOR})


def _lead_agency_ids(continuum: Continuum, user: User) -> frozenset[int] | None:
    """None = every agency (CoC staff who see all agencies)."""
    access = access_for(continuum, user)
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return None
    return frozenset(a for a in access.agency_ids if access.roles_in_agency(a) & LEAD_ROLES)


def _rounds_prefetch() -> Prefetch:
    return Prefetch(
        "rounds",
        queryset=SampleClientRound.objects.select_related("reviewed_by").prefetch_related(
            Prefetch("element_reviews", queryset=ElementReview.objects.select_related("element"))
        ),
    )


def my_onboardings(*, continuum: Continuum, user: User) -> QuerySet[Onboarding]:
    return (
        Onboarding.objects.filter(continuum=continuum, user=user)
        .select_related("agency", "person", "user", "continuum")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=SampleClientAssignment.objects.order_by("-requested_at").prefetch_related(
                    _rounds_prefetch()
                ),
            ),
            Prefetch("signatures", queryset=EndUserAgreementSignature.objects.select_related("version")),
            Prefetch("hmis_accounts", queryset=HmisAccount.objects.prefetch_related("projects")),
        )
        .order_by("-created_at")
    )


def my_onboarding(*, continuum: Continuum, user: User, onboarding_id: int) -> Onboarding:
    onboarding = my_onboardings(continuum=continuum, user=user).filter(pk=onboarding_id).first()
    if onboarding is None:
        raise Http404("No such onboarding.")
    return onboarding


def my_assignment(*, continuum: Continuum, user: User, assignment_id: int) -> SampleClientAssignment:
    assignment = (
        SampleClientAssignment.objects.filter(continuum=continuum, user=user, pk=assignment_id)
        .select_related("continuum", "onboarding__person", "agency", "user")
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def signature_get(
    *, continuum: Continuum, user: User, signature_id: int, kind: str = AgreementKind.END_USER
) -> EndUserAgreementSignature:
    """A signed agreement of this kind, for the signer, their agency's ATAs and supervisors, and CoC
    staff who see every agency (the Help Desk, the CE team)."""
    signature = (
        EndUserAgreementSignature.objects.filter(continuum=continuum, pk=signature_id, version__kind=kind)
        .select_related("onboarding", "version")
        .first()
    )
    if signature is None:
        raise Http404
    if signature.user_id == user.pk:
        return signature
    agencies = _lead_agency_ids(continuum, user)
    if agencies is None or signature.onboarding.agency_id in agencies:
        return signature
    raise Http404


# --- Help Desk ---------------------------------------------------------------------------------------


def _require(continuum: Continuum, user: User, capability: str) -> None:
    if not access_for(continuum, user).can(capability):
        raise Http404


def rounds_awaiting_review(*, continuum: Continuum, user: User) -> QuerySet[SampleClientRound]:
    _require(continuum, user, Capability.REVIEW_SAMPLE_CLIENTS)
    return (
        SampleClientRound.objects.filter(continuum=continuum, reviewed_at__isnull=True)
        .select_related("assignment__agency", "assignment__onboarding__person")
        .order_by("submitted_at", "pk")
    )


def onboardings_at(*, continuum: Continuum, user: User, stage: str) -> QuerySet[Onboarding]:
    _require(continuum, user, Capability.REVIEW_SAMPLE_CLIENTS)
    return (
        Onboarding.objects.filter(continuum=continuum, stage=stage)
        .select_related("agency", "person")
        .order_by("updated_at", "pk")
    )


def seat_counts(*, continuum: Continuum) -> dict[str, int]:
    row = SampleClientAssignment.objects.filter(continuum=continuum).aggregate(
        open=Count("id", filter=Q(status=AssignmentStatus.OPEN)),
        waiting=Count("id", filter=Q(status=AssignmentStatus.WAITLISTED)),
    )
    return {"open": row["open"] or 0, "waiting": row["waiting"] or 0}


def round_for_review(*, continuum: Continuum, user: User, round_id: int) -> SampleClientRound:
    _require(continuum, user, Capability.REVIEW_SAMPLE_CLIENTS)
    rnd = (
        SampleClientRound.objects.filter(continuum=continuum, pk=round_id)
        .select_related(
            "assignment__agency", "assignment__onboarding__person", "assignment__user", "continuum"
        )
        .first()
    )
    if rnd is None:
        raise Http404
    return rnd


def earlier_rounds(*, round: SampleClientRound) -> list[SampleClientRound]:
    return list(
        SampleClientRound.objects.filter(assignment_id=round.assignment_id, number__lt=round.number)
        .select_related("reviewed_by")
        .prefetch_related(
            Prefetch("element_reviews", queryset=ElementReview.objects.select_related("element"))
        )
        .order_by("number")
    )


def onboarding_for_staff(
    *, continuum: Continuum, user: User, onboarding_id: int, capability: str
) -> Onboarding:
    _require(continuum, user, capability)
    onboarding = (
        Onboarding.objects.filter(continuum=continuum, pk=onboarding_id)
        .select_related("agency", "person", "user", "continuum")
        .first()
    )
    if onboarding is None:
        raise Http404
    return onboarding


def issuable_projects(*, onboarding: Onboarding) -> QuerySet[HmisProject]:
    return HmisProject.objects.filter(agency_id=onboarding.agency_id, is_active=True).order_by("name")


# --- Licenses ----------------------------------------------------------------------------------------


def license_agencies(*, continuum: Continuum, user: User) -> list[Agency]:
    """Agencies whose licenses the person may see, each with `licenses_used` and `holders` (accounts
    holding a license, with their latest signed agreement). A fixed number of queries."""
    _require(continuum, user, Capability.VIEW_LICENSES)
    agencies = _lead_agency_ids(continuum, user)
    qs = Agency.objects.filter(continuum=continuum)
    if agencies is not None:
        qs = qs.filter(pk__in=agencies)
    holders = (
        HmisAccount.objects.exclude(status=HmisAccountStatus.REVOKED)
        .select_related("issued_by")
        .prefetch_related(
            "projects",
            Prefetch(
                "onboarding__signatures",
                queryset=EndUserAgreementSignature.objects.select_related("version").order_by("-signed_at"),
            ),
        )
        .order_by("full_name", "email")
    )
    return list(
        qs.annotate(
            licenses_used=Count("hmis_accounts", filter=~Q(hmis_accounts__status=HmisAccountStatus.REVOKED))
        )
        .prefetch_related(Prefetch("hmis_accounts", queryset=holders, to_attr="holders"))
        .order_by("name")
    )


def account_for_offboarding(*, continuum: Continuum, user: User, account_id: int) -> HmisAccount:
    agencies = _lead_agency_ids(continuum, user)
    qs = HmisAccount.objects.filter(continuum=continuum, pk=account_id).select_related(
        "agency", "continuum", "user"
    )
    if agencies is not None:
        qs = qs.filter(agency_id__in=agencies)
    account = qs.first()
    if account is None:
        raise Http404
    return account


ACTIVE_STAGES = (
    OnboardingStage.TRAINING,
    OnboardingStage.SAMPLE_CLIENT,
    OnboardingStage.AGREEMENT,
    OnboardingStage.READY,
)


def open_access_reviews(*, continuum: Continuum, user: User) -> list:
    """Open access reviews the person may see (their agencies', or all for staff), with their items."""
    from .models import AccessReview, AccessReviewItem

    _require(continuum, user, Capability.VIEW_LICENSES)
    agencies = _lead_agency_ids(continuum, user)
    qs = AccessReview.objects.filter(continuum=continuum, closed_at__isnull=True)
    if agencies is not None:
        qs = qs.filter(agency_id__in=agencies)
    items = AccessReviewItem.objects.select_related("account", "decided_by")
    return list(
        qs.select_related("agency")
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("due_on", "pk")
    )


def access_review_item(*, continuum: Continuum, user: User, item_id: int):
    from .models import AccessReviewItem

    agencies = _lead_agency_ids(continuum, user)
    qs = AccessReviewItem.objects.filter(review__continuum=continuum, pk=item_id).select_related(
        "review__continuum", "review__agency", "account"
    )
    if agencies is not None:
        qs = qs.filter(review__agency_id__in=agencies)
    item = qs.first()
    if item is None:
        raise Http404
    return item


# --- Coordinated Entry team: Housing Resource Specialists ---------------------------------------------


def _hrs_onboardings(continuum: Continuum, user: User) -> QuerySet[Onboarding]:
    _require(continuum, user, Capability.REVIEW_CE_REQUESTS)
    return (
        Onboarding.objects.filter(continuum=continuum, is_hrs=True)
        .select_related("agency", "person", "user", "access_request", "ce_decided_by")
        .prefetch_related(
            Prefetch(
                "signatures",
                queryset=EndUserAgreementSignature.objects.select_related("version").order_by("-signed_at"),
            )
        )
    )


def ce_approval_queue(*, continuum: Continuum, user: User) -> dict[str, list[Onboarding]]:
    """The CE team's page: people ready for a decision (HRS Agreement signed), people still on their
    way (training, sample client, agreement), and the latest decisions."""
    pending = (
        _hrs_onboardings(continuum, user)
        .filter(ce_decision=CeDecision.PENDING)
        .exclude(stage=OnboardingStage.CLOSED)
    )
    signed = Q(signatures__version__kind=AgreementKind.HRS)
    ready = pending.filter(signed, stage__in=[OnboardingStage.AGREEMENT, OnboardingStage.READY]).distinct()
    ready_ids = list(ready.values_list("pk", flat=True))
    return {
        "ready": list(ready.order_by("updated_at", "pk")[:200]),
        "on_the_way": list(pending.exclude(pk__in=ready_ids).order_by("created_at", "pk")[:200]),
        "decided": list(
            _hrs_onboardings(continuum, user)
            .filter(ce_decision__in=[CeDecision.APPROVED, CeDecision.DECLINED])
            .order_by("-ce_decided_at", "-pk")[:50]
        ),
    }


def onboarding_for_ce(*, continuum: Continuum, user: User, onboarding_id: int) -> Onboarding:
    onboarding = _hrs_onboardings(continuum, user).filter(pk=onboarding_id).first()
    if onboarding is None:
        raise Http404
    return onboarding


# --- The API (issue 8): lists scoped like the pages ---------------------------------------------------


def _own_or_led(
    qs: QuerySet, continuum: Continuum, user: User, agency_field: str, user_field: str
) -> QuerySet:
    """CoC staff who see every agency: all rows; an agency's ATAs and supervisors: their agencies'
    rows; everyone: their own."""
    agencies = _lead_agency_ids(continuum, user)
    if agencies is None:
        return qs
    return qs.filter(Q(**{f"{agency_field}__in": agencies}) | Q(**{user_field: user}))


def schema_placeholder(model_name: str) -> QuerySet:
    """An empty queryset for the OpenAPI generator (it has no tenant)."""
    from django.apps import apps

    if model_name == "user":
        return User.objects.none()
    return apps.get_model("access_requests", model_name)._default_manager.none()


def onboarding_list(*, continuum: Continuum, user: User) -> QuerySet[Onboarding]:
    """Onboardings with their open sample client assignment (`open_assignments`), a fixed number of
    queries for any number of rows."""
    from .models import OPEN_ASSIGNMENT_STATUSES

    qs = _own_or_led(Onboarding.objects.filter(continuum=continuum), continuum, user, "agency_id", "user")
    return (
        qs.select_related("agency", "person", "user", "training_confirmed_by", "continuum")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=SampleClientAssignment.objects.filter(status__in=OPEN_ASSIGNMENT_STATUSES),
                to_attr="open_assignments",
            )
        )
        .order_by("-created_at", "-pk")
    )


def assignment_list(*, continuum: Continuum, user: User) -> QuerySet[SampleClientAssignment]:
    qs = _own_or_led(
        SampleClientAssignment.objects.filter(continuum=continuum), continuum, user, "agency_id", "user"
    )
    return (
        qs.select_related("agency", "onboarding__person", "user", "continuum")
        .prefetch_related(_rounds_prefetch())
        .order_by("-requested_at", "-pk")
    )


def round_list(*, continuum: Continuum, user: User) -> QuerySet[SampleClientRound]:
    qs = _own_or_led(
        SampleClientRound.objects.filter(continuum=continuum),
        continuum,
        user,
        "assignment__agency_id",
        "assignment__user",
    )
    return (
        qs.select_related(
            "continuum",
            "reviewed_by",
            "assignment__agency",
            "assignment__onboarding__person",
            "assignment__user",
            "assignment__continuum",
        )
        .prefetch_related(
            Prefetch("element_reviews", queryset=ElementReview.objects.select_related("element"))
        )
        .order_by("submitted_at", "pk")
    )


def hmis_account_list(*, continuum: Continuum, user: User) -> QuerySet[HmisAccount]:
    """HMIS accounts: all of them for CoC staff who see licenses (or remove HRSs), their agencies' for
    ATAs and supervisors, and one's own for everyone."""
    access = access_for(continuum, user)
    qs = HmisAccount.objects.filter(continuum=continuum)
    agencies = _lead_agency_ids(continuum, user)
    if agencies is None and (access.can(Capability.VIEW_LICENSES) or access.can(Capability.REMOVE_HRS)):
        pass
    elif agencies:
        qs = qs.filter(Q(agency_id__in=agencies) | Q(user=user))
    else:
        qs = qs.filter(user=user)
    return (
        qs.select_related("agency", "issued_by", "user", "continuum")
        .prefetch_related("projects")
        .order_by("agency__name", "full_name", "email", "pk")
    )


def people_onboardings(*, continuum: Continuum, user: User) -> QuerySet[Onboarding]:
    """The onboardings shown with the people directory: the CoC's for staff who see every agency,
    the viewer's agencies' otherwise (the same agencies as the directory's memberships)."""
    from agencies.policies import viewable_agency_ids

    access = access_for(continuum, user)
    qs = Onboarding.objects.filter(continuum=continuum)
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return qs
    return qs.filter(agency_id__in=viewable_agency_ids(access))


def people_directory(*, continuum: Continuum, user: User) -> QuerySet[User]:
    """The CoC's people the viewer may see (the people pages' rule, agencies.selectors.
    visible_memberships), each with `visible_memberships`, `visible_onboardings` and
    `visible_accounts` (the HMIS accounts the viewer may see) — a fixed number of queries."""
    from agencies.selectors import visible_memberships

    memberships = visible_memberships(continuum=continuum, user=user)
    onboardings = people_onboardings(continuum=continuum, user=user)
    return (
        User.objects.filter(pk__in=memberships.values("user_id"))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=memberships.select_related("agency").order_by("agency__name", "role"),
                to_attr="visible_memberships",
            ),
            Prefetch(
                "onboardings",
                queryset=onboardings.select_related("agency").order_by("-created_at"),
                to_attr="visible_onboardings",
            ),
            Prefetch(
                "hmis_accounts",
                queryset=hmis_account_list(continuum=continuum, user=user),
                to_attr="visible_accounts",
            ),
        )
        .order_by("full_name", "email", "pk")
    )
