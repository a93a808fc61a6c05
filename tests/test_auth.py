"""Signing in, two-factor authentication, rate limits, session lifetime, passwords and CSRF."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from hmis_onboarding.models import AuditEvent

from .conftest import fresh_totp_code, totp_code
from .factories import PASSWORD, TOTP_SECRET, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_asks_staff_for_their_authenticator_code_after_the_password(client, tenant_a):
    staff = tenant_a["help_desk"]
    response = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    # Not signed in yet: tenant pages still send them to the login page.
    assert client.get(f"/{tenant_a.continuum.slug}/")["Location"].startswith("/accounts/login/")
    response = client.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code()})
    assert response.status_code == 302
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 200
    assert AuditEvent.objects.filter(action="login.succeeded", actor=staff).exists()


def test_it_refuses_a_wrong_authenticator_code_with_a_message_and_records_it(client, tenant_a):
    staff = tenant_a["help_desk"]
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    wrong = "000000" if totp_code() != "000000" else "111111"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert AuditEvent.objects.filter(action="mfa.failed", actor=staff).count() == 1
    assert not AuditEvent.objects.filter(action="login.succeeded", actor=staff).exists()


def test_it_refuses_a_wrong_password_with_a_message_and_records_it(client, tenant_a):
    response = client.post("/accounts/login/", {"login": tenant_a["ata"].email, "password": "not-it"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    event = AuditEvent.objects.get(action="login.failed")
    assert event.metadata["attempted_email"] == tenant_a["ata"].email
    assert event.ip_address == "127.0.0.1"


def test_it_locks_out_repeated_failures_by_rate_limit(client, tenant_a):
    # The counters live in the shared cache (Redis, or the database table), not in a process or the
    # session: a browser with a fresh session is locked out too.
    assert settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in ("RedisCache", "DatabaseCache")
    ata = tenant_a["ata"]
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": ata.email, "password": "wrong-password"})
        assert "Too many" not in response.content.decode()
    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": ata.email, "password": PASSWORD})
    # Even the right password is refused while the lock-out lasts.
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert fresh.get(f"/{tenant_a.continuum.slug}/")["Location"].startswith("/accounts/login/")


def test_it_locks_out_repeated_wrong_authenticator_codes(client, tenant_a):
    staff = tenant_a["help_desk"]
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    wrong = "000000" if totp_code() not in ("000000", "000001") else "111111"
    for _ in range(5):
        response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
        assert "Incorrect code" in response.content.decode()
    # The sixth attempt is refused even with the right code, and the person stays signed out.
    response = client.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code()})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(f"/{tenant_a.continuum.slug}/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="mfa.failed", actor=staff).count() == 5
    assert not AuditEvent.objects.filter(action="login.succeeded", actor=staff).exists()


def test_it_sends_staff_without_an_authenticator_to_set_one_up(
    client, tenant_a, django_capture_on_commit_callbacks
):
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, continuum=tenant_a.continuum, role="help_desk")
    client.post("/accounts/login/", {"login": newcomer.email, "password": PASSWORD})
    response = client.get(f"/{tenant_a.continuum.slug}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    # allauth asks for the password once more before an authenticator is added.
    assert page["Location"].startswith("/accounts/reauthenticate/")
    client.post(page["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    code = format_hotp_value(hotp_value(secret, int(dt.datetime.now().timestamp()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.added", actor=newcomer).exists()


def test_it_lets_agency_users_in_without_an_authenticator_but_offers_one(login, tenant_a):
    client = login(tenant_a["agency_user"])
    response = client.get(f"/{tenant_a.continuum.slug}/")
    assert response.status_code == 200
    assert "Two-factor authentication is off" in response.content.decode()


def test_it_does_not_let_staff_switch_two_factor_off(login, tenant_a):
    client = login(tenant_a["coc_admin"])
    # allauth first asks for the password again; without that step nothing is ever deactivated.
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": PASSWORD})
    response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication" in response.content.decode()
    assert Authenticator.objects.filter(user=tenant_a["coc_admin"], type="totp").exists()
    assert not AuditEvent.objects.filter(action="mfa.removed").exists()


@pytest.mark.parametrize("minutes,signed_out", [(14, False), (16, True)])
def test_it_signs_people_out_after_the_default_idle_timeout(login, tenant_a, minutes, signed_out):
    url = f"/{tenant_a.continuum.slug}/"
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client = login(tenant_a["ata"])
        assert client.get(url).status_code == 200
        traveller.shift(dt.timedelta(minutes=minutes))
        response = client.get(url)
    if signed_out:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?reason=idle")
        assert AuditEvent.objects.filter(action="session.idle_timeout", actor=tenant_a["ata"]).exists()
        assert "signed out after a period of inactivity" in client.get(response["Location"]).content.decode()
    else:
        assert response.status_code == 200


def test_it_uses_the_continuums_own_idle_timeout(login, tenant_a):
    tenant_a.continuum.idle_timeout_minutes = 30
    tenant_a.continuum.save()
    url = f"/{tenant_a.continuum.slug}/"
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client = login(tenant_a["ata"])
        client.get(url)
        traveller.shift(dt.timedelta(minutes=25))
        assert client.get(url).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        assert client.get(url).status_code == 302


def test_it_ends_every_session_after_twelve_hours_even_when_active(login, tenant_a):
    url = f"/{tenant_a.continuum.slug}/"
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client = login(tenant_a["ata"])
        for step in range(1, 12 * 6 + 3):  # a request every 10 minutes for just over 12 hours
            traveller.shift(dt.timedelta(minutes=10))
            response = client.get(url)
            if response.status_code != 200:
                break
        # Never idle, so it lasted exactly the 12 hours: the first request after them is refused.
        assert step == 12 * 6 + 1
        assert response.status_code == 302
        assert "reason=expired" in response["Location"]
        assert "reached its maximum length" in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(action="session.expired", actor=tenant_a["ata"]).exists()


def test_it_lists_a_persons_sessions_and_lets_them_end_the_others(tenant_a):
    user = tenant_a["ata"]
    laptop, phone = Client(), Client()
    for c in (laptop, phone):
        c.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert c.get(f"/{tenant_a.continuum.slug}/").status_code == 200
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2
    laptop.post("/accounts/sessions/", {})
    assert laptop.get(f"/{tenant_a.continuum.slug}/").status_code == 200
    assert phone.get(f"/{tenant_a.continuum.slug}/").status_code == 302


@pytest.mark.parametrize(
    "new_password,message",
    [("short1!", "too short"), ("password1234", "too common"), ("12345678901234", "entirely numeric")],
)
def test_it_refuses_weak_passwords_with_the_reason(login, tenant_a, new_password, message):
    client = login(tenant_a["agency_user"])
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant_a["agency_user"].refresh_from_db()
    assert tenant_a["agency_user"].check_password(PASSWORD)


def test_it_shows_a_clear_page_and_records_a_csrf_failure(tenant_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_a["coc_admin"])
    response = client.post(f"/{tenant_a.continuum.slug}/settings/", {"name": "Hijacked"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert AuditEvent.objects.filter(action="security.csrf_failure").exists()
    tenant_a.continuum.refresh_from_db()
    assert tenant_a.continuum.name != "Hijacked"


def test_it_has_no_public_sign_up(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()


def test_it_records_sign_out(login, tenant_a):
    client = login(tenant_a["ata"])
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action="logout", actor=tenant_a["ata"]).exists()


def test_it_sends_a_password_reset_mail_without_revealing_whether_the_account_exists(
    client, tenant_a, mailoutbox
):
    for email in (tenant_a["ata"].email, "nobody@example.org"):
        response = client.post("/accounts/password/reset/", {"email": email})
        assert response.status_code == 302
    assert len([m for m in mailoutbox if tenant_a["ata"].email in m.to]) == 1


def test_it_uses_the_shared_totp_secret_fixture():
    assert len(TOTP_SECRET) == 32


def test_it_requires_two_factor_as_soon_as_someone_becomes_staff(client, tenant_a):
    person = tenant_a["agency_user"]
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 200
    MembershipFactory(user=person, continuum=tenant_a.continuum, role="help_desk")
    response = client.get(f"/{tenant_a.continuum.slug}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_it_answers_too_many_reset_requests_with_a_429_page_and_records_it(client, tenant_a):
    email = tenant_a["ata"].email
    for _ in range(5):
        assert client.post("/accounts/password/reset/", {"email": email}).status_code == 302
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    event = AuditEvent.objects.get(action="security.rate_limited")
    assert event.metadata["path"] == "/accounts/password/reset/"
    assert event.ip_address == "127.0.0.1"


def test_it_sends_an_htmx_request_after_the_idle_timeout_to_the_sign_in_page(login, tenant_a):
    url = f"/{tenant_a.continuum.slug}/"
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        client = login(tenant_a["ata"])
        assert client.get(url).status_code == 200
        traveller.shift(dt.timedelta(minutes=16))
        response = client.get(url, headers={"HX-Request": "true"})
    # htmx would swap a redirected sign-in page into the fragment; it follows HX-Redirect instead.
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?reason=idle")


def test_it_makes_people_verify_their_address_before_signing_in_when_mandatory(
    client, tenant_a, settings, mailoutbox
):
    from allauth.account.models import EmailAddress

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # the production default
    person = tenant_a["agency_user"]
    EmailAddress.objects.filter(user=person).update(verified=False)
    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "Verify Your Email Address" in client.get(response["Location"]).content.decode()
    assert client.get(f"/{tenant_a.continuum.slug}/")["Location"].startswith("/accounts/login/")
    (mail,) = [m for m in mailoutbox if person.email in m.to]
    link = next(word for word in mail.body.split() if "/accounts/confirm-email/" in word)
    confirm = link[link.index("/accounts/") :]
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=person).verified
    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 200
