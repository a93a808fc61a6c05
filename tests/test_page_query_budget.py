"""The scale benchmark's query budget (README, Performance): at most 15 SQL queries for the ATA's
home page and the trainee's tracker on a fully configured CoC, the same whether the agency has one
trainee or five, and whether one request is open or five."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access_requests import credentials
from access_requests.models import OnboardingStage
from training import services
from training.models import Course
from training.path import Needs, ProjectNeed

from .credential_helpers import a_project, approve_host, approved_request, onboarding_for, setup_coc
from .rollout_helpers import make_obligation, make_plan

pytestmark = pytest.mark.django_db

BUDGET = 15


@pytest.fixture
def coc(tenant_a):
    """A CoC configured like the bench's metro one: policies, credential settings, the training
    catalog, an HRS host agency and a rollout plan whose obligation the ATA still owes."""
    setup_coc(tenant_a)
    services.catalog_load(continuum=tenant_a.continuum, spec=services.catalog_spec("chicago"))
    approve_host(tenant_a)
    today = timezone.localdate()
    make_obligation(make_plan(tenant_a.continuum), due_on=today + dt.timedelta(days=30))
    return tenant_a


def in_training(tenant, name: str, *, hrs: bool = False, user=None):
    """A person with an approved request, an onboarding record, an LMS account and a learning path
    with some progress, as the bench's trainees."""
    projects = [] if hrs else [a_project(tenant, name=f"Shelter {name}", hud_type=1)]
    onboarding = onboarding_for(tenant, user=user, hrs=hrs, projects=projects, name=(name, "Trainee"))
    person = onboarding.user
    services.lms_account_request(continuum=tenant.continuum, person=person, email=person.email)
    services.learning_path_assign(
        continuum=tenant.continuum,
        person=person,
        needs=Needs(projects=tuple(ProjectNeed(p) for p in ((1, 2) if not hrs else ()))),
        now=timezone.now(),
    )
    services.enrollment_record_progress(
        continuum=tenant.continuum,
        person=person,
        course=Course.objects.get(continuum=tenant.continuum, code="intro-to-hmis"),
        percent=60,
        actor=tenant["help_desk"],
    )
    return onboarding


def queries(client, user, url: str) -> tuple[int, list[str]]:
    client.force_login(user)
    assert client.get(url).status_code == 200  # warm: session, content types
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured), [q["sql"] for q in captured]


def test_it_keeps_the_ata_home_within_the_query_budget_with_one_or_five_trainees(client, coc):
    ata = coc["ata"]
    # The ATA is in training too (the bench's ATAs have learning paths), so every panel shows.
    in_training(coc, "Ata", user=ata)
    in_training(coc, "First")
    approved_request(coc)
    home = f"/{coc.continuum.slug}/"
    few, few_sql = queries(client, ata, home)
    for i in range(4):
        in_training(coc, f"More{i}", hrs=bool(i % 2))
        approved_request(coc)
    many, _ = queries(client, ata, home)
    assert few == many, f"{few} queries with one trainee, {many} with five"
    assert many <= BUDGET, "\n".join(few_sql)


@pytest.mark.parametrize("hrs", [False, True], ids=["regular", "hrs"])
def test_it_keeps_the_trainee_tracker_within_the_query_budget(client, coc, hrs):
    onboarding = in_training(coc, "Ana", hrs=hrs)
    if hrs:
        onboarding = credentials.onboarding_confirm_training(onboarding=onboarding, actor=coc["help_desk"])
        assert onboarding.stage == OnboardingStage.AGREEMENT
    tracker = f"/{coc.continuum.slug}/my-onboarding/"
    few, few_sql = queries(client, onboarding.user, tracker)
    for i in range(4):
        in_training(coc, f"Other{i}", hrs=hrs)
    many, _ = queries(client, onboarding.user, tracker)
    assert few == many, f"{few} queries with one trainee, {many} with five"
    assert many <= BUDGET, "\n".join(few_sql)
