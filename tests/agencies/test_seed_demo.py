"""seed_demo shows every agreement state in both reference CoCs, and running it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from agencies.models import Agency, Agreement, Continuum, HmisProject, HrsHost, ProgramSetupRequest
from agencies.participation import Standing, agency_can_submit_access_requests, agreement_standings, today_in

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
        # Every seeded agreement was signed on a version already published that day.
        for agreement in Agreement.objects.filter(continuum__slug=slug).select_related("version"):
            published_on = agreement.version.published_at.astimezone(agreement.continuum.tzinfo).date()
            assert agreement.signed_on >= published_on, (agreement.agency.name, agreement.version.label)

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
    # Los Angeles also shows the one standing Chicago lacks: an agreement on a version that had to be
    # signed again by a deadline now past. The others keep their standings.
    assert gate_states(la) == {
        "Golden State Housing Partners": Standing.CURRENT,
        "San Fernando Valley Access Center": Standing.AWAITING_COUNTERSIGNATURE,
        "Safe Passage DV Alliance": Standing.NEVER_SIGNED,
        "Eastside Outreach Collective": Standing.EXPIRING,
        "Harbor Gateway Rapid Rehousing": Standing.EXPIRED,
        "Boyle Heights Family Center": Standing.RETURNED,
        "Westlake Community Clinic": Standing.NEVER_SIGNED,
        "Leimert Park Senior Services": Standing.RESIGN_REQUIRED,
    }
    leimert = Agency.objects.get(continuum=la, name="Leimert Park Senior Services")
    outdated = Agreement.objects.get(agency=leimert)
    today = today_in(la)
    assert outdated.status == "executed" and outdated.expires_on >= today and outdated.version.number == 1
    newer = outdated.agreement_type.versions.get(number=2)
    assert newer.requires_resign and newer.resign_by < today
    assert "Data retention" in newer.body and "Data retention" not in outdated.version.body
    reasons = {r.code: r.message for r in agency_can_submit_access_requests(leimert).reasons}
    assert set(reasons) == {"agreement_resign_required", "program_setup_missing"}
    assert (
        f"published version {newer.label} of the HMIS Organization Agreement"
        in (reasons["agreement_resign_required"])
    )
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
