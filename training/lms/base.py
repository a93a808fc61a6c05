"""What the product needs from a learning management system, independent of which one a CoC uses.

Both reference CoCs use TalentLMS (`talentlms.TalentLmsClient`); another LMS (Moodle) plugs in by
implementing `LmsClient` and registering itself in `training.lms.registry`. Everything above this
layer (sync, linking, enrolment) speaks only these types and errors.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


# --- Errors ------------------------------------------------------------------------------------------
class LmsError(Exception):
    """Anything that went wrong talking to the LMS. `retryable` says whether trying later may help."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, action: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.action = action


class LmsConfigurationError(LmsError):
    """The CoC's LMS settings are incomplete or name an LMS this product does not support."""


class LmsAuthenticationError(LmsError):
    """The API key was refused (401), or the API is disabled for the portal (403)."""


class LmsNotFound(LmsError):
    """The user, course or action does not exist in the LMS."""


class LmsConflict(LmsError):
    """A create collided with an existing record (same login or e-mail)."""


class LmsAlreadyEnrolled(LmsConflict):
    pass


class LmsNotEnrolled(LmsError):
    pass


class LmsInvalidRequest(LmsError):
    """The LMS said our arguments were wrong: a bug on our side or bad data, not worth retrying."""


class LmsRateLimited(LmsError):
    """Still rate limited after the bounded back-off; try again at `retry_at` (epoch seconds)."""

    retryable = True

    def __init__(self, message: str, *, retry_at: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_at = retry_at


class LmsQuotaExhausted(LmsRateLimited):
    """The plan's hourly call quota is used up; the next run resumes after `retry_at`."""


class LmsTimeout(LmsError):
    retryable = True


class LmsUnavailable(LmsError):
    """Connection refused, DNS failure or a 5xx answer."""

    retryable = True


class LmsMalformedResponse(LmsError):
    """The answer was not the JSON shape the API documents (HTML error page, truncated body, …)."""

    retryable = True


# --- Values ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LmsUser:
    id: str
    email: str
    login: str = ""
    first_name: str = ""
    last_name: str = ""
    active: bool = True


@dataclass(frozen=True)
class LmsCourse:
    id: str
    name: str
    code: str = ""
    active: bool = True
    prerequisite_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LmsUnitStatus:
    id: str
    name: str
    completed: bool
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class LmsCourseStatus:
    """A person's standing in one course, as the LMS reports it now."""

    percent: int
    completed: bool
    status_label: str = ""
    enrolled_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    units: tuple[LmsUnitStatus, ...] = ()


@dataclass(frozen=True)
class LmsEvent:
    """One timeline entry. `key` identifies it across re-reads (the API has no event id)."""

    action: str
    occurred_at: dt.datetime
    user_id: str = ""
    object_id: str = ""
    user_email: str = ""

    @property
    def unix(self) -> int:
        return int(self.occurred_at.timestamp())

    @property
    def key(self) -> str:
        return f"{self.action}|{self.user_id}|{self.object_id}|{self.unix}"


@dataclass(frozen=True)
class TimelineRead:
    """Events since a moment, oldest first. `complete` is False when the LMS only keeps its most
    recent N events and more than that happened since the moment asked for: some were lost, and the
    caller must fall back to reading course statuses."""

    events: list[LmsEvent]
    complete: bool = True


# Event kinds the sync reads; names are the product's, each client maps its own onto them.
EVENT_COURSE_COMPLETED = "course_completion"
EVENT_COURSE_RESET = "course_reset_user_progress"
EVENT_COURSE_ENROLLED = "course_add_user"


# --- The interface ------------------------------------------------------------------------------------
class LmsClient(abc.ABC):
    """One CoC's LMS. Implementations must be safe to call from several processes at once."""

    provider: str = ""

    @abc.abstractmethod
    def find_user_by_email(self, email: str) -> LmsUser | None: ...

    @abc.abstractmethod
    def create_user(self, *, email: str, first_name: str, last_name: str) -> LmsUser: ...

    def find_or_create_user(self, *, email: str, first_name: str, last_name: str) -> tuple[LmsUser, bool]:
        """The person's existing account when there is one (their history stays in one place)."""
        existing = self.find_user_by_email(email)
        if existing is not None:
            return existing, False
        try:
            return self.create_user(email=email, first_name=first_name, last_name=last_name), True
        except LmsConflict:
            # Created by a concurrent call between our lookup and our create.
            again = self.find_user_by_email(email)
            if again is None:
                raise
            return again, False

    @abc.abstractmethod
    def enroll(self, *, user_id: str, course_id: str) -> bool:
        """Enrol as a learner; True if newly enrolled, False if they already were."""

    @abc.abstractmethod
    def status_in_course(self, *, user_id: str, course_id: str) -> LmsCourseStatus | None:
        """None when the person is not enrolled in the course."""

    @abc.abstractmethod
    def timeline_since(self, since: dt.datetime, *, event_types: Iterable[str]) -> TimelineRead:
        """Events at or after `since`, oldest first."""

    @abc.abstractmethod
    def list_courses(self) -> list[LmsCourse]: ...

    # Calls made through this client (for run reports) and its shared budget, when it has one.
    calls_made: int = 0
    rate_limiter: Any = None
