"""Helpers shared by the management commands."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import QuerySet


def continuums_option(slug: str | None) -> QuerySet:
    """The CoCs a command's `--continuum` option names: one by slug, or every CoC by slug when it is
    not given. An unknown slug is a CommandError with the reason."""
    from agencies.models import Continuum

    continuums = Continuum.objects.order_by("slug")
    if slug:
        continuums = continuums.filter(slug=slug)
        if not continuums.exists():
            raise CommandError(f"No CoC with slug {slug!r}.")
    return continuums
