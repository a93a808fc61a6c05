"""The configuration history: every change to the CoC's configuration, who made it, when, and the
difference it made (read from the audit trail; see hmis_onboarding.config_history)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import selectors
from .config_history import area_of, config_areas, diff
from .decorators import tenant_view
from .permissions import Capability
from .tenancy import record_refusal


def _what(action: str) -> str:
    """ "rollout.phase_changed" → "Phase changed"."""
    return action.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@tenant_view()
def configuration_history(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    if not selectors.may_read_configuration_history(request.access):
        record_refusal(
            request, reason=f"missing capability {Capability.CONFIGURE_CONTINUUM}", continuum=continuum
        )
        raise PermissionDenied("Your role does not include this page.")
    areas = config_areas()
    area = request.GET.get("area", "")
    if area not in {a.key for a in areas}:
        area = ""
    events = selectors.configuration_history(continuum=continuum, user=user, area=area)
    page = Paginator(events, 30).get_page(request.GET.get("page"))
    can_configure = request.access.can(Capability.CONFIGURE_CONTINUUM)
    rows = []
    for event in page:
        found = area_of(event.action)
        rows.append(
            {
                "event": event,
                "area": found.label if found else "",
                "what": _what(event.action),
                "changes": diff(event.before or {}, event.after or {}),
                "metadata": event.metadata,
                "edit_url": reverse(found.url_name, args=[continuum.slug])
                if found and found.url_name and can_configure
                else "",
            }
        )
    return render(
        request,
        "configuration/history.html",
        {"page": page, "rows": rows, "areas": areas, "area": area},
    )
