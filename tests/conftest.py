"""Shared fixtures: two tenants, each with one person per persona, and helpers to act as them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache

from hmis_onboarding.permissions import AGENCY_ROLES, Role

from .factories import TOTP_SECRET, AgencyFactory, ContinuumFactory, MembershipFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate limits and TOTP replay markers live in the cache; each test that uses the database
    (the embedded cache is a database table) starts clean."""
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in uses_db or "live_server" in uses_db else "db"
        )
        cache.clear()
    yield
    if uses_db:
        cache.clear()


def totp_code(secret: str = TOTP_SECRET, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def fresh_totp_code(secret: str = TOTP_SECRET, margin: float = 1.5) -> str:
    """The current authenticator code, waiting for the next 30-second step when this one runs out
    within `margin` seconds, so that the step cannot change between computing the code and the
    server checking it (the server accepts only the current step)."""
    remaining = 30 - time.time() % 30
    if remaining < margin:
        time.sleep(remaining + 0.05)
    return totp_code(secret)


@dataclass
class Tenant:
    continuum: object
    agency: object
    other_agency: object
    people: dict  # role -> User

    def __getitem__(self, role: str):
        return self.people[role]


def build_tenant(name: str, code: str, slug: str) -> Tenant:
    continuum = ContinuumFactory(name=name, coc_code=code, slug=slug)
    agency = AgencyFactory(continuum=continuum, name=f"{name} Family Services")
    other = AgencyFactory(continuum=continuum, name=f"{name} Outreach")
    people = {}
    for role in Role:
        staff = role not in AGENCY_ROLES
        user = UserFactory(email=f"{slug}.{role.value}@example.org", totp=staff)
        MembershipFactory(user=user, continuum=continuum, role=role, agency=None if staff else agency)
        people[role.value] = user
    # Someone in the other agency, for wrong-agency probes.
    other_ata = UserFactory(email=f"{slug}.other-ata@example.org")
    MembershipFactory(user=other_ata, continuum=continuum, role=Role.ATA, agency=other)
    people["other_ata"] = other_ata
    return Tenant(continuum=continuum, agency=agency, other_agency=other, people=people)


@pytest.fixture
def tenants(db):
    """Two CoCs (A and B) with one person per persona each."""
    return build_tenant("Alpha", "AA-100", "alpha"), build_tenant("Beta", "BB-200", "beta")


@pytest.fixture
def tenant_a(tenants):
    return tenants[0]


@pytest.fixture
def tenant_b(tenants):
    return tenants[1]


@pytest.fixture
def login(client):
    """Log a person in through the real allauth flow (password, then TOTP when they have one)."""

    def _login(user, password: str = "correct-horse-battery-staple"):
        from allauth.mfa.models import Authenticator

        client.logout()
        response = client.post("/accounts/login/", {"login": user.email, "password": password})
        assert response.status_code == 302, response.content[:500]
        if Authenticator.objects.filter(user=user, type="totp").exists():
            assert response["Location"].startswith("/accounts/2fa/authenticate")
            response = client.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code()})
            assert response.status_code == 302, response.content[:500]
        return client

    return _login
