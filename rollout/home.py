"""The ATA's own rollout obligations on their home page."""

from __future__ import annotations

from django.http import HttpRequest

from hmis_onboarding.home import Panel, register_home_panel

from .selectors import my_obligations


@register_home_panel(order=5)
def my_obligations_panel(request: HttpRequest) -> Panel | None:
    if request.access.is_staff:
        return None
    mine = my_obligations(continuum=request.continuum, user=request.user)
    return Panel("rollout/panels/my_obligations.html", {"obligations": mine}) if mine else None
