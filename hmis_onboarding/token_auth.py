"""Bearer-token authentication for integrations.

`Authorization: Bearer hmis_…` on an /api/ request. The token is resolved in middleware, before
TenantMiddleware, because the tenant check needs to know who is asking; the DRF authentication
class then only reports what the middleware found. The token's principal gets exactly the token's
role in the token's CoC (seeded into `access_for`'s per-request cache) and nothing anywhere else.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiToken
from .tenancy import Access

KEY_PREFIX = "hmis_"
# last_used_at is a hint for administrators, not a log: written at most this often per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip()


def token_for_key(key: str) -> ApiToken | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    token = (
        ApiToken.objects.select_related("principal", "continuum")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.principal.is_active:
        return None
    return token


def token_access(token: ApiToken) -> Access:
    return Access(
        continuum=token.continuum,
        user=token.principal,
        roles=frozenset({token.role}),
        agency_ids=frozenset(),
        agency_roles={},
    )


class ApiTokenMiddleware:
    """Resolves a bearer token on /api/ requests; a bad or revoked token is a 401, never a fallback
    to the browser session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_token = None  # type: ignore[attr-defined]
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        key = _bearer(request)
        if key is None:
            return self.get_response(request)
        from .api import json_error

        token = token_for_key(key)
        if token is None:
            return json_error(401, "authentication_failed", "Invalid or revoked token.")
        user = token.principal
        user.__dict__["_access_cache"] = {token.continuum_id: token_access(token)}
        request.user = user
        request._cached_user = user  # type: ignore[attr-defined]
        request.api_token = token  # type: ignore[attr-defined]
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return self.get_response(request)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Reports the token ApiTokenMiddleware resolved (so CSRF does not apply to token requests)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        token = getattr(request._request, "api_token", None)
        if token is not None:
            return (token.principal, token)
        if _bearer(request._request) is not None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return None

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "hmis_onboarding.token_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A CoC API token (Administration → API tokens), scoped to one CoC and one role.",
        }
