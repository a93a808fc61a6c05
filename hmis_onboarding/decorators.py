"""View guards. Tenant membership is checked by TenantMiddleware; these check the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .tenancy import record_refusal


def tenant_view(
    capability: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Mark a view as a tenant page; with a capability, people whose roles lack it get a 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            access = getattr(request, "access", None)
            if access is None:  # pragma: no cover - TenantMiddleware always runs first
                raise PermissionDenied("This page belongs to a Continuum of Care.")
            if capability and not access.can(capability):
                record_refusal(
                    request, reason=f"missing capability {capability}", continuum=request.continuum
                )
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability  # type: ignore[attr-defined]
        return wrapper

    return decorator
