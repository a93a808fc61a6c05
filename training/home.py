"""What training puts on the home page: the trainee's own progress and next step."""

from __future__ import annotations

from django.http import HttpRequest

from hmis_onboarding.home import Panel, register_home_panel

from . import selectors
from .tracker import my_tracker


@register_home_panel(order=15)
def trainee_panel(request: HttpRequest) -> Panel | None:
    if request.access.is_staff:
        return None
    # One query for the many members without a path; the full tracker (given the path) only for trainees.
    own = selectors.own_path_and_lms_account(continuum=request.continuum, user=request.user)
    if own[0] is None:
        return None
    tracker = my_tracker(continuum=request.continuum, user=request.user, own=own)
    return Panel("training/panels/trainee.html", {"tracker": tracker})
