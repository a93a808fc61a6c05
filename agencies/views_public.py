"""The public participation status list: outside login, organisations only, no personal data.

Its URL (/p/<slug>/participation/) deliberately avoids the `continuum_slug` kwarg, which would make
TenantMiddleware demand a signed-in member; the CoC is looked up here, and only if it publishes.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from . import selectors
from .participation import today_in


@cache_control(public=True, max_age=300)
def participation_status(request: HttpRequest, slug: str) -> HttpResponse:
    continuum = selectors.public_continuum(slug)
    agreement_types, rows = selectors.public_participation(continuum)
    return render(
        request,
        "agencies/public_participation.html",
        {
            "continuum": continuum,
            "agreement_types": agreement_types,
            "rows": rows,
            "as_of": today_in(continuum),
            "show_program_setup": continuum.access_requires_program_setup,
            "show_hrs": selectors.continuum_has_hrs_hosting(continuum),
        },
    )
