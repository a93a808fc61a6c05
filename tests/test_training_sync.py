"""The progress sync against the local fake TalentLMS: linking, enrolling, timeline and status
reads, resuming, idempotency, rate limits and failures. Every run is bounded: short client timeouts,
bounded retries, injected sleeps."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from celery.exceptions import Retry
from django.core.cache.backends.locmem import LocMemCache

from hmis_onboarding.models import AuditEvent
from training import services, sync, tasks
from training.lms.base import LmsTimeout
from training.lms.fake_server import FakeTalentLms
from training.lms.ratelimit import RateLimitPolicy, SharedRateLimiter
from training.models import Course, Enrollment, LmsAccount, LmsConfiguration, LmsSyncCursor
from training.path import Needs, ProjectNeed

from .factories import MembershipFactory, UserFactory
from .training_helpers import API_KEY, RecordingSleep, make_client

pytestmark = pytest.mark.django_db


@dataclass
class World:
    fake: FakeTalentLms
    tenant: object
    clock: list

    @property
    def continuum(self):
        return self.tenant.continuum

    def client(self, **options):
        options.setdefault("sleep", RecordingSleep())
        return make_client(self.fake, **options)

    def run(self, **options):
        client = options.pop("client", None) or self.client()
        return sync.lms_sync_run(continuum=self.continuum, client=client, **options)

    def trainee(self, email: str, needs: Needs | None = None):
        person = UserFactory(email=email, full_name="Jordan Kim")
        MembershipFactory(
            user=person, continuum=self.continuum, role="agency_user", agency=self.tenant.agency
        )
        services.lms_account_request(continuum=self.continuum, person=person, email=email)
        services.learning_path_assign(
            continuum=self.continuum, person=person, needs=needs or Needs(projects=(ProjectNeed(1),))
        )
        return person

    def lms_id(self, person) -> int:
        return int(LmsAccount.objects.get(user=person).lms_user_id)

    def course_id(self, code: str) -> int:
        return int(Course.objects.get(continuum=self.continuum, code=code).lms_course_id)

    def tick(self, seconds: float = 10) -> None:
        self.clock[0] += seconds


def states(person) -> dict[str, tuple[str, int]]:
    return {
        code: (state, percent)
        for code, state, percent in Enrollment.objects.filter(user=person).values_list(
            "course__code", "state", "percent"
        )
    }


@pytest.fixture
def world(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    clock = [time.time() - 3600]
    fake = FakeTalentLms(api_key=API_KEY, clock=lambda: clock[0])
    for course in Course.objects.filter(continuum=tenant_a.continuum).exclude(lms_course_id=""):
        fake.add_course(course.name, course_id=int(course.lms_course_id))
    fake.start()
    # Short timeouts for the runs that build their client from these settings (the task test).
    services.lms_configuration_update(
        continuum=tenant_a.continuum,
        actor=None,
        api_key=API_KEY,
        base_url=fake.base_url,
        enabled=True,
        timeout_seconds=2,
    )
    try:
        yield World(fake=fake, tenant=tenant_a, clock=clock)
    finally:
        fake.stop()


def test_it_links_enrols_and_records_progress_from_the_lms(world):
    person = world.trainee("jordan.kim@agency.org")
    report = world.run()
    assert report.error is None and report.accounts_linked == 1 and report.enrollments_pushed == 4
    account = LmsAccount.objects.get(user=person)
    assert account.status == LmsAccount.Status.LINKED and account.created_in_lms
    assert world.fake.state.users[int(account.lms_user_id)]["email"] == "jordan.kim@agency.org"
    # Restricted courses are enrolled too: the LMS shows them restricted until Intro is done.
    assert len(world.fake.state.enrollments) == 4

    world.tick()
    world.fake.set_progress(world.lms_id(person), world.course_id("intro-to-hmis"), 100)
    world.fake.set_progress(world.lms_id(person), world.course_id("data-management"), 30)
    report = world.run()
    assert report.error is None and report.events_applied == 1
    assert states(person) == {
        "intro-to-hmis": ("completed", 100),
        "data-management": ("in_progress", 30),
        "es-th-sh": ("available", 0),
        "sample-client-instructions": ("restricted", 0),
    }
    intro = Enrollment.objects.get(user=person, course__code="intro-to-hmis")
    assert intro.source == Enrollment.Source.LMS_TIMELINE and intro.completed_at is not None
    dm = Enrollment.objects.get(user=person, course__code="data-management")
    assert dm.source == Enrollment.Source.LMS_STATUS and dm.units
    assert (
        AuditEvent.objects.filter(action="training.enrollment_progress", object_id=str(intro.pk)).count() == 1
    )


def test_it_finds_an_existing_lms_account_instead_of_creating_one(world):
    world.fake.add_user("returning@agency.org", first_name="Re", last_name="Turning")
    person = world.trainee("returning@agency.org")
    world.run(stages=("accounts",))
    account = LmsAccount.objects.get(user=person)
    assert account.status == LmsAccount.Status.LINKED and not account.created_in_lms
    assert len(world.fake.state.users) == 1


def test_running_again_never_double_counts(world):
    person = world.trainee("jordan.kim@agency.org")
    world.run()
    world.tick()
    world.fake.set_progress(world.lms_id(person), world.course_id("intro-to-hmis"), 100)
    world.fake.set_progress(world.lms_id(person), world.course_id("data-management"), 60)
    world.run()
    before = (states(person), AuditEvent.objects.count(), Enrollment.objects.count())
    for _ in range(2):
        report = world.run()
        assert report.events_applied == 0 and report.enrollments_changed == 0
    # Even re-reading the same events (cursor moved back) changes nothing.
    LmsSyncCursor.objects.filter(continuum=world.continuum).update(timeline_since=None, seen_at_high_water=[])
    report = world.run()
    assert report.events_read >= 1 and report.enrollments_changed == 0
    assert (states(person), AuditEvent.objects.count(), Enrollment.objects.count()) == before


def test_the_timeline_cursor_skips_seen_events_but_not_new_ones_in_the_same_second(world):
    one = world.trainee("one@agency.org")
    two = world.trainee("two@agency.org")
    world.run()
    world.tick()
    world.fake.set_progress(world.lms_id(one), world.course_id("intro-to-hmis"), 100)
    world.run(stages=("timeline",))
    cursor = LmsSyncCursor.objects.get(continuum=world.continuum)
    assert int(cursor.timeline_since.timestamp()) == int(world.clock[0])
    assert len(cursor.seen_at_high_water) == 1
    # Another completion in the very same second arrives after our read.
    world.fake.set_progress(world.lms_id(two), world.course_id("intro-to-hmis"), 100)
    report = world.run(stages=("timeline",))
    assert report.events_applied == 1
    assert states(two)["intro-to-hmis"] == ("completed", 100)
    assert len(LmsSyncCursor.objects.get(continuum=world.continuum).seen_at_high_water) == 2


def test_it_resumes_where_it_stopped(world):
    people = [world.trainee(f"p{i}@agency.org") for i in range(3)]
    world.run(stages=("accounts", "enrollments"))
    assert Enrollment.objects.filter(lms_enrolled_at__isnull=False).count() == 12
    LmsConfiguration.objects.filter(continuum=world.continuum).update(batch_size=5)

    class FailsAfter:
        """A client whose LMS stops answering after a few status reads."""

        def __init__(self, inner, reads: int) -> None:
            self.inner, self.reads = inner, reads
            self.rate_limiter, self.calls_made = None, 0

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def status_in_course(self, **kwargs):
            if self.reads == 0:
                raise LmsTimeout("TalentLMS did not answer getuserstatusincourse in time.")
            self.reads -= 1
            return self.inner.status_in_course(**kwargs)

    report = world.run(client=FailsAfter(world.client(), reads=3), stages=("statuses",))
    assert isinstance(report.error, LmsTimeout) and report.statuses_read == 3
    cursor = LmsSyncCursor.objects.get(continuum=world.continuum)
    assert cursor.consecutive_failures == 1 and "did not answer" in cursor.last_error
    assert cursor.lease_until is None
    checked = set(Enrollment.objects.filter(status_checked_at__isnull=False).values_list("pk", flat=True))
    assert len(checked) == 3
    # The next run reads the ones not yet checked first (batch of 5), then the rest.
    report = world.run(stages=("statuses",))
    newly = (
        set(Enrollment.objects.filter(status_checked_at__isnull=False).values_list("pk", flat=True)) - checked
    )
    assert report.statuses_read == 5 and len(newly) == 5
    world.run(stages=("statuses",))
    assert not Enrollment.objects.filter(
        status_checked_at__isnull=True, lms_enrolled_at__isnull=False
    ).exists()
    assert LmsSyncCursor.objects.get(continuum=world.continuum).consecutive_failures == 0
    assert len(people) == 3


def test_a_reset_in_the_lms_reopens_the_course_once(world):
    person = world.trainee("jordan.kim@agency.org")
    world.run()
    world.tick()
    world.fake.set_progress(world.lms_id(person), world.course_id("intro-to-hmis"), 100)
    world.run()
    world.tick()
    world.fake.reset_progress(world.lms_id(person), world.course_id("intro-to-hmis"))
    report = world.run()
    assert report.events_applied == 1
    assert states(person)["intro-to-hmis"] == ("available", 0)
    assert states(person)["es-th-sh"] == ("restricted", 0)
    report = world.run()
    assert report.enrollments_changed == 0
    world.tick()
    world.fake.set_progress(world.lms_id(person), world.course_id("intro-to-hmis"), 100)
    world.run()
    assert states(person)["intro-to-hmis"] == ("completed", 100)


def test_progress_is_never_moved_between_lms_accounts(world):
    first = world.trainee("shared@agency.org")
    world.run(stages=("accounts",))
    # A second person claims the same LMS account's e-mail (a typo, or a reused mailbox).
    second = world.trainee("second@agency.org")
    LmsAccount.objects.filter(user=second).update(email="shared@agency.org")
    report = world.run(stages=("accounts",))
    refused = LmsAccount.objects.get(user=second)
    assert report.accounts_failed == 1 and refused.status == LmsAccount.Status.FAILED
    assert "already linked to another person" in refused.last_error
    # The person's own account, linked, never switches to another LMS id either.
    LmsAccount.objects.filter(user=first).update(status=LmsAccount.Status.PENDING, email="second@agency.org")
    world.fake.add_user("second@agency.org")
    world.run(stages=("accounts",))
    kept = LmsAccount.objects.get(user=first)
    assert kept.status == LmsAccount.Status.FAILED and "cannot move between accounts" in kept.last_error
    assert AuditEvent.objects.filter(action="training.lms_account_link_refused").count() == 2


def test_it_stays_within_its_share_of_the_hourly_quota(world):
    world.trainee("jordan.kim@agency.org")
    # The sync may use 20 % of 100 calls an hour; 15 are already used by others this hour.
    LmsConfiguration.objects.filter(continuum=world.continuum).update(
        hourly_quota=100, quota_share_percent=20
    )
    limiter = SharedRateLimiter(
        "quota-test", RateLimitPolicy(hourly_quota=100), cache=LocMemCache("quota-test", {})
    )
    for _ in range(15):
        limiter.acquire()
    report = world.run(client=world.client(limiter=limiter))
    assert report.error is None and "share of the hourly LMS quota" in report.stopped_early
    assert 0 < report.calls <= 5 and limiter.quota_remaining() >= 80
    # The next run (next hour) continues where this one stopped.
    assert LmsAccount.objects.get().status == LmsAccount.Status.LINKED


def test_it_rides_out_429s_during_a_run(world):
    world.trainee("jordan.kim@agency.org")
    world.fake.fail_next(429, times=2, headers={"Retry-After": "0"})
    report = world.run()
    assert report.error is None and report.accounts_linked == 1


def test_a_refused_key_is_recorded_and_the_lease_released(world):
    world.trainee("jordan.kim@agency.org")
    report = world.run(client=world.client(api_key="revoked"))
    assert report.error is not None and not report.error.retryable
    cursor = LmsSyncCursor.objects.get(continuum=world.continuum)
    assert cursor.lease_until is None and "stopped" in cursor.last_outcome and cursor.last_error
    assert LmsAccount.objects.get().status == LmsAccount.Status.PENDING


def test_two_runs_never_sync_one_coc_at_once(world):
    cursor, _ = LmsSyncCursor.objects.get_or_create(continuum=world.continuum)
    assert sync._claim(cursor, sync.timezone.now())
    assert world.run().outcome == "another run is in progress"


def test_a_full_timeline_window_triggers_a_status_sweep(world):
    person = world.trainee("jordan.kim@agency.org")
    world.run()
    world.tick()
    for _ in range(205):
        world.fake._event("course_completion", 999, world.course_id("ssvf"))
    world.fake.state.enrollments[(world.lms_id(person), world.course_id("intro-to-hmis"))].percent = 55
    report = world.run()
    assert report.timeline_gap
    assert LmsSyncCursor.objects.get(continuum=world.continuum).needs_status_sweep
    assert states(person)["intro-to-hmis"] == ("in_progress", 55)


def test_the_sync_does_nothing_when_the_coc_turned_it_off(world):
    LmsConfiguration.objects.filter(continuum=world.continuum).update(enabled=False)
    assert world.run().outcome == "LMS sync is off for this CoC"


# --- Tasks ------------------------------------------------------------------------------------------------
def test_the_beat_entry_queues_only_cocs_that_are_due(world, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.lms_sync_continuum, "delay", lambda continuum_id: queued.append(continuum_id))
    assert tasks.lms_sync_due() == 1 and queued == [world.continuum.pk]
    LmsSyncCursor.objects.update_or_create(
        continuum=world.continuum, defaults={"last_started_at": sync.timezone.now()}
    )
    assert tasks.lms_sync_due() == 0


def test_the_task_retries_curable_failures_only(world, monkeypatch):
    def fake_run(**kwargs):
        return sync.SyncReport(error=LmsTimeout("slow"))

    monkeypatch.setattr(sync, "lms_sync_run", fake_run)
    with pytest.raises(Retry):
        tasks.lms_sync_continuum(world.continuum.pk)

    from training.lms.base import LmsAuthenticationError

    monkeypatch.setattr(
        sync, "lms_sync_run", lambda **kw: sync.SyncReport(error=LmsAuthenticationError("no"))
    )
    assert tasks.lms_sync_continuum(world.continuum.pk)["error"] == "no"


def test_the_task_runs_a_real_sync(world):
    world.trainee("jordan.kim@agency.org")
    from training.lms import registry

    result = tasks.lms_sync_continuum(world.continuum.pk)
    assert result["accounts_linked"] == 1 and result["error"] == ""
    assert registry.client_for(LmsConfiguration.objects.get(continuum=world.continuum)).api_root.endswith(
        "/api/v1"
    )
