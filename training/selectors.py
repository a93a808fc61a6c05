"""Reads of training data. Page-facing reads take `(continuum, user)` and return only what that
person may see ("not yours" and "not there" are the same 404); the `*_snapshot` / `*_for_users`
helpers are for services and tasks, which have already decided who may act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from django.db.models import Count, F, FilteredRelation, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, Continuum, Membership
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for, preloaded

from . import path as lp
from .catalog_version import reuse
from .models import (
    Course,
    CourseBundle,
    Enrollment,
    LearningPath,
    LmsAccount,
    LmsConfiguration,
    LmsSyncCursor,
    Prerequisite,
    ProgressImport,
    TrainingPolicy,
)


# --- Configuration -------------------------------------------------------------------------------------
def training_policy(continuum: Continuum) -> TrainingPolicy:
    """The CoC's policy, or the defaults when it never saved one (not written by a read)."""
    found, policy = preloaded(continuum, "training_policy")
    if not found:
        policy = TrainingPolicy.objects.filter(continuum=continuum).first()
    return policy or TrainingPolicy(continuum=continuum)


def catalog_snapshot(continuum: Continuum, *, policy: TrainingPolicy | None = None) -> lp.Catalog:
    """The CoC's active catalog as the pure path computation's input; pass the policy when the
    caller has read it already. On a page read the courses and bundles built for the catalog's
    current version are reused (`training.catalog_version`: no query); otherwise three queries
    (courses with their bundles, prerequisites, parts)."""
    policy = policy or training_policy(continuum)
    courses, bundles = reuse(continuum, lambda: _catalog_courses(continuum))
    return lp.Catalog(
        courses=courses,
        bundles=bundles,
        project_recency_months=policy.project_course_recency_months,
        foundation_recency_months=policy.foundation_recency_months,
        sample_client_required=policy.sample_client_required,
        sample_client_exempt_tags=frozenset(str(t).upper() for t in policy.sample_client_exempt_tags or ()),
    )


def _catalog_courses(
    continuum: Continuum,
) -> tuple[Mapping[str, lp.CatalogCourse], Mapping[str, lp.CatalogBundle]]:
    """The active courses and their bundles, read-only (a snapshot may serve many requests)."""
    courses = list(
        Course.objects.filter(continuum=continuum, is_active=True)
        .select_related("bundle", "read_only_alternate_of", "includes")
        .prefetch_related(
            Prefetch(
                "prerequisite_links",
                queryset=Prerequisite.objects.select_related("requires").filter(requires__is_active=True),
            ),
            "parts",
        )
    )
    # The path only uses the bundles of active courses: they come with the courses (no query of their own).
    bundles = {
        b.code: lp.CatalogBundle(code=b.code, name=b.name, description=b.description)
        for b in (c.bundle for c in courses if c.bundle_id)
    }
    by_code = {
        c.code: lp.CatalogCourse(
            code=c.code,
            name=c.name,
            category=c.category,
            applies_to=c.applies_to,
            kind=c.kind,
            hud_project_types=frozenset(int(t) for t in c.hud_project_types or ()),
            program_tags=frozenset(str(t).upper() for t in c.program_tags or ()),
            training_roles=frozenset(c.training_roles or ()),
            prerequisites=tuple(
                sorted((link.requires.code, link.min_percent) for link in c.prerequisite_links.all())
            ),
            bundle=c.bundle.code if c.bundle_id else None,
            read_only_alternate_of=c.read_only_alternate_of.code if c.read_only_alternate_of_id else None,
            includes=c.includes.code if c.includes_id and c.includes.is_active else None,
            new_users_only=c.new_users_only,
            recency_months=c.recency_months,
            position=c.position,
            parts=tuple(p.title for p in c.parts.all()),
            part_units=tuple(p.lms_unit_name for p in c.parts.all()),
            lms_course_id=c.lms_course_id,
            duration_minutes=c.duration_minutes,
            led_by=c.led_by,
        )
        for c in courses
    }
    return MappingProxyType(by_code), MappingProxyType(bundles)


def progress_for_users(continuum: Continuum, user_ids: Iterable[int]) -> dict[int, dict[str, lp.Progress]]:
    """{user id: {course code: progress}} in one query."""
    out: dict[int, dict[str, lp.Progress]] = {}
    rows = Enrollment.objects.filter(continuum=continuum, user_id__in=list(user_ids)).values_list(
        "user_id", "course__code", "percent", "completed_at"
    )
    for user_id, code, percent, completed_at in rows:
        out.setdefault(user_id, {})[code] = lp.Progress(percent=percent, completed_at=completed_at)
    return out


def learning_path_result(
    continuum: Continuum,
    person: User,
    *,
    as_of: dt.date | None = None,
    catalog: lp.Catalog | None = None,
    path: LearningPath | None = None,
    progress: dict[str, lp.Progress] | None = None,
) -> lp.LearningPathResult | None:
    """A person's computed path, or None when they have none (services/tasks; no scoping). Pass
    `path` (the person's LearningPath) and `progress` (their enrolments by course code) when the
    caller has read them already."""
    path = path or LearningPath.objects.filter(continuum=continuum, user=person).first()
    if path is None:
        return None
    catalog = catalog or catalog_snapshot(continuum)
    if progress is None:
        progress = progress_for_users(continuum, [person.pk]).get(person.pk, {})
    today = as_of or timezone.localdate(timezone=continuum.tzinfo)
    return lp.compute_learning_path(catalog, lp.Needs.from_json(path.needs), progress, as_of=today)


# --- Pages -----------------------------------------------------------------------------------------------
def course_list(*, continuum: Continuum, user: User) -> QuerySet[Course]:
    """The catalog is not confidential: every member of the CoC may read it."""
    if not access_for(continuum, user).is_member:
        return Course.objects.none()
    return (
        Course.objects.filter(continuum=continuum)
        .select_related("bundle", "read_only_alternate_of", "includes")
        .prefetch_related(
            Prefetch("prerequisite_links", queryset=Prerequisite.objects.select_related("requires")), "parts"
        )
        .order_by("position", "name")
    )


def bundle_list(*, continuum: Continuum, user: User) -> QuerySet[CourseBundle]:
    if not access_for(continuum, user).is_member:
        return CourseBundle.objects.none()
    return CourseBundle.objects.filter(continuum=continuum).prefetch_related("courses")


def course_get(*, continuum: Continuum, user: User, course_id: int) -> Course:
    course = course_list(continuum=continuum, user=user).filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    return course


def bundle_get(*, continuum: Continuum, user: User, bundle_id: int) -> CourseBundle:
    bundle = bundle_list(continuum=continuum, user=user).filter(pk=bundle_id).first()
    if bundle is None:
        raise Http404("No such bundle.")
    return bundle


def lms_configuration(*, continuum: Continuum, user: User) -> LmsConfiguration:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404
    return LmsConfiguration.objects.filter(continuum=continuum).first() or LmsConfiguration(
        continuum=continuum
    )


def lms_sync_cursor(*, continuum: Continuum, user: User) -> LmsSyncCursor | None:
    access = access_for(continuum, user)
    if not (access.can(Capability.CONFIGURE_CONTINUUM) or access.can(Capability.MANAGE_TRAINING)):
        raise Http404
    return LmsSyncCursor.objects.filter(continuum=continuum).first()


def progress_import_list(*, continuum: Continuum, user: User) -> QuerySet[ProgressImport]:
    if not access_for(continuum, user).can(Capability.MANAGE_TRAINING):
        raise Http404
    return ProgressImport.objects.filter(continuum=continuum).select_related("uploaded_by", "decided_by")


def progress_import_get(*, continuum: Continuum, user: User, import_id: int) -> ProgressImport:
    found = progress_import_list(continuum=continuum, user=user).filter(pk=import_id).first()
    if found is None:
        raise Http404("No such import.")
    return found


def prerequisite_get(*, continuum: Continuum, user: User, link_id: int) -> Prerequisite:
    if not access_for(continuum, user).can(Capability.CONFIGURE_CONTINUUM):
        raise Http404
    link = (
        Prerequisite.objects.filter(continuum=continuum, pk=link_id)
        .select_related("course", "requires")
        .first()
    )
    if link is None:
        raise Http404("No such prerequisite.")
    return link


# --- Instructor-led sessions -----------------------------------------------------------------------------
def session_list(*, continuum: Continuum, user: User, upcoming: bool = True, now: dt.datetime | None = None):
    """Sessions of the CoC with their seat counts; any member may see the schedule."""
    from django.db.models import Count, Q

    from .models import SessionRegistration, TrainingSession

    if not access_for(continuum, user).is_member:
        return TrainingSession.objects.none()
    now = now or timezone.now()
    sessions = TrainingSession.objects.filter(continuum=continuum).select_related("course", "trainer")
    sessions = sessions.annotate(
        seats_taken=Count(
            "registrations", filter=Q(registrations__status=SessionRegistration.Status.REGISTERED)
        ),
        waitlisted=Count(
            "registrations", filter=Q(registrations__status=SessionRegistration.Status.WAITLISTED)
        ),
    )
    if upcoming:
        return sessions.filter(starts_at__gt=now, is_cancelled=False).order_by("starts_at", "id")
    return sessions.order_by("-starts_at", "-id")


def session_registrations_of(*, continuum: Continuum, user: User) -> dict[int, object]:
    """The person's own registrations, keyed by session id."""
    from .models import SessionRegistration

    return {
        r.session_id: r
        for r in SessionRegistration.objects.filter(continuum=continuum, user=user).select_related("session")
    }


def session_get(*, continuum: Continuum, user: User, session_id: int, for_staff: bool = False):
    from .models import TrainingSession

    access = access_for(continuum, user)
    if not access.is_member or (for_staff and not access.can(Capability.MANAGE_TRAINING)):
        raise Http404
    session = (
        TrainingSession.objects.filter(continuum=continuum, pk=session_id)
        .select_related("course", "trainer")
        .first()
    )
    if session is None:
        raise Http404
    return session


def session_roster(*, continuum: Continuum, user: User, session) -> list:
    from .models import SessionRegistration

    if (
        not access_for(continuum, user).can(Capability.MANAGE_TRAINING)
        or session.continuum_id != continuum.pk
    ):
        raise Http404
    return list(
        SessionRegistration.objects.filter(session=session)
        .exclude(status=SessionRegistration.Status.CANCELLED)
        .select_related("user", "attendance_recorded_by")
        .order_by("status", "queued_at", "id")
    )


def registration_get(*, continuum: Continuum, user: User, registration_id: int, staff: bool = False):
    """A registration the person may act on: their own, or any of the CoC's for training staff."""
    from .models import SessionRegistration

    access = access_for(continuum, user)
    registrations = SessionRegistration.objects.filter(continuum=continuum, pk=registration_id)
    if not access.can(Capability.MANAGE_TRAINING) or not staff:
        registrations = registrations.filter(user=user)
    registration = registrations.select_related("session", "user").first()
    if registration is None:
        raise Http404
    return registration


def session_courses(*, continuum: Continuum, user: User) -> QuerySet[Course]:
    return Course.objects.filter(
        continuum=continuum, kind=Course.Kind.INSTRUCTOR_LED, is_active=True
    ).order_by("position", "name")


def session_trainers(*, continuum: Continuum, user: User) -> QuerySet[User]:
    """Staff of the CoC who manage training (the trainers and Help Desk)."""
    from agencies.models import Membership
    from hmis_onboarding.permissions import ROLE_CAPABILITIES

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.MANAGE_TRAINING in caps]
    ids = Membership.objects.filter(continuum=continuum, role__in=roles, is_active=True).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("full_name", "email")


def acknowledgement_of(*, continuum: Continuum, user: User):
    from .models import AcknowledgementSignature

    return (
        AcknowledgementSignature.objects.filter(continuum=continuum, user=user).order_by("-signed_at").first()
    )


def registrable_people(*, continuum: Continuum, user: User) -> QuerySet[User]:
    """People an ATA may register for a session: the active members of their agencies."""
    from agencies.models import Membership

    access = access_for(continuum, user)
    if not access.can(Capability.MANAGE_AGENCY_PEOPLE) or not access.agency_ids:
        return User.objects.none()
    ids = Membership.objects.filter(
        continuum=continuum, agency_id__in=access.agency_ids, is_active=True
    ).values("user_id")
    return User.objects.filter(pk__in=ids).exclude(pk=user.pk).order_by("full_name", "email")


# --- The trainee's tracker and the progress views (issue 5, items 6-8) ---------------------------------
def _path_person_scope(continuum: Continuum, user: User) -> Q | None:
    """Whose paths this person may see: staff the CoC's, agency leads their agencies' people, everyone
    else only their own. None means nobody (not a member)."""
    access = access_for(continuum, user)
    if not access.is_member:
        return None
    if access.can(Capability.VIEW_ALL_AGENCIES) or access.can(Capability.MANAGE_TRAINING):
        return Q()
    if access.can(Capability.VIEW_OWN_AGENCY) and access.agency_ids:
        members = Membership.objects.filter(
            continuum=continuum, agency_id__in=access.agency_ids, is_active=True
        ).values("user_id")
        return Q(user_id__in=members) | Q(user=user)
    return Q(user=user)


def learning_path_list(*, continuum: Continuum, user: User) -> QuerySet[LearningPath]:
    """Paths with the person, their agency and days since progress, by agency name then person. The
    agency (first active agency membership by name) is stored on the path, so this is one join, not
    a membership lookup per person."""
    scope = _path_person_scope(continuum, user)
    if scope is None:
        return LearningPath.objects.none()
    return (
        LearningPath.objects.filter(scope, continuum=continuum)
        .select_related("user")
        .annotate(agency_name=F("agency__name"), progress_at=Coalesce("last_progress_at", "assigned_at"))
        .order_by("agency_name", "user__full_name", "user__email", "pk")
    )


class AgencyOrderedPaths:
    """Paths of `learning_path_list` (scoped and filtered) for a paginator, in the same order: the
    paths with an agency by agency name then person, then those without one. Split in two so the
    first part is index-driven — the agencies by (continuum, name), each one's paths by
    (continuum, agency), sorted per agency — and a page reads a few agencies' paths instead of
    sorting every path of the CoC (15,000 in a metro) by a joined column. The count is the total
    and the paths without an agency, both from indexes."""

    def __init__(self, paths: QuerySet[LearningPath], continuum: Continuum) -> None:
        self.paths = paths
        # The agency's own continuum condition lets the planner walk the agencies by name.
        self.with_agency = paths.filter(agency__continuum=continuum)
        self.without_agency = paths.filter(agency__isnull=True)
        self._counts: tuple[int, int] | None = None

    def counts(self) -> tuple[int, int]:
        if self._counts is None:
            # One scan of the (continuum, agency) index for both figures.
            found = self.paths.aggregate(total=Count("*"), with_agency=Count("agency"))
            self._counts = (found["with_agency"], found["total"] - found["with_agency"])
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[LearningPath]:
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("AgencyOrderedPaths supports plain slices only")
        with_agency = self.counts()[0]
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        rows: list[LearningPath] = []
        if start < with_agency:
            rows += list(self.with_agency[start : min(stop, with_agency)])
        if stop > with_agency:
            rows += list(self.without_agency[max(start - with_agency, 0) : stop - with_agency])
        return rows


# The columns the progress page shows (and its duplicate check reads): not the path's stored needs
# (JSON) nor the person's password, logins and dates.
PROGRESS_PAGE_FIELDS = (
    "user_id",
    "user__email",
    "user__full_name",
    "agency_id",
    "is_complete",
    "percent_complete",
    "next_step",
)


LIST_ROW_FIELDS = (
    "id",
    "user_id",
    "user__email",
    "user__full_name",
    "agency_id",
    "agency_name",
    "assigned_at",
    "recomputed_at",
    "is_complete",
    "percent_complete",
    "next_step",
    "last_progress_at",
    "progress_at",
)


def learning_path_rows(paths: QuerySet[LearningPath]) -> QuerySet:
    """The API list's columns of `learning_path_list` (already scoped and filtered) as plain rows."""
    return paths.values(*LIST_ROW_FIELDS)


def learning_path_get(*, continuum: Continuum, user: User, path_id: int) -> LearningPath:
    found = learning_path_list(continuum=continuum, user=user).filter(pk=path_id).first()
    if found is None:
        raise Http404("No such learning path.")
    return found


def progress_agencies(*, continuum: Continuum, user: User) -> QuerySet[Agency]:
    """The agencies the progress view may be filtered by."""
    access = access_for(continuum, user)
    agencies = Agency.objects.filter(continuum=continuum).order_by("name")
    if access.can(Capability.VIEW_ALL_AGENCIES) or access.can(Capability.MANAGE_TRAINING):
        return agencies
    return agencies.filter(pk__in=access.agency_ids)


def stalled_cutoff(continuum: Continuum, now: dt.datetime | None = None) -> tuple[int, dt.datetime]:
    days = training_policy(continuum).stalled_after_days
    return days, (now or timezone.now()) - dt.timedelta(days=days)


def path_enrollments(*, continuum: Continuum, user: User, path: LearningPath) -> QuerySet[Enrollment]:
    """One path's enrolments (the caller already holds the path through `learning_path_get`)."""
    return Enrollment.objects.filter(continuum=continuum, user_id=path.user_id).select_related("course")


def no_learning_paths() -> QuerySet[LearningPath]:
    """For the API schema generator, which builds querysets without a request."""
    return LearningPath.objects.none()


def own_path_and_lms_account(
    *, continuum: Continuum, user: User
) -> tuple[LearningPath | None, LmsAccount | None]:
    """The asker's own learning path and LMS account here (each at most one per person and CoC), in
    one query."""
    # One row by primary key: no ORDER BY (the users' default ordering only costs compiling it).
    rows = list(
        User.objects.filter(pk=user.pk)
        .annotate(
            own_path=FilteredRelation("learning_paths", condition=Q(learning_paths__continuum=continuum)),
            own_lms=FilteredRelation("lms_accounts", condition=Q(lms_accounts__continuum=continuum)),
        )
        .select_related("own_path", "own_lms")
        .order_by()[:1]
    )
    if not rows:
        return None, None
    return getattr(rows[0], "own_path", None), getattr(rows[0], "own_lms", None)


def own_learning_path(*, continuum: Continuum, user: User) -> LearningPath | None:
    """The asker's own learning path here (at most one per person and CoC), without the LMS account."""
    return next(iter(LearningPath.objects.filter(continuum=continuum, user=user).order_by()[:1]), None)


# --- Likely duplicate LMS accounts (issue 5 item 1) ----------------------------------------------------
def _norm_name(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def lms_duplicates_for(
    continuum: Continuum, people: Iterable[User], *, unlinked_only: bool = True
) -> dict[int, list[LmsAccount]]:
    """{person id: other people's LMS accounts that look like theirs} — same full name, or an e-mail
    (current or previous) in common — for people whose own account is not linked to the LMS yet
    (with `unlinked_only`). Accounts someone said belong to another person are left out. Two queries
    whatever the number of people (services, tasks and pages that already scoped `people`)."""
    from django.db.models.functions import Lower, Trim

    people = list(people)
    if not people:
        return {}
    mine = {
        a.user_id: a
        for a in LmsAccount.objects.filter(continuum=continuum, user_id__in=[p.pk for p in people]).only(
            "user_id", "email", "lms_user_id", "previous_emails", "not_duplicates"
        )
    }
    wanted: dict[int, tuple[str, set[str], set[int]]] = {}
    for person in people:
        own = mine.get(person.pk)
        if unlinked_only and own is not None and own.lms_user_id:
            continue
        emails = {person.email.lower()} if person.email else set()
        if own is not None:
            emails |= {own.email.lower(), *(e.lower() for e in own.previous_emails)}
        wanted[person.pk] = (_norm_name(person.full_name), emails, set(own.not_duplicates) if own else set())
    if not wanted:
        return {}
    names = {name for name, _, _ in wanted.values() if name}
    emails = set().union(*(e for _, e, _ in wanted.values()))
    candidates = list(
        LmsAccount.objects.filter(continuum=continuum)
        .annotate(name_key=Lower(Trim("user__full_name")))
        .filter(Q(name_key__in=names) | Q(email__in=emails))
        .select_related("user")
        .order_by("pk")
    )
    found: dict[int, list[LmsAccount]] = {}
    for person_id, (name, own_emails, dismissed) in wanted.items():
        for account in candidates:
            if account.user_id == person_id or account.pk in dismissed:
                continue
            same_name = bool(name) and _norm_name(account.user.full_name) == name
            shared = bool(own_emails & {account.email.lower(), *(e.lower() for e in account.previous_emails)})
            if same_name or shared:
                found.setdefault(person_id, []).append(account)
    return found


def lms_duplicate_get(*, continuum: Continuum, user: User, person_id: int, account_id: int):
    """(person, their likely earlier account) for someone whose path `user` may see; else 404."""
    path = learning_path_list(continuum=continuum, user=user).filter(user_id=person_id).first()
    if path is None:
        raise Http404("No such person in training.")
    account = next(
        (a for a in lms_duplicates_for(continuum, [path.user]).get(path.user_id, []) if a.pk == account_id),
        None,
    )
    if account is None:
        raise Http404("No such LMS account.")
    return path.user, account
