"""`manage.py seed_scale` (the benchmark data) works at a tiny scale on the test database."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from access_requests.models import OPEN_STATUSES, AccessRequest, HmisAccount, Onboarding
from agencies.models import Agency, Agreement, Continuum, Membership
from bench.seed import METRO, profile_sizes
from hmis_onboarding.models import AuditEvent, User
from hmis_onboarding.permissions import Role
from training.models import Enrollment, LearningPath

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    client.force_login(user)
    session = client.session
    session["mfa_enabled_for"] = user.pk
    session.save()


def test_it_seeds_a_metro_at_a_tiny_scale_whose_pages_show_its_rows(client):
    call_command("seed_scale", profile="metro", scale=0.004, stdout=io.StringIO())
    continuum = Continuum.objects.get(slug="metro")
    assert Agency.objects.filter(continuum=continuum).count() == 4
    assert User.objects.filter(memberships__continuum=continuum).distinct().count() >= 60
    assert AccessRequest.objects.filter(continuum=continuum).count() == 160
    assert Enrollment.objects.filter(continuum=continuum).count() >= 1000
    assert AuditEvent.objects.filter(continuum=continuum).count() >= 4000
    assert LearningPath.objects.filter(continuum=continuum).count() == 60
    assert Agreement.objects.filter(continuum=continuum).exists()
    assert Onboarding.objects.filter(continuum=continuum).values("stage").distinct().count() >= 2
    assert HmisAccount.objects.filter(continuum=continuum).exists()
    assert Membership.objects.filter(continuum=continuum, role=Role.ATA).count() == 4

    helpdesk = Membership.objects.filter(continuum=continuum, role=Role.HELP_DESK).first().user
    sign_in(client, helpdesk)
    response = client.get("/metro/queue/help-desk/")
    assert response.status_code == 200
    waiting = AccessRequest.objects.filter(
        continuum=continuum, queue="help_desk", status__in=OPEN_STATUSES
    ).first()
    assert waiting is not None
    assert f"#{waiting.pk}" in response.content.decode()


def test_it_seeds_several_continuums_in_one_run_without_reusing_a_key(monkeypatch):
    """The national profile seeds CoC after CoC in one run. The learning-path refresh inserts
    enrolments through the table's sequence between the seeder's own bulk writes, so the keys the
    seeder hands out must stay clear of it (this run failed on a duplicate enrolment key)."""
    first_three = profile_sizes("national", 0.004)[:3]
    monkeypatch.setattr("bench.seed.profile_sizes", lambda profile, scale: first_three)
    call_command("seed_scale", profile="national", scale=0.004, stdout=io.StringIO())
    seeded = Continuum.objects.filter(slug__in=["metro", "coc-001", "coc-002"])
    assert seeded.count() == 3
    for continuum in seeded:
        assert Enrollment.objects.filter(continuum=continuum).count() > 0
        assert AccessRequest.objects.filter(continuum=continuum).exists()
        assert LearningPath.objects.filter(continuum=continuum).exists()


def test_it_refuses_to_seed_the_same_database_twice(client):
    call_command("seed_scale", profile="metro", scale=0.002, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already loaded"):
        call_command("seed_scale", profile="metro", scale=0.002)
    assert Continuum.objects.filter(slug="metro").count() == 1


def test_it_refuses_production_settings_unless_forced(settings):
    settings.SETTINGS_MODULE = "hmis_onboarding.settings.production"
    with pytest.raises(CommandError, match="production settings"):
        call_command("seed_scale", profile="metro", scale=0.002)
    assert not Continuum.objects.exists()


def test_it_sizes_national_as_400_continuums_falling_off_from_a_metro():
    sizes = profile_sizes("national", 1.0)
    assert len(sizes) == 400
    assert sizes[0] == METRO
    assert sizes[1].people < sizes[0].people and sizes[-1].people < sizes[1].people
    total_people = sum(s.people for s in sizes)
    assert 10 * METRO.people < total_people < 13 * METRO.people
    small = profile_sizes("national", 0.05)
    assert small[0].agencies == 45 and small[-1].agencies >= 3
