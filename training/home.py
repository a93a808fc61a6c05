"""What training puts on the home page: the trainee's own progress and next step."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from hmis_onboarding.home import Panel, register_home_panel

from . import path as lp
from . import selectors


@register_home_panel(order=15)
def trainee_panel(request: HttpRequest) -> Panel | None:
    """The summary stored on the person's learning path (percent, next course; kept current by every
    progress change), not the whole tracker: one query, for trainees and for the many without a path.
    The tracker page (`my_onboarding`) shows every step."""
    if request.access.is_staff:
        return None
    continuum = request.continuum
    path = selectors.own_learning_path(continuum=continuum, user=request.user)
    if path is None:
        return None
    deadline = None
    if not path.is_complete:
        # The policy comes with the CoC on a page read (tenancy.preloaded): no query.
        months = selectors.training_policy(continuum).training_expires_after_months
        deadline = lp.add_months(timezone.localtime(path.assigned_at, continuum.tzinfo).date(), months)
    return Panel("training/panels/trainee.html", {"path": path, "deadline": deadline})
