"""The page shell's context: the current CoC, the person's roles there, and their navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from .navigation import build_nav
from .permissions import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    continuum = getattr(request, "continuum", None)
    access = getattr(request, "access", None)
    context: dict[str, Any] = {
        "current_continuum": continuum,
        "access": access,
        "demo_mode": settings.DEMO_MODE,
    }
    if continuum is None or access is None:
        return context
    context["access_role_labels"] = sorted(Role(r).label for r in access.roles)
    context["nav"] = build_nav(request, reverse("tenant_home", args=[continuum.slug]))
    return context
