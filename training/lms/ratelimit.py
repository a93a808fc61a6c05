"""Call budgets shared by every process that talks to one LMS portal.

TalentLMS allows at most 200 calls per 5 seconds and a per-hour quota that depends on the plan
(2,000 or 10,000). Web requests, Celery workers and management commands may all call the same
portal at once, so the budget lives in the Django cache (Redis in production, a database table in
the embedded setup), never in process memory.

The 5-second limit is a token bucket (capacity = the burst, refilled continuously). Its state is
read and written under a short cache lock (`cache.add` is atomic in both backends). The hourly
quota is a counter per clock hour. A 429 from the server (or X-RateLimit-Remaining: 0) pauses every
process until the server's reset time, through a shared "paused until" key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import BaseCache
from django.core.cache import cache as default_cache

from .base import LmsQuotaExhausted, LmsRateLimited


@dataclass
class RateLimitPolicy:
    burst: int = 200
    window_seconds: float = 5.0
    hourly_quota: int = 2000
    # Longest a caller waits for the bucket before giving up for this run (a worker must not sleep
    # for minutes; the next scheduled run resumes).
    max_wait_seconds: float = 10.0


class SharedRateLimiter:
    LOCK_TTL_SECONDS = 2

    def __init__(
        self,
        scope: str,
        policy: RateLimitPolicy | None = None,
        *,
        cache: BaseCache | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scope = scope
        self.policy = policy or RateLimitPolicy()
        self.cache = cache or default_cache
        self.clock = clock
        self.sleep = sleep

    # -- keys
    def _key(self, name: str) -> str:
        return f"lms-rate:{self.scope}:{name}"

    def _hour_key(self, now: float) -> str:
        return self._key(f"hour:{int(now // 3600)}")

    # -- the hourly quota
    def quota_used(self) -> int:
        return int(self.cache.get(self._hour_key(self.clock()), 0))

    def quota_remaining(self) -> int:
        return max(0, self.policy.hourly_quota - self.quota_used())

    def _consume_quota(self, now: float) -> None:
        key = self._hour_key(now)
        self.cache.add(key, 0, timeout=3700)
        try:
            used = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, timeout=3700)
            used = 1
        if used > self.policy.hourly_quota:
            raise LmsQuotaExhausted(
                "The LMS plan's hourly API quota is used up.", retry_at=(now // 3600 + 1) * 3600
            )

    # -- the short-window bucket
    def pause_until(self, until: float) -> None:
        """Make every process wait (a 429, or the server saying no calls remain until a reset)."""
        current = self.cache.get(self._key("paused-until"))
        if current is None or float(current) < until:
            self.cache.set(self._key("paused-until"), until, timeout=max(1, int(until - self.clock()) + 1))

    def _locked(self, fn: Callable[[], float]) -> float:
        lock = self._key("lock")
        deadline = self.clock() + self.LOCK_TTL_SECONDS * 2
        while not self.cache.add(lock, 1, timeout=self.LOCK_TTL_SECONDS):
            if self.clock() > deadline:
                # A holder died between add and delete; its lock expires by itself. Proceed.
                break
            self.sleep(0.005)
        try:
            return fn()
        finally:
            self.cache.delete(lock)

    def _take_token(self) -> float:
        """Take one token; returns 0.0 on success, else how long to wait before trying again."""
        now = self.clock()
        paused = self.cache.get(self._key("paused-until"))
        if paused and float(paused) > now:
            return float(paused) - now
        capacity = float(self.policy.burst)
        rate = capacity / self.policy.window_seconds
        state = self.cache.get(self._key("bucket")) or (capacity, now)
        tokens, stamp = float(state[0]), float(state[1])
        tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
        if tokens >= 1.0:
            self.cache.set(self._key("bucket"), (tokens - 1.0, now), timeout=3600)
            return 0.0
        self.cache.set(self._key("bucket"), (tokens, now), timeout=3600)
        return (1.0 - tokens) / rate

    def acquire(self) -> None:
        """Block (briefly) until one call may be made, or raise when the wait would be too long."""
        waited = 0.0
        while True:
            wait = self._locked(self._take_token)
            if wait <= 0:
                break
            if waited + wait > self.policy.max_wait_seconds:
                raise LmsRateLimited(
                    "The LMS rate limit would need a longer wait than this run allows.",
                    retry_at=self.clock() + wait,
                )
            self.sleep(wait)
            waited += wait
        self._consume_quota(self.clock())

    def reset(self) -> None:
        now = self.clock()
        self.cache.delete_many(
            [
                self._key("bucket"),
                self._key("paused-until"),
                self._key("lock"),
                self._hour_key(now),
            ]
        )
