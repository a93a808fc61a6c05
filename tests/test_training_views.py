"""Training pages: who may see and do what, the write-only LMS key, prerequisite editing with cycle
refusal, and the import preview → confirm / cancel flow. Outsiders get 404, wrong roles 403."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hmis_onboarding.models import AuditEvent
from hmis_onboarding.permissions import Role
from training import services, tasks
from training.models import Course, Enrollment, LmsConfiguration, Prerequisite, ProgressImport
from training.path import Needs, ProjectNeed

from .factories import UserFactory
from .training_helpers import API_KEY, running_fake

pytestmark = pytest.mark.django_db


@pytest.fixture
def chicago(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"continuum_slug": tenant.continuum.slug, **kwargs})


def course(tenant, code: str) -> Course:
    return Course.objects.get(continuum=tenant.continuum, code=code)


# --- Catalog -------------------------------------------------------------------------------------------
def test_every_member_reads_the_catalog_and_outsiders_get_404(client, chicago, tenant_b):
    for role in Role:
        client.force_login(chicago[role.value])
        response = client.get(url("training_catalog", chicago))
        assert response.status_code == 200, role
    assert (
        b"Introduction to HMIS" in response.content
        and b"Part 2: HMIS Specific Data Guidelines" in response.content
    )
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url("training_catalog", chicago)).status_code == 404


def test_only_coc_administrators_edit_prerequisites(client, chicago):
    payload = {
        "course": course(chicago, "ssvf").pk,
        "requires": course(chicago, "data-management").pk,
        "min_percent": 100,
    }
    for role in ("help_desk", "ata", "agency_user"):
        client.force_login(chicago[role])
        assert client.post(url("training_catalog", chicago), payload).status_code == 403
    assert AuditEvent.objects.filter(action="authorization.refused").count() >= 3
    client.force_login(chicago["coc_admin"])
    response = client.post(url("training_catalog", chicago), payload)
    assert response.status_code == 302
    link = Prerequisite.objects.get(course__code="ssvf", requires__code="data-management")
    response = client.post(url("training_catalog", chicago), {"remove": link.pk})
    assert response.status_code == 302 and not Prerequisite.objects.filter(pk=link.pk).exists()


def test_a_cycle_is_refused_on_the_page_with_its_reason(client, chicago):
    client.force_login(chicago["coc_admin"])
    response = client.post(
        url("training_catalog", chicago),
        {
            "course": course(chicago, "intro-to-hmis").pk,
            "requires": course(chicago, "ssvf").pk,
            "min_percent": 100,
        },
    )
    assert response.status_code == 400
    assert "would make a cycle" in response.content.decode()
    assert not Prerequisite.objects.filter(course__code="intro-to-hmis").exists()


def test_it_refuses_another_tenants_course_in_the_prerequisite_form(client, chicago, tenant_b):
    services.catalog_load(continuum=tenant_b.continuum, spec=services.catalog_spec("los-angeles"))
    client.force_login(chicago["coc_admin"])
    foreign = Course.objects.get(continuum=tenant_b.continuum, code="hmis-10")
    response = client.post(
        url("training_catalog", chicago),
        {"course": course(chicago, "ssvf").pk, "requires": foreign.pk, "min_percent": 100},
    )
    assert response.status_code == 400
    assert not Prerequisite.objects.filter(course__continuum=chicago.continuum, requires=foreign).exists()


# --- LMS settings -----------------------------------------------------------------------------------------
def test_the_lms_api_key_is_stored_encrypted_and_never_shown_back(client, chicago):
    client.force_login(chicago["coc_admin"])
    secret = "sk-very-secret-talentlms-key-123"
    response = client.post(
        url("training_lms_settings", chicago),
        {
            "provider": "talentlms",
            "base_url": "https://chicago-coc.talentlms.com",
            "api_key": secret,
            "enabled": "on",
            "poll_interval_minutes": 15,
            "hourly_quota": 2000,
            "quota_share_percent": 80,
            "burst_limit": 200,
            "timeout_seconds": 15,
            "batch_size": 200,
            "date_format": "DMY",
        },
    )
    assert response.status_code == 302
    config = LmsConfiguration.objects.get(continuum=chicago.continuum)
    assert config.get_api_key() == secret and secret not in config.api_key_encrypted
    page = client.get(url("training_lms_settings", chicago)).content.decode()
    assert secret not in page and "stored" in page
    event = AuditEvent.objects.get(action="training.lms_configuration_changed")
    assert secret not in str(event.before) + str(event.after) + str(event.metadata)
    assert event.metadata == {"api_key_changed": True}


def test_it_refuses_turning_the_sync_on_without_a_key_or_over_plain_http(client, chicago):
    client.force_login(chicago["coc_admin"])
    base = {
        "provider": "talentlms",
        "poll_interval_minutes": 15,
        "hourly_quota": 2000,
        "quota_share_percent": 80,
        "burst_limit": 200,
        "timeout_seconds": 15,
        "batch_size": 200,
        "date_format": "DMY",
        "enabled": "on",
    }
    response = client.post(
        url("training_lms_settings", chicago), {**base, "base_url": "https://x.talentlms.com"}
    )
    assert response.status_code == 400 and "API key" in response.content.decode()
    response = client.post(
        url("training_lms_settings", chicago), {**base, "base_url": "http://x.talentlms.com", "api_key": "k"}
    )
    assert response.status_code == 400 and "https://" in response.content.decode()
    assert not LmsConfiguration.objects.filter(continuum=chicago.continuum).exists()


def test_lms_settings_are_for_coc_administrators_only(client, chicago, tenant_b):
    for role in ("help_desk", "ata", "agency_user", "auditor"):
        client.force_login(chicago[role])
        assert client.get(url("training_lms_settings", chicago)).status_code == 403
    client.force_login(tenant_b["coc_admin"])
    assert client.get(url("training_lms_settings", chicago)).status_code == 404


def test_testing_the_connection_and_queueing_a_sync_from_the_page(
    client, chicago, monkeypatch, django_capture_on_commit_callbacks
):
    with running_fake() as fake:
        fake.add_course("Introduction to HMIS", course_id=101)
        services.lms_configuration_update(
            continuum=chicago.continuum, actor=None, api_key=API_KEY, base_url=fake.base_url, enabled=True
        )
        client.force_login(chicago["coc_admin"])
        response = client.post(url("training_lms_settings", chicago), {"action": "test"}, follow=True)
        text = response.content.decode()
        assert "Connected: the LMS lists 1 course(s)." in text and "does not know: 102, 103" in text
    queued = []
    monkeypatch.setattr(tasks.lms_sync_continuum, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("training_lms_settings", chicago), {"action": "sync"})
    assert response.status_code == 302 and queued == [chicago.continuum.pk]


def test_a_failed_connection_test_says_why(client, chicago):
    with running_fake() as fake:
        services.lms_configuration_update(
            continuum=chicago.continuum, actor=None, api_key="wrong", base_url=fake.base_url, enabled=False
        )
        client.force_login(chicago["coc_admin"])
        response = client.post(url("training_lms_settings", chicago), {"action": "test"}, follow=True)
    assert "did not accept the test" in response.content.decode()


# --- Progress imports -------------------------------------------------------------------------------------
@pytest.fixture
def trainee(chicago):
    person = UserFactory(email="ana@agency.org", full_name="Ana Diaz")
    services.lms_account_request(continuum=chicago.continuum, person=person, email="ana@agency.org")
    services.learning_path_assign(
        continuum=chicago.continuum, person=person, needs=Needs(projects=(ProjectNeed(1),))
    )
    return person


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")


def test_the_help_desk_previews_confirms_an_import(client, chicago, trainee):
    client.force_login(chicago["help_desk"])
    assert client.get(url("training_progress_imports", chicago)).status_code == 200
    response = client.post(
        url("training_progress_imports", chicago),
        {
            "file": csv_file(
                "Email,Course,Progress\n"
                "ana@agency.org,Introduction to HMIS,100\n"
                "zed@agency.org,Introduction to HMIS,5\n"
            )
        },
    )
    record = ProgressImport.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        "training_progress_import", chicago, import_id=record.pk
    )
    preview = client.get(response["Location"]).content.decode()
    assert "No LMS account in this CoC uses this e-mail." in preview and "zed@agency.org" in preview
    assert Enrollment.objects.get(user=trainee, course__code="intro-to-hmis").percent == 0
    response = client.post(response["Location"], {"action": "confirm"}, follow=True)
    assert "Import applied: 0 new and 1 updated" in response.content.decode()
    assert Enrollment.objects.get(user=trainee, course__code="intro-to-hmis").state == "completed"


def test_cancelling_an_import_from_the_page_writes_nothing(client, chicago, trainee):
    client.force_login(chicago["coc_admin"])
    client.post(
        url("training_progress_imports", chicago),
        {"file": csv_file("Email,Course,Progress\nana@agency.org,Introduction to HMIS,100\n")},
    )
    record = ProgressImport.objects.get()
    response = client.post(
        url("training_progress_import", chicago, import_id=record.pk), {"action": "cancel"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == ProgressImport.Status.CANCELLED
    assert Enrollment.objects.get(user=trainee, course__code="intro-to-hmis").percent == 0


def test_a_bad_upload_is_a_message_on_the_form(client, chicago):
    client.force_login(chicago["help_desk"])
    response = client.post(
        url("training_progress_imports", chicago), {"file": csv_file("Name,Score\nAna,3\n")}
    )
    assert response.status_code == 400 and "needs an e-mail column" in response.content.decode()
    response = client.post(
        url("training_progress_imports", chicago),
        {"file": SimpleUploadedFile("export.xlsx", b"PK\x03\x04", content_type="application/zip")},
    )
    assert response.status_code == 400 and ".csv" in response.content.decode()
    assert not ProgressImport.objects.exists()


def test_imports_are_refused_to_wrong_roles_and_invisible_to_other_tenants(
    client, chicago, tenant_b, trainee
):
    client.force_login(chicago["help_desk"])
    client.post(
        url("training_progress_imports", chicago),
        {"file": csv_file("Email,Course,Progress\nana@agency.org,Introduction to HMIS,100\n")},
    )
    record = ProgressImport.objects.get()
    detail = url("training_progress_import", chicago, import_id=record.pk)
    for role in ("ata", "agency_user", "agency_supervisor", "ce_team", "auditor", "implementation_team"):
        client.force_login(chicago[role])
        assert client.get(detail).status_code == 403, role
        assert client.post(detail, {"action": "confirm"}).status_code == 403, role
        assert client.get(url("training_progress_imports", chicago)).status_code == 403, role
    client.force_login(tenant_b["help_desk"])
    assert client.get(detail).status_code == 404
    # Another tenant's Help Desk, in their own CoC, cannot reach this record by its id either.
    assert client.get(url("training_progress_import", tenant_b, import_id=record.pk)).status_code == 404
    assert (
        client.post(
            url("training_progress_import", tenant_b, import_id=record.pk), {"action": "confirm"}
        ).status_code
        == 404
    )
    record.refresh_from_db()
    assert record.status == ProgressImport.Status.PREVIEWED


def test_staff_see_a_training_link_in_the_navigation(client, chicago):
    client.force_login(chicago["help_desk"])
    page = client.get(reverse("tenant_home", args=[chicago.continuum.slug])).content.decode()
    assert url("training_catalog", chicago) in page


def test_a_large_import_is_confirmed_on_the_page_and_written_by_a_worker(
    client, chicago, trainee, monkeypatch, django_capture_on_commit_callbacks
):
    from training import views

    monkeypatch.setattr(views, "INLINE_IMPORT_ROWS", 0)
    queued = []
    monkeypatch.setattr(tasks.progress_import_apply_task, "delay", lambda pk: queued.append(pk))
    client.force_login(chicago["help_desk"])
    client.post(
        url("training_progress_imports", chicago),
        {"file": csv_file("Email,Course,Progress\nana@agency.org,Introduction to HMIS,100\n")},
    )
    record = ProgressImport.objects.get()
    detail = url("training_progress_import", chicago, import_id=record.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail, {"action": "confirm"}, follow=True)
    assert "being written in the background" in response.content.decode() and queued == [record.pk]
    # Nothing written yet, and it can no longer be cancelled.
    assert Enrollment.objects.get(user=trainee, course__code="intro-to-hmis").percent == 0
    response = client.post(detail, {"action": "cancel"}, follow=True)
    assert "can no longer be cancelled" in response.content.decode()
    assert tasks.progress_import_apply_task(record.pk)["updated"] == 1
    record.refresh_from_db()
    assert record.status == ProgressImport.Status.APPLIED
    assert tasks.progress_import_apply_task(record.pk) == {"outcome": "nothing to apply"}


def test_a_failed_background_import_says_why_and_can_be_confirmed_again(
    client, chicago, trainee, monkeypatch
):
    from training import imports

    client.force_login(chicago["help_desk"])
    client.post(
        url("training_progress_imports", chicago),
        {"file": csv_file("Email,Course,Progress\nana@agency.org,Introduction to HMIS,100\n")},
    )
    record = ProgressImport.objects.get()
    monkeypatch.setattr(tasks.progress_import_apply_task, "delay", lambda pk: None)
    imports.progress_import_request_apply(progress_import=record, actor=chicago["help_desk"])

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "progress_import_apply", broken)
    with pytest.raises(RuntimeError):
        tasks.progress_import_apply_task(record.pk)
    record.refresh_from_db()
    assert record.apply_requested_at is None and "disk full" in record.apply_error
    page = client.get(url("training_progress_import", chicago, import_id=record.pk)).content.decode()
    assert "Nothing was written: The import failed: disk full" in page
