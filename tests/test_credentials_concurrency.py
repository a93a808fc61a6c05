"""Issuance under concurrency (issue 6): 200 rounds × 8 threads issuing at license limit − 1 give
0 double credentials and 0 licenses over the pool. Needs PostgreSQL's row locks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from access_requests import credentials
from access_requests.models import HmisAccount, HmisAccountStatus, Onboarding, OnboardingStage
from agencies.models import Agency

from .credential_helpers import a_project, ready_onboarding, setup_coc
from .factories import AgencyFactory, UserFactory
from .racers import Racers, split

ROUNDS = 200
THREADS = 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_it_never_double_issues_nor_exceeds_the_pool_under_concurrency(tenants):
    coc = tenants[0]
    setup_coc(coc)
    double_credentials = over_pool = 0
    with Racers(THREADS) as racers:
        for number in range(ROUNDS):
            agency = AgencyFactory(continuum=coc.continuum, name=f"Race agency {number}", license_pool_size=3)
            project = a_project(coc, agency=agency)
            # The pool is at limit − 1: two licenses held, one free.
            for held in range(2):
                HmisAccount.objects.create(
                    continuum=coc.continuum,
                    agency=agency,
                    email=f"held{number}-{held}@example.org",
                    hmis_username=f"held{number}-{held}",
                    issued_at="2026-01-01T00:00:00Z",
                )
            # Four people, each with two onboardings (two requests), so that threads race both for the
            # one free license and for the same person's credential.
            people = [
                UserFactory(email=f"race{number}-{p}@example.org", full_name="Ana Lopez") for p in range(4)
            ]
            onboardings = [
                ready_onboarding(coc, user=people[t // 2], agency=agency, projects=[project])
                for t in range(THREADS)
            ]
            Onboarding.objects.filter(pk__in=[o.pk for o in onboardings]).update(stage=OnboardingStage.READY)

            def issue(racer: int, onboardings=onboardings, number=number, project=project) -> None:
                credentials.hmis_account_issue(
                    onboarding=onboardings[racer],
                    actor=coc["help_desk"],
                    hmis_username=f"race{number}-{racer}",
                    hmis_role="Case Manager",
                    projects=[project],
                )

            wins, refusals = split(racers.round(issue), ValidationError, credentials.RequestConflict)
            assert len(wins) == 1 and len(refusals) == THREADS - 1, (wins, refusals)
            live = HmisAccount.objects.filter(agency=agency).exclude(status=HmisAccountStatus.REVOKED)
            over_pool += max(0, live.count() - Agency.objects.get(pk=agency.pk).license_pool_size)
            for person in people:
                double_credentials += max(0, live.filter(email__iexact=person.email).count() - 1)
    assert double_credentials == 0
    assert over_pool == 0
