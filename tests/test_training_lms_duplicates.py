"""Likely-duplicate LMS accounts told to the ATA (issue 5 item 1): a returning person whose earlier
record (another agency e-mail) has an LMS account is flagged on the training progress page, the sync
makes no second account meanwhile, and the ATA either hands them the existing account — no progress
moves between accounts — or says it is someone else's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from hmis_onboarding.models import AuditEvent
from training import services, sync
from training.models import Course, Enrollment, LearningPath, LmsAccount
from training.path import Needs, ProjectNeed

from .factories import MembershipFactory, UserFactory
from .test_training_sync import world  # noqa: F401  (the fake TalentLMS fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    return tenant_a


def returning_person(tenant, *, earlier_in_training: bool = False):
    """Dana's earlier record (old agency e-mail, LMS account 77 with Intro done and Data Management
    half-way) and her new record in the tenant's agency, with a path and a pending account."""
    continuum = tenant.continuum
    earlier = UserFactory(full_name="Dana Whitfield", email="dana.w@old-agency.org")
    old = services.lms_account_request(continuum=continuum, person=earlier, email="dana.w@old-agency.org")
    LmsAccount.objects.filter(pk=old.pk).update(lms_user_id="77", status=LmsAccount.Status.LINKED)
    services.learning_path_assign(
        continuum=continuum, person=earlier, needs=Needs(projects=(ProjectNeed(1),))
    )
    intro = Course.objects.get(continuum=continuum, code="intro-to-hmis")
    services.enrollment_record_progress(
        continuum=continuum, person=earlier, course=intro, percent=100, completed_at=timezone.now()
    )
    dm = Enrollment.objects.get(user=earlier, course__code="data-management")
    Enrollment.objects.filter(pk=dm.pk).update(percent=50, state="in_progress", lms_account=old)
    if not earlier_in_training:
        LearningPath.objects.filter(user=earlier).update(is_complete=True)

    dana = UserFactory(full_name="Dana Whitfield", email="dana@new-agency.org")
    MembershipFactory(user=dana, continuum=continuum, role="agency_user", agency=tenant.agency)
    services.lms_account_request(continuum=continuum, person=dana, email="dana@new-agency.org")
    services.learning_path_assign(continuum=continuum, person=dana, needs=Needs(projects=(ProjectNeed(1),)))
    return earlier, dana


def progress_url(tenant) -> str:
    return reverse("training_progress", args=[tenant.continuum.slug])


def resolve_url(tenant) -> str:
    return reverse("training_lms_duplicate", args=[tenant.continuum.slug])


def test_it_tells_the_ata_on_the_progress_page_and_hands_over_the_existing_account(client, coc):
    earlier, dana = returning_person(coc)
    old = LmsAccount.objects.get(user=earlier)
    client.force_login(coc["ata"])
    page = client.get(progress_url(coc)).content.decode()
    assert "May already have an LMS account under <strong>dana.w@old-agency.org</strong>" in page
    assert "Update it instead of creating a new one" in page and "Use the existing account" in page

    response = client.post(
        resolve_url(coc), {"person": dana.pk, "account": old.pk, "action": "use_existing"}, follow=True
    )
    page = response.content.decode()
    assert "Dana Whitfield keeps the LMS account they had under dana.w@old-agency.org" in page
    assert "May already have an LMS account" not in page

    account = LmsAccount.objects.get(user=dana)
    assert (account.pk, account.lms_user_id, account.email) == (old.pk, "77", "dana@new-agency.org")
    assert account.previous_emails == ["dana.w@old-agency.org"]
    assert LmsAccount.objects.filter(continuum=coc.continuum).count() == 1
    # No progress moved: the earlier record keeps its own; only its unfinished course stops following
    # the account, and Dana's enrolments follow it from now on.
    intro_then = Enrollment.objects.get(user=earlier, course__code="intro-to-hmis")
    dm_then = Enrollment.objects.get(user=earlier, course__code="data-management")
    assert (intro_then.percent, dm_then.percent, dm_then.lms_account_id) == (100, 50, None)
    assert not Enrollment.objects.filter(user=dana, percent__gt=0).exists()
    assert Enrollment.objects.filter(user=dana, lms_account=account).exists()
    assert AuditEvent.objects.filter(action="training.lms_account_reused").count() == 1


def test_it_refuses_to_hand_over_an_account_still_in_training_under_the_earlier_record(client, coc):
    earlier, dana = returning_person(coc, earlier_in_training=True)
    old = LmsAccount.objects.get(user=earlier)
    client.force_login(coc["help_desk"])
    response = client.post(
        resolve_url(coc), {"person": dana.pk, "account": old.pk, "action": "use_existing"}, follow=True
    )
    assert "still in training under that account" in response.content.decode()
    assert LmsAccount.objects.get(pk=old.pk).user_id == earlier.pk
    assert LmsAccount.objects.filter(user=dana).exists()


def test_it_records_that_the_account_is_someone_elses_and_stops_warning(client, coc):
    earlier, dana = returning_person(coc)
    old = LmsAccount.objects.get(user=earlier)
    client.force_login(coc["ata"])
    response = client.post(
        resolve_url(coc), {"person": dana.pk, "account": old.pk, "action": "not_same"}, follow=True
    )
    page = response.content.decode()
    assert "the account under dana.w@old-agency.org is someone else" in page
    assert "May already have an LMS account" not in page
    assert LmsAccount.objects.get(user=dana).not_duplicates == [old.pk]
    assert LmsAccount.objects.get(pk=old.pk).user_id == earlier.pk


def test_it_lets_only_the_persons_ata_or_training_staff_decide(client, coc, tenant_b):
    earlier, dana = returning_person(coc)
    old = LmsAccount.objects.get(user=earlier)
    data = {"person": dana.pk, "account": old.pk, "action": "use_existing"}
    client.force_login(coc["other_ata"])  # ATA of another agency: Dana is not theirs to see
    assert client.post(resolve_url(coc), data).status_code == 404
    client.force_login(coc["agency_user"])
    assert client.post(resolve_url(coc), data).status_code == 403
    client.force_login(tenant_b["ata"])
    assert (
        client.post(reverse("training_lms_duplicate", args=[tenant_b.continuum.slug]), data).status_code
        == 404
    )
    client.force_login(coc["auditor"])  # may see the warning, may not act
    assert "Use the existing account" not in client.get(progress_url(coc)).content.decode()
    assert client.post(resolve_url(coc), data).status_code == 403
    client.force_login(coc["ata"])
    assert client.post(resolve_url(coc), {**data, "action": "merge"}).status_code == 400
    assert client.post(resolve_url(coc), {**data, "account": "x"}).status_code == 400
    assert client.get(resolve_url(coc)).status_code == 405
    assert LmsAccount.objects.get(pk=old.pk).user_id == earlier.pk


def test_it_makes_no_second_lms_account_while_a_likely_duplicate_waits_for_the_ata(world):  # noqa: F811
    continuum = world.continuum
    earlier = UserFactory(full_name="Dana Whitfield", email="dana.w@old-agency.org")
    services.lms_account_request(continuum=continuum, person=earlier, email="dana.w@old-agency.org")
    world.run(stages=("accounts",))
    assert LmsAccount.objects.get(user=earlier).status == LmsAccount.Status.LINKED
    users_before = len(world.fake.state.users)

    dana = UserFactory(full_name="Dana Whitfield", email="dana@new-agency.org")
    MembershipFactory(user=dana, continuum=continuum, role="agency_user", agency=world.tenant.agency)
    mine = services.lms_account_request(continuum=continuum, person=dana, email="dana@new-agency.org")
    report = world.run(stages=("accounts",))
    assert report.accounts_held == 1 and len(world.fake.state.users) == users_before
    assert LmsAccount.objects.get(pk=mine.pk).status == LmsAccount.Status.PENDING

    # The ATA says it is someone else: the next run makes Dana's own account.
    services.lms_account_not_duplicate(
        continuum=continuum,
        person=dana,
        existing=LmsAccount.objects.get(user=earlier),
        actor=world.tenant["ata"],
    )
    report = world.run(stages=("accounts",))
    assert report.accounts_held == 0 and len(world.fake.state.users) == users_before + 1
    assert LmsAccount.objects.get(pk=mine.pk).status == LmsAccount.Status.LINKED
    assert sync.SyncReport().accounts_held == 0
