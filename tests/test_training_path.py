"""Learning path computation (pure): what each person takes, in what order, and what unlocks what."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from training import path as lp
from training.path import Needs, Progress, ProjectNeed, StepState

from .training_helpers import catalog_from_spec

CHICAGO = catalog_from_spec("chicago")
LA = catalog_from_spec("los-angeles")
TODAY = dt.date(2026, 3, 2)


def at(days_ago: int) -> dt.datetime:
    return dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(days=days_ago)


def done(days_ago: int = 1) -> Progress:
    return Progress(100, at(days_ago))


def needs(*projects, **kwargs) -> Needs:
    return Needs(projects=tuple(ProjectNeed(t, frozenset(tags)) for t, tags in projects), **kwargs)


def compute(catalog, person_needs, progress=None, as_of=TODAY):
    return lp.compute_learning_path(catalog, person_needs, progress or {}, as_of=as_of)


# --- Chicago (seed 001) --------------------------------------------------------------------------------
def test_it_orders_the_chicago_steps_and_restricts_project_courses_until_intro_is_complete():
    path = compute(CHICAGO, needs((1, ())))
    assert [s.key for s in path.steps] == [
        "intro-to-hmis",
        "data-management",
        "es-th-sh",
        "sample-client-instructions",
    ]
    states = {s.key: s.state for s in path.steps}
    assert states["intro-to-hmis"] == StepState.AVAILABLE
    assert states["es-th-sh"] == StepState.RESTRICTED
    assert path.step("es-th-sh").waiting_for == ("intro-to-hmis",)
    assert set(path.step("intro-to-hmis").unlocks) >= {"data-management", "es-th-sh"}
    assert path.next_step.key == "intro-to-hmis"


def test_it_keeps_a_project_course_restricted_at_99_percent_of_intro_and_unlocks_it_at_100():
    almost = compute(CHICAGO, needs((1, ())), {"intro-to-hmis": Progress(99)})
    assert almost.step("intro-to-hmis").state == StepState.IN_PROGRESS
    assert almost.step("es-th-sh").state == StepState.RESTRICTED
    unlocked = compute(CHICAGO, needs((1, ())), {"intro-to-hmis": done()})
    assert unlocked.step("es-th-sh").state == StepState.AVAILABLE
    assert unlocked.step("data-management").state == StepState.AVAILABLE


def test_it_opens_the_final_instructions_only_when_every_other_step_is_done():
    progress = {"intro-to-hmis": done(), "data-management": done(), "es-th-sh": Progress(50)}
    path = compute(CHICAGO, needs((1, ())), progress)
    assert path.step("sample-client-instructions").state == StepState.RESTRICTED
    assert path.step("sample-client-instructions").waiting_for == ("es-th-sh",)
    progress["es-th-sh"] = done()
    path = compute(CHICAGO, needs((1, ())), progress)
    assert path.step("sample-client-instructions").state == StepState.AVAILABLE
    assert not path.is_complete
    progress["sample-client-instructions"] = done()
    path = compute(CHICAGO, needs((1, ())), progress)
    assert path.is_complete and path.ready_for_sample_client and path.percent_complete == 100


def test_it_offers_families_or_singles_as_one_choose_one_step():
    path = compute(CHICAGO, needs((3, ()), (13, ())))
    bundle = path.step("bundle:psh-rrh")
    assert bundle.options == ("families-ph-rrh", "singles-ph-rrh")
    assert bundle.chosen is None and bundle.state == StepState.RESTRICTED
    progress = {"intro-to-hmis": done(), "singles-ph-rrh": Progress(30)}
    path = compute(CHICAGO, needs((3, ())), progress)
    assert path.step("bundle:psh-rrh").chosen == "singles-ph-rrh"
    assert path.step("bundle:psh-rrh").state == StepState.IN_PROGRESS
    progress["singles-ph-rrh"] = done()
    path = compute(CHICAGO, needs((3, ())), progress)
    assert path.step("bundle:psh-rrh").state == StepState.COMPLETED
    # Only one of the two is ever required.
    assert "families-ph-rrh" not in {s.chosen for s in path.steps}


def test_it_gives_read_only_users_only_the_alternate_intro():
    path = compute(CHICAGO, needs((1, ()), read_only=True))
    assert [s.key for s in path.steps] == ["intro-to-hmis-read-only"]
    assert not path.needs_sample_client


def test_it_matches_funding_tags_before_project_types():
    ssvf_rrh = compute(CHICAGO, needs((13, ("SSVF",))))
    keys = {s.key for s in ssvf_rrh.steps}
    assert "ssvf" in keys and "bundle:psh-rrh" not in keys
    path_outreach = compute(CHICAGO, needs((4, ("PATH",))))
    assert "outreach-path" in {s.key for s in path_outreach.steps}
    plain_outreach = compute(CHICAGO, needs((4, ())))
    assert "outreach-path" in {s.key for s in plain_outreach.steps}


def test_it_skips_the_sample_client_for_exempt_programs_only():
    hpcc = compute(CHICAGO, needs((12, ("HPCC",))))
    assert {s.key for s in hpcc.steps} == {"intro-to-hmis", "data-management", "hpcc-review"}
    assert not hpcc.needs_sample_client
    mixed = compute(CHICAGO, needs((12, ("HPCC",)), (1, ())))
    assert mixed.needs_sample_client and "sample-client-instructions" in {s.key for s in mixed.steps}


def test_it_adds_hrs_training_in_addition_to_or_instead_of_the_standard_path():
    both = compute(CHICAGO, needs((4, ()), hrs=True))
    assert {"hrs-training", "outreach-path", "intro-to-hmis"} <= {s.key for s in both.steps}
    only = compute(CHICAGO, needs(hrs=True))
    assert [s.key for s in only.steps] == ["hrs-training"]


def test_it_requires_the_housing_system_navigator_training_for_hsn_projects():
    path = compute(CHICAGO, needs((6, ("HSN",))))
    assert {"housing-system-navigation", "hsn-training"} <= {s.key for s in path.steps}


# --- Bypass / credit -----------------------------------------------------------------------------------
def test_it_credits_courses_for_qualified_returning_users_and_unlocks_what_follows():
    path = compute(CHICAGO, needs((1, ()), credited=frozenset({"intro-to-hmis", "data-management"})))
    assert path.step("intro-to-hmis").state == StepState.CREDITED
    assert path.step("data-management").state == StepState.CREDITED
    assert path.step("es-th-sh").state == StepState.AVAILABLE
    assert path.next_step.key == "es-th-sh"


def test_it_credits_a_whole_bundle():
    path = compute(CHICAGO, needs((3, ()), credited=frozenset({"psh-rrh", "intro-to-hmis"})))
    assert path.step("bundle:psh-rrh").state == StepState.CREDITED


# --- Los Angeles (seed 004) ----------------------------------------------------------------------------
def test_it_builds_la_paths_from_roles():
    navigator = compute(LA, needs(training_roles=frozenset({"housing-navigator"})))
    assert [s.key for s in navigator.steps] == ["hmis-10", "hmis-509-full"]
    assert navigator.step("hmis-509-full").state == StepState.RESTRICTED
    provider = compute(LA, needs(training_roles=frozenset({"housing-provider"})))
    assert [s.key for s in provider.steps] == ["hmis-511"]
    matcher = compute(LA, needs(training_roles=frozenset({"community-matcher"})))
    assert [s.key for s in matcher.steps] == ["hmis-10", "hmis-509-full", "hmis-510"]
    assert not matcher.needs_sample_client


def test_it_skips_hmis_10_for_returning_users_and_counts_it_as_met():
    path = compute(LA, needs(training_roles=frozenset({"outreach"}), new_user=False))
    assert [s.key for s in path.steps] == ["hmis-102"]
    assert path.step("hmis-102").state == StepState.AVAILABLE


def test_it_lets_the_509_full_class_replace_and_complete_the_first_half():
    both = compute(LA, needs(training_roles=frozenset({"assessment-only", "housing-navigator"})))
    keys = [s.key for s in both.steps]
    assert "hmis-509-full" in keys and "hmis-509-half" not in keys
    half_only = compute(
        LA, needs(training_roles=frozenset({"assessment-only"})), {"hmis-10": done(), "hmis-509-full": done()}
    )
    assert half_only.step("hmis-509-half").state == StepState.COMPLETED


# --- Recency windows -----------------------------------------------------------------------------------
def test_it_flags_a_project_course_older_than_three_months_before_the_sample_client():
    progress = {
        "intro-to-hmis": done(100),
        "data-management": done(100),
        "es-th-sh": done(95),
        "sample-client-instructions": done(1),
    }
    path = compute(CHICAGO, needs((1, ())), progress)
    assert path.is_complete
    assert [s.key for s in path.recency_problems] == ["es-th-sh"]
    assert path.step("es-th-sh").recency.window_months == 3
    assert not path.ready_for_sample_client
    # Scheduling the sample client earlier (within the window) makes it fine.
    earlier = compute(CHICAGO, needs((1, ())), progress, as_of=TODAY - dt.timedelta(days=10))
    assert earlier.ready_for_sample_client


def test_it_allows_six_months_for_intro_and_data_management():
    progress = {
        "intro-to-hmis": done(170),
        "data-management": done(170),
        "es-th-sh": done(10),
        "sample-client-instructions": done(1),
    }
    assert compute(CHICAGO, needs((1, ())), progress).ready_for_sample_client
    progress["intro-to-hmis"] = done(200)
    path = compute(CHICAGO, needs((1, ())), progress)
    assert [s.key for s in path.recency_problems] == ["intro-to-hmis"]
    # The course stays completed: an old completion is flagged, never erased.
    assert path.step("intro-to-hmis").state == StepState.COMPLETED


def test_it_applies_no_recency_window_where_there_is_no_sample_client():
    path = compute(LA, needs(training_roles=frozenset({"housing-provider"})), {"hmis-511": done(400)})
    assert path.is_complete and not path.recency_problems


def test_add_months_clamps_to_the_end_of_the_month():
    assert lp.add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert lp.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert lp.add_months(dt.date(2024, 11, 29), 3) == dt.date(2025, 2, 28)


# --- Property-based tests of the prerequisite DAG --------------------------------------------------------
@st.composite
def random_catalogs(draw):
    """Random acyclic catalogs: course i may only require courses j < i, so no cycle can form."""
    n = draw(st.integers(min_value=1, max_value=9))
    codes = [f"c{i}" for i in range(n)]
    bundle_members = draw(st.sets(st.sampled_from(codes), max_size=3)) if n > 2 else set()
    courses = {}
    for i, code in enumerate(codes):
        earlier = codes[:i]
        prerequisites = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        mins = [draw(st.sampled_from([100, 100, 50])) for _ in prerequisites]
        courses[code] = lp.CatalogCourse(
            code=code,
            name=code.upper(),
            category=draw(st.sampled_from(["foundation", "project", "specialist"])),
            applies_to=draw(st.sampled_from(["everyone", "matching"])),
            hud_project_types=frozenset(draw(st.sets(st.sampled_from([0, 1, 3, 4]), max_size=2))),
            prerequisites=tuple(zip(prerequisites, mins, strict=True)),
            bundle="b" if code in bundle_members else None,
            position=i,
        )
    bundles = {"b": lp.CatalogBundle("b", "Choose one")} if bundle_members else {}
    catalog = lp.Catalog(courses=courses, bundles=bundles)
    # Configuration refuses catalogs whose bundle members depend on each other (a cycle once the
    # bundle is one step); see test_training_catalog.py.
    assume(lp.catalog_cycle(catalog) is None)
    return catalog


@st.composite
def progress_maps(draw, codes):
    progress = {}
    for code in draw(st.sets(st.sampled_from(sorted(codes)))):
        percent = draw(st.sampled_from([0, 10, 50, 99, 100]))
        progress[code] = Progress(percent, at(5) if percent == 100 else None)
    return progress


@st.composite
def scenarios(draw):
    catalog = draw(random_catalogs())
    person = Needs(
        projects=tuple(ProjectNeed(t) for t in draw(st.sets(st.sampled_from([0, 1, 3, 4]), max_size=2))),
        credited=frozenset(draw(st.sets(st.sampled_from(sorted(catalog.courses)), max_size=2))),
    )
    return catalog, person, draw(progress_maps(catalog.courses))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_course_is_never_available_before_all_its_prerequisites_are_complete(scenario):
    catalog, person, progress = scenario
    path = compute(catalog, person, progress)
    by_key = {s.key: s for s in path.steps}
    order = [s.key for s in path.steps]
    for step in path.steps:
        # Every prerequisite comes earlier in the order.
        assert all(order.index(dep) < order.index(step.key) for dep in step.requires)
        if step.state in (StepState.AVAILABLE, StepState.IN_PROGRESS):
            for code in step.options:
                for prerequisite, min_percent in catalog.courses[code].prerequisites:
                    target = next((s for s in path.steps if prerequisite in s.options), None)
                    if target is None or target.key == step.key:
                        continue
                    assert target.satisfied or (min_percent < 100 and target.percent >= min_percent), (
                        step.key,
                        prerequisite,
                    )
        if step.waiting_for:
            assert step.state in (StepState.RESTRICTED, StepState.COMPLETED, StepState.CREDITED)
            assert all(not by_key[k].satisfied for k in step.waiting_for)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_recomputing_a_path_never_loses_progress(scenario, data):
    catalog, person, progress = scenario
    first = compute(catalog, person, progress)
    # The person's needs change (new request) and they are recomputed with the same progress.
    changed = Needs(
        projects=tuple(ProjectNeed(t) for t in data.draw(st.sets(st.sampled_from([0, 1, 3, 4]), max_size=2))),
        credited=person.credited,
    )
    second = compute(catalog, changed, progress)
    for result in (first, second):
        for step in result.steps:
            best = max(
                (100 if progress.get(c, Progress()).completed else progress.get(c, Progress()).percent)
                for c in step.options
            )
            assert step.percent >= best
            if any(progress.get(c, Progress()).completed for c in step.options):
                assert step.state in (StepState.COMPLETED, StepState.CREDITED)
    # A course on both paths shows the same progress both times.
    for step in first.steps:
        again = next((s for s in second.steps if s.key == step.key), None)
        if again is not None:
            assert again.percent == step.percent
            assert again.satisfied == step.satisfied


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.sets(st.sampled_from("abcdef"), max_size=3), max_size=6))
def test_find_cycle_finds_a_cycle_exactly_when_there_is_one(edges):
    cycle = lp.find_cycle(edges)
    # Kahn's algorithm as the oracle.
    nodes = set(edges) | {n for deps in edges.values() for n in deps}
    remaining = {n: set(edges.get(n, ())) for n in nodes}
    progress = True
    while progress:
        progress = False
        for node, deps in list(remaining.items()):
            if not deps - {None}:
                del remaining[node]
                for other in remaining.values():
                    other.discard(node)
                progress = True
    assert (cycle is not None) == bool(remaining)
    if cycle:
        assert cycle[0] == cycle[-1]
        for a, b in zip(cycle, cycle[1:], strict=False):
            assert b in edges.get(a, set())


def test_the_path_computation_refuses_a_cyclic_catalog():
    a = lp.CatalogCourse("a", "A", applies_to="everyone", prerequisites=(("b", 100),))
    b = lp.CatalogCourse("b", "B", applies_to="everyone", prerequisites=(("a", 100),))
    with pytest.raises(lp.CatalogCycleError, match="cycle"):
        compute(lp.Catalog(courses={"a": a, "b": b}), Needs())
