"""Home-page panels: each app contributes what its people need to see first, without the home
view knowing every app. A provider returns None when it has nothing for this person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]
    order: int = 50


_PROVIDERS: list[tuple[int, Callable[[HttpRequest], Panel | None]]] = []


def register_home_panel(order: int = 50) -> Callable:
    def decorator(provider: Callable[[HttpRequest], Panel | None]) -> Callable[[HttpRequest], Panel | None]:
        if provider not in [p for _, p in _PROVIDERS]:
            _PROVIDERS.append((order, provider))
            _PROVIDERS.sort(key=lambda item: item[0])
        return provider

    return decorator


def home_panels(request: HttpRequest) -> list[Panel]:
    panels = []
    for _, provider in _PROVIDERS:
        panel = provider(request)
        if panel is not None:
            panels.append(panel)
    return panels
