"""The API kernel: bearer tokens per CoC and role, error bodies, pagination, the audit trail API,
the audit viewer with its CSV, and the OpenAPI schema and documentation served from static files."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import ApiToken, AuditEvent
from hmis_onboarding.services import api_token_create, api_token_revoke
from hmis_onboarding.token_auth import hash_key


def api(tenant, path: str = "") -> str:
    return f"/api/{tenant.continuum.slug}/{path}"


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def auditor_token(tenant_a):
    return api_token_create(
        continuum=tenant_a.continuum, actor=tenant_a["coc_admin"], name="Board reports", role="auditor"
    )


# --- Tokens ------------------------------------------------------------------------------------------


def test_it_stores_only_the_hash_of_a_token(auditor_token):
    token, key = auditor_token
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    assert key.startswith(stored.key_prefix) and len(stored.key_prefix) < len(key)
    assert not stored.principal.has_usable_password()
    assert AuditEvent.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()


def test_it_lets_a_token_act_with_its_role_in_its_own_coc_only(client, auditor_token, tenant_a, tenant_b):
    token, key = auditor_token
    assert client.get(api(tenant_a, "audit-events/"), **bearer(key)).status_code == 200
    # The role's limits hold: an auditor may not countersign or add programs.
    response = client.post(api(tenant_a, "programs/"), {}, content_type="application/json", **bearer(key))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    # Another CoC is a 404, like for a person who is not a member there.
    assert client.get(api(tenant_b, "agencies/"), **bearer(key)).status_code == 404
    # And the token is no way into the pages.
    assert client.get(f"/{tenant_a.continuum.slug}/audit/", **bearer(key)).status_code == 302
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_records_the_token_as_the_actor(client, tenant_a):
    token, key = api_token_create(
        continuum=tenant_a.continuum, actor=tenant_a["coc_admin"], name="Setup sync", role="coc_admin"
    )
    response = client.post(
        api(tenant_a, "programs/"),
        {"agency": tenant_a.agency.pk, "name": "Street outreach", "hud_project_type": 4},
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.filter(continuum=tenant_a.continuum, action="hmis_project.created").latest(
        "id"
    )
    assert event.actor == token.principal
    assert token.principal.full_name == "API token: Setup sync"


def test_it_refuses_revoked_and_unknown_tokens_with_a_401(client, auditor_token, tenant_a):
    token, key = auditor_token
    api_token_revoke(token=token, actor=tenant_a["coc_admin"])
    for credential in (key, "hmis_not-a-real-token", "garbage"):
        response = client.get(api(tenant_a, "audit-events/"), **bearer(credential))
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "code": "authentication_failed",
            "detail": "Invalid or revoked token.",
        }


def test_it_keeps_token_requests_out_of_the_session_store(client, auditor_token, tenant_a):
    from django.contrib.sessions.models import Session

    _, key = auditor_token
    before = Session.objects.count()
    client.get(api(tenant_a, "audit-events/"), **bearer(key))
    assert Session.objects.count() == before


def test_it_lets_only_coc_admins_create_tokens(tenant_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(continuum=tenant_a.continuum, actor=tenant_a["help_desk"], name="x", role="auditor")


def test_it_refuses_agency_roles_for_tokens(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_token_create(continuum=tenant_a.continuum, actor=tenant_a["coc_admin"], name="x", role="ata")


def test_it_shows_a_new_token_once_on_the_tokens_page(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    url = f"/{tenant_a.continuum.slug}/api-tokens/"
    response = client.post(url, {"name": "LMS sync", "role": "help_desk"}, follow=True)
    token = ApiToken.objects.get(name="LMS sync")
    body = response.content.decode()
    assert "Copy the new token now" in body
    [shown] = [line for line in body.splitlines() if 'id="new-token"' in line]
    key = shown.split('value="')[1].split('"')[0]
    assert hash_key(key) == token.key_hash
    again = client.get(url).content.decode()
    assert key not in again and token.key_prefix in again


def test_it_revokes_a_token_from_the_page(tenant_a, login, auditor_token):
    token, _ = auditor_token
    client = login(tenant_a["coc_admin"])
    client.post(f"/{tenant_a.continuum.slug}/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.principal.is_active
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_it_refuses_the_tokens_page_to_other_roles_and_tenants(client, tenant_a, tenant_b, auditor_token):
    token, _ = auditor_token
    client.force_login(tenant_a["help_desk"])
    assert client.get(f"/{tenant_a.continuum.slug}/api-tokens/").status_code == 403
    client.force_login(tenant_b["coc_admin"])
    assert client.get(f"/{tenant_a.continuum.slug}/api-tokens/").status_code == 404
    # Another CoC's admin cannot revoke this CoC's token through their own CoC either.
    assert client.post(f"/{tenant_b.continuum.slug}/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Error bodies and pagination ---------------------------------------------------------------------


def test_it_answers_errors_with_one_body_shape(client, tenant_a, tenant_b):
    anonymous = client.get(api(tenant_a, "agencies/"))
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"status", "code", "detail"}
    client.force_login(tenant_b["help_desk"])
    outsider = client.get(api(tenant_a, "agencies/"))
    assert outsider.status_code == 404 and outsider.json()["code"] == "not_found"
    client.force_login(tenant_a["agency_user"])
    refused = client.get(api(tenant_a, "audit-events/"))
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    client.force_login(tenant_a["coc_admin"])
    invalid = client.post(api(tenant_a, "programs/"), {"name": ""}, content_type="application/json")
    body = invalid.json()
    assert invalid.status_code == 400 and body["code"] == "invalid" and "name" in body["errors"]
    missing = client.get(api(tenant_a, "audit-events/999999/"))
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_it_paginates_lists_with_a_capped_page_size(client, tenant_a):
    for n in range(5):
        audit_record(action=f"probe.{n}", continuum=tenant_a.continuum)
    client.force_login(tenant_a["auditor"])
    page = client.get(api(tenant_a, "audit-events/"), {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["count"] >= 5 and page["next"]
    capped = client.get(api(tenant_a, "audit-events/"), {"page_size": 100000}).json()
    assert len(capped["results"]) <= 200


# --- The audit trail: API, viewer, CSV ---------------------------------------------------------------


@pytest.fixture
def trail(tenant_a, tenant_b):
    audit_record(
        action="agency.updated",
        actor=tenant_a["help_desk"],
        continuum=tenant_a.continuum,
        obj=tenant_a.agency,
    )
    audit_record(action="membership.added", actor=tenant_a["coc_admin"], continuum=tenant_a.continuum)
    audit_record(action="beta.secret", actor=tenant_b["coc_admin"], continuum=tenant_b.continuum)


def test_it_filters_the_audit_api_by_person_object_and_action(client, tenant_a, trail):
    client.force_login(tenant_a["auditor"])
    rows = client.get(api(tenant_a, "audit-events/"), {"actor": "alpha.help_desk"}).json()["results"]
    assert [r["action"] for r in rows] == ["agency.updated"]
    rows = client.get(api(tenant_a, "audit-events/"), {"object": tenant_a.agency.name[:6]}).json()["results"]
    assert {r["action"] for r in rows} == {"agency.updated"}
    rows = client.get(api(tenant_a, "audit-events/"), {"action": "beta"}).json()["results"]
    assert rows == []
    bad = client.get(api(tenant_a, "audit-events/"), {"since": "not-a-date"})
    assert bad.status_code == 400 and "since" in bad.json()["errors"]


def test_it_searches_the_audit_page_and_exports_the_same_search(client, tenant_a, trail):
    client.force_login(tenant_a["auditor"])
    url = f"/{tenant_a.continuum.slug}/audit/"
    body = client.get(url, {"actor": "alpha.coc_admin"}).content.decode()
    assert "membership.added" in body and "agency.updated" not in body
    response = client.get(url, {"actor": "alpha.coc_admin", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["occurred_at", "actor", "action"]
    assert [r[2] for r in rows[1:]] == ["membership.added"]
    assert "beta.secret" not in client.get(url, {"format": "csv"}).getvalue().decode()


def test_it_neutralises_formulas_in_csv_cells(client, tenant_a):
    audit_record(action="=HYPERLINK(1)", continuum=tenant_a.continuum)
    client.force_login(tenant_a["auditor"])
    content = client.get(f"/{tenant_a.continuum.slug}/audit/", {"format": "csv"}).getvalue().decode()
    assert "'=HYPERLINK(1)" in content


# --- OpenAPI ------------------------------------------------------------------------------------------


def test_it_validates_the_openapi_schema_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    text = (tmp_path / "schema.yml").read_text()
    assert "/api/{continuum_slug}/audit-events/" in text and "bearer" in text


def test_it_serves_the_docs_from_static_files_not_a_cdn(client, db):
    assert client.get("/api/schema/").status_code == 200
    for path in ("/api/docs/", "/api/redoc/"):
        body = client.get(path).content.decode()
        assert "cdn" not in body.lower() and "/static/drf_spectacular_sidecar/" in body


def test_it_answers_400_to_ids_the_database_cannot_hold(client, tenant_a):
    # Found by the schemathesis run: a float id used to reach the database and fail there (500).
    client.force_login(tenant_a["coc_admin"])
    for value in ("-1.7976931348623157e+308", "99999999999999999999", "1.5"):
        response = client.get(api(tenant_a, "agreements/"), {"agreement_type": value})
        assert response.status_code == 400 and "agreement_type" in response.json()["errors"]
