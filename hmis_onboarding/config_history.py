"""Configuration history: every change a CoC administrator makes to the CoC's configuration, with
who, when and before → after.

The services that change configuration already write an `AuditEvent` with `before` / `after`
snapshots in the same transaction as the change, so the history is read from the audit trail
rather than kept in a second table. Each app declares which of its audit actions are configuration
changes in its `config_actions.py` (autodiscovered by the kernel's AppConfig), grouped into areas
that the history page filters by.

Nothing here caches configuration: services write to the database and every reader reads it on the
next request, so a change takes effect without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# restorer(continuum=…, actor=…, values=…) sets simple settings back to `values` through the
# area's own service (validated and audited like any other change).
Restorer = Callable[..., Any]


@dataclass(frozen=True)
class ConfigArea:
    key: str
    label: str
    actions: tuple[str, ...]
    # The page where this area is edited (a URL name taking the continuum slug), or "".
    url_name: str = ""
    # Actions whose `before` can be put back in one step (simple settings only).
    restorers: Mapping[str, Restorer] = field(default_factory=dict)


_AREAS: dict[str, ConfigArea] = {}


def register_config_actions(
    key: str,
    label: str,
    actions: list[str],
    url_name: str = "",
    restorers: Mapping[str, Restorer] | None = None,
) -> None:
    """Declare audit actions that record configuration changes of one area (idempotent)."""
    _AREAS[key] = ConfigArea(
        key=key, label=label, actions=tuple(actions), url_name=url_name, restorers=dict(restorers or {})
    )


def restorer_for(action: str) -> Restorer | None:
    area = area_of(action)
    return area.restorers.get(action) if area else None


def config_areas() -> list[ConfigArea]:
    return sorted(_AREAS.values(), key=lambda a: a.label)


def config_actions(area: str = "") -> list[str]:
    if area:
        found = _AREAS.get(area)
        return list(found.actions) if found else []
    return sorted({action for a in _AREAS.values() for action in a.actions})


def area_of(action: str) -> ConfigArea | None:
    return next((a for a in _AREAS.values() if action in a.actions), None)


@dataclass(frozen=True)
class FieldChange:
    """One field of one change, with what was added and removed when both sides are lists."""

    field: str
    before: Any
    after: Any
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()

    @property
    def is_list(self) -> bool:
        return isinstance(self.before, list) or isinstance(self.after, list)

    @property
    def label(self) -> str:
        words = self.field.replace("_", " ").capitalize().split()
        return " ".join(_ACRONYMS.get(w.lower(), w) for w in words)

    @property
    def before_text(self) -> str:
        return display(self.before)

    @property
    def after_text(self) -> str:
        return display(self.after)


_ACRONYMS = {"hmis": "HMIS", "lms": "LMS", "sla": "SLA", "ces": "CES", "hud": "HUD", "api": "API"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def display(value: Any) -> str:
    """A snapshot value as a person reads it ("" for nothing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {display(v)}" for k, v in value.items())
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ between two snapshots, in name order. A field only on one side was
    added (created) or removed (deleted)."""
    out: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new or (_empty(old) and _empty(new)):
            continue
        added: tuple[Any, ...] = ()
        removed: tuple[Any, ...] = ()
        if isinstance(old, list) and isinstance(new, list):
            added = tuple(x for x in new if x not in old)
            removed = tuple(x for x in old if x not in new)
        out.append(FieldChange(field=key, before=old, after=new, added=added, removed=removed))
    return out
