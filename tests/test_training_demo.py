"""Training demo data, the fake-LMS demo command and the HMIS Lead's admin pages."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hmis_onboarding.models import User
from training import selectors
from training.demo import DEMO_LMS_KEY
from training.management.commands import run_fake_lms
from training.models import Course, LmsConfiguration
from training.path import StepState

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_both_catalogs_and_trainees_at_every_stage():
    call_command("seed_demo", quiet_logins=True)
    assert Course.objects.filter(continuum__slug="chicago").count() == 17
    assert Course.objects.filter(continuum__slug="los-angeles").count() == 6
    jordan = User.objects.get(email="chicago.user@example.org")
    path = selectors.learning_path_result(jordan.memberships.first().continuum, jordan)
    assert path.step("intro-to-hmis").state == StepState.COMPLETED
    assert path.step("data-management").state == StepState.IN_PROGRESS
    assert path.step("es-th-sh").state == StepState.AVAILABLE
    anna = User.objects.get(email="a.nowak@example.org")
    assert selectors.learning_path_result(anna.memberships.first().continuum, anna).ready_for_sample_client
    brianna = User.objects.get(email="la.user@example.org")
    la_path = selectors.learning_path_result(brianna.memberships.first().continuum, brianna)
    assert [s.key for s in la_path.steps] == ["hmis-10", "hmis-509-full"]
    assert la_path.step("hmis-509-full").state == StepState.AVAILABLE
    config = LmsConfiguration.objects.get(continuum__slug="chicago")
    assert not config.enabled and config.get_api_key() == DEMO_LMS_KEY


def test_run_fake_lms_serves_the_catalog_and_points_the_coc_at_itself(settings, monkeypatch):
    settings.DEMO_MODE = True
    call_command("seed_demo", quiet_logins=True)

    def stop(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_fake_lms.time, "sleep", stop)
    call_command("run_fake_lms", port=0, configure=True, simulate=1)
    config = LmsConfiguration.objects.get(continuum__slug="chicago")
    assert config.enabled and config.base_url.startswith("http://127.0.0.1:")


def test_run_fake_lms_refuses_outside_demos(settings):
    settings.DEMO_MODE = False
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local demos only"):
        call_command("run_fake_lms", port=0)


def test_the_hmis_lead_edits_courses_in_the_admin_but_never_sees_the_lms_key(client):
    call_command("seed_demo", quiet_logins=True)
    lead = UserFactory(totp=True, is_superuser=True, is_staff=True)
    client.force_login(lead)
    course = Course.objects.get(continuum__slug="chicago", code="data-management")
    page = client.get(f"/admin/training/course/{course.pk}/change/")
    assert page.status_code == 200 and b"Part 1: Personal Information Security" in page.content
    config = LmsConfiguration.objects.get(continuum__slug="chicago")
    page = client.get(f"/admin/training/lmsconfiguration/{config.pk}/change/")
    assert page.status_code == 200 and DEMO_LMS_KEY.encode() not in page.content
    assert config.api_key_encrypted.encode() not in page.content
