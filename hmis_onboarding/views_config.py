"""The configuration history: every change to the CoC's configuration, who made it, when, and the
difference it made (read from the audit trail; see hmis_onboarding.config_history)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, services
from .config_history import area_of, config_areas, diff, display
from .decorators import tenant_view
from .permissions import Capability
from .tenancy import record_refusal

# Namespaces that only say which app wrote the event ("training.course_changed" → "Course changed").
_APP_PREFIXES = ("training.", "rollout.", "continuum.")


def _what(action: str) -> str:
    """ "request_policy.changed" → "Request policy changed", "rollout.phase_changed" → "Phase changed"."""
    for prefix in _APP_PREFIXES:
        if action.startswith(prefix):
            action = action[len(prefix) :]
            break
    return action.replace(".", " ").replace("_", " ").capitalize()


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
                "metadata": [(key, display(value)) for key, value in (event.metadata or {}).items()],
                "restorable": can_configure and bool(event.before) and event.action in found.restorers
                if found
                else False,
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


@require_POST
@tenant_view(Capability.CONFIGURE_CONTINUUM)
def configuration_restore(request: HttpRequest, event_id: int) -> HttpResponse:
    """Set simple settings back to their values before one change (a new, audited change)."""
    try:
        fields = services.configuration_restore(
            continuum=request.continuum, actor=request.user, event_id=event_id
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, f"Restored: {', '.join(f.replace('_', ' ') for f in fields)}.")
    return redirect("configuration_history", continuum_slug=request.continuum.slug)
