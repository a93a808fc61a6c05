"""Part-level progress of courses taught in named parts (Data Management: Part 1 Personal
Information Security, Part 2 HMIS Specific Data Guidelines — seed 001).

A part's progress lives in the enrolment's `units` ({LMS unit name: percent, or True/False as the
status sweep reads it}), matched to `CoursePart.lms_unit_name` (else its title) without regard to
case or spacing. Part rows of a CSV export feed it; the course is complete only when every part is,
and until then its percentage is the mean of its parts. A course-level completion from the LMS
(which itself requires every unit) counts every part as done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import Enrollment


def unit_key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def unit_percent(value: Any) -> int:
    if isinstance(value, bool):
        return 100 if value else 0
    if isinstance(value, int | float):
        return max(0, min(100, int(value)))
    return 0


@dataclass(frozen=True)
class PartProgress:
    title: str
    percent: int

    @property
    def done(self) -> bool:
        return self.percent >= 100


def part_progress(
    parts: Sequence[tuple[str, str]], units: dict[str, Any] | None, *, course_completed: bool = False
) -> list[PartProgress]:
    """(title, LMS unit name) of each part, in order → each part's percentage."""
    by_key = {unit_key(name): value for name, value in (units or {}).items()}
    return [
        PartProgress(title, 100 if course_completed else unit_percent(by_key.get(unit_key(unit or title))))
        for title, unit in parts
    ]


def apply_part_observation(
    enrollment: Enrollment,
    *,
    parts: Sequence[tuple[str, str]],
    unit_name: str,
    percent: int,
    completed_at: dt.datetime | None,
    observed_at: dt.datetime,
    source: str,
) -> bool:
    """Record one part's progress (only ever rising) and derive the course's: complete when every
    part is, else the mean of the parts. True when anything changed."""
    from .sync import merge_progress

    units = dict(enrollment.units or {})
    key = next((name for name in units if unit_key(name) == unit_key(unit_name)), unit_name)
    old = unit_percent(units.get(key))
    changed = key not in units or percent > old
    if changed:
        units[key] = max(old, percent)
        enrollment.units = units
    progress = part_progress(parts, units)
    if all(p.done for p in progress):
        moved = merge_progress(
            enrollment,
            percent=100,
            completed=True,
            completed_at=completed_at,
            observed_at=observed_at,
            source=source,
        )
    else:
        moved = merge_progress(
            enrollment,
            percent=min(99, sum(p.percent for p in progress) // len(progress)),
            completed=False,
            completed_at=None,
            observed_at=observed_at,
            source=source,
        )
    return changed or moved
