"""Resolving the tenant from the URL, and who a person is inside it.

URLs of tenant pages start with `/<continuum_slug>/`. The middleware resolves that slug once per
request into `request.continuum` and `request.access` (the person's roles there). Someone who is
not a member gets a 404 — the same answer as for a CoC that does not exist — and the refusal is
recorded in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from .permissions import MFA_REQUIRED_ROLES, STAFF_ROLES, capabilities_for

TENANT_KWARG = "continuum_slug"

# The CoC's one-row settings (reverse one-to-one relations of Continuum) that a page read loads in
# the same query as the CoC: working hours, notification settings, training policy, and the version
# of its course catalog (`training.catalog_version`).
PRELOADED_SETTINGS = ("business_calendar", "notification_settings", "training_policy", "catalog_version")


def preloaded(continuum: Any, relation: str) -> tuple[bool, Any]:
    """(True, the row or None) when `relation` came with the continuum (a page read), else
    (False, None): the caller reads it itself. Saves each panel re-reading the CoC's settings."""
    # Only the request's own continuum: Django also caches these rows on any Continuum a query was
    # filtered by, and a long-lived instance (a task, a test) must not keep reading that copy.
    if not getattr(continuum, "_settings_preloaded", False):
        return False, None
    field = continuum._meta.get_field(relation)
    if field.is_cached(continuum):
        return True, field.get_cached_value(continuum)
    return False, None


@dataclass(frozen=True)
class Access:
    """What one person may do in one CoC: their active roles there and the agencies they hold them in."""

    continuum: Any
    user: Any
    roles: frozenset[str]
    agency_ids: frozenset[int]
    agency_roles: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_for(self.roles)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def is_member(self) -> bool:
        return bool(self.roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def requires_mfa(self) -> bool:
        return bool(self.roles & MFA_REQUIRED_ROLES)

    def roles_in_agency(self, agency_id: int) -> frozenset[str]:
        return self.agency_roles.get(agency_id, frozenset())


def access_for(continuum: Any, user: Any) -> Access:
    """The person's access in a CoC, computed once per request and cached on the user object."""
    from agencies.models import Membership

    cache: dict[int, Access] = user.__dict__.setdefault("_access_cache", {})
    if continuum.pk in cache:
        return cache[continuum.pk]
    roles: set[str] = set()
    agency_roles: dict[int, set[str]] = {}
    if user.is_authenticated and user.is_active:
        for role, agency_id in Membership.objects.filter(
            continuum=continuum, user=user, is_active=True
        ).values_list("role", "agency_id"):
            roles.add(role)
            if agency_id:
                agency_roles.setdefault(agency_id, set()).add(role)
    access = Access(
        continuum=continuum,
        user=user,
        roles=frozenset(roles),
        agency_ids=frozenset(agency_roles),
        agency_roles={k: frozenset(v) for k, v in agency_roles.items()},
    )
    cache[continuum.pk] = access
    return access


def record_refusal(request: HttpRequest, *, reason: str, continuum: Any = None, **metadata: Any) -> None:
    from .audit import audit_record

    audit_record(
        action="authorization.refused",
        actor=request.user,
        continuum=continuum,
        metadata={"path": request.path[:300], "method": request.method, "reason": reason, **metadata},
    )


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.continuum = None  # type: ignore[attr-defined]
        request.access = None  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if TENANT_KWARG not in view_kwargs:
            return None
        slug = view_kwargs.pop(TENANT_KWARG)
        if not request.user.is_authenticated:
            if request.path.startswith("/api/"):
                # An API client cannot follow a redirect to a sign-in form.
                from .api import json_error

                return json_error(401, "not_authenticated", "Authentication credentials were not provided.")
            return redirect_to_login(request.get_full_path())
        from agencies.models import Continuum

        continuum = Continuum.objects.filter(slug=slug)
        if request.method in ("GET", "HEAD"):
            # A page read once loads the CoC's one-row settings with the CoC itself (see
            # `preloaded`); a write re-reads them, so it never acts on a copy from before it.
            continuum = continuum.select_related(*PRELOADED_SETTINGS)
        continuum = continuum.first()
        if continuum is not None and request.method in ("GET", "HEAD"):
            continuum._settings_preloaded = True  # type: ignore[attr-defined]
        if continuum is None:
            record_refusal(request, reason="unknown continuum", slug=slug[:60])
            raise Http404("No such Continuum of Care.")
        access = access_for(continuum, request.user)
        if not access.is_member:
            record_refusal(request, reason="not a member", continuum=continuum)
            raise Http404("No such Continuum of Care.")
        request.continuum = continuum  # type: ignore[attr-defined]
        request.access = access  # type: ignore[attr-defined]
        if getattr(request, "api_token", None) is not None:
            return None  # a token request has no session to keep alive
        # The CoC's own idle timeout governs the session from now on (see SessionLifetimeMiddleware).
        # (Written only on change, so that reading a page does not rewrite the session row.)
        for key, value in (
            ("idle_timeout_s", continuum.idle_timeout_minutes * 60),
            ("last_continuum", continuum.slug),
        ):
            if request.session.get(key) != value:
                request.session[key] = value
        return None
