"""What rollout phases switch on or off, as small checks other apps' services call."""

from __future__ import annotations

import datetime

from agencies.models import Continuum

from .models import Switch
from .selectors import switch_state, today_in


def request_submission_closed_reason(continuum: Continuum, day: datetime.date | None = None) -> str | None:
    """None when the CoC's new access request forms accept submissions on `day` (CoC-local);
    otherwise why not, in words an ATA can act on."""
    day = day or today_in(continuum)
    on, phase = switch_state(continuum, Switch.REQUEST_FORMS, day)
    if on:
        return None
    if phase is None:  # pragma: no cover - the default is on
        return "The new access request forms are not open yet."
    # JSON containment is not available on SQLite, so the (few) later phases are read in Python.
    later = next(
        (
            p
            for p in phase.plan.phases.filter(starts_on__gt=day).order_by("starts_on")
            if p.switches.get(Switch.REQUEST_FORMS) is True
        ),
        None,
    )
    opens = (
        f" They open on {later.starts_on:%B} {later.starts_on.day}, {later.starts_on.year}." if later else ""
    )
    return f"The new access request forms are not open during “{phase.name}” ({phase.plan.name}).{opens}"
