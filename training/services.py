"""Writes for training configuration, learning paths and LMS accounts.

Each service: guard first, then one transaction with the rows it changes locked, `save(update_fields)`
or bulk operations, and the audit event(s) in the same transaction. LMS calls never happen inside a
transaction (a slow LMS must not hold row locks); see `training.sync` for those.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from agencies.models import Continuum, Membership
from hmis_onboarding.audit import audit_record, snapshot
from hmis_onboarding.models import AuditEvent, User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from . import path as lp
from . import selectors
from .bulk import update_grouped
from .models import (
    Course,
    CourseBundle,
    CoursePart,
    Enrollment,
    LearningPath,
    LmsAccount,
    LmsConfiguration,
    Prerequisite,
    TrainingPolicy,
)

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
PATH_BATCH_SIZE = 500
PATH_SUMMARY_FIELDS = ("is_complete", "percent_complete", "next_step", "recomputed_at", "last_progress_at")


def _require(actor: User | None, continuum: Continuum, capability: str, message: str) -> None:
    """A person must hold the capability; `actor=None` is the system itself (tasks, seeding)."""
    if actor is not None and not access_for(continuum, actor).can(capability):
        raise PermissionDenied(message)


# --- Prerequisite graph --------------------------------------------------------------------------------
def prerequisite_edges(continuum: Continuum) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for course, requires in Prerequisite.objects.filter(continuum=continuum).values_list(
        "course__code", "requires__code"
    ):
        edges.setdefault(course, set()).add(requires)
    return edges


def _bundle_of(continuum: Continuum) -> dict[str, str | None]:
    return dict(Course.objects.filter(continuum=continuum).values_list("code", "bundle__code"))


def _readable_cycle(continuum: Continuum, cycle: list[str]) -> str:
    names = dict(Course.objects.filter(continuum=continuum).values_list("code", "name"))
    bundles = CourseBundle.objects.filter(continuum=continuum).values_list("code", "name")
    names |= {f"bundle:{code}": name for code, name in bundles}
    return " → ".join(names.get(code, code) for code in cycle)


def prerequisite_add(
    *, course: Course, requires: Course, min_percent: int = 100, actor: User | None = None
) -> Prerequisite:
    """`course` stays restricted until `requires` reaches `min_percent`. Refuses cycles."""
    continuum = course.continuum
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, "Only CoC administrators change the catalog.")
    if requires.continuum_id != continuum.pk:
        raise ValidationError("Both courses must belong to the same Continuum of Care.")
    if requires.pk == course.pk:
        raise ValidationError(f"“{course.name}” cannot be its own prerequisite.")
    if not 1 <= int(min_percent) <= 100:
        raise ValidationError("The minimum percentage must be between 1 and 100.")
    with transaction.atomic():
        # One configuration change at a time per CoC, so two concurrent edits cannot close a cycle.
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        existing = Prerequisite.objects.filter(course=course, requires=requires).first()
        if existing is not None:
            return existing
        edges = prerequisite_edges(continuum)
        edges.setdefault(course.code, set()).add(requires.code)
        cycle = lp.find_cycle(lp.step_graph(edges, _bundle_of(continuum)))
        if cycle:
            raise ValidationError(
                f"“{course.name}” cannot require “{requires.name}”: that would make a cycle "
                f"({_readable_cycle(continuum, cycle)}), and nobody could ever start these courses."
            )
        link = Prerequisite.objects.create(
            continuum=continuum, course=course, requires=requires, min_percent=min_percent
        )
        audit_record(
            action="training.prerequisite_added",
            actor=actor,
            continuum=continuum,
            obj=course,
            after={"requires": requires.code, "min_percent": min_percent},
        )
        transaction.on_commit(lambda: learning_paths_refresh(continuum=continuum))
    return link


def prerequisite_remove(*, link: Prerequisite, actor: User | None = None) -> None:
    continuum = link.continuum
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, "Only CoC administrators change the catalog.")
    with transaction.atomic():
        locked = (
            Prerequisite.objects.select_for_update().filter(pk=link.pk).select_related("course", "requires")
        )
        found = locked.first()
        if found is None:
            return
        audit_record(
            action="training.prerequisite_removed",
            actor=actor,
            continuum=continuum,
            obj=found.course,
            before={"requires": found.requires.code, "min_percent": found.min_percent},
        )
        found.delete()
        transaction.on_commit(lambda: learning_paths_refresh(continuum=continuum))


# --- Catalog loading (configuration files) ----------------------------------------------------------------
@dataclass
class CatalogLoadResult:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.created[kind] = self.created.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.created.values())


def catalog_spec(name: str) -> dict[str, Any]:
    """A shipped catalog (training/catalogs/<name>.json)."""
    return json.loads((CATALOG_DIR / f"{name}.json").read_text())


COURSE_FIELDS = (
    "name",
    "description",
    "kind",
    "category",
    "applies_to",
    "lms_course_id",
    "hud_project_types",
    "program_tags",
    "training_roles",
    "new_users_only",
    "recency_months",
    "duration_minutes",
    "led_by",
    "position",
)


def catalog_load(
    *, continuum: Continuum, spec: Mapping[str, Any], actor: User | None = None
) -> CatalogLoadResult:
    """Create what the configuration describes and is missing. Existing records are left as the
    CoC's administrators last set them, so loading twice (or after edits) changes nothing."""
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, "Only CoC administrators change the catalog.")
    result = CatalogLoadResult()
    with transaction.atomic():
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        _, created = TrainingPolicy.objects.get_or_create(
            continuum=continuum, defaults=dict(spec.get("policy", {}))
        )
        result.add("policy", int(created))
        bundles: dict[str, CourseBundle] = {}
        for item in spec.get("bundles", []):
            bundle, created = CourseBundle.objects.get_or_create(
                continuum=continuum,
                code=item["code"],
                defaults={"name": item["name"], "description": item.get("description", "")},
            )
            bundles[bundle.code] = bundle
            result.add("bundles", int(created))
        courses: dict[str, Course] = {c.code: c for c in Course.objects.filter(continuum=continuum)}
        for item in spec.get("courses", []):
            if item["code"] in courses:
                continue
            course = Course(
                continuum=continuum,
                code=item["code"],
                bundle=bundles.get(item.get("bundle", "")),
                **{k: item[k] for k in COURSE_FIELDS if k in item},
            )
            course.full_clean(exclude=["read_only_alternate_of", "includes"])
            course.save()
            courses[course.code] = course
            result.add("courses")
            for position, part in enumerate(item.get("parts", []), 1):
                CoursePart.objects.create(
                    continuum=continuum,
                    course=course,
                    position=position,
                    title=part["title"],
                    topics=part.get("topics", []),
                    lms_unit_name=part.get("lms_unit_name", ""),
                )
                result.add("parts")
        # Second pass: links between courses, now that every course exists.
        for item in spec.get("courses", []):
            course = courses[item["code"]]
            changed = []
            for name in ("read_only_alternate_of", "includes"):
                target = item.get(name)
                if target and getattr(course, f"{name}_id") is None:
                    setattr(course, name, courses[target])
                    changed.append(name)
            if changed:
                course.save(update_fields=changed)
        edges = prerequisite_edges(continuum)
        bundle_of = _bundle_of(continuum)
        for item in spec.get("courses", []):
            for requirement in item.get("prerequisites", []):
                code, min_percent = (
                    (requirement, 100)
                    if isinstance(requirement, str)
                    else (requirement["code"], requirement["min_percent"])
                )
                if code in edges.get(item["code"], set()):
                    continue
                edges.setdefault(item["code"], set()).add(code)
                cycle = lp.find_cycle(lp.step_graph(edges, bundle_of))
                if cycle:
                    raise ValidationError(
                        f"The catalog's prerequisites form a cycle: {_readable_cycle(continuum, cycle)}."
                    )
                Prerequisite.objects.create(
                    continuum=continuum,
                    course=courses[item["code"]],
                    requires=courses[code],
                    min_percent=min_percent,
                )
                result.add("prerequisites")
        if result.total:
            audit_record(
                action="training.catalog_loaded",
                actor=actor,
                continuum=continuum,
                obj=continuum,
                metadata={"created": result.created, "catalog": spec.get("name", "")},
            )
    return result


# --- Learning paths ------------------------------------------------------------------------------------
def enrollment_state(step: lp.Step, progress: lp.Progress) -> str:
    if progress.completed:
        return Enrollment.State.COMPLETED
    if step.waiting_for:
        return Enrollment.State.RESTRICTED
    return Enrollment.State.IN_PROGRESS if progress.percent > 0 else Enrollment.State.AVAILABLE


def learning_path_assign(
    *,
    continuum: Continuum,
    person: User,
    needs: lp.Needs,
    source: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[LearningPath, lp.LearningPathResult]:
    """Give a person the path their needs call for (or recompute it when needs changed).

    Existing enrolments and their progress are never removed or lowered: a course that leaves the
    path keeps its record (and counts again if it comes back); new courses get an enrolment row.
    """
    if actor is not None:
        access = access_for(continuum, actor)
        # The Help Desk approves most requests; the CE team approves HRS / 1474 ones.
        if not (access.can(Capability.REVIEW_REQUESTS) or access.can(Capability.REVIEW_CE_REQUESTS)):
            raise PermissionDenied("Only the Help Desk or the CE team assigns learning paths.")
    now = now or timezone.now()
    catalog = selectors.catalog_snapshot(continuum)
    with transaction.atomic():
        path, created = LearningPath.objects.select_for_update().get_or_create(
            continuum=continuum,
            user=person,
            defaults={"needs": needs.to_json(), "source": source, "assigned_at": now, "recomputed_at": now},
        )
        before = {"needs": path.needs, "source": path.source}
        if not created:
            path.needs, path.source = needs.to_json(), source or path.source
            path.save(update_fields=["needs", "source"])
        learning_paths_refresh(continuum=continuum, user_ids=[person.pk], catalog=catalog, now=now)
        path.refresh_from_db()
        today = timezone.localdate(now, timezone=continuum.tzinfo)
        result = selectors.learning_path_result(continuum, person, catalog=catalog, as_of=today)
        assert result is not None
        if created or before["needs"] != path.needs:
            audit_record(
                action="training.learning_path_assigned" if created else "training.learning_path_changed",
                actor=actor,
                continuum=continuum,
                obj=path,
                before={} if created else before,
                after={"needs": path.needs, "source": path.source, "courses": sorted(result.course_codes)},
            )
    return path, result


def learning_paths_refresh(
    *,
    continuum: Continuum,
    user_ids: Iterable[int] | None = None,
    catalog: lp.Catalog | None = None,
    now: dt.datetime | None = None,
    create: bool = True,
) -> int:
    """Recompute paths (all of the CoC's, or some people's) in batches and store what changed:
    missing enrolment rows, restricted ↔ available states, and each path's summary. Returns the
    number of enrolments written. Never lowers a percentage or un-completes a course."""
    now = now or timezone.now()
    catalog = catalog or selectors.catalog_snapshot(continuum)
    today = timezone.localdate(now, timezone=continuum.tzinfo)
    ids = sorted(
        set(user_ids)
        if user_ids is not None
        else LearningPath.objects.filter(continuum=continuum).values_list("user_id", flat=True)
    )
    courses = {c.code: c for c in Course.objects.filter(continuum=continuum, is_active=True)}
    written = 0
    for start in range(0, len(ids), PATH_BATCH_SIZE):
        batch = ids[start : start + PATH_BATCH_SIZE]
        with transaction.atomic():
            paths = {
                p.user_id: p
                for p in LearningPath.objects.select_for_update().filter(
                    continuum=continuum, user_id__in=batch
                )
            }
            accounts = dict(
                LmsAccount.objects.filter(continuum=continuum, user_id__in=batch).values_list("user_id", "pk")
            )
            # Plain tuples, not model instances: a refresh after a big import reads tens of
            # thousands of rows and only ever changes their state.
            by_user: dict[int, dict[str, _EnrollmentRow]] = {}
            for row in (
                Enrollment.objects.select_for_update(of=("self",))
                .filter(continuum=continuum, user_id__in=batch)
                .values_list(
                    "pk", "user_id", "course__code", "state", "percent", "completed_at", "last_progress_at"
                )
            ):
                by_user.setdefault(row[1], {})[row[2]] = _EnrollmentRow(*row)
            to_create: list[Enrollment] = []
            new_states: dict[str, list[int]] = {}
            paths_changed: list[LearningPath] = []
            for user_id, path in paths.items():
                mine = by_user.get(user_id, {})
                progress = {code: lp.Progress(e.percent, e.completed_at) for code, e in mine.items()}
                result = lp.compute_learning_path(
                    catalog, lp.Needs.from_json(path.needs), progress, as_of=today
                )
                for step in result.steps:
                    if step.state == lp.StepState.CREDITED:
                        continue
                    for code in step.options:
                        state = enrollment_state(step, progress.get(code, lp.Progress()))
                        existing = mine.get(code)
                        if existing is None:
                            if not create or code not in courses:
                                continue
                            course = courses[code]
                            to_create.append(
                                Enrollment(
                                    continuum=continuum,
                                    user_id=user_id,
                                    course=course,
                                    lms_account_id=accounts.get(user_id) if course.is_lms_course else None,
                                    state=state,
                                    source=Enrollment.Source.PATH,
                                )
                            )
                        elif existing.state != state and existing.state != Enrollment.State.COMPLETED:
                            new_states.setdefault(state, []).append(existing.pk)
                next_step = result.next_step
                summary = {
                    "is_complete": result.is_complete,
                    "percent_complete": result.percent_complete,
                    "next_step": next_step.title if next_step else "",
                    "recomputed_at": now,
                }
                last = max((e.last_progress_at for e in mine.values() if e.last_progress_at), default=None)
                summary["last_progress_at"] = last
                changed = [k for k, v in summary.items() if k != "recomputed_at" and getattr(path, k) != v]
                if changed:
                    for key, value in summary.items():
                        setattr(path, key, value)
                    paths_changed.append(path)
            Enrollment.objects.bulk_create(to_create, batch_size=1000, ignore_conflicts=True)
            for state, pks in new_states.items():
                Enrollment.objects.filter(pk__in=pks).update(state=state, updated_at=now)
                written += len(pks)
            update_grouped(LearningPath, paths_changed, PATH_SUMMARY_FIELDS)
            learning_path_agencies_refresh(continuum=continuum, user_ids=batch)
            written += len(to_create)
    return written


def learning_path_agencies_refresh(*, continuum: Continuum, user_ids: Iterable[int] | None = None) -> int:
    """Store on each path (all of the CoC's, or some people's) the agency the progress views show:
    the person's first active agency membership by agency name, or none. One read, and an UPDATE
    per agency that changed (none on most calls). Called by the path services and, through
    `agencies.services.memberships_changed`, when memberships change or an agency is renamed.
    Returns the number of paths whose agency changed."""
    first = (
        Membership.objects.filter(
            continuum=continuum, user_id=OuterRef("user_id"), agency__isnull=False, is_active=True
        )
        .order_by("agency__name", "agency_id")
        .values("agency_id")[:1]
    )
    paths = LearningPath.objects.filter(continuum=continuum)
    if user_ids is not None:
        paths = paths.filter(user_id__in=list(user_ids))
    # Only rows whose agency changes are written (a nightly refresh of every path rewrites nothing).
    moves: dict[int | None, list[int]] = {}
    for pk, old, new in paths.annotate(new_agency=Subquery(first)).values_list(
        "pk", "agency_id", "new_agency"
    ):
        if old != new:
            moves.setdefault(new, []).append(pk)
    for agency_id, pks in moves.items():
        LearningPath.objects.filter(pk__in=pks).update(agency_id=agency_id)
    return sum(len(pks) for pks in moves.values())


class _EnrollmentRow(NamedTuple):
    pk: int
    user_id: int
    code: str
    state: str
    percent: int
    completed_at: dt.datetime | None
    last_progress_at: dt.datetime | None


def project_needs(projects: Iterable[Any]) -> tuple[lp.ProjectNeed, ...]:
    """The path's view of the HMIS projects a person will work in (agencies.HmisProject rows):
    their HUD type and funding tags, which pick the project-specific courses."""
    flags = {
        "funded_path": "PATH",
        "funded_ssvf": "SSVF",
        "funded_esg": "ESG",
        "funded_hpcc": "HPCC",
        "funded_state_homeless_prevention": "STATE_PREVENTION",
    }
    return tuple(
        lp.ProjectNeed(
            hud_project_type=project.hud_project_type,
            tags=frozenset(tag for flag, tag in flags.items() if getattr(project, flag, False)),
        )
        for project in projects
    )


# --- LMS accounts --------------------------------------------------------------------------------------
def check_agency_email(continuum: Continuum, email: str) -> str:
    """The agency e-mail an LMS account is linked to; personal addresses are refused with the reason."""
    email = (email or "").strip().lower()
    validate_email(email)
    domain = email.rsplit("@", 1)[-1]
    personal = {d.lower() for d in selectors.training_policy(continuum).personal_email_domains or ()}
    if domain in personal:
        raise ValidationError(
            f"{email} is a personal address. LMS accounts must use the person's agency e-mail so the "
            "HMIS Lead can verify which organization they belong to; update the existing account to "
            "the agency address instead of creating a new one."
        )
    return email


def lms_account_request(
    *, continuum: Continuum, person: User, email: str, actor: User | None = None
) -> LmsAccount:
    """Record which agency e-mail the person's LMS account uses; the sync finds or creates it in the
    LMS (a person who had an account keeps it, so their history stays in one place). A linked
    account keeps its LMS id when the e-mail changes: progress is never moved between accounts."""
    email = check_agency_email(continuum, email)
    with transaction.atomic():
        account, created = LmsAccount.objects.select_for_update().get_or_create(
            continuum=continuum, user=person, defaults={"email": email}
        )
        if not created and account.email == email:
            return account
        before = snapshot(account, ["email", "status"]) if not created else {}
        if not created:
            if account.email not in account.previous_emails:
                account.previous_emails = [*account.previous_emails, account.email]
            account.email = email
            if not account.lms_user_id:
                account.status = LmsAccount.Status.PENDING
            account.save(update_fields=["email", "previous_emails", "status"])
        else:
            Enrollment.objects.filter(
                continuum=continuum,
                user=person,
                lms_account__isnull=True,
                course__kind=Course.Kind.SELF_PACED,
            ).exclude(course__lms_course_id="").update(lms_account=account)
        audit_record(
            action="training.lms_account_requested" if created else "training.lms_account_email_changed",
            actor=actor,
            continuum=continuum,
            obj=account,
            before=before,
            after=snapshot(account, ["email", "status"]),
        )
    return account


def lms_account_possible_duplicates(*, continuum: Continuum, person: User) -> list[LmsAccount]:
    """Other accounts in the CoC that look like the same person (same name, or an e-mail in common),
    for the ATA to check before a second account is made."""
    return selectors.lms_duplicates_for(continuum, [person], unlinked_only=False).get(person.pk, [])


def _require_lms_account_actor(continuum: Continuum, actor: User, person: User) -> None:
    """Training staff, or an ATA of one of the person's agencies."""
    access = access_for(continuum, actor)
    if access.can(Capability.MANAGE_TRAINING):
        return
    if access.can(Capability.MANAGE_AGENCY_PEOPLE) and (
        Membership.objects.filter(
            continuum=continuum, user=person, agency_id__in=access.agency_ids, is_active=True
        ).exists()
    ):
        return
    raise PermissionDenied("Only the person's ATA or the Help Desk decides about their LMS account.")


def lms_account_use_existing(
    *, continuum: Continuum, person: User, existing: LmsAccount, actor: User
) -> LmsAccount:
    """The person already has an LMS account, made under an earlier user record (another agency
    e-mail): they keep using it instead of getting a new one. The account — its LMS id, hence all the
    progress the LMS holds on it — now belongs to the person, with the agency e-mail moved to its
    previous e-mails. No recorded progress moves: the earlier record's enrolments keep what they
    recorded and stop following the account; the person's own enrolments follow it from now on."""
    _require_lms_account_actor(continuum, actor, person)
    with transaction.atomic():
        locked = {
            a.pk: a
            for a in LmsAccount.objects.select_for_update()
            .filter(continuum=continuum)
            .filter(Q(pk=existing.pk) | Q(user=person))
            .order_by("pk")
        }
        existing = locked.get(existing.pk)
        mine = next((a for a in locked.values() if a.user_id == person.pk), None)
        if existing is None or existing.user_id == person.pk:
            raise ValidationError("That LMS account is not another record's.")
        if existing.pk not in {
            a.pk for a in selectors.lms_duplicates_for(continuum, [person]).get(person.pk, [])
        }:
            raise ValidationError("That account does not look like this person's; nothing was changed.")
        if not existing.lms_user_id:
            raise ValidationError(
                f"The account under {existing.email} was never made in the LMS: there is nothing to update."
            )
        if mine is not None and mine.lms_user_id:
            raise ValidationError("This person's own LMS account is already linked; progress cannot move.")
        earlier_user_id = existing.user_id
        if LearningPath.objects.filter(
            continuum=continuum, user_id=earlier_user_id, is_complete=False
        ).exists():
            raise ValidationError(
                f"{existing.email} is still in training under that account; it cannot be handed over."
            )
        before = snapshot(existing, ["user_id", "email", "previous_emails"])
        email = mine.email if mine is not None else check_agency_email(continuum, person.email)
        # The earlier record's unfinished enrolments stop reading the LMS account (they keep their
        # progress); the person's enrolments follow the account from now on.
        Enrollment.objects.filter(continuum=continuum, lms_account=existing, user_id=earlier_user_id).exclude(
            state=Enrollment.State.COMPLETED
        ).update(lms_account=None, updated_at=timezone.now())
        if mine is not None:
            Enrollment.objects.filter(continuum=continuum, lms_account=mine).update(
                lms_account=existing, lms_enrolled_at=None, updated_at=timezone.now()
            )
            audit_record(
                action="training.lms_account_withdrawn",
                actor=actor,
                continuum=continuum,
                obj=mine,
                before=snapshot(mine, ["email", "status"]),
                metadata={"replaced_by": existing.pk},
            )
            mine.delete()
        previous = [e for e in existing.previous_emails if e != email]
        if existing.email != email and existing.email not in previous:
            previous.append(existing.email)
        existing.user = person
        existing.email = email
        existing.previous_emails = previous
        existing.not_duplicates = []
        existing.save(update_fields=["user", "email", "previous_emails", "not_duplicates"])
        Enrollment.objects.filter(
            continuum=continuum, user=person, lms_account__isnull=True, course__kind=Course.Kind.SELF_PACED
        ).exclude(course__lms_course_id="").update(lms_account=existing, updated_at=timezone.now())
        audit_record(
            action="training.lms_account_reused",
            actor=actor,
            continuum=continuum,
            obj=existing,
            before=before,
            after=snapshot(existing, ["user_id", "email", "previous_emails"]),
            metadata={"earlier_user": earlier_user_id, "person": person.pk},
        )
    return existing


def lms_account_not_duplicate(
    *, continuum: Continuum, person: User, existing: LmsAccount, actor: User
) -> LmsAccount:
    """Someone checked: that account is another person's. The person's own account is made in the LMS
    by the next sync, and this pair is not raised again."""
    _require_lms_account_actor(continuum, actor, person)
    with transaction.atomic():
        mine = LmsAccount.objects.select_for_update().filter(continuum=continuum, user=person).first()
        if mine is None:
            raise ValidationError("This person has no LMS account request yet.")
        if existing.continuum_id != continuum.pk or existing.user_id == person.pk:
            raise ValidationError("That LMS account is not another record's.")
        if existing.pk in mine.not_duplicates:
            return mine
        before = snapshot(mine, ["not_duplicates"])
        mine.not_duplicates = [*mine.not_duplicates, existing.pk]
        mine.save(update_fields=["not_duplicates"])
        audit_record(
            action="training.lms_account_not_duplicate",
            actor=actor,
            continuum=continuum,
            obj=mine,
            before=before,
            after=snapshot(mine, ["not_duplicates"]),
            metadata={"other_account": existing.pk, "other_email": existing.email},
        )
    return mine


# --- LMS configuration -------------------------------------------------------------------------------
LMS_SETTING_FIELDS = [
    "provider",
    "base_url",
    "enabled",
    "poll_interval_minutes",
    "hourly_quota",
    "quota_share_percent",
    "burst_limit",
    "timeout_seconds",
    "batch_size",
    "date_format",
]


def lms_configuration_update(
    *, continuum: Continuum, actor: User | None, api_key: str = "", **changes: Any
) -> LmsConfiguration:
    """Change the CoC's LMS settings. The API key is write-only: stored encrypted, audited only as
    "changed", never returned to a page."""
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, "Only CoC administrators configure the LMS.")
    unknown = set(changes) - set(LMS_SETTING_FIELDS)
    if unknown:
        raise ValueError(f"Not an LMS setting: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        config, _ = LmsConfiguration.objects.select_for_update().get_or_create(continuum=continuum)
        before = snapshot(config, LMS_SETTING_FIELDS)
        for name, value in changes.items():
            setattr(config, name, value)
        if api_key.strip():
            config.set_api_key(api_key)
        if config.enabled and not config.is_usable:
            raise ValidationError("To turn the sync on, enter the portal address and an API key.")
        config.full_clean()
        after = snapshot(config, LMS_SETTING_FIELDS)
        if before == after and not api_key.strip():
            return config
        config.save()
        audit_record(
            action="training.lms_configuration_changed",
            actor=actor,
            continuum=continuum,
            obj=config,
            before=before,
            after=after,
            metadata={"api_key_changed": bool(api_key.strip())},
        )
    return config


# --- Bulk audit ----------------------------------------------------------------------------------------
def audit_bulk(
    *,
    continuum: Continuum,
    action: str,
    changes: list[tuple[Any, dict, dict]],
    metadata: dict | None = None,
    actor: User | None = None,
) -> None:
    """One audit row per state change, written in one statement (imports and syncs touch thousands
    of enrolments; one INSERT per row would dominate their run time). Same fields as audit_record."""
    if not changes:
        return
    content_type = ContentType.objects.get_for_model(Enrollment)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                occurred_at=now,
                actor=actor,
                actor_label=actor.email if actor is not None else "",
                continuum=continuum,
                action=action,
                object_type=content_type,
                object_id=str(obj.pk),
                # Not str(obj): that would load the person and the course once per row.
                object_repr=f"{type(obj).__name__} {obj.pk}",
                before=before,
                after=after,
                metadata=metadata or {},
            )
            for obj, before, after in changes
        ],
        batch_size=2000,
    )


def lms_connection_test(*, continuum: Continuum, actor: User) -> str:
    """One short call to the LMS with the saved settings; returns what a person should read."""
    from .lms.base import LmsError
    from .lms.registry import client_for

    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, "Only CoC administrators configure the LMS.")
    config = LmsConfiguration.objects.filter(continuum=continuum).first()
    if config is None or not config.is_usable:
        raise ValidationError("Save the portal address and an API key first.")
    try:
        courses = client_for(config, interactive=True).list_courses()
    except LmsError as exc:
        raise ValidationError(f"The LMS did not accept the test: {exc}") from exc
    known = set(
        Course.objects.filter(continuum=continuum)
        .exclude(lms_course_id="")
        .values_list("lms_course_id", flat=True)
    )
    found = {c.id for c in courses}
    missing = sorted(known - found)
    message = f"Connected: the LMS lists {len(courses)} course(s)."
    if missing:
        message += f" Catalog courses with LMS ids it does not know: {', '.join(missing[:10])}."
    return message


def lms_sync_request(*, continuum: Continuum, actor: User) -> None:
    """Queue a sync run now (the beat would run it within its poll interval anyway)."""
    from .tasks import lms_sync_continuum

    _require(actor, continuum, Capability.MANAGE_TRAINING, "Only the Help Desk starts the LMS sync.")
    config = LmsConfiguration.objects.filter(continuum=continuum).first()
    if config is None or not config.enabled:
        raise ValidationError("The LMS sync is off for this CoC.")
    audit_record(action="training.lms_sync_requested", actor=actor, continuum=continuum, obj=config)
    transaction.on_commit(lambda: lms_sync_continuum.delay(continuum.pk))


def enrollment_record_progress(
    *,
    continuum: Continuum,
    person: User,
    course: Course,
    percent: int,
    completed_at: dt.datetime | None = None,
    source: str = Enrollment.Source.STAFF,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Enrollment:
    """Record progress that did not come from the LMS (session attendance, a Help Desk correction).
    Same rules as the sync: progress only rises, completion is recorded once."""
    from .sync import _snap, merge_progress

    _require(actor, continuum, Capability.MANAGE_TRAINING, "Only the Help Desk records training progress.")
    if course.continuum_id != continuum.pk:
        raise ValidationError("That course belongs to another Continuum of Care.")
    if not 0 <= int(percent) <= 100:
        raise ValidationError("Progress must be between 0 and 100 %.")
    now = now or timezone.now()
    with transaction.atomic():
        account = LmsAccount.objects.filter(continuum=continuum, user=person).first()
        enrollment, _ = Enrollment.objects.select_for_update().get_or_create(
            continuum=continuum,
            user=person,
            course=course,
            defaults={
                "lms_account": account if course.is_lms_course else None,
                "state": Enrollment.State.AVAILABLE,
            },
        )
        before = _snap(enrollment)
        moved = merge_progress(
            enrollment,
            percent=int(percent),
            completed=completed_at is not None or int(percent) == 100,
            completed_at=completed_at,
            observed_at=now,
            source=source,
        )
        if moved:
            enrollment.save()
            audit_record(
                action="training.enrollment_progress",
                actor=actor,
                continuum=continuum,
                obj=enrollment,
                before=before,
                after=_snap(enrollment),
                metadata={"source": source},
            )
    if moved:
        learning_paths_refresh(continuum=continuum, user_ids=[person.pk], create=False)
        enrollment.refresh_from_db()
    return enrollment


# --- From an approved access request ------------------------------------------------------------
def learning_paths_for_request(*, access_request: Any) -> list[LearningPath]:
    """After approval: each approved person gets an LMS account record (by the agency e-mail on the
    request) and the learning path the request calls for — its projects (HUD type + funding), its
    CES roles (LA), read-only, HRS (requests of the CE team's queue), and credit for returning users
    whose earlier training covers the projects. Safe to run twice."""
    from access_requests.models import AccessRequest, Eligibility, HmisAccount, Queue, RequestStatus

    req = (
        AccessRequest.objects.select_related("continuum", "request_type", "decided_by")
        .prefetch_related("projects", "ces_roles", "people__user")
        .get(pk=access_request.pk)
    )
    if req.status != RequestStatus.APPROVED:
        return []
    continuum = req.continuum
    eligibility = req.request_type.eligibility
    known_user = eligibility in (Eligibility.RETURNING, Eligibility.CURRENT_AGENCY_USER)
    courses = list(Course.objects.filter(continuum=continuum).values_list("code", "category"))
    all_courses = frozenset(code for code, _ in courses)
    # People with current or recent access took the introduction and Data Management already; what
    # they still need is training for new project types (seed 001: "Access to Housing, Outreach,
    # and PATH-funded projects will require separate training").
    foundations = frozenset(
        code
        for code, category in courses
        if category in (Course.Category.FOUNDATION, Course.Category.DATA_MANAGEMENT)
    )
    paths = []
    for person in req.people.all():
        if person.user is None:
            continue
        try:
            lms_account_request(continuum=continuum, person=person.user, email=person.email)
        except ValidationError as error:
            # The request was approved with this address; the Help Desk sees why no account was made.
            audit_record(
                action="training.lms_account_refused",
                continuum=continuum,
                obj=req,
                metadata={"email": person.email, "reason": "; ".join(error.messages)},
            )
        had_access = (
            known_user or HmisAccount.objects.filter(continuum=continuum, email__iexact=person.email).exists()
        )
        if person.credited_training:
            credited = all_courses
        elif known_user:
            credited = foundations
        else:
            credited = frozenset()
        needs = lp.Needs(
            projects=project_needs(req.projects.all()),
            training_roles=frozenset(role.code for role in req.ces_roles.all()),
            read_only=req.read_only,
            hrs=eligibility == Eligibility.HRS or req.queue == Queue.CE_TEAM,
            new_user=not had_access,
            credited=credited,
        )
        path, _ = learning_path_assign(
            continuum=continuum,
            person=person.user,
            needs=needs,
            source=f"access_request:{req.pk}",
            actor=req.decided_by,
        )
        paths.append(path)
    return paths
