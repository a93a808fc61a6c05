"""A local stand-in for a TalentLMS portal's v1 API, for tests and demos (never for production).

It speaks what shared/reference/talentlms-api.md documents: HTTP Basic with the API key, GET
arguments as one `key:value,key:value` path segment (percent-decoded), form-encoded POSTs, string
values, "" for missing dates next to null `*_timestamp`s, the exact v1 error messages, 401 with an
HTML body for a bad key, and 429 once more calls arrive than the configured rate allows.

Faults for tests: per-action delays (longer than the client's timeout = a timeout), malformed
answers (HTML, truncated JSON, wrong shape, empty), and queued failures with any status and body.

    with FakeTalentLms(api_key="k") as fake:
        course = fake.add_course("Introduction to HMIS")
        client = TalentLmsClient(base_url=fake.base_url, api_key="k")

It binds to 127.0.0.1 on a free port and serves from a daemon thread; `stop()` returns at once even
while a request is held in a delay.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import datetime as dt
import itertools
import json
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MESSAGES = {
    "no_user": "The requested user does not exist",
    "no_course": "The requested course does not exist",
    "enrolled": "The requested user is already enrolled in this course",
    "not_enrolled": "The requested user is not enrolled in this course",
    "login_taken": "A user with the same login already exists",
    "email_taken": "A user with the same email address already exists",
    "invalid": "Invalid arguments provided",
    "no_action": "The requested API action does not exist",
}

TIMELINE_LIMIT = 200
DATE_FORMATS = {"DMY": "%d/%m/%Y, %H:%M:%S", "MDY": "%m/%d/%Y, %I:%M:%S %p", "YMD": "%Y/%m/%d, %H:%M:%S"}
UNAUTHORIZED_HTML = (
    "<!DOCTYPE html><html><head><title>401 Unauthorized</title></head>"
    "<body><h1>Unauthorized</h1><p>Invalid API key.</p></body></html>"
)


class _Fault(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


@dataclass
class QueuedFailure:
    status: int
    body: str
    headers: dict[str, str]
    action: str | None
    content_type: str = "application/json"


@dataclass
class FakeEnrollment:
    user_id: int
    course_id: int
    role: str
    enrolled_on: float
    percent: int = 0
    completed_on: float | None = None
    total_time_seconds: int = 0


@dataclass
class FakeState:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    enrollments: dict[tuple[int, int], FakeEnrollment] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)


class FakeTalentLms:
    def __init__(
        self,
        *,
        api_key: str = "fake-talentlms-key",
        rate_limit: tuple[int, float] = (200, 5.0),
        hourly_limit: int | None = None,
        retry_after: int | None = None,
        send_rate_headers: bool = True,
        date_format: str = "DMY",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.hourly_limit = hourly_limit
        self.retry_after = retry_after
        self.send_rate_headers = send_rate_headers
        self.date_format = date_format
        self.clock = clock
        self.state = FakeState()
        self.lock = threading.RLock()
        self.delays: dict[str, float] = {}
        self.malformed: dict[str, tuple[str, int | None]] = {}
        self.failures: collections.deque[QueuedFailure] = collections.deque()
        self.calls: list[tuple[float, str, str, dict[str, str]]] = []
        self._window: collections.deque[float] = collections.deque()
        self._hour: collections.deque[float] = collections.deque()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FakeTalentLms:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="fake-talentlms", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTalentLms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- fault injection ---------------------------------------------------------------------------------
    def set_delay(self, action: str, seconds: float) -> None:
        """Hold every answer to `action` ("*" = all actions) this long before replying."""
        self.delays[action] = seconds

    def set_malformed(self, action: str, kind: str, times: int | None = None) -> None:
        """kind: html | truncated | wrong_shape | empty; `times` answers (None = until cleared)."""
        assert kind in ("html", "truncated", "wrong_shape", "empty")
        self.malformed[action] = (kind, times)

    def fail_next(
        self,
        status: int = 500,
        *,
        times: int = 1,
        action: str | None = None,
        body: str | dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if body is None:
            body = {"error": {"type": "api_error", "message": "Internal server error"}}
        text = json.dumps(body) if isinstance(body, dict) else body
        ctype = "application/json" if isinstance(body, dict) else "text/html; charset=utf-8"
        for _ in range(times):
            self.failures.append(QueuedFailure(status, text, headers or {}, action, ctype))

    def calls_to(self, action: str) -> int:
        return sum(1 for c in self.calls if c[1] == action)

    # -- data set-up (what an LMS administrator would do in the portal) --------------------------------
    def add_course(
        self, name: str, *, course_id: int | None = None, units: list[str] | None = None, prerequisites=()
    ) -> dict[str, Any]:
        with self.lock:
            cid = course_id or self._next_id(self.state.courses)
            unit_names = units or ["Lesson", "Assessment"]
            course = {
                "id": cid,
                "name": name,
                "code": f"C{cid:03d}",
                "category_id": "1",
                "description": "",
                "price": "&#36;0.00",
                "status": "active",
                "creation_date": self._fmt(self.clock()),
                "last_update_on": self._fmt(self.clock()),
                "creator_id": "1",
                "hide_from_catalog": "0",
                "time_limit": "0",
                "level": "1",
                "shared": "0",
                "shared_url": "",
                "avatar": "",
                "big_avatar": "",
                "certification": "",
                "certification_duration": "",
                "start_datetime": "",
                "expiration_datetime": "",
                "units": [
                    {"id": str(cid * 100 + i), "type": "Content", "name": n, "url": ""}
                    for i, n in enumerate(unit_names, 1)
                ],
                "rules": ["All units must be completed"],
                "prerequisites": list(prerequisites),
            }
            self.state.courses[cid] = course
            return course

    def add_user(
        self, email: str, first_name: str = "Test", last_name: str = "Person", login: str = ""
    ) -> dict:
        with self.lock:
            return self._create_user(
                {
                    "email": email,
                    "first_name": first_name,
                    "last_name": last_name,
                    "login": login or email.split("@")[0],
                    "password": "Aa1aaaaaaa",
                }
            )

    def set_progress(self, user_id: int | str, course_id: int | str, percent: int) -> None:
        """Move a learner's progress as if they worked in the course; 100 completes it (+ event)."""
        with self.lock:
            enrollment = self.state.enrollments[(int(user_id), int(course_id))]
            enrollment.percent = max(0, min(100, int(percent)))
            enrollment.total_time_seconds += 60
            if enrollment.percent == 100 and enrollment.completed_on is None:
                enrollment.completed_on = self.clock()
                self._event("course_completion", int(user_id), int(course_id))

    def reset_progress(self, user_id: int | str, course_id: int | str) -> None:
        with self.lock:
            enrollment = self.state.enrollments[(int(user_id), int(course_id))]
            enrollment.percent, enrollment.completed_on = 0, None
            self._event("course_reset_user_progress", int(user_id), int(course_id))

    def simulate_learning(
        self, rng: random.Random | None = None, step: int = 20, skip_courses: frozenset[int] = frozenset()
    ) -> int:
        """Advance a few unfinished learners (for `run_fake_lms --simulate`); returns how many moved."""
        rng = rng or random.Random()
        moved = 0
        with self.lock:
            for (uid, cid), enrollment in list(self.state.enrollments.items()):
                if cid in skip_courses:
                    continue
                if enrollment.percent < 100 and self._prerequisites_met(uid, cid) and rng.random() < 0.5:
                    self.set_progress(uid, cid, enrollment.percent + rng.randint(5, step))
                    moved += 1
        return moved

    # -- internals -------------------------------------------------------------------------------------
    def _next_id(self, table: dict[int, Any]) -> int:
        while True:
            candidate = next(self._ids)
            if candidate not in table:
                return candidate

    def _fmt(self, moment: float | None) -> str:
        if moment is None:
            return ""
        pattern = DATE_FORMATS.get(self.date_format, DATE_FORMATS["DMY"])
        return dt.datetime.fromtimestamp(moment, tz=dt.UTC).strftime(pattern)

    @staticmethod
    def _ts(moment: float | None) -> str | None:
        return None if moment is None else str(int(moment))

    def _event(self, action: str, user_id: int, course_id: int) -> None:
        user = self.state.users.get(user_id, {})
        course = self.state.courses.get(course_id, {})
        now = self.clock()
        self.state.timeline.append(
            {
                "action": action,
                "message": f"{user.get('login', '')} {action.replace('_', ' ')} {course.get('name', '')}",
                "timestamp": self._fmt(now),
                "unix_timestamp": str(int(now)),
                "user_id": str(user_id),
                "user_username": user.get("login", ""),
                "user_email": user.get("email", ""),
                "user_fullname": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
                "object_id": str(course_id),
                "object_name": course.get("name", ""),
                "secondary_object_id": "-",
                "secondary_object_name": "-",
                "event_counter": "-",
            }
        )

    def _prerequisites_met(self, user_id: int, course_id: int) -> bool:
        for prerequisite in self.state.courses.get(course_id, {}).get("prerequisites", []):
            other = self.state.enrollments.get((user_id, int(prerequisite["course_id"])))
            if other is None or other.percent < 100:
                return False
        return True

    def _create_user(self, fields: dict[str, str]) -> dict[str, Any]:
        required = ("first_name", "last_name", "email", "login", "password")
        if any(not fields.get(k, "").strip() for k in required):
            raise _Fault(400, MESSAGES["invalid"])
        email, login = fields["email"].strip().lower(), fields["login"].strip()
        if any(u["login"].lower() == login.lower() for u in self.state.users.values()):
            raise _Fault(400, MESSAGES["login_taken"])
        if any(u["email"].lower() == email for u in self.state.users.values()):
            raise _Fault(400, MESSAGES["email_taken"])
        password = fields["password"]
        if not (
            len(password) >= 8
            and any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            raise _Fault(400, MESSAGES["invalid"])
        uid = self._next_id(self.state.users)
        now = self.clock()
        user = {
            "id": uid,
            "login": login,
            "first_name": fields["first_name"].strip(),
            "last_name": fields["last_name"].strip(),
            "email": email,
            "restrict_email": "1" if fields.get("restrict_email") in ("on", "1") else "0",
            "user_type": "Learner-Type",
            "timezone": "(GMT -06:00) Central Time (US & Canada)",
            "language": "English",
            "status": "active",
            "deactivation_date": "",
            "level": "1",
            "points": "0",
            "created_on": self._fmt(now),
            "last_updated": self._fmt(now),
            "last_updated_timestamp": self._ts(now),
            "avatar": "",
            "bio": "",
            "login_key": f"/index/autologin/key:{uid:08d}",
        }
        self.state.users[uid] = user
        self._event("user_register_user", uid, 0)
        return user

    def _public_user(self, user: dict[str, Any], *, detailed: bool) -> dict[str, Any]:
        out = {k: (str(v) if k == "id" else v) for k, v in user.items()}
        if detailed:
            out["courses"] = [
                self._user_course(e)
                for (uid, _cid), e in sorted(self.state.enrollments.items())
                if uid == user["id"]
            ]
            out["branches"], out["groups"], out["certifications"], out["badges"] = [], [], [], []
        return out

    def _user_course(self, e: FakeEnrollment) -> dict[str, Any]:
        return {
            "id": str(e.course_id),
            "name": self.state.courses[e.course_id]["name"],
            "role": e.role,
            "enrolled_on": self._fmt(e.enrolled_on),
            "enrolled_on_timestamp": self._ts(e.enrolled_on),
            "completed_on": self._fmt(e.completed_on),
            "completed_on_timestamp": self._ts(e.completed_on),
            "completion_status": "Completed"
            if e.completed_on
            else ("incomplete" if e.percent else "not_attempted"),
            "completion_percentage": str(e.percent),
            "expired_on": "",
            "expired_on_timestamp": None,
            "total_time": f"{e.total_time_seconds // 60}m",
        }

    def _find_user(self, args: dict[str, str]) -> dict[str, Any]:
        if "id" in args:
            user = self.state.users.get(_int(args["id"]))
        elif "email" in args:
            user = next((u for u in self.state.users.values() if u["email"] == args["email"].lower()), None)
        elif "username" in args:
            user = next((u for u in self.state.users.values() if u["login"] == args["username"]), None)
        else:
            raise _Fault(400, MESSAGES["invalid"])
        if user is None:
            raise _Fault(404, MESSAGES["no_user"])
        return user

    def _course(self, value: str | None) -> dict[str, Any]:
        if value is None:
            raise _Fault(400, MESSAGES["invalid"])
        course = self.state.courses.get(_int(value))
        if course is None:
            raise _Fault(404, MESSAGES["no_course"])
        return course

    def _user_by_id(self, value: str | None) -> dict[str, Any]:
        if value is None:
            raise _Fault(400, MESSAGES["invalid"])
        user = self.state.users.get(_int(value))
        if user is None:
            raise _Fault(404, MESSAGES["no_user"])
        return user

    # -- the API ------------------------------------------------------------------------------------------
    def dispatch(self, method: str, action: str, args: dict[str, str]) -> Any:
        with self.lock:
            handler = getattr(self, f"_api_{action}", None)
            if handler is None:
                raise _Fault(400, MESSAGES["no_action"], "api_error")
            return handler(method, args)

    def _api_users(self, method: str, args: dict[str, str]) -> Any:
        if args:
            return self._public_user(self._find_user(args), detailed=True)
        return [self._public_user(u, detailed=False) for u in self.state.users.values()]

    def _api_usersignup(self, method: str, args: dict[str, str]) -> Any:
        if method != "POST":
            raise _Fault(400, MESSAGES["invalid"])
        user = self._create_user(args)
        # usersignup is one place the real API answers with an integer id.
        return self._public_user(user, detailed=False) | {"id": user["id"]}

    def _api_edituser(self, method: str, args: dict[str, str]) -> Any:
        user = self._user_by_id(args.get("user_id"))
        editable = ("first_name", "last_name", "email", "login", "password", "bio", "timezone")
        if not any(k in args for k in editable):
            raise _Fault(400, MESSAGES["invalid"])
        if "email" in args:
            email = args["email"].lower()
            if any(u["email"] == email and u["id"] != user["id"] for u in self.state.users.values()):
                raise _Fault(400, MESSAGES["email_taken"])
        for key in editable:
            if key in args and key != "password":
                user[key] = args[key].lower() if key == "email" else args[key]
        user["last_updated_timestamp"] = self._ts(self.clock())
        self._event("user_property_change", user["id"], 0)
        return self._public_user(user, detailed=False)

    def _api_usersetstatus(self, method: str, args: dict[str, str]) -> Any:
        user = self._user_by_id(args.get("user_id"))
        if args.get("status") not in ("active", "inactive"):
            raise _Fault(400, MESSAGES["invalid"])
        user["status"] = args["status"]
        return {"user_id": str(user["id"]), "status": user["status"]}

    def _api_courses(self, method: str, args: dict[str, str]) -> Any:
        if "id" in args:
            course = dict(self._course(args["id"]))
            course["id"] = str(course["id"])
            course["users"] = [
                {"id": str(uid), "name": self.state.users[uid]["login"], "role": e.role}
                | self._user_course(e)
                for (uid, cid), e in self.state.enrollments.items()
                if cid == int(course["id"])
            ]
            return course
        keys = ("id", "name", "code", "category_id", "description", "price", "status", "creation_date")
        return [
            {k: str(c[k]) for k in keys} | {"prerequisites": c["prerequisites"]}
            for c in self.state.courses.values()
        ]

    def _api_addusertocourse(self, method: str, args: dict[str, str]) -> Any:
        if method != "POST":
            raise _Fault(400, MESSAGES["invalid"])
        user = self._user_by_id(args.get("user_id"))
        course = self._course(args.get("course_id"))
        role = args.get("role", "learner")
        if role not in ("learner", "instructor"):
            raise _Fault(400, MESSAGES["invalid"])
        key = (user["id"], course["id"])
        if key in self.state.enrollments:
            raise _Fault(400, MESSAGES["enrolled"])
        self.state.enrollments[key] = FakeEnrollment(user["id"], course["id"], role, self.clock())
        self._event("course_add_user", user["id"], course["id"])
        return [{"user_id": str(user["id"]), "course_id": str(course["id"]), "role": role}]

    def _api_getuserstatusincourse(self, method: str, args: dict[str, str]) -> Any:
        course = self._course(args.get("course_id"))
        user = self._user_by_id(args.get("user_id"))
        e = self.state.enrollments.get((user["id"], course["id"]))
        if e is None:
            raise _Fault(400, MESSAGES["not_enrolled"])
        units = course["units"]
        done_units = len(units) * e.percent // 100
        return {
            "role": e.role,
            "enrolled_on": self._fmt(e.enrolled_on),
            "enrolled_on_timestamp": self._ts(e.enrolled_on),
            "completion_status": "Completed"
            if e.completed_on
            else ("incomplete" if e.percent else "not_attempted"),
            "completion_percentage": str(e.percent),
            "completed_on": self._fmt(e.completed_on),
            "completed_on_timestamp": self._ts(e.completed_on),
            "expired_on": "",
            "expired_on_timestamp": None,
            "total_time": f"{e.total_time_seconds // 60}m",
            "units": [
                {
                    "id": u["id"],
                    "name": u["name"],
                    "type": u["type"],
                    "completion_status": "Completed" if i < done_units else "Not attempted",
                    "completed_on": self._fmt(e.completed_on) if i < done_units else "",
                    "completed_on_timestamp": self._ts(e.completed_on) if i < done_units else None,
                    "score": "",
                    "total_time": "",
                }
                for i, u in enumerate(units)
            ],
        }

    def _api_gettimeline(self, method: str, args: dict[str, str]) -> Any:
        event_type = args.get("event_type")
        if not event_type:
            raise _Fault(400, MESSAGES["invalid"])
        events = [e for e in self.state.timeline if e["action"] == event_type]
        for name in ("user_id", "course_id"):
            if name in args:
                field_name = "object_id" if name == "course_id" else name
                events = [e for e in events if e[field_name] == str(_int(args[name]))]
        return list(reversed(events[-TIMELINE_LIMIT:]))

    def _api_resetuserprogress(self, method: str, args: dict[str, str]) -> Any:
        course = self._course(args.get("course_id"))
        user = self._user_by_id(args.get("user_id"))
        if (user["id"], course["id"]) not in self.state.enrollments:
            raise _Fault(400, MESSAGES["not_enrolled"])
        self.reset_progress(user["id"], course["id"])
        return {"message": "Progress has been reset"}

    def _api_gotocourse(self, method: str, args: dict[str, str]) -> Any:
        course = self._course(args.get("course_id"))
        user = self._user_by_id(args.get("user_id"))
        return {"goto_url": f"{self.base_url}/index/autologin/key:{user['id']:08d}/course:{course['id']}"}

    def _api_ratelimit(self, method: str, args: dict[str, str]) -> Any:
        limit, _ = self.rate_limit
        return {
            "limit": str(limit),
            "remaining": str(max(0, limit - len(self._window))),
            "reset": str(int(self.clock()) + 5),
            "formatted_reset": self._fmt(self.clock() + 5),
        }

    def _api_siteinfo(self, method: str, args: dict[str, str]) -> Any:
        return {
            "total_users": str(len(self.state.users)),
            "total_courses": str(len(self.state.courses)),
            "domain": "fake.talentlms.local",
            "date_format": {"DMY": "DDMMYYYY", "MDY": "MMDDYYYY", "YMD": "YYYYMMDD"}[self.date_format],
            "signup_method": "manual",
            "paypal_email": "",
            "domain_map": "",
        }

    # -- per-request gates ----------------------------------------------------------------------------
    def admit(self, action: str) -> tuple[int, dict[str, str]] | None:
        """Rate limits; returns (429, headers) when the call is refused. `ratelimit` is unmetered."""
        if action == "ratelimit":
            return None
        now = self.clock()
        limit, window = self.rate_limit
        with self.lock:
            while self._window and self._window[0] <= now - window:
                self._window.popleft()
            while self._hour and self._hour[0] <= now - 3600:
                self._hour.popleft()
            refused = len(self._window) >= limit or (
                self.hourly_limit is not None and len(self._hour) >= self.hourly_limit
            )
            if refused:
                reset = (self._window[0] + window) if len(self._window) >= limit else (self._hour[0] + 3600)
                headers = {}
                if self.send_rate_headers:
                    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"}
                    headers["X-RateLimit-Reset"] = str(int(reset) + 1)
                if self.retry_after is not None:
                    headers["Retry-After"] = str(self.retry_after)
                return 429, headers
            self._window.append(now)
            self._hour.append(now)
        return None

    def rate_headers(self) -> dict[str, str]:
        if not self.send_rate_headers:
            return {}
        limit, window = self.rate_limit
        with self.lock:
            remaining = max(0, limit - len(self._window))
            reset = int((self._window[0] if self._window else self.clock()) + window) + 1
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }

    def take_failure(self, action: str) -> QueuedFailure | None:
        with self.lock:
            for failure in list(self.failures):
                if failure.action in (None, action):
                    self.failures.remove(failure)
                    return failure
        return None

    def take_malformed(self, action: str) -> str | None:
        with self.lock:
            for key in (action, "*"):
                if key in self.malformed:
                    kind, times = self.malformed[key]
                    if times is not None:
                        if times <= 1:
                            del self.malformed[key]
                        else:
                            self.malformed[key] = (kind, times - 1)
                    return kind
        return None

    def wait(self, action: str) -> None:
        delay = self.delays.get(action, self.delays.get("*", 0.0))
        if delay:
            self._stopping.wait(delay)


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise _Fault(400, MESSAGES["invalid"]) from None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTalentLms
    protocol_version = "HTTP/1.1"
    server_version = "FakeTalentLMS/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        return

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms
        # to every answer on a keep-alive connection.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _send(self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        # The client may have given up (timeout tests): its closed socket is not our error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload), "application/json", headers)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        key, _, _password = decoded.partition(":")
        return key == self.fake.api_key

    def _serve(self, method: str) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length).decode() if length else ""
        path = urlsplit(self.path).path
        prefix = "/api/v1/"
        if not path.startswith(prefix):
            self._send(404, "<html><body>Not found</body></html>", "text/html")
            return
        action, _, arg_text = path[len(prefix) :].partition("/")
        args: dict[str, str] = {}
        # Everything after /{action}/ is the argument string: base64 values may hold / + =.
        for pair in filter(None, arg_text.split(",")):
            key, _, value = pair.partition(":")
            args[unquote(key)] = unquote(value)
        if method == "POST":
            args.update(dict(parse_qsl(raw_body, keep_blank_values=True)))
        fake.calls.append((fake.clock(), action, method, args))

        if not self._authorized():
            self._send(
                401, UNAUTHORIZED_HTML, "text/html; charset=utf-8", {"WWW-Authenticate": 'Basic realm="API"'}
            )
            return
        refused = fake.admit(action)
        if refused is not None:
            status, headers = refused
            self._json(
                status, {"error": {"type": "rate_limit_error", "message": "Rate limit exceeded"}}, headers
            )
            return
        fake.wait(action)
        failure = fake.take_failure(action)
        if failure is not None:
            self._send(failure.status, failure.body, failure.content_type, failure.headers)
            return
        try:
            payload = fake.dispatch(method, action, args)
        except _Fault as fault:
            self._json(
                fault.status, {"error": {"type": fault.kind, "message": fault.message}}, fake.rate_headers()
            )
            return
        malformed = fake.take_malformed(action)
        if malformed == "html":
            self._send(200, "<html><body><h1>Maintenance</h1></body></html>", "text/html")
        elif malformed == "truncated":
            self._send(200, json.dumps(payload)[: max(1, len(json.dumps(payload)) // 2)], "application/json")
        elif malformed == "wrong_shape":
            self._json(200, "OK")
        elif malformed == "empty":
            self._send(200, "", "application/json")
        else:
            self._json(200, payload, fake.rate_headers())
