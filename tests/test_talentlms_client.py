"""The TalentLMS client against the local fake server: encoding, auth, errors, tolerance, rate
limits, back-off, timeouts and malformed answers. Every test is bounded by short client timeouts,
bounded retries and (where it would wait) an injected clock instead of real sleeping."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.cache.backends.locmem import LocMemCache

from training.lms.base import (
    LmsAuthenticationError,
    LmsConflict,
    LmsInvalidRequest,
    LmsMalformedResponse,
    LmsNotFound,
    LmsQuotaExhausted,
    LmsRateLimited,
    LmsTimeout,
    LmsUnavailable,
)
from training.lms.fake_server import MESSAGES
from training.lms.ratelimit import RateLimitPolicy, SharedRateLimiter
from training.lms.talentlms import as_int, as_percent, encode_args, login_from_email, parse_lms_time

from .training_helpers import RecordingSleep, make_client, running_fake


@pytest.fixture
def fake():
    with running_fake() as server:
        yield server


def local_cache() -> LocMemCache:
    return LocMemCache(f"lms-test-{time.monotonic_ns()}", {})


# --- Encoding and parsing ------------------------------------------------------------------------------
def test_it_encodes_v1_arguments_as_one_path_segment():
    assert encode_args({"course_id": 4, "user_id": "7"}) == "course_id:4,user_id:7"
    assert encode_args({"email": "a.b+c@x.org"}) == "email:a.b%2Bc@x.org"
    # Commas, colons and slashes inside values cannot break the segment.
    assert encode_args({"x": "a,b:c/d=="}) == "x:a%2Cb%3Ac%2Fd%3D%3D"


def test_it_tolerates_strings_integers_and_empty_values():
    assert as_int("7") == 7 and as_int(7) == 7 and as_int("87.5") == 87 and as_int(" 42 ") == 42
    assert as_int("") == 0 and as_int(None) == 0 and as_int("-") == 0 and as_int("n/a", default=-1) == -1
    assert as_percent("140") == 100 and as_percent("-3") == 0 and as_percent("55%") == 55
    assert login_from_email("María.O'Neil+x@agency.org") == "mara.oneilx"


def test_it_prefers_timestamps_and_parses_portal_dates_otherwise():
    stamp = int(dt.datetime(2025, 4, 3, 10, tzinfo=dt.UTC).timestamp())
    assert parse_lms_time(str(stamp), "garbage") == dt.datetime(2025, 4, 3, 10, tzinfo=dt.UTC)
    assert parse_lms_time(None, "") is None
    assert parse_lms_time(None, "03/04/2025, 10:00:00", date_format="DMY").month == 4
    assert parse_lms_time(None, "03/04/2025, 10:00:00 AM", date_format="MDY").month == 3
    assert parse_lms_time(None, "2025/04/03", date_format="YMD").day == 3
    # Outside 2010..tomorrow is a parsing accident, not a fact.
    assert parse_lms_time("1", "") is None
    assert parse_lms_time(None, "01/01/2999") is None


# --- Auth and errors ------------------------------------------------------------------------------------
def test_it_authenticates_with_the_key_and_survives_an_html_401(fake):
    client = make_client(fake, api_key="wrong-key")
    with pytest.raises(LmsAuthenticationError) as error:
        client.list_courses()
    assert error.value.status == 401
    assert make_client(fake).list_courses() == []


def test_it_finds_or_creates_a_user_by_email(fake):
    client = make_client(fake)
    user, created = client.find_or_create_user(
        email="Ana.Perez+hmis@agency.org", first_name="Ana", last_name="Perez"
    )
    assert created and user.email == "ana.perez+hmis@agency.org" and user.id.isdigit()
    again, created = client.find_or_create_user(
        email="ana.perez+hmis@agency.org", first_name="Ana", last_name="P"
    )
    assert not created and again.id == user.id
    assert client.find_user_by_email("nobody@agency.org") is None
    # A taken login gets a suffix; a taken e-mail is a conflict.
    fake.add_user("other@agency.org", login="jo")
    created_user = client.create_user(email="jo@agency.org", first_name="Jo", last_name="Doe")
    assert created_user.login == "jo2"
    with pytest.raises(LmsConflict, match=MESSAGES["email_taken"]):
        client.create_user(email="jo@agency.org", first_name="Jo", last_name="Doe")


def test_it_maps_the_documented_v1_error_messages(fake):
    client = make_client(fake)
    course = fake.add_course("Introduction to HMIS")
    user = fake.add_user("learner@agency.org")
    with pytest.raises(LmsNotFound, match=MESSAGES["no_user"]):
        client.enroll(user_id="999", course_id=str(course["id"]))
    with pytest.raises(LmsNotFound, match=MESSAGES["no_course"]):
        client.enroll(user_id=str(user["id"]), course_id="999")
    assert client.enroll(user_id=str(user["id"]), course_id=str(course["id"])) is True
    assert client.enroll(user_id=str(user["id"]), course_id=str(course["id"])) is False  # already enrolled
    other = fake.add_course("Data Management")
    assert (
        client.status_in_course(user_id=str(user["id"]), course_id=str(other["id"])) is None
    )  # not enrolled
    with pytest.raises(LmsInvalidRequest, match=MESSAGES["invalid"]):
        client.call("gettimeline")
    with pytest.raises(LmsInvalidRequest, match=MESSAGES["no_action"]):
        client.call("nosuchaction")


def test_it_reads_a_course_status_with_string_values_and_empty_dates(fake):
    client = make_client(fake)
    course = fake.add_course("Data Management", units=["Part 1", "Part 2"])
    user = fake.add_user("learner@agency.org")
    client.enroll(user_id=str(user["id"]), course_id=str(course["id"]))
    fresh = client.status_in_course(user_id=str(user["id"]), course_id=str(course["id"]))
    assert fresh.percent == 0 and not fresh.completed and fresh.completed_at is None
    fake.set_progress(user["id"], course["id"], 50)
    half = client.status_in_course(user_id=str(user["id"]), course_id=str(course["id"]))
    assert half.percent == 50 and [u.completed for u in half.units] == [True, False]
    fake.set_progress(user["id"], course["id"], 100)
    finished = client.status_in_course(user_id=str(user["id"]), course_id=str(course["id"]))
    assert finished.completed and finished.percent == 100 and finished.completed_at is not None


def test_it_reads_the_timeline_since_a_moment_and_notices_when_events_were_lost():
    clock = [1_760_000_000.0]
    with running_fake(clock=lambda: clock[0]) as fake:
        client = make_client(fake)
        course = fake.add_course("Intro")
        users = [fake.add_user(f"u{i}@agency.org") for i in range(3)]
        for u in users:
            client.enroll(user_id=str(u["id"]), course_id=str(course["id"]))
        fake.set_progress(users[0]["id"], course["id"], 100)
        clock[0] += 60
        since = dt.datetime.fromtimestamp(clock[0], tz=dt.UTC)
        fake.set_progress(users[1]["id"], course["id"], 100)
        read = client.timeline_since(since, event_types=["course_completion"])
        assert [e.user_id for e in read.events] == [str(users[1]["id"])] and read.complete
        # 200+ events newer than `since`: the API's window no longer reaches back that far.
        clock[0] += 5
        for _ in range(205):
            fake._event("course_completion", users[2]["id"], course["id"])
        read = client.timeline_since(since, event_types=["course_completion"])
        assert not read.complete


# --- Rate limits and back-off ------------------------------------------------------------------------------
def test_it_waits_for_retry_after_on_429_and_then_succeeds():
    clock = [1_760_000_000.0]
    with running_fake(clock=lambda: clock[0], rate_limit=(2, 5.0), retry_after=3) as fake:
        sleep = RecordingSleep(clock)
        client = make_client(fake, sleep=sleep, clock=lambda: clock[0], max_total_wait=10)
        client.list_courses()
        client.list_courses()
        assert client.list_courses() == []  # refused twice, admitted once the window moved on
        assert sleep.waits == [3.0, 3.0]
        assert fake.calls_to("courses") == 5


def test_it_backs_off_exponentially_with_jitter_without_retry_after(fake):
    fake.fail_next(
        429, times=3, body={"error": {"type": "rate_limit_error", "message": "Rate limit exceeded"}}
    )
    sleep = RecordingSleep()
    client = make_client(fake, sleep=sleep, jitter=lambda low, high: high, backoff_base=0.01, backoff_cap=1)
    assert client.list_courses() == []
    assert sleep.waits == [0.01, 0.02, 0.04]


def test_it_gives_up_on_429_within_its_bounds(fake):
    fake.fail_next(429, times=20)
    sleep = RecordingSleep()
    client = make_client(fake, sleep=sleep, max_attempts=4)
    with pytest.raises(LmsRateLimited) as error:
        client.list_courses()
    assert fake.calls_to("courses") == 4 and len(sleep.waits) == 3
    assert error.value.retry_at is not None


def test_it_does_not_sleep_for_an_hour_when_the_hourly_quota_is_gone():
    clock = [1_760_000_000.0]
    with running_fake(clock=lambda: clock[0], hourly_limit=3) as fake:
        sleep = RecordingSleep(clock)
        client = make_client(fake, sleep=sleep, clock=lambda: clock[0], max_total_wait=30)
        for _ in range(3):
            client.list_courses()
        with pytest.raises(LmsRateLimited) as error:
            client.list_courses()
        assert sleep.waits == []
        assert error.value.retry_at > clock[0] + 3000


def test_the_shared_bucket_limits_bursts_across_processes():
    """Two limiter objects on one cache = two processes sharing one portal's budget."""
    clock = [1_000.0]
    cache = local_cache()
    policy = RateLimitPolicy(burst=5, window_seconds=5.0, hourly_quota=1000, max_wait_seconds=10)
    sleep = RecordingSleep(clock)
    first = SharedRateLimiter("portal", policy, cache=cache, clock=lambda: clock[0], sleep=sleep)
    second = SharedRateLimiter("portal", policy, cache=cache, clock=lambda: clock[0], sleep=sleep)
    for limiter in (first, second, first, second, first):
        limiter.acquire()
    assert sleep.waits == []
    second.acquire()  # the sixth call within the window waits for one token (5 / 5 s = 1 per second)
    assert sleep.waits == [pytest.approx(1.0)]
    impatient = SharedRateLimiter(
        "portal",
        RateLimitPolicy(burst=5, max_wait_seconds=0.1),
        cache=cache,
        clock=lambda: clock[0],
        sleep=sleep,
    )
    with pytest.raises(LmsRateLimited):
        impatient.acquire()
    # Another portal has its own budget.
    SharedRateLimiter("other-portal", policy, cache=cache, clock=lambda: clock[0], sleep=sleep).acquire()


def test_a_429_pauses_every_process_sharing_the_portal():
    clock = [2_000.0]
    cache = local_cache()
    sleep = RecordingSleep(clock)
    one = SharedRateLimiter("portal", RateLimitPolicy(), cache=cache, clock=lambda: clock[0], sleep=sleep)
    two = SharedRateLimiter("portal", RateLimitPolicy(), cache=cache, clock=lambda: clock[0], sleep=sleep)
    one.pause_until(clock[0] + 4)
    two.acquire()
    assert sleep.waits == [pytest.approx(4.0)]


def test_the_hourly_quota_is_counted_per_clock_hour():
    clock = [3_600.0 * 500 + 10]
    cache = local_cache()
    limiter = SharedRateLimiter(
        "portal",
        RateLimitPolicy(hourly_quota=3),
        cache=cache,
        clock=lambda: clock[0],
        sleep=RecordingSleep(clock),
    )
    for _ in range(3):
        limiter.acquire()
    assert limiter.quota_remaining() == 0
    with pytest.raises(LmsQuotaExhausted) as error:
        limiter.acquire()
    assert error.value.retry_at == 3_600.0 * 501
    clock[0] = 3_600.0 * 501 + 1
    limiter.acquire()


def test_the_client_honours_the_servers_remaining_zero_header():
    clock = [1_760_000_000.0]
    with running_fake(clock=lambda: clock[0], rate_limit=(2, 5.0)) as fake:
        sleep = RecordingSleep(clock)
        limiter = SharedRateLimiter(
            "fake", RateLimitPolicy(), cache=local_cache(), clock=lambda: clock[0], sleep=sleep
        )
        client = make_client(fake, limiter=limiter, sleep=sleep, clock=lambda: clock[0])
        client.list_courses()
        client.list_courses()  # answered with X-RateLimit-Remaining: 0
        client.list_courses()  # so the limiter waits for the reset instead of earning a 429
        assert sleep.waits and fake.calls_to("courses") == 3


# --- Timeouts, server errors and malformed answers ------------------------------------------------------
def test_it_times_out_and_retries_only_reads(fake):
    fake.set_delay("users", 1.5)
    fake.set_delay("usersignup", 1.5)
    client = make_client(fake, timeout=(0.5, 0.3), max_attempts=2, sleep=RecordingSleep())
    started = time.monotonic()
    with pytest.raises(LmsTimeout):
        client.find_user_by_email("slow@agency.org")
    assert fake.calls_to("users") == 2
    with pytest.raises(LmsTimeout):
        client.create_user(email="slow@agency.org", first_name="S", last_name="Low")
    assert fake.calls_to("usersignup") == 1  # a write that may have landed is not repeated blindly
    assert time.monotonic() - started < 3


def test_it_retries_server_errors_on_reads_but_not_on_writes(fake):
    fake.fail_next(503, times=2, action="courses")
    client = make_client(fake, sleep=RecordingSleep())
    assert client.list_courses() == []
    assert fake.calls_to("courses") == 3
    fake.fail_next(500, action="usersignup")
    with pytest.raises(LmsUnavailable):
        client.create_user(email="x@agency.org", first_name="X", last_name="Y")
    assert fake.calls_to("usersignup") == 1


def test_it_reports_connection_refused_as_unavailable():
    with running_fake() as fake:
        client = make_client(fake, sleep=RecordingSleep(), max_attempts=2)
    with pytest.raises(LmsUnavailable):
        client.list_courses()


@pytest.mark.parametrize("kind", ["html", "truncated", "wrong_shape", "empty"])
def test_it_refuses_malformed_answers(fake, kind):
    client = make_client(fake)
    course = fake.add_course("Intro")
    user = fake.add_user("learner@agency.org")
    client.enroll(user_id=str(user["id"]), course_id=str(course["id"]))
    fake.set_malformed("getuserstatusincourse", kind, times=1)
    with pytest.raises(LmsMalformedResponse):
        client.status_in_course(user_id=str(user["id"]), course_id=str(course["id"]))
    # The next answer is well-formed again.
    assert client.status_in_course(user_id=str(user["id"]), course_id=str(course["id"])).percent == 0


def test_it_accepts_both_error_shapes(fake):
    fake.fail_next(
        404, body={"type": "invalid_request_error", "message": "The requested user does not exist"}
    )
    assert make_client(fake).find_user_by_email("x@agency.org") is None
    fake.fail_next(400, body="<html>Bad request</html>")
    with pytest.raises(LmsInvalidRequest):
        make_client(fake).list_courses()


def test_the_fake_stops_promptly_even_while_holding_a_request():
    with running_fake() as fake:
        fake.set_delay("courses", 30)
        client = make_client(fake, timeout=(0.5, 0.2), max_attempts=1)
        with pytest.raises(LmsTimeout):
            client.list_courses()
        started = time.monotonic()
    assert time.monotonic() - started < 2


def test_the_fake_simulates_learners_for_demos(fake):
    import random

    intro = fake.add_course("Intro")
    final = fake.add_course("Final instructions")
    user = fake.add_user("learner@agency.org")
    client = make_client(fake)
    for course in (intro, final):
        client.enroll(user_id=str(user["id"]), course_id=str(course["id"]))
    rng = random.Random(3)
    for _ in range(30):
        fake.simulate_learning(rng, skip_courses=frozenset({final["id"]}))
    assert fake.state.enrollments[(user["id"], intro["id"])].percent == 100
    assert fake.state.enrollments[(user["id"], final["id"])].percent == 0
