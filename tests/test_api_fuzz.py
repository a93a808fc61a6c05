"""Schema-driven fuzzing of the whole API with schemathesis: a fixed seed, a bounded number of
examples per operation, two tenants.

Every operation is called with data generated from the OpenAPI schema, as tenant A's CoC
administrator (through an API token), on tenant A's paths. Two properties must hold:
- no server error (5xx), whatever the input;
- object-level authorization between peers: the same request made with tenant B's administrator's
  token on tenant A's paths never succeeds (2xx) — it is 404 (or 401/403), never A's data.
The counts are printed (`pytest -s`) for the closing note of issue 8.
"""

from __future__ import annotations

from collections import Counter

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (uv sync)")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from hmis_onboarding.services import api_token_create  # noqa: E402

from .test_access_requests import chicago, submitted  # noqa: E402, F401  (fixture and helper)

SEED = 20261121
MAX_EXAMPLES = 12


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, called in-process inside the test's transaction. Like Django's test
    client, keep the request signals from closing the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def real_objects(tenant, request) -> dict[str, int]:
    from agencies.models import Agreement, AgreementType
    from hmis_onboarding.audit import audit_record

    from .test_route_walk import _learning_path_kwargs

    return {
        "agencies": tenant.agency.pk,
        "agreement-types": AgreementType.objects.filter(continuum=tenant.continuum).first().pk,
        "agreements": Agreement.objects.filter(continuum=tenant.continuum).first().pk,
        "programs": tenant.shelter.pk,
        "access-requests": request.pk,
        "audit-events": audit_record(action="fuzz.marker", continuum=tenant.continuum).pk,
        "learning-paths": _learning_path_kwargs(tenant)["pk"],
        **onboarding_objects(tenant),
    }


def onboarding_objects(tenant) -> dict[str, int]:
    """A trainee with a submitted sample client round and an HMIS account (issue 6's records)."""
    from access_requests import credential_config, credentials, sample_client
    from access_requests.models import HmisAccount

    from .credential_helpers import onboarding_for

    credential_config.install_chicago(tenant.continuum)
    ob = onboarding_for(tenant, user=tenant["agency_user"], name=("Agency", "User"))
    credentials.onboarding_confirm_training(onboarding=ob, actor=tenant["help_desk"])
    assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=ob.user)
    rnd = sample_client.sample_client_submit(assignment=assignment, actor=ob.user, client_reference="SC-1")
    account = HmisAccount.objects.create(
        continuum=tenant.continuum,
        agency=tenant.agency,
        email="fuzz@example.org",
        hmis_username="fuzz",
        issued_at="2026-01-01T00:00:00Z",
    )
    return {
        "people": tenant["agency_user"].pk,
        "onboardings": ob.pk,
        "sample-client-assignments": assignment.pk,
        "sample-client-rounds": rnd.pk,
        "hmis-accounts": account.pk,
    }


# Fuzzed with Help Desk tokens (the role that reviews, issues and suspends), the rest as CoC admins.
HELP_DESK_RESOURCES = frozenset(
    {
        "people",
        "onboardings",
        "sample-client-assignments",
        "sample-client-rounds",
        "hmis-accounts",
        "licenses",
    }
)


@pytest.mark.django_db
def test_it_survives_schema_driven_fuzzing_with_two_tenants_as_peers(chicago, tenant_b, wsgi_app):  # noqa: F811
    request = submitted(chicago)
    _, key_a = api_token_create(
        continuum=chicago.continuum, actor=chicago["coc_admin"], name="Fuzz A", role="coc_admin"
    )
    _, key_b = api_token_create(
        continuum=tenant_b.continuum, actor=tenant_b["coc_admin"], name="Fuzz B", role="coc_admin"
    )
    _, desk_a = api_token_create(
        continuum=chicago.continuum, actor=chicago["coc_admin"], name="Fuzz desk A", role="help_desk"
    )
    _, desk_b = api_token_create(
        continuum=tenant_b.continuum, actor=tenant_b["coc_admin"], name="Fuzz desk B", role="help_desk"
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    slug = chicago.continuum.slug
    # Random ids would almost all be 404s: aim the detail operations at tenant A's real objects, so
    # the peer's attempt on them is a real object-level authorization probe.
    real_ids = real_objects(chicago, request)

    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    leaks: list[str] = []

    def fuzz(operation, label: str) -> None:
        resource = operation.path.split("/")[3]
        own, other = (desk_a, desk_b) if resource in HELP_DESK_RESOURCES else (key_a, key_b)

        @seed(SEED)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            parameters = {**(case.path_parameters or {}), "continuum_slug": slug}
            if "id" in parameters:
                parameters["id"] = real_ids[resource]
            case.path_parameters = parameters
            response = case.call(headers={"Authorization": f"Bearer {own}"})
            calls[label] += 1
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(
                    f"{label} → {response.status_code} {case.path_parameters} {case.query} {case.body!r}"[
                        :400
                    ]
                )
            peer = case.call(headers={"Authorization": f"Bearer {other}"})
            calls[label] += 1
            statuses[peer.status_code] += 1
            if peer.status_code < 300 or peer.status_code >= 500:
                leaks.append(f"{label} as the other tenant → {peer.status_code}")

        run()

    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        fuzz(operation, f"{operation.method.upper()} {operation.path}")

    total = sum(calls.values())
    print(
        f"\nschemathesis {schemathesis.__version__}, seed {SEED}, ≤{MAX_EXAMPLES} examples per operation: "
        f"{operations} operations, {total} calls; statuses {dict(sorted(statuses.items()))}; "
        f"server errors {len(server_errors)}; cross-tenant successes {len(leaks)}"
    )
    assert operations >= 20 and total > operations
    assert {label.split("/")[3] for label in calls} >= HELP_DESK_RESOURCES
    assert not server_errors, "\n".join(server_errors[:20])
    assert not leaks, "\n".join(leaks[:20])
