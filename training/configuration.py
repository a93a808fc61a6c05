"""The course catalog as CoC administrators edit it: courses (who takes them, HUD project types,
recency windows, "includes" and read-only alternates), their parts, "choose one of" bundles and
the CoC's training policy. Prerequisites are added and removed by `training.services`
(prerequisite_add / prerequisite_remove), which refuse cycles the same way.

Every write: guard first, one transaction holding the CoC row (one catalog change at a time, so
two concurrent edits cannot close a cycle), `full_clean`, an audit event with before → after, and
after commit a recompute of the CoC's learning paths (`learning_paths_refresh`, which adds missing
enrolments and updates states but never removes progress or un-completes a course).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.models import Continuum, HudProjectType
from hmis_onboarding.audit import audit_record, audited_save, audited_update, snapshot
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability

from . import path as lp
from .catalog_version import catalog_changed
from .models import Course, CourseBundle, CoursePart, TrainingPolicy
from .services import _bundle_of, _readable_cycle, _require, learning_paths_refresh, prerequisite_edges

COURSE_EDIT_FIELDS = [
    "name",
    "description",
    "kind",
    "category",
    "applies_to",
    "lms_course_id",
    "hud_project_types",
    "program_tags",
    "training_roles",
    "bundle",
    "read_only_alternate_of",
    "includes",
    "new_users_only",
    "recency_months",
    "duration_minutes",
    "led_by",
    "position",
    "is_active",
]
BUNDLE_FIELDS = ["name", "description"]
POLICY_FIELDS = [
    "project_course_recency_months",
    "foundation_recency_months",
    "training_expires_after_months",
    "stalled_after_days",
    "corrections_reminder_days",
    "sample_client_required",
    "sample_client_exempt_tags",
]
REFUSAL = "Only the CoC's administrators change the course catalog."


def _refuse_unknown(given: dict[str, Any], allowed: list[str], what: str) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"Not a {what} field: {', '.join(sorted(unknown))}")


def _refresh_after_commit(continuum: Continuum) -> None:
    transaction.on_commit(lambda: learning_paths_refresh(continuum=continuum))


def _check_links(continuum: Continuum, course: Course) -> None:
    """Refuse a catalog the learning paths could never complete: prerequisite cycles (a bundle's
    members count as one step, so joining a bundle can close one) and "includes" loops."""
    edges = prerequisite_edges(continuum)
    bundle_of = _bundle_of(continuum)
    bundle_of[course.code] = course.bundle.code if course.bundle_id else None
    cycle = lp.find_cycle(lp.step_graph(edges, bundle_of))
    if cycle:
        raise ValidationError(
            {
                "bundle": f"With this bundle the prerequisites would form a cycle "
                f"({_readable_cycle(continuum, cycle)}), and nobody could ever start these courses."
            }
        )
    seen = {course.pk}
    current = course.includes
    chain = [course.name]
    while current is not None:
        chain.append(current.name)
        if current.pk in seen:
            raise ValidationError(
                {"includes": f"Courses cannot include each other in a loop ({' → '.join(chain)})."}
            )
        seen.add(current.pk)
        current = current.includes
    if course.read_only_alternate_of_id and course.read_only_alternate_of_id == course.pk:
        raise ValidationError({"read_only_alternate_of": "A course cannot be its own alternate."})


def course_save(
    *, continuum: Continuum, actor: User | None, course: Course | None = None, code: str = "", **fields: Any
) -> Course:
    """Add a course (course=None, with its `code`) or change one. Its code never changes: shipped
    configuration files and LMS imports refer to it."""
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, REFUSAL)
    _refuse_unknown(fields, COURSE_EDIT_FIELDS, "course")
    for name in ("program_tags", "training_roles"):
        if name in fields:
            fields[name] = [" ".join(str(v).split()) for v in fields[name] or [] if str(v).strip()]
    if "hud_project_types" in fields:
        types = sorted({int(t) for t in fields["hud_project_types"] or []})
        if any(t not in HudProjectType.values for t in types):
            raise ValidationError({"hud_project_types": "Use HUD project type codes."})
        fields["hud_project_types"] = types
    with transaction.atomic():
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        if course is None:
            if Course.objects.filter(continuum=continuum, code=code).exists():
                raise ValidationError({"code": f"A course with the code “{code}” already exists."})
            locked = Course(continuum=continuum, code=code)
            before: dict[str, Any] = {}
        else:
            locked = Course.objects.select_for_update().get(pk=course.pk, continuum=continuum)
            before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        if locked.lms_course_id:
            twin = (
                Course.objects.filter(continuum=continuum, lms_course_id=locked.lms_course_id)
                .exclude(pk=locked.pk)
                .first()
            )
            if twin is not None:
                raise ValidationError({"lms_course_id": f"“{twin.name}” already uses this LMS course id."})
        locked.full_clean()
        _check_links(continuum, locked)
        changed = audited_save(
            locked,
            list(fields),
            before,
            created=course is None,
            action="training.course",
            actor=actor,
            continuum=continuum,
            created_extra={"code": code},
        )
        if changed:
            _refresh_after_commit(continuum)
    return locked


def course_parts_save(*, course: Course, actor: User | None, parts: list[dict[str, Any]]) -> list[CoursePart]:
    """Replace a course's parts with `parts` (in order: title, LMS unit name, topics)."""
    continuum = course.continuum
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, REFUSAL)
    cleaned = []
    for item in parts:
        title = " ".join(str(item.get("title", "")).split())
        if not title:
            raise ValidationError("Every part needs a title.")
        cleaned.append(
            {
                "title": title[:200],
                "lms_unit_name": " ".join(str(item.get("lms_unit_name", "")).split())[:200],
                "topics": [str(t).strip() for t in item.get("topics", []) if str(t).strip()],
            }
        )
    titles = [p["title"].lower() for p in cleaned]
    if len(set(titles)) != len(titles):
        raise ValidationError("Two parts have the same title.")
    with transaction.atomic():
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        locked = Course.objects.select_for_update().get(pk=course.pk, continuum=continuum)
        existing = list(CoursePart.objects.filter(course=locked).order_by("position"))
        before = [{"title": p.title, "lms_unit_name": p.lms_unit_name, "topics": p.topics} for p in existing]
        if before == cleaned:
            return existing
        CoursePart.objects.filter(course=locked).delete()
        created = CoursePart.objects.bulk_create(
            [
                CoursePart(continuum=continuum, course=locked, position=n, **item)
                for n, item in enumerate(cleaned, 1)
            ]
        )
        catalog_changed(continuum.pk)  # bulk_create sends no post_save: the pages' snapshot must follow
        audit_record(
            action="training.course_parts_changed",
            actor=actor,
            continuum=continuum,
            obj=locked,
            before={"parts": [p["title"] for p in before]},
            after={"parts": [p["title"] for p in cleaned]},
        )
        _refresh_after_commit(continuum)
    return created


def bundle_save(
    *,
    continuum: Continuum,
    actor: User | None,
    bundle: CourseBundle | None = None,
    code: str = "",
    **fields: Any,
) -> CourseBundle:
    """Add a "choose one of" bundle (bundle=None, with its `code`) or rename / redescribe one.
    Courses join a bundle from their own page."""
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, REFUSAL)
    _refuse_unknown(fields, BUNDLE_FIELDS, "bundle")
    if "name" in fields:
        fields["name"] = " ".join(str(fields["name"]).split())
    with transaction.atomic():
        Continuum.objects.select_for_update().get(pk=continuum.pk)
        if bundle is None:
            if CourseBundle.objects.filter(continuum=continuum, code=code).exists():
                raise ValidationError({"code": f"A bundle with the code “{code}” already exists."})
            locked = CourseBundle(continuum=continuum, code=code)
            before: dict[str, Any] = {}
        else:
            locked = CourseBundle.objects.select_for_update().get(pk=bundle.pk, continuum=continuum)
            before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        changed = audited_save(
            locked,
            list(fields),
            before,
            created=bundle is None,
            action="training.bundle",
            actor=actor,
            continuum=continuum,
            created_extra={"code": code},
        )
        if changed:
            _refresh_after_commit(continuum)
    return locked


def training_policy_update(*, continuum: Continuum, actor: User | None, **changes: Any) -> TrainingPolicy:
    """Change the CoC's recency windows and other training rules."""
    _require(actor, continuum, Capability.CONFIGURE_CONTINUUM, REFUSAL)
    _refuse_unknown(changes, POLICY_FIELDS, "training policy")
    if "sample_client_exempt_tags" in changes:
        changes["sample_client_exempt_tags"] = [
            str(t).strip().upper() for t in changes["sample_client_exempt_tags"] or [] if str(t).strip()
        ]
    with transaction.atomic():
        TrainingPolicy.objects.get_or_create(continuum=continuum)
        policy = TrainingPolicy.objects.select_for_update().get(continuum=continuum)
        changed = audited_update(
            policy,
            changes,
            action="training.policy_changed",
            actor=actor,
            continuum=continuum,
            clean_exclude=["continuum"],
        )
        if changed:
            _refresh_after_commit(continuum)
    return policy
