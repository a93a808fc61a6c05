"""TalentLMS over its v1 REST API (facts: shared/reference/talentlms-api.md).

- HTTP Basic with the API key as user name and an empty password; HTTPS.
- GET arguments are one trailing path segment of `key:value` pairs joined by commas, values
  percent-encoded (keeping `@`); POST bodies are form-encoded.
- Values come back as strings or integers, missing dates as "" (their `*_timestamp` as null), and
  error bodies may be HTML: nothing here trusts a type or assumes JSON.
- Every call has a timeout, passes the shared rate limiter (200 calls / 5 s, hourly plan quota) and
  backs off on 429 (Retry-After, else X-RateLimit-Reset, else exponential back-off with full
  jitter), within a bounded number of attempts and a bounded total wait.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import requests

from .base import (
    LmsAlreadyEnrolled,
    LmsAuthenticationError,
    LmsClient,
    LmsConflict,
    LmsCourse,
    LmsCourseStatus,
    LmsError,
    LmsEvent,
    LmsInvalidRequest,
    LmsMalformedResponse,
    LmsNotEnrolled,
    LmsNotFound,
    LmsRateLimited,
    LmsTimeout,
    LmsUnavailable,
    LmsUnitStatus,
    LmsUser,
    TimelineRead,
)
from .ratelimit import SharedRateLimiter

USER_AGENT = "hmis-onboarding/1.0 (+TalentLMS v1 client)"

# The v1 error messages clients branch on, most specific first.
_MESSAGE_ERRORS: tuple[tuple[str, type[LmsError]], ...] = (
    ("already enrolled", LmsAlreadyEnrolled),
    ("not enrolled", LmsNotEnrolled),
    ("same login already exists", LmsConflict),
    ("same email address already exists", LmsConflict),
    ("api action does not exist", LmsInvalidRequest),
    ("does not exist", LmsNotFound),
    ("invalid arguments", LmsInvalidRequest),
)

# Portal date formats (siteinfo.date_format) → strptime patterns, with and without the time part.
_DATE_PATTERNS = {
    "DMY": ("%d/%m/%Y, %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"),
    "MDY": ("%m/%d/%Y, %I:%M:%S %p", "%m/%d/%Y, %H:%M:%S", "%m/%d/%Y"),
    "YMD": ("%Y/%m/%d, %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
}
_EARLIEST_PLAUSIBLE = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)


def encode_args(args: dict[str, Any]) -> str:
    """v1 GET arguments: `key:value,key:value`, values percent-encoded except `@`."""
    return ",".join(f"{quote(str(k), safe='')}:{quote(str(v), safe='@')}" for k, v in args.items())


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def as_int(value: Any, default: int = 0) -> int:
    """'100', 100, '87.5', ' 42 ' → int; '', None, '-' or junk → default."""
    text = as_text(value).rstrip("%")
    if not text:
        return default
    try:
        return int(float(text))
    except ValueError:
        return default


def as_percent(value: Any) -> int:
    return max(0, min(100, as_int(value)))


def parse_lms_time(timestamp: Any, text: Any = "", *, date_format: str = "DMY") -> dt.datetime | None:
    """Prefer the epoch `*_timestamp` (string or number); else parse the portal-formatted string."""
    now = dt.datetime.now(dt.UTC)
    seconds = as_int(timestamp, default=-1)
    if seconds > 0:
        moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    else:
        raw = as_text(text)
        if not raw:
            return None
        moment = None
        for pattern in _DATE_PATTERNS.get(date_format.upper(), _DATE_PATTERNS["DMY"]):
            try:
                moment = dt.datetime.strptime(raw, pattern).replace(tzinfo=dt.UTC)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    # A date before the LMS era or after tomorrow is a parsing accident, not a fact.
    if moment < _EARLIEST_PLAUSIBLE or moment > now + dt.timedelta(days=1):
        return None
    return moment


def _error_message(payload: Any) -> str:
    """v1 says {"error": {"type", "message"}}; v2 docs also show a flat {type, message}."""
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            return as_text(error.get("message")) or as_text(error.get("type"))
        if isinstance(error, str):
            return error
        if "message" in payload and "type" in payload:
            return as_text(payload.get("message"))
    return ""


def _retry_after_seconds(response: requests.Response, now: float) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        header = header.strip()
        if header.isdigit():
            return float(header)
        try:
            when = email.utils.parsedate_to_datetime(header)
            return max(0.0, when.timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and as_int(reset, -1) > 0:
        return max(0.0, as_int(reset) - now)
    return None


def strong_password(length: int = 16) -> str:
    """TalentLMS wants 8+ characters with upper, lower and a digit; the person resets it anyway."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate


def login_from_email(email: str) -> str:
    local = email.split("@", 1)[0].lower()
    return re.sub(r"[^a-z0-9._-]", "", local)[:40] or "user"


class TalentLmsClient(LmsClient):
    provider = "talentlms"
    timeline_limit = 200

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        rate_limiter: SharedRateLimiter | None = None,
        timeout: tuple[float, float] = (3.05, 15.0),
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_total_wait: float = 45.0,
        date_format: str = "DMY",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        base = base_url.strip().rstrip("/")
        base = re.sub(r"/api(/v1)?$", "", base)
        self.api_root = f"{base}/api/v1"
        self.api_key = api_key
        self.rate_limiter = rate_limiter
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_total_wait = max_total_wait
        self.date_format = date_format
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self.calls_made = 0

    def __repr__(self) -> str:  # never print the key
        return f"<TalentLmsClient {self.api_root}>"

    # -- transport ----------------------------------------------------------------------------------
    def _url(self, action: str, args: dict[str, Any] | None) -> str:
        url = f"{self.api_root}/{action}"
        if args:
            url += "/" + encode_args(args)
        return url

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): uniform over [0, min(cap, base·2^attempt)].
        return self.jitter(0.0, min(self.backoff_cap, self.backoff_base * (2**attempt)))

    def call(
        self,
        action: str,
        *,
        method: str = "GET",
        args: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        metered: bool = True,
    ) -> Any:
        """One API action, with rate limiting, retries where safe, and typed errors."""
        url = self._url(action, args if method == "GET" else None)
        idempotent = method == "GET"
        waited = 0.0
        last_error: LmsError | None = None
        for attempt in range(self.max_attempts):
            if metered and self.rate_limiter is not None:
                self.rate_limiter.acquire()
            self.calls_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    data=data if method != "GET" else None,
                    auth=(self.api_key, ""),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                if isinstance(exc, requests.Timeout):
                    last_error = LmsTimeout(f"TalentLMS did not answer {action} in time.", action=action)
                else:
                    last_error = LmsUnavailable(
                        f"TalentLMS could not be reached ({type(exc).__name__}).", action=action
                    )
                # A write whose request may have reached the server is not repeated blindly: the
                # caller's next run finds out what happened (creates and enrolments are idempotent
                # there). A connect timeout never reached it, so it is safe to repeat.
                if not idempotent and not isinstance(exc, requests.ConnectTimeout):
                    raise last_error from exc
            else:
                self._note_rate_headers(response)
                if response.status_code == 429:
                    now = self.clock()
                    wait = _retry_after_seconds(response, now)
                    wait = self._backoff(attempt) if wait is None else wait
                    if self.rate_limiter is not None:
                        self.rate_limiter.pause_until(now + wait)
                    last_error = LmsRateLimited(
                        "TalentLMS rate limit exceeded.", retry_at=now + wait, status=429, action=action
                    )
                    if attempt + 1 >= self.max_attempts or waited + wait > self.max_total_wait:
                        raise last_error
                    self.sleep(wait)
                    waited += wait
                    continue
                if response.status_code >= 500:
                    last_error = LmsUnavailable(
                        f"TalentLMS answered {response.status_code} to {action}.",
                        status=response.status_code,
                        action=action,
                    )
                    if not idempotent:
                        raise last_error
                else:
                    return self._payload(response, action)
            # A retryable failure of an idempotent call: back off and try again, within bounds.
            if attempt + 1 >= self.max_attempts:
                break
            wait = self._backoff(attempt)
            if waited + wait > self.max_total_wait:
                break
            self.sleep(wait)
            waited += wait
        assert last_error is not None
        raise last_error

    def _note_rate_headers(self, response: requests.Response) -> None:
        if self.rate_limiter is None:
            return
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is not None and as_int(remaining, -1) == 0 and response.status_code != 429:
            reset = as_int(response.headers.get("X-RateLimit-Reset"), -1)
            if reset > self.clock():
                self.rate_limiter.pause_until(float(reset))

    def _payload(self, response: requests.Response, action: str) -> Any:
        status = response.status_code
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = None
            if status < 400:
                raise LmsMalformedResponse(
                    f"TalentLMS answered {action} with something that is not JSON.",
                    status=status,
                    action=action,
                ) from None
        message = _error_message(payload)
        if status in (401, 403):
            raise LmsAuthenticationError(
                message or "TalentLMS refused the API key (or the API is disabled).",
                status=status,
                action=action,
            )
        if status >= 400 or message:
            lowered = message.lower()
            for fragment, error_type in _MESSAGE_ERRORS:
                if fragment in lowered:
                    raise error_type(message, status=status, action=action)
            if status == 404:
                raise LmsNotFound(
                    message or f"TalentLMS: {action} found nothing.", status=status, action=action
                )
            raise LmsInvalidRequest(
                message or f"TalentLMS answered {status} to {action}.", status=status, action=action
            )
        if payload is None and status != 204:
            raise LmsMalformedResponse(
                f"TalentLMS answered {action} with an empty body.", status=status, action=action
            )
        return payload

    # -- parsing --------------------------------------------------------------------------------------
    def _time(self, record: dict[str, Any], name: str) -> dt.datetime | None:
        return parse_lms_time(record.get(f"{name}_timestamp"), record.get(name), date_format=self.date_format)

    def _user(self, record: Any) -> LmsUser:
        if isinstance(record, list) and record:
            record = record[0]
        if not isinstance(record, dict) or not as_text(record.get("id")):
            raise LmsMalformedResponse("TalentLMS returned a user without an id.")
        return LmsUser(
            id=as_text(record.get("id")),
            email=as_text(record.get("email")).lower(),
            login=as_text(record.get("login")),
            first_name=as_text(record.get("first_name")),
            last_name=as_text(record.get("last_name")),
            active=as_text(record.get("status") or "active").lower() != "inactive",
        )

    # -- the interface ----------------------------------------------------------------------------------
    def find_user_by_email(self, email: str) -> LmsUser | None:
        try:
            return self._user(self.call("users", args={"email": email.strip()}))
        except LmsNotFound:
            return None

    def create_user(self, *, email: str, first_name: str, last_name: str) -> LmsUser:
        login = login_from_email(email)
        for suffix in ("", *(str(n) for n in range(2, 6))):
            try:
                created = self.call(
                    "usersignup",
                    method="POST",
                    data={
                        "first_name": first_name or login,
                        "last_name": last_name or "-",
                        "email": email.strip(),
                        "login": f"{login}{suffix}",
                        "password": strong_password(),
                    },
                )
            except LmsConflict as exc:
                if "login" in exc.message.lower():
                    continue
                raise
            return self._user(created)
        raise LmsConflict(f"Every login derived from {email} is taken in TalentLMS.", action="usersignup")

    def enroll(self, *, user_id: str, course_id: str) -> bool:
        try:
            self.call(
                "addusertocourse",
                method="POST",
                data={"user_id": user_id, "course_id": course_id, "role": "learner"},
            )
        except LmsAlreadyEnrolled:
            return False
        return True

    def status_in_course(self, *, user_id: str, course_id: str) -> LmsCourseStatus | None:
        try:
            record = self.call("getuserstatusincourse", args={"course_id": course_id, "user_id": user_id})
        except LmsNotEnrolled:
            return None
        if not isinstance(record, dict):
            raise LmsMalformedResponse("TalentLMS returned a course status that is not an object.")
        label = as_text(record.get("completion_status"))
        completed = label.lower() == "completed"
        percent = 100 if completed else as_percent(record.get("completion_percentage"))
        units = []
        for unit in record.get("units") or []:
            if isinstance(unit, dict):
                units.append(
                    LmsUnitStatus(
                        id=as_text(unit.get("id")),
                        name=as_text(unit.get("name")),
                        completed=as_text(unit.get("completion_status")).lower() == "completed",
                        completed_at=self._time(unit, "completed_on"),
                    )
                )
        return LmsCourseStatus(
            percent=percent,
            completed=completed,
            status_label=label,
            enrolled_at=self._time(record, "enrolled_on"),
            completed_at=self._time(record, "completed_on") if completed else None,
            units=tuple(units),
        )

    def timeline_since(self, since: dt.datetime, *, event_types: Iterable[str]) -> TimelineRead:
        floor = int(since.timestamp())
        events: list[LmsEvent] = []
        complete = True
        for event_type in event_types:
            payload = self.call("gettimeline", args={"event_type": event_type})
            if not isinstance(payload, list):
                raise LmsMalformedResponse(
                    "TalentLMS returned a timeline that is not a list.", action="gettimeline"
                )
            oldest: int | None = None
            for record in payload:
                if not isinstance(record, dict):
                    continue
                occurred = parse_lms_time(
                    record.get("unix_timestamp"), record.get("timestamp"), date_format=self.date_format
                )
                if occurred is None:
                    continue
                unix = int(occurred.timestamp())
                oldest = unix if oldest is None else min(oldest, unix)
                if unix < floor:
                    continue
                events.append(
                    LmsEvent(
                        action=as_text(record.get("action")) or event_type,
                        occurred_at=occurred,
                        user_id=as_text(record.get("user_id")),
                        object_id=as_text(record.get("object_id")),
                        user_email=as_text(record.get("user_email")).lower(),
                    )
                )
            # The API keeps only its last 200 events: a full page that does not reach back to
            # `since` may have dropped some in between.
            if len(payload) >= self.timeline_limit and (oldest is None or oldest >= floor):
                complete = False
        events.sort(key=lambda e: (e.occurred_at, e.key))
        return TimelineRead(events=events, complete=complete)

    def list_courses(self) -> list[LmsCourse]:
        payload = self.call("courses")
        if not isinstance(payload, list):
            raise LmsMalformedResponse(
                "TalentLMS returned a course list that is not a list.", action="courses"
            )
        courses = []
        for record in payload:
            if not isinstance(record, dict) or not as_text(record.get("id")):
                continue
            prerequisites = tuple(
                as_text(p.get("course_id")) for p in record.get("prerequisites") or [] if isinstance(p, dict)
            )
            courses.append(
                LmsCourse(
                    id=as_text(record.get("id")),
                    name=as_text(record.get("name")),
                    code=as_text(record.get("code")),
                    active=as_text(record.get("status") or "active").lower() == "active",
                    prerequisite_ids=prerequisites,
                )
            )
        return courses

    def rate_limit_status(self) -> dict[str, int]:
        """`/ratelimit` is reportedly unmetered, so it bypasses the shared budget."""
        payload = self.call("ratelimit", metered=False)
        if not isinstance(payload, dict):
            raise LmsMalformedResponse("TalentLMS returned a rate-limit answer that is not an object.")
        return {k: as_int(payload.get(k)) for k in ("limit", "remaining", "reset")}
