"""seed_demo shows every agreement state in both reference CoCs, and running it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from agencies.models import Agency, Agreement, Continuum, HmisProject, HrsHost, ProgramSetupRequest
from agencies.participation import Standing, agency_can_submit_access_requests, agreement_standings

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    return out.getvalue()


def gate_states(continuum: Continuum) -> dict[str, str]:
    agencies = list(Agency.objects.filter(continuum=continuum))
    standings = agreement_standings(continuum=continuum, agencies=agencies)
    return {
        a.name: next(
            s.state for s in standings[a.pk].values() if "submit_access_requests" in s.agreement_type.gates
        )
        for a in agencies
    }


def test_it_seeds_every_agreement_state_in_both_cocs_idempotently():
    seed()
    for slug in ("chicago", "los-angeles"):
        states = set(gate_states(Continuum.objects.get(slug=slug)).values())
        assert {
            Standing.CURRENT,
            Standing.EXPIRING,
            Standing.EXPIRED,
            Standing.AWAITING_COUNTERSIGNATURE,
            Standing.RETURNED,
            Standing.NEVER_SIGNED,
        } <= states, (slug, states)

    chicago = Continuum.objects.get(slug="chicago")
    assert gate_states(chicago)["Westside Community Shelter"] == Standing.EXPIRED
    austin = Agency.objects.get(continuum=chicago, name="Austin Recovery Homes")
    reasons = agency_can_submit_access_requests(austin).reasons
    assert [r.code for r in reasons] == ["agreement_returned"]
    assert "executive director or an authorized representative must sign" in reasons[0].message
    lakeshore = Agency.objects.get(continuum=chicago, name="Lakeshore Family Services")
    assert agency_can_submit_access_requests(lakeshore).allowed
    assert HrsHost.objects.filter(continuum=chicago, exception_granted=True).exists()
    assert HmisProject.objects.filter(continuum=chicago, funded_path=True).exists()

    la = Continuum.objects.get(slug="los-angeles")
    golden = Agency.objects.get(continuum=la, name="Golden State Housing Partners")
    assert agency_can_submit_access_requests(golden).allowed
    assert {r.status for r in ProgramSetupRequest.objects.filter(continuum=la)} >= {
        "submitted",
        "awaiting_confirmation",
        "confirmed",
    }

    counts = (Agreement.objects.count(), HmisProject.objects.count(), ProgramSetupRequest.objects.count())
    assert "(0 new records)" in seed()
    assert (
        Agreement.objects.count(),
        HmisProject.objects.count(),
        ProgramSetupRequest.objects.count(),
    ) == counts
