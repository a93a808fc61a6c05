"""The primary navigation, grouped into sections. Each app registers its own entries (in its
`nav.py`, imported by its AppConfig), so adding a page never means editing a shared list.

An entry is a function of (continuum, access) returning the URL to show, or None to hide it; the
person sees only entries their roles allow. A section with one entry is a plain link, a section
with several opens a USWDS submenu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

SECTIONS = ("Requests", "Training", "Agencies", "Administration", "Account")


@dataclass(frozen=True)
class NavEntry:
    section: str
    label: str
    url: Callable[[Any, Any], str | None]
    order: int = 50


_ENTRIES: list[NavEntry] = []


def register_nav(section: str, label: str, order: int = 50) -> Callable:
    if section not in SECTIONS:
        raise ValueError(f"Unknown navigation section {section!r}; add it to SECTIONS.")

    def decorator(url: Callable[[Any, Any], str | None]) -> Callable[[Any, Any], str | None]:
        if not any(e.section == section and e.label == label for e in _ENTRIES):
            _ENTRIES.append(NavEntry(section, label, url, order))
        return url

    return decorator


def _is_current(path: str, url: str) -> bool:
    base = url.split("?", 1)[0]
    return path == base or (base.count("/") > 2 and path.startswith(base))


def build_nav(request: HttpRequest, home_url: str) -> list[dict[str, Any]]:
    continuum, access = request.continuum, request.access
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    for entry in sorted(_ENTRIES, key=lambda e: (SECTIONS.index(e.section), e.order, e.label)):
        url = entry.url(continuum, access)
        if url:
            sections[entry.section].append({"label": entry.label, "url": url, "current": False})
    # Only the best (longest) match is current, so /requests/ and /requests/new/ do not both light up.
    candidates = [
        item for items in sections.values() for item in items if _is_current(request.path, item["url"])
    ]
    if candidates:
        max(candidates, key=lambda item: len(item["url"]))["current"] = True
    nav = [{"label": "Home", "url": home_url, "current": request.path == home_url, "items": []}]
    for name, items in sections.items():
        if len(items) == 1:
            nav.append({**items[0], "items": []})
        elif items:
            nav.append(
                {"label": name, "url": None, "current": any(i["current"] for i in items), "items": items}
            )
    return nav
