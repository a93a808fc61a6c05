"""In-process helpers of the harness, run as `python -m bench.probe <command>` with Django set up
(DJANGO_SETTINGS_MODULE=bench.settings, DATABASE_URL of the bench database). Prints JSON.

  personas  pick the people the pages are measured as, and create a signed-in session for each
            (directly in the session store: password + TOTP sign-in is not what is measured)
  counts    each page's SQL query count, rendered in-process by Django's test client
"""

from __future__ import annotations

import json
import sys
import time
from importlib import import_module

import django

PAGES = (
    # name, persona, path ({slug} = the CoC)
    ("help-desk-queue", "help_desk", "/{slug}/queue/help-desk/"),
    ("ce-queue", "ce_team", "/{slug}/queue/ce-team/"),
    ("ata-home", "ata", "/{slug}/"),
    ("ata-requests", "ata", "/{slug}/requests/"),
    ("trainee-tracker", "trainee", "/{slug}/my-onboarding/"),
    ("training-progress", "help_desk", "/{slug}/training/progress/"),
    ("metrics", "coc_admin", "/{slug}/metrics/"),
    ("api-access-requests", "help_desk", "/api/{slug}/access-requests/"),
    ("api-agencies", "help_desk", "/api/{slug}/agencies/"),
    ("api-learning-paths", "help_desk", "/api/{slug}/learning-paths/"),
)
SLUG = "metro"


def floor_path(name: str) -> str:
    return f"/{{slug}}/__bench__/floor/{name}/"


def personas() -> dict[str, int]:
    from django.db.models import Count

    from access_requests.models import AccessRequest
    from agencies.models import Continuum, Membership
    from training.models import Enrollment

    continuum = Continuum.objects.get(slug=SLUG)
    found = {}
    for role in ("help_desk", "ce_team", "coc_admin"):
        found[role] = (
            Membership.objects.filter(continuum=continuum, role=role)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )[0]
    busiest = (
        AccessRequest.objects.filter(continuum=continuum)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "agency_id")
        .first()
    )
    found["ata"] = Membership.objects.get(
        continuum=continuum, agency_id=busiest["agency_id"], role="ata"
    ).user_id
    trainee = (
        Enrollment.objects.filter(continuum=continuum, user__onboardings__stage="training")
        .values("user_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "user_id")
        .first()
    )
    found["trainee"] = trainee["user_id"]
    return found


def session_for(user_id: int) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from hmis_onboarding.models import User

    user = User.objects.get(pk=user_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = time.time()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # What a completed password + TOTP sign-in leaves in the session for the MFA middleware.
    store["mfa_enabled_for"] = user.pk
    store["auth_started"] = now
    store["last_activity"] = now
    store.create()
    return store.session_key


def counts(found: dict[str, int]) -> dict[str, int]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    result = {}
    for name, persona, path in PAGES:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_for(found[persona])
        url = path.format(slug=SLUG)
        client.get(url)  # warm: the first request fills per-process caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} for {persona}")
        result[name] = len(ctx.captured_queries)
    return result


def main() -> None:
    django.setup()
    command = sys.argv[1]
    found = personas()
    if command == "personas":
        print(json.dumps({"users": found, "sessions": {k: session_for(v) for k, v in found.items()}}))
    elif command == "counts":
        print(json.dumps(counts(found)))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
