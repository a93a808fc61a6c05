from __future__ import annotations

import pytest
from django.core.management import call_command

from agencies.demo import DEMO_CONTINUUMS, DEMO_PASSWORD
from agencies.models import Agency, Continuum
from hmis_onboarding.models import User

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    """Rows of every table: a second run must add, and remove, nothing anywhere."""
    from django.apps import apps

    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_it_loads_both_reference_continuums_and_changes_nothing_the_second_time(settings):
    call_command("seed_demo", quiet_logins=True)
    first = counts()
    assert first["agencies.Membership"] and first["hmis_onboarding.AuditEvent"]
    assert set(Continuum.objects.values_list("coc_code", flat=True)) == {"IL-510", "CA-600"}
    call_command("seed_demo", quiet_logins=True)
    assert counts() == first
    for demo in DEMO_CONTINUUMS:
        agencies = Agency.objects.filter(continuum__coc_code=demo.coc_code)
        assert agencies.filter(victim_service_provider=True).count() == 1
        assert agencies.count() >= 4


def test_it_gives_every_persona_a_working_login(client):
    call_command("seed_demo", quiet_logins=True)
    for demo in DEMO_CONTINUUMS:
        for email, *_ in demo.people:
            assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    multi = User.objects.get(email="multi.helpdesk@example.org")
    assert multi.memberships.values("continuum").distinct().count() == 2


def test_it_prints_the_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "chicago.ata@example.org" in out and "la.helpdesk@example.org" in out
    assert "demo_totp" in out and DEMO_PASSWORD in out


def test_demo_totp_refuses_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo_totp", "chicago.helpdesk@example.org")


def test_demo_totp_prints_a_code_that_signs_the_persona_in(client, settings, capsys):
    settings.DEMO_MODE = True
    call_command("seed_demo", quiet_logins=True)
    capsys.readouterr()
    call_command("demo_totp", "chicago.helpdesk@example.org")
    code = capsys.readouterr().out.strip()
    client.post("/accounts/login/", {"login": "chicago.helpdesk@example.org", "password": DEMO_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/chicago/").status_code == 200
