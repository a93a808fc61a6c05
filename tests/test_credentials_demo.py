"""seed_demo puts people at every step after approval in both reference CoCs (issue 6)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from access_requests.models import (
    AccessReview,
    HmisAccount,
    Onboarding,
    SampleClientAssignment,
    SampleClientRound,
)

pytestmark = pytest.mark.django_db


def test_it_seeds_every_credential_state_in_both_continuums():
    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)  # idempotent
    for slug in ("chicago", "los-angeles"):
        onboardings = Onboarding.objects.filter(continuum__slug=slug)
        # Chicago adds a Housing Resource Specialist awaiting the CE team's approval.
        assert onboardings.count() == (10 if slug == "chicago" else 9)
        assert set(onboardings.values_list("stage", flat=True)) == {
            "training",
            "sample_client",
            "agreement",
            "ready",
            "credentialed",
            "closed",
        }
        rounds = SampleClientRound.objects.filter(continuum__slug=slug)
        assert set(rounds.values_list("outcome", flat=True)) == {"", "corrections", "walkthrough", "pass"}
        assert SampleClientAssignment.objects.filter(continuum__slug=slug, status="open").count() == 3
        statuses = set(
            HmisAccount.objects.filter(onboarding__continuum__slug=slug).values_list("status", flat=True)
        )
        assert statuses == {"active", "suspended", "revoked"}
        assert AccessReview.objects.filter(continuum__slug=slug, closed_at__isnull=True).exists()


def test_it_seeds_a_chicago_hrs_person_awaiting_the_ce_team():
    call_command("seed_demo", quiet_logins=True)
    hrs = Onboarding.objects.get(continuum__slug="chicago", is_hrs=True)
    assert hrs.person.full_name == "Marisol Castillo" and hrs.stage == "ready"
    assert hrs.ce_decision == "pending"
    assert set(hrs.signatures.values_list("version__kind", flat=True)) == {"end_user", "hrs"}
    assert not Onboarding.objects.filter(continuum__slug="los-angeles", is_hrs=True).exists()
