"""Which client class speaks to which LMS, and building one from a CoC's saved configuration."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from .base import LmsClient, LmsConfigurationError
from .ratelimit import RateLimitPolicy, SharedRateLimiter
from .talentlms import TalentLmsClient

if TYPE_CHECKING:
    from training.models import LmsConfiguration


def _talentlms(config: LmsConfiguration, limiter: SharedRateLimiter, interactive: bool) -> LmsClient:
    timeout = float(config.timeout_seconds)
    if interactive:
        # Someone is waiting on a page: one attempt, short timeout, no back-off sleeps.
        timeout = min(timeout, 8.0)
    return TalentLmsClient(
        base_url=config.base_url,
        api_key=config.get_api_key(),
        rate_limiter=limiter,
        timeout=(min(3.05, timeout), timeout),
        max_attempts=1 if interactive else 4,
        date_format=config.date_format,
    )


# A new LMS (Moodle, …) adds its builder here and a choice in LmsConfiguration.Provider.
BUILDERS: dict[str, Callable[[LmsConfiguration, SharedRateLimiter, bool], LmsClient]] = {
    "talentlms": _talentlms,
}


def rate_limiter_for(config: LmsConfiguration) -> SharedRateLimiter:
    # Budgets belong to the portal, not the CoC: two CoCs on one portal share one budget.
    scope = hashlib.sha256(f"{config.provider}|{config.base_url.rstrip('/').lower()}".encode()).hexdigest()[
        :16
    ]
    return SharedRateLimiter(
        scope, RateLimitPolicy(burst=config.burst_limit, window_seconds=5.0, hourly_quota=config.hourly_quota)
    )


def client_for(config: LmsConfiguration, *, interactive: bool = False) -> LmsClient:
    if not config.is_usable:
        raise LmsConfigurationError("The CoC's LMS needs a portal address and an API key.")
    builder = BUILDERS.get(config.provider)
    if builder is None:
        raise LmsConfigurationError(f"No client for the LMS “{config.provider}”.")
    from training.crypto import SecretUnreadable

    try:
        return builder(config, rate_limiter_for(config), interactive)
    except SecretUnreadable as exc:
        raise LmsConfigurationError(str(exc)) from exc
