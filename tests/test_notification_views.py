"""Pages: the outbox (Help Desk, CoC admin), notification preferences (every member), and the
calendar and reminder settings (CoC admin) — each refused to other roles and other tenants."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from hmis_onboarding.models import (
    AuditEvent,
    ContinuumCalendar,
    ContinuumHoliday,
    ContinuumNotificationSettings,
    Notification,
    NotificationPreference,
)

pytestmark = pytest.mark.django_db
State = Notification.State


def outbox_row(continuum, key: str, state: str, subject: str, **fields) -> Notification:
    return Notification.objects.create(
        continuum=continuum,
        to_email="someone@example.org",
        kind="digest",
        dedupe_key=key,
        message_id=f"<{key}@test>",
        subject=subject,
        body_text="Body",
        state=state,
        **fields,
    )


@pytest.fixture
def outbox(tenant_a, tenant_b):
    return {
        "sent": outbox_row(tenant_a.continuum, "a-sent", State.SENT, "Alpha digest sent"),
        "failed": outbox_row(
            tenant_a.continuum,
            "a-failed",
            State.FAILED,
            "Alpha digest bounced",
            attempts=1,
            last_error="SMTP 550 5.1.1 No such user",
        ),
        "pending": outbox_row(tenant_a.continuum, "a-pending", State.PENDING, "Alpha digest queued"),
        "other_tenant": outbox_row(
            tenant_b.continuum, "b-failed", State.FAILED, "Beta digest bounced", last_error="SMTP 550"
        ),
    }


# --- Outbox -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["help_desk", "coc_admin"])
def test_it_lists_the_outbox_with_states_for_help_desk_and_coc_admins(tenant_a, outbox, login, role):
    client = login(tenant_a[role])
    page = client.get("/alpha/outbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<h1") == 1
    for subject in ("Alpha digest sent", "Alpha digest bounced", "Alpha digest queued"):
        assert subject in html
    assert "Beta digest bounced" not in html
    assert "SMTP 550 5.1.1 No such user" in html
    assert 'href="/alpha/outbox/"' in html  # in the navigation


def test_it_filters_the_outbox_by_state(tenant_a, outbox, login):
    client = login(tenant_a["help_desk"])
    html = client.get("/alpha/outbox/?state=failed").content.decode()
    assert "Alpha digest bounced" in html
    assert "Alpha digest sent" not in html and "Alpha digest queued" not in html
    # Nonsense in the filter is a message on the form, not a 500.
    page = client.get("/alpha/outbox/?state=exploded")
    assert page.status_code == 200 and "Alpha digest sent" in page.content.decode()


@pytest.mark.parametrize(
    "role", ["ata", "agency_supervisor", "agency_user", "ce_team", "auditor", "implementation_team"]
)
def test_it_refuses_the_outbox_to_other_roles(tenant_a, outbox, login, role):
    client = login(tenant_a[role])
    assert client.get("/alpha/outbox/").status_code == 403
    assert client.post(f"/alpha/outbox/{outbox['failed'].pk}/retry/").status_code == 403
    assert Notification.objects.get(pk=outbox["failed"].pk).state == State.FAILED


def test_it_hides_the_outbox_from_another_tenants_staff(tenant_b, outbox, login):
    client = login(tenant_b["help_desk"])
    assert client.get("/alpha/outbox/").status_code == 404
    assert client.post(f"/alpha/outbox/{outbox['failed'].pk}/retry/").status_code == 404
    # Nor can they reach a row of Alpha through their own CoC's address.
    assert client.post(f"/beta/outbox/{outbox['failed'].pk}/retry/").status_code == 404
    assert Notification.objects.get(pk=outbox["failed"].pk).state == State.FAILED


def test_it_lets_staff_retry_a_failed_e_mail_and_audits_it(
    tenant_a, outbox, login, django_capture_on_commit_callbacks
):
    client = login(tenant_a["help_desk"])
    row = outbox["failed"]
    assert client.get(f"/alpha/outbox/{row.pk}/retry/").status_code == 405
    with (
        mock.patch("hmis_onboarding.tasks.send_notification.apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/alpha/outbox/{row.pk}/retry/", {"state": "failed"})
    assert response.status_code == 302 and response["Location"] == "/alpha/outbox/?state=failed"
    queued.assert_called_once_with(args=[row.pk], countdown=None)
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 0
    event = AuditEvent.objects.get(action="notification.retried")
    assert event.actor == tenant_a["help_desk"] and event.continuum == tenant_a.continuum
    assert event.before["state"] == "failed" and event.after["state"] == "pending"


def test_it_refuses_to_retry_an_e_mail_that_did_not_fail(tenant_a, outbox, login):
    client = login(tenant_a["coc_admin"])
    response = client.post(f"/alpha/outbox/{outbox['sent'].pk}/retry/", follow=True)
    assert response.status_code == 200
    assert "Only failed e-mails can be retried." in response.content.decode()
    assert Notification.objects.get(pk=outbox["sent"].pk).state == State.SENT
    assert not AuditEvent.objects.filter(action="notification.retried").exists()
    assert client.post("/alpha/outbox/999999/retry/").status_code == 404


# --- Notification preferences -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "ata",
        "agency_supervisor",
        "agency_user",
        "executive_director",
        "help_desk",
        "ce_team",
        "implementation_team",
        "coc_admin",
        "auditor",
    ],
)
def test_it_shows_every_member_their_notification_preferences(tenant_a, login, role):
    page = login(tenant_a[role]).get("/alpha/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<h1") == 1 and "Notification preferences" in html


def test_it_offers_each_role_its_kinds_and_security_notices_as_fixed(tenant_a, login):
    ata_page = login(tenant_a["ata"]).get("/alpha/notifications/").content.decode()
    assert "People in my agency who have not signed in yet" in ata_page
    assert "Agencies without an Agency Technical Administrator" not in ata_page
    staff_page = login(tenant_a["help_desk"]).get("/alpha/notifications/").content.decode()
    assert "Agencies without an Agency Technical Administrator" in staff_page
    assert "Two-factor authentication not set up" in staff_page
    assert 'name="security.mfa_setup"' not in staff_page
    assert "cannot be turned off" in staff_page


def test_it_saves_a_preference_and_audits_it(tenant_a, login):
    client = login(tenant_a["ata"])
    response = client.post("/alpha/notifications/", {"member_never_signed_in": "immediate"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=tenant_a["ata"], continuum=tenant_a.continuum)
    assert pref.kind == "member_never_signed_in" and pref.delivery == "immediate"
    event = AuditEvent.objects.get(action="notification.preferences_changed")
    assert event.before == {"member_never_signed_in": "digest"} and event.after == {
        "member_never_signed_in": "immediate"
    }
    page = client.get("/alpha/notifications/").content.decode()
    assert 'value="immediate" checked' in page


def test_it_rejects_a_bad_preference_with_a_message(tenant_a, login):
    client = login(tenant_a["help_desk"])
    response = client.post(
        "/alpha/notifications/", {"agency_without_ata": "never", "security.mfa_setup": "digest"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_it_keeps_preferences_per_tenant(tenant_a, tenant_b, login):
    client = login(tenant_b["ata"])
    assert client.get("/alpha/notifications/").status_code == 404
    assert client.post("/alpha/notifications/", {"member_never_signed_in": "immediate"}).status_code == 404
    assert not NotificationPreference.objects.exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, tenant_a):
    response = client.get("/alpha/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Calendar and reminder settings ---------------------------------------------------------------------


def settings_post(**overrides):
    data = {
        "action": "settings",
        "settings-workday_start": "08:30",
        "settings-workday_end": "16:30",
        "settings-digest_hour": "7",
        "settings-reminder_offsets": "10, 5,1",
        "settings-escalation_delay_business_days": "3",
        "settings-setup_grace_business_days": "4",
    }
    data.update(overrides)
    return data


def test_it_lets_the_coc_admin_set_hours_and_reminders(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    page = client.get("/alpha/calendar/")
    assert page.status_code == 200 and page.content.decode().count("<h1") == 1
    assert client.post("/alpha/calendar/", settings_post()).status_code == 302
    cal = ContinuumCalendar.objects.get(continuum=tenant_a.continuum)
    cfg = ContinuumNotificationSettings.objects.get(continuum=tenant_a.continuum)
    assert (cal.workday_start, cal.workday_end) == (dt.time(8, 30), dt.time(16, 30))
    assert (cfg.digest_hour, cfg.offsets, cfg.escalation_delay_business_days) == (7, (10, 5, 1), 3)
    assert (
        AuditEvent.objects.filter(action="continuum.calendar_changed", actor=tenant_a["coc_admin"]).count()
        == 2
    )
    assert "continuum.calendar_changed" in client.get("/alpha/calendar/").content.decode()


def test_it_explains_bad_calendar_settings(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    response = client.post(
        "/alpha/calendar/",
        settings_post(**{"settings-reminder_offsets": "seven", "settings-workday_end": "08:00"}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Use whole numbers of business days" in html
    assert "The working day must end after it starts." in html
    assert not ContinuumNotificationSettings.objects.exists() and not ContinuumCalendar.objects.exists()


def test_it_adds_and_removes_holidays(tenant_a, tenant_b, login):
    client = login(tenant_a["coc_admin"])
    data = {"action": "holiday", "holiday-date": "2026-12-24", "holiday-name": "Christmas Eve"}
    assert client.post("/alpha/calendar/", data).status_code == 302
    holiday = ContinuumHoliday.objects.get(continuum=tenant_a.continuum)
    assert holiday.name == "Christmas Eve" and holiday.date == dt.date(2026, 12, 24)
    again = client.post("/alpha/calendar/", data)
    assert again.status_code == 200 and "is already a holiday" in again.content.decode()

    other = ContinuumHoliday.objects.create(
        continuum=tenant_b.continuum, date=dt.date(2026, 12, 24), name="Eve"
    )
    assert client.post(f"/alpha/calendar/holidays/{other.pk}/delete/").status_code == 404
    assert client.get(f"/alpha/calendar/holidays/{holiday.pk}/delete/").status_code == 405
    assert client.post(f"/alpha/calendar/holidays/{holiday.pk}/delete/").status_code == 302
    assert not ContinuumHoliday.objects.filter(continuum=tenant_a.continuum).exists()
    assert ContinuumHoliday.objects.filter(pk=other.pk).exists()
    actions = set(AuditEvent.objects.filter(continuum=tenant_a.continuum).values_list("action", flat=True))
    assert {"continuum.holiday_added", "continuum.holiday_removed"} <= actions


def test_it_loads_the_federal_holidays_of_a_year_once(tenant_a, login):
    client = login(tenant_a["coc_admin"])
    ContinuumHoliday.objects.create(
        continuum=tenant_a.continuum, date=dt.date(2027, 12, 24), name="Office closed"
    )
    response = client.post("/alpha/calendar/", {"action": "federal", "federal-year": "2027"}, follow=True)
    assert "11 federal holidays of 2027 added." in response.content.decode()
    response = client.post("/alpha/calendar/", {"action": "federal", "federal-year": "2027"}, follow=True)
    assert "0 federal holidays of 2027 added." in response.content.decode()
    assert ContinuumHoliday.objects.filter(continuum=tenant_a.continuum).count() == 12
    bad = client.post("/alpha/calendar/", {"action": "federal", "federal-year": "20270"})
    assert bad.status_code == 200 and ContinuumHoliday.objects.count() == 12


@pytest.mark.parametrize("role", ["help_desk", "ata", "auditor", "agency_user"])
def test_it_refuses_the_calendar_to_other_roles(tenant_a, login, role):
    client = login(tenant_a[role])
    assert client.get("/alpha/calendar/").status_code == 403
    assert client.post("/alpha/calendar/", settings_post()).status_code == 403
    holiday = ContinuumHoliday.objects.create(
        continuum=tenant_a.continuum, date=dt.date(2026, 12, 24), name="Eve"
    )
    assert client.post(f"/alpha/calendar/holidays/{holiday.pk}/delete/").status_code == 403
    assert ContinuumHoliday.objects.filter(pk=holiday.pk).exists()
    assert not ContinuumCalendar.objects.exists()


def test_it_hides_the_calendar_from_another_tenants_admin(tenant_a, tenant_b, login):
    client = login(tenant_b["coc_admin"])
    assert client.get("/alpha/calendar/").status_code == 404
    assert client.post("/alpha/calendar/", settings_post()).status_code == 404
