"""The audit trail is append-only and records who changed what, from where."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import AuditEvent, AuditTrailIsAppendOnly

pytestmark = pytest.mark.django_db


def test_it_refuses_to_update_or_delete_through_the_orm(tenant_a):
    event = audit_record(action="test.event", continuum=tenant_a.continuum)
    event.action = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "test.event"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_it_refuses_raw_sql_updates_and_deletes_on_postgresql(tenant_a):
    event = audit_record(action="test.event", continuum=tenant_a.continuum)
    for sql in (
        "UPDATE hmis_onboarding_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM hmis_onboarding_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="test.event").exists()


def test_it_records_before_and_after_and_the_address_of_a_settings_change(client, tenant_a):
    admin = tenant_a["coc_admin"]
    client.force_login(admin)
    url = f"/{tenant_a.continuum.slug}/settings/"
    form = client.get(url).context["form"]
    data = {name: (form.initial.get(name) or "") for name in form.fields}
    data["idle_timeout_minutes"] = 20
    response = client.post(url, data, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="continuum.settings_changed")
    assert event.actor == admin and event.continuum == tenant_a.continuum
    assert event.before == {"idle_timeout_minutes": 15} and event.after == {"idle_timeout_minutes": 20}
    assert event.ip_address == "203.0.113.9"
    # The settings page shows its own history.
    page = client.get(url).content.decode()
    assert "idle_timeout_minutes: 15 → 20" in page


def test_it_refuses_bad_settings_with_a_message_and_changes_nothing(client, tenant_a):
    client.force_login(tenant_a["coc_admin"])
    url = f"/{tenant_a.continuum.slug}/settings/"
    response = client.post(url, {"name": "", "timezone": "Mars/Olympus", "idle_timeout_minutes": 1})
    assert response.status_code == 200
    body = response.content.decode()
    assert "not a known time zone" in body
    assert "greater than or equal to 5" in body
    assert not AuditEvent.objects.filter(action="continuum.settings_changed").exists()
    tenant_a.continuum.refresh_from_db()
    assert tenant_a.continuum.idle_timeout_minutes == 15


def test_it_records_refused_authorizations(client, tenant_a, tenant_b):
    client.force_login(tenant_b["help_desk"])
    assert client.get(f"/{tenant_a.continuum.slug}/agencies/").status_code == 404
    event = AuditEvent.objects.get(action="authorization.refused")
    assert event.actor == tenant_b["help_desk"]
    assert event.continuum == tenant_a.continuum
    assert event.metadata["reason"] == "not a member"

    client.force_login(tenant_a["agency_user"])
    assert client.get(f"/{tenant_a.continuum.slug}/audit/").status_code == 403
    assert AuditEvent.objects.filter(
        action="authorization.refused",
        actor=tenant_a["agency_user"],
        metadata__reason__startswith="missing capability",
    ).exists()


def test_it_shows_the_audit_trail_only_within_the_tenant(client, tenant_a, tenant_b):
    audit_record(action="alpha.secret", continuum=tenant_a.continuum)
    audit_record(action="beta.secret", continuum=tenant_b.continuum)
    client.force_login(tenant_a["auditor"])
    body = client.get(f"/{tenant_a.continuum.slug}/audit/").content.decode()
    assert "alpha.secret" in body and "beta.secret" not in body
    body = client.get(f"/{tenant_a.continuum.slug}/audit/?action=beta").content.decode()
    assert "alpha.secret" not in body
