"""Learning path computation: a pure function of the CoC's catalog, a person's needs and their
progress. No database, no clock of its own, so it can be property-tested and called from anywhere
(the access-request approval calls it through `training.services.learning_path_assign`).

Rules (seed 001 for Chicago, seed 004 for Los Angeles):

- The standard path = the catalog's `everyone` courses + the `matching` courses for the person's
  projects and roles + the HRS courses when they need Coordinated Entry 1474 access. A project
  matches courses by its funding/program tags first (SSVF, PATH, HPCC …) and only when no tagged
  course exists by its HUD project type. HRS alone (no projects, no roles) means the HRS training
  *instead of* the standard path ("in addition to or instead of, depending on need").
- Read-only users take only the read-only alternate course(s).
- New-user-only courses (LA's HMIS 10) are skipped by returning users and count as met for them.
- Every prerequisite of a required course is required too (transitively). A "choose one of"
  bundle is one step; any member completed satisfies it. A course that `includes` another (509
  full class ⊃ first half) replaces it and completes it.
- The final-instructions course needs every other step, and is only on paths that lead to a
  sample client (not read-only, not only exempt programs such as HPCC, and only where the CoC uses
  a sample client at all).
- A step is *restricted* until each prerequisite step is completed or credited (or reached its
  minimum percentage), *available* once unlocked, *in progress* with a percentage, *completed* or
  *credited*. Progress is only ever read, never lowered: a restricted step keeps its percentage.
- Recency (only on paths that lead to a sample client): a completed project course must be at most
  N months old (default 3) and a foundation / data-management course M months (default 6) on the
  day of the sample client (`as_of`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FOUNDATION = "foundation"
DATA_MANAGEMENT = "data_management"
PROJECT = "project"
SPECIALIST = "specialist"
FINAL = "final"
CATEGORY_ORDER = {FOUNDATION: 0, DATA_MANAGEMENT: 1, PROJECT: 2, SPECIALIST: 3, FINAL: 4}

EVERYONE, MATCHING, READ_ONLY, HRS = "everyone", "matching", "read_only", "hrs"


class CatalogCycleError(ValueError):
    """The prerequisite graph has a cycle; configuration services refuse these before they exist."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("Prerequisites form a cycle: " + " → ".join(cycle))
        self.cycle = cycle


@dataclass(frozen=True)
class CatalogCourse:
    code: str
    name: str
    category: str = PROJECT
    applies_to: str = MATCHING
    kind: str = "self_paced"
    hud_project_types: frozenset[int] = frozenset()
    program_tags: frozenset[str] = frozenset()
    training_roles: frozenset[str] = frozenset()
    prerequisites: tuple[tuple[str, int], ...] = ()  # (course code, minimum percent)
    bundle: str | None = None
    read_only_alternate_of: str | None = None
    includes: str | None = None
    new_users_only: bool = False
    recency_months: int | None = None
    position: int = 100
    parts: tuple[str, ...] = ()
    # The LMS unit name of each part, in the same order (for the parts' progress; not a path input).
    part_units: tuple[str, ...] = field(default=(), compare=False)
    lms_course_id: str = ""
    duration_minutes: int | None = None
    led_by: str = ""


@dataclass(frozen=True)
class CatalogBundle:
    code: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Catalog:
    courses: Mapping[str, CatalogCourse]
    bundles: Mapping[str, CatalogBundle] = field(default_factory=dict)
    project_recency_months: int = 3
    foundation_recency_months: int = 6
    sample_client_required: bool = True
    sample_client_exempt_tags: frozenset[str] = frozenset()

    def window_for(self, course: CatalogCourse) -> int | None:
        if course.recency_months:
            return course.recency_months
        if course.category == PROJECT:
            return self.project_recency_months
        if course.category in (FOUNDATION, DATA_MANAGEMENT):
            return self.foundation_recency_months
        return None


@dataclass(frozen=True)
class ProjectNeed:
    """One HMIS project the person will work in: its HUD type and funding/program tags."""

    hud_project_type: int | None = None
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Catalog tags are upper case (PATH, SSVF); callers may not be.
        object.__setattr__(self, "tags", frozenset(str(t).strip().upper() for t in self.tags))


@dataclass(frozen=True)
class Needs:
    projects: tuple[ProjectNeed, ...] = ()
    training_roles: frozenset[str] = frozenset()
    read_only: bool = False
    hrs: bool = False
    new_user: bool = True
    credited: frozenset[str] = frozenset()  # course or bundle codes credited to a returning user

    def to_json(self) -> dict[str, Any]:
        return {
            "projects": [
                {"hud_project_type": p.hud_project_type, "tags": sorted(p.tags)} for p in self.projects
            ],
            "training_roles": sorted(self.training_roles),
            "read_only": self.read_only,
            "hrs": self.hrs,
            "new_user": self.new_user,
            "credited": sorted(self.credited),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Needs:
        data = data or {}
        return cls(
            projects=tuple(
                ProjectNeed(
                    hud_project_type=p.get("hud_project_type"),
                    tags=frozenset(str(t).upper() for t in p.get("tags") or ()),
                )
                for p in data.get("projects") or ()
            ),
            training_roles=frozenset(data.get("training_roles") or ()),
            read_only=bool(data.get("read_only")),
            hrs=bool(data.get("hrs")),
            new_user=bool(data.get("new_user", True)),
            credited=frozenset(data.get("credited") or ()),
        )


@dataclass(frozen=True)
class Progress:
    percent: int = 0
    completed_at: dt.datetime | None = None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None or self.percent >= 100


class StepState(StrEnum):
    RESTRICTED = "restricted"
    AVAILABLE = "available"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CREDITED = "credited"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


SATISFIED = frozenset({StepState.COMPLETED, StepState.CREDITED})


@dataclass(frozen=True)
class Recency:
    window_months: int
    completed_at: dt.datetime
    valid_until: dt.date
    ok: bool


@dataclass(frozen=True)
class Step:
    key: str  # the course code, or "bundle:<code>" for a choose-one step
    title: str
    category: str
    options: tuple[str, ...]  # course codes: one for a course, the members for a bundle
    chosen: str | None
    state: StepState
    percent: int
    completed_at: dt.datetime | None
    requires: tuple[str, ...]
    unlocks: tuple[str, ...]
    waiting_for: tuple[str, ...]
    recency: Recency | None = None

    @property
    def is_bundle(self) -> bool:
        return self.key.startswith("bundle:")

    @property
    def satisfied(self) -> bool:
        return self.state in SATISFIED


@dataclass(frozen=True)
class LearningPathResult:
    steps: tuple[Step, ...]
    needs_sample_client: bool
    as_of: dt.date

    @property
    def is_complete(self) -> bool:
        return all(s.satisfied for s in self.steps)

    @property
    def percent_complete(self) -> int:
        if not self.steps:
            return 100
        return round(sum(100 if s.satisfied else s.percent for s in self.steps) / len(self.steps))

    @property
    def next_step(self) -> Step | None:
        for wanted in (StepState.IN_PROGRESS, StepState.AVAILABLE):
            for step in self.steps:
                if step.state == wanted:
                    return step
        return None

    @property
    def recency_problems(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.recency is not None and not s.recency.ok)

    @property
    def ready_for_sample_client(self) -> bool:
        return self.needs_sample_client and self.is_complete and not self.recency_problems

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def step_for_course(self, code: str) -> Step | None:
        return next((s for s in self.steps if code in s.options), None)

    @property
    def course_codes(self) -> frozenset[str]:
        return frozenset(c for s in self.steps for c in s.options)


# --- helpers ---------------------------------------------------------------------------------------------
def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in `course → its prerequisites`, as a list of codes ending where it started."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    for root in sorted(edges):
        if colour.get(root, white) != white:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        path = [root]
        colour[root] = grey
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = black
                stack.pop()
                path.pop()
                continue
            state = colour.get(child, white)
            if state == grey:
                return path[path.index(child) :] + [child]
            if state == white:
                colour[child] = grey
                path.append(child)
                stack.append((child, iter(sorted(edges.get(child, ())))))
    return None


def step_graph(
    edges: Mapping[str, Iterable[str]], bundle_of: Mapping[str, str | None]
) -> dict[str, set[str]]:
    """The prerequisite graph as paths see it: the members of a "choose one" bundle are one node,
    so a member that (through other courses) requires another member of its bundle is a cycle."""

    def node(code: str) -> str:
        bundle = bundle_of.get(code)
        return f"bundle:{bundle}" if bundle else code

    graph: dict[str, set[str]] = {}
    for course, requirements in edges.items():
        for requirement in requirements:
            graph.setdefault(node(course), set()).add(node(requirement))
    return graph


def catalog_cycle(catalog: Catalog) -> list[str] | None:
    edges = {
        code: [p for p, _ in c.prerequisites if p in catalog.courses] for code, c in catalog.courses.items()
    }
    bundle_of = {
        code: c.bundle if c.bundle in catalog.bundles else None for code, c in catalog.courses.items()
    }
    return find_cycle(step_graph(edges, bundle_of))


def _matching_courses(catalog: Catalog, needs: Needs) -> set[str]:
    candidates = [c for c in catalog.courses.values() if c.applies_to == MATCHING]
    chosen: set[str] = set()
    for project in needs.projects:
        by_tag = {c.code for c in candidates if c.program_tags & project.tags}
        if by_tag:
            chosen |= by_tag
        elif project.hud_project_type is not None:
            chosen |= {c.code for c in candidates if project.hud_project_type in c.hud_project_types}
    if needs.training_roles:
        chosen |= {c.code for c in candidates if c.training_roles & needs.training_roles}
    return chosen


def needs_sample_client(catalog: Catalog, needs: Needs) -> bool:
    if not catalog.sample_client_required or needs.read_only:
        return False
    if not needs.projects:
        return bool(needs.training_roles)
    return any(not (p.tags & catalog.sample_client_exempt_tags) for p in needs.projects)


def required_courses(catalog: Catalog, needs: Needs) -> tuple[set[str], set[str]]:
    """(course codes on the path, course codes treated as met without being taken)."""
    courses = catalog.courses
    waived = {c.code for c in courses.values() if c.new_users_only and not needs.new_user}
    hrs = {c.code for c in courses.values() if c.applies_to == HRS} if needs.hrs else set()
    if needs.read_only:
        chosen = {c.code for c in courses.values() if c.applies_to == READ_ONLY} | hrs
    elif needs.hrs and not needs.projects and not needs.training_roles:
        chosen = set(hrs)
    else:
        chosen = {c.code for c in courses.values() if c.applies_to == EVERYONE}
        chosen |= _matching_courses(catalog, needs) | hrs
        if not needs_sample_client(catalog, needs):
            chosen = {c for c in chosen if courses[c].category != FINAL}
    chosen -= waived
    # Close over prerequisites.
    pending = list(chosen)
    while pending:
        code = pending.pop()
        for prerequisite, _ in courses[code].prerequisites:
            if prerequisite in courses and prerequisite not in chosen and prerequisite not in waived:
                chosen.add(prerequisite)
                pending.append(prerequisite)
    # A course that includes another one replaces it.
    for code in list(chosen):
        included = courses[code].includes
        if included in chosen:
            chosen.discard(included)
    return chosen, waived


# --- the computation -----------------------------------------------------------------------------------
def compute_learning_path(
    catalog: Catalog,
    needs: Needs,
    progress: Mapping[str, Progress] | None = None,
    *,
    as_of: dt.date,
) -> LearningPathResult:
    progress = progress or {}
    courses = catalog.courses
    chosen, waived = required_courses(catalog, needs)

    # Effective progress: a course's own, or that of a completed course that includes it.
    effective: dict[str, Progress] = {code: progress.get(code, Progress()) for code in courses}
    for code, course in courses.items():
        included = course.includes
        if included in effective and effective[code].completed and not effective[included].completed:
            effective[included] = Progress(100, effective[code].completed_at)
    # Courses replaced by an including course point at it, for prerequisites.
    replaced_by = {courses[c].includes: c for c in chosen if courses[c].includes}

    # Steps: one per course, one per bundle.
    step_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for code in chosen:
        bundle = courses[code].bundle
        key = f"bundle:{bundle}" if bundle and bundle in catalog.bundles else code
        step_of[code] = key
        members.setdefault(key, []).append(code)
    for key, codes in members.items():
        if key.startswith("bundle:"):
            bundle_code = key.split(":", 1)[1]
            everyone = [c.code for c in courses.values() if c.bundle == bundle_code]
            members[key] = sorted(
                set(codes) | set(everyone), key=lambda c: (courses[c].position, courses[c].name)
            )

    def step_key_for(code: str) -> str | None:
        code = replaced_by.get(code, code)
        return step_of.get(code)

    requires: dict[str, dict[str, int]] = {key: {} for key in members}
    for key, codes in members.items():
        for code in codes:
            for prerequisite, min_percent in courses[code].prerequisites:
                if prerequisite in waived or prerequisite not in courses:
                    continue
                target = step_key_for(prerequisite)
                if target is None or target == key:
                    continue
                requires[key][target] = max(requires[key].get(target, 0), min_percent)
    finals = [k for k, codes in members.items() if courses[codes[0]].category == FINAL]
    for key in finals:
        for other in members:
            if other not in finals:
                requires[key][other] = 100

    order = _topological(members, requires, courses)

    credited = set(needs.credited)
    sample_client = needs_sample_client(catalog, needs)
    states: dict[str, Step] = {}
    for key in order:
        codes = members[key]
        is_bundle = key.startswith("bundle:")
        bundle_code = key.split(":", 1)[1] if is_bundle else None
        ranked = sorted(
            codes,
            key=lambda c: (effective[c].completed, effective[c].percent, -courses[c].position),
            reverse=True,
        )
        best = ranked[0]
        chosen_member = best if effective[best].percent > 0 or effective[best].completed else None
        best_progress = effective[best]
        percent = 100 if best_progress.completed else best_progress.percent
        waiting = tuple(
            dep
            for dep, min_percent in sorted(requires[key].items())
            if not (states[dep].satisfied or (min_percent < 100 and states[dep].percent >= min_percent))
        )
        if bundle_code in credited or any(c in credited for c in codes):
            state = StepState.CREDITED
        elif best_progress.completed:
            state = StepState.COMPLETED
        elif waiting:
            state = StepState.RESTRICTED
        elif percent > 0:
            state = StepState.IN_PROGRESS
        else:
            state = StepState.AVAILABLE
        recency = None
        if sample_client and state == StepState.COMPLETED and best_progress.completed_at is not None:
            window = catalog.window_for(courses[best])
            if window:
                valid_until = add_months(best_progress.completed_at.date(), window)
                recency = Recency(window, best_progress.completed_at, valid_until, as_of <= valid_until)
        title = catalog.bundles[bundle_code].name if is_bundle else courses[best].name
        states[key] = Step(
            key=key,
            title=title,
            category=courses[codes[0]].category,
            options=tuple(codes),
            chosen=chosen_member if is_bundle else best,
            state=state,
            percent=percent,
            completed_at=best_progress.completed_at if best_progress.completed else None,
            requires=tuple(sorted(requires[key])),
            unlocks=(),
            waiting_for=waiting,
            recency=recency,
        )
    unlocks: dict[str, list[str]] = {key: [] for key in order}
    for key in order:
        for dep in requires[key]:
            unlocks[dep].append(key)
    steps = tuple(
        _replace_unlocks(states[key], tuple(k for k in order if k in unlocks[key])) for key in order
    )
    return LearningPathResult(steps=steps, needs_sample_client=sample_client, as_of=as_of)


def _replace_unlocks(step: Step, unlocks: tuple[str, ...]) -> Step:
    from dataclasses import replace

    return replace(step, unlocks=unlocks)


def _topological(
    members: Mapping[str, list[str]],
    requires: Mapping[str, Mapping[str, int]],
    courses: Mapping[str, CatalogCourse],
) -> list[str]:
    def rank(key: str) -> tuple[int, int, str]:
        first = courses[members[key][0]]
        return (CATEGORY_ORDER.get(first.category, 9), min(courses[c].position for c in members[key]), key)

    remaining = {key: set(deps) for key, deps in requires.items()}
    heap = [(rank(k), k) for k, deps in remaining.items() if not deps]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, key = heapq.heappop(heap)
        order.append(key)
        for other, deps in remaining.items():
            if key in deps:
                deps.discard(key)
                if not deps:
                    heapq.heappush(heap, (rank(other), other))
    if len(order) != len(members):
        cycle = find_cycle({k: v for k, v in remaining.items() if v}) or sorted(set(members) - set(order))
        raise CatalogCycleError(cycle)
    return order
