"""Helpers for the training tests: shipped catalogs as pure path inputs, and a fake TalentLMS."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from training import path as lp
from training.lms.fake_server import FakeTalentLms
from training.lms.ratelimit import RateLimitPolicy, SharedRateLimiter
from training.lms.talentlms import TalentLmsClient
from training.services import catalog_spec

API_KEY = "test-key-0123456789"


def catalog_from_spec(name: str) -> lp.Catalog:
    """A shipped catalog file as the pure computation's input, without a database."""
    spec = catalog_spec(name)
    courses = {}
    for item in spec["courses"]:
        courses[item["code"]] = lp.CatalogCourse(
            code=item["code"],
            name=item["name"],
            category=item.get("category", "project"),
            applies_to=item.get("applies_to", "matching"),
            kind=item.get("kind", "self_paced"),
            hud_project_types=frozenset(item.get("hud_project_types", [])),
            program_tags=frozenset(item.get("program_tags", [])),
            training_roles=frozenset(item.get("training_roles", [])),
            prerequisites=tuple((p, 100) for p in item.get("prerequisites", [])),
            bundle=item.get("bundle"),
            read_only_alternate_of=item.get("read_only_alternate_of"),
            includes=item.get("includes"),
            new_users_only=item.get("new_users_only", False),
            recency_months=item.get("recency_months"),
            position=item.get("position", 100),
            lms_course_id=item.get("lms_course_id", ""),
        )
    policy = spec["policy"]
    return lp.Catalog(
        courses=courses,
        bundles={b["code"]: lp.CatalogBundle(b["code"], b["name"]) for b in spec["bundles"]},
        project_recency_months=policy["project_course_recency_months"],
        foundation_recency_months=policy["foundation_recency_months"],
        sample_client_required=policy["sample_client_required"],
        sample_client_exempt_tags=frozenset(policy["sample_client_exempt_tags"]),
    )


class RecordingSleep:
    """Stands in for time.sleep: records the waits and advances a fake clock."""

    def __init__(self, clock: list[float] | None = None) -> None:
        self.waits: list[float] = []
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock[0] += seconds


@contextlib.contextmanager
def running_fake(**options) -> Iterator[FakeTalentLms]:
    fake = FakeTalentLms(api_key=options.pop("api_key", API_KEY), **options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def make_client(
    fake: FakeTalentLms, *, limiter: SharedRateLimiter | None = None, api_key: str = API_KEY, **options
) -> TalentLmsClient:
    """A client with short, test-sized timeouts and back-off (every fake-server test stays bounded)."""
    settings = {"timeout": (1.0, 1.0), "backoff_base": 0.01, "backoff_cap": 0.05, "max_total_wait": 2.0}
    settings.update(options)
    return TalentLmsClient(base_url=fake.base_url, api_key=api_key, rate_limiter=limiter, **settings)


def limiter(scope: str = "test", **policy) -> SharedRateLimiter:
    return SharedRateLimiter(scope, RateLimitPolicy(**policy))
