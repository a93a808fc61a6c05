"""Access requests: the four Chicago forms, LA's role-based registration, the review queues."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access_requests import configuration, services
from access_requests.advice import advise, ces_access
from access_requests.models import (
    AccessRequest,
    CesRole,
    HmisAccount,
    RequestStatus,
    RequestType,
)
from agencies import services as agency_services
from agencies.models import HmisProject
from hmis_onboarding.models import AuditEvent, Notification

from .factories import MembershipFactory, UserFactory
from .racers import Racers, split

pytestmark = pytest.mark.django_db


def apa(tenant):
    """The CoC's Agency Participation Agreement type, gating access requests."""
    admin = tenant["coc_admin"]
    atype = tenant.continuum.agreement_types.filter(
        code="apa"
    ).first() or agency_services.agreement_type_save(
        continuum=tenant.continuum,
        actor=admin,
        code="apa",
        name="Agency Participation Agreement",
        short_name="APA",
        signer_roles=["executive_director"],
        requires_countersignature=True,
        countersigner_roles=["coc_admin"],
        renewal_months=12,
        gates=["submit_access_requests", "host_hrs"],
    )
    version = atype.versions.first() or agency_services.agreement_version_publish(
        agreement_type=atype, actor=admin, label="2026", body="The agency agrees to the HMIS policies."
    )
    return atype, version


def make_eligible(tenant, agency=None) -> None:
    """Give an agency a current, countersigned APA through the real agreement services."""
    agency = agency or tenant.agency
    admin, director = tenant["coc_admin"], UserFactory()
    MembershipFactory(user=director, continuum=tenant.continuum, agency=agency, role="executive_director")
    atype, version = apa(tenant)
    agreement = agency_services.agreement_sign(
        agency=agency,
        agreement_type=atype,
        version=version,
        actor=director,
        signer_name="Dana Director",
        signer_title="Executive Director",
        ip_address="127.0.0.1",
    )
    agency_services.agreement_countersign(
        agreement=agreement,
        actor=admin,
        countersigner_name="Casey Admin",
        countersigner_title="CoC Lead",
        ip_address="127.0.0.1",
    )


def project(tenant, name="Family Shelter", hud_type=1, agency=None, **funding) -> HmisProject:
    implementer = tenant["implementation_team"]
    return agency_services.hmis_project_create(
        agency=agency or tenant.agency, actor=implementer, name=name, hud_project_type=hud_type, **funding
    )


@pytest.fixture
def chicago(tenant_a):
    configuration.install_chicago(tenant_a.continuum)
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a)
    return tenant_a


def rtype(tenant, code) -> RequestType:
    return RequestType.objects.get(continuum=tenant.continuum, code=code)


def draft(tenant, code="new-users", people=(("Ana", "Lopez", "ana@agency.org"),), projects=None, **kw):
    ata = tenant["ata"]
    req = services.access_request_create(agency=tenant.agency, actor=ata, request_type=rtype(tenant, code))
    for first, last, email in people:
        services.requested_person_add(
            access_request=req, actor=ata, first_name=first, last_name=last, email=email
        )
    services.access_request_update_draft(
        access_request=req,
        actor=ata,
        read_only=kw.get("read_only", False),
        responsibilities=kw.get("responsibilities", "Intake and enrollments."),
        projects=projects if projects is not None else [tenant.shelter],
        ces_roles=kw.get("ces_roles", []),
    )
    return req


def submitted(tenant, **kw) -> AccessRequest:
    req = draft(tenant, **kw)
    return services.access_request_submit(access_request=req, actor=tenant["ata"])


def account(tenant, email, *, agency=None, status="active", days_idle=10, types=(1,)):
    return HmisAccount.objects.create(
        continuum=tenant.continuum,
        agency=agency or tenant.agency,
        email=email,
        hmis_username=email.split("@")[0],
        project_types=list(types),
        status=status,
        issued_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        last_activity_on=dt.date.today() - dt.timedelta(days=days_idle),
    )


# --- The gate ----------------------------------------------------------------------------------------


def test_it_refuses_submission_without_a_current_agreement_and_says_who_must_act(tenant_a):
    configuration.install_chicago(tenant_a.continuum)
    apa(tenant_a)
    tenant_a.shelter = project(tenant_a)
    req = draft(tenant_a)
    with pytest.raises(ValidationError) as refusal:
        services.access_request_submit(access_request=req, actor=tenant_a["ata"])
    assert refusal.value.messages == [
        "There is no signed Agency Participation Agreement (APA). "
        f"(The executive director / authorized representative of {tenant_a.agency.name})"
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.DRAFT and req.submitted_at is None


def test_it_lets_an_eligible_agency_submit_and_starts_the_sla_clock(chicago):
    with time_machine.travel(dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC), tick=False):  # a Monday
        req = submitted(chicago)
    assert req.status == RequestStatus.SUBMITTED
    assert req.sla_due_on == dt.date(2026, 11, 23)  # 5 business days later
    assert AuditEvent.objects.filter(action="access_request.submitted", object_id=str(req.pk)).exists()


# --- The right form ----------------------------------------------------------------------------------


def test_it_advises_the_new_users_form_for_someone_unknown(chicago):
    advice = advise(continuum=chicago.continuum, agency=chicago.agency, email="new@agency.org")
    assert advice.request_type.code == "new-users"
    assert "No HMIS account" in advice.reason


def test_it_advises_the_returning_form_for_recent_activity_or_access_elsewhere(chicago):
    account(chicago, "recent@agency.org", status="revoked", days_idle=60)
    account(chicago, "elsewhere@agency.org", agency=chicago.other_agency)
    for email in ("recent@agency.org", "elsewhere@agency.org"):
        advice = advise(continuum=chicago.continuum, agency=chicago.agency, email=email)
        assert advice.request_type.code == "returning-user", advice.reason


def test_it_advises_new_users_again_after_the_inactivity_window(chicago):
    account(chicago, "lapsed@agency.org", status="revoked", days_idle=200)
    advice = advise(continuum=chicago.continuum, agency=chicago.agency, email="lapsed@agency.org")
    assert advice.request_type.code == "new-users"
    assert "more than 6 months" in advice.reason


def test_it_advises_new_project_access_for_a_current_user_of_the_agency(chicago):
    account(chicago, "current@agency.org")
    advice = advise(continuum=chicago.continuum, agency=chicago.agency, email="CURRENT@agency.org")
    assert advice.request_type.code == "new-project-access"


def test_it_reads_the_window_from_configuration(chicago):
    policy = configuration.policy_for(chicago.continuum)
    policy.inactivity_window_months = 12
    policy.save()
    account(chicago, "lapsed@agency.org", status="revoked", days_idle=200)
    assert advise(
        continuum=chicago.continuum, agency=chicago.agency, email="lapsed@agency.org"
    ).request_type.code == ("returning-user")


# --- Bundles and single-person forms -----------------------------------------------------------------


def test_it_bundles_several_new_users_in_one_request(chicago):
    req = submitted(
        chicago, people=[("A", "One", "a@x.org"), ("B", "Two", "b@x.org"), ("C", "Three", "c@x.org")]
    )
    assert req.people.count() == 3


def test_it_keeps_returning_user_requests_to_one_person(chicago):
    req = draft(chicago, code="returning-user", people=[("A", "One", "a@x.org")])
    with pytest.raises(ValidationError, match="one person each"):
        services.requested_person_add(
            access_request=req, actor=chicago["ata"], first_name="B", last_name="Two", email="b@x.org"
        )


def test_it_refuses_bad_people_with_messages_on_the_fields(chicago):
    req = draft(chicago)
    with pytest.raises(ValidationError) as error:
        services.requested_person_add(
            access_request=req, actor=chicago["ata"], first_name="", last_name="X", email="not-an-email"
        )
    assert set(error.value.message_dict) == {"first_name", "email"}
    with pytest.raises(ValidationError, match="already in this request"):
        services.requested_person_add(
            access_request=req,
            actor=chicago["ata"],
            first_name="Ana",
            last_name="Lopez",
            email="ANA@agency.org",
        )
    assert req.people.count() == 1


def test_it_parses_a_pasted_list_and_reports_bad_lines():
    people, errors = services.parse_people(
        "Ana Lopez, ana@x.org\nBo\tDiaz\tbo@x.org\n\njust-a-name\nCy Ng; cy@x.org\n"
    )
    assert [(p.first_name, p.last_name, p.email) for p in people] == [
        ("Ana", "Lopez", "ana@x.org"),
        ("Bo", "Diaz", "bo@x.org"),
        ("Cy", "Ng", "cy@x.org"),
    ]
    assert errors == ["Line 4: write “First name Last name, e-mail” (got “just-a-name”)."]


def test_it_credits_training_to_returning_users_except_for_separately_trained_projects(chicago):
    account(chicago, "back@x.org", agency=chicago.other_agency, types=(1, 13))
    rrh = project(chicago, name="Rapid Rehousing", hud_type=13)
    req = submitted(
        chicago, code="returning-user", people=[("Back", "Again", "back@x.org")], projects=[chicago.shelter]
    )
    person = req.people.get()
    assert person.credited_training and "covers" in person.credit_note
    account(chicago, "back2@x.org", agency=chicago.other_agency, types=(1, 13))
    req = submitted(chicago, code="returning-user", people=[("Back", "Two", "back2@x.org")], projects=[rrh])
    person = req.people.get()
    assert not person.credited_training and "own training" in person.credit_note


# --- HRS / CE routing --------------------------------------------------------------------------------


def test_it_routes_hrs_requests_to_the_ce_queue_only_for_approved_hosts(chicago):
    req = draft(chicago, code="hrs-1474", projects=[])
    with pytest.raises(ValidationError, match="not an approved Housing Resource Specialist host"):
        services.access_request_submit(access_request=req, actor=chicago["ata"])
    chicago.agency.direct_services_provider = True
    chicago.agency.save()
    agency_services.hrs_host_approve(agency=chicago.agency, actor=chicago["ce_team"])
    req = services.access_request_submit(access_request=req, actor=chicago["ata"])
    assert req.queue == "ce_team"
    with pytest.raises(PermissionDenied):
        services.access_request_claim(access_request=req, reviewer=chicago["help_desk"])
    services.access_request_approve(access_request=req, reviewer=chicago["ce_team"])


# --- LA's roles --------------------------------------------------------------------------------------


def test_it_gives_several_ces_roles_the_highest_hmis_role_and_all_their_trainings(tenant_a):
    configuration.install_los_angeles(tenant_a.continuum)
    roles = {r.code: r for r in CesRole.objects.filter(continuum=tenant_a.continuum)}
    access = ces_access([roles["housing-provider"], roles["outreach"]])
    assert access.hmis_role == "CES_Outreach"
    assert "HMIS 511 Webinar (1 hour)" in access.trainings and "HMIS 102 (3 hours)" in access.trainings
    assert "enter_vacancy_form" in access.permissions and "services_before_survey" in access.permissions
    assert ces_access([roles["community-matcher"], roles["assessment-only"]]).hmis_role == "CES_Matcher"


def test_it_requires_a_ces_role_in_la_registrations(tenant_a):
    configuration.install_los_angeles(tenant_a.continuum)
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a)
    req = draft(tenant_a, code="ces-user-registration")
    assert "Choose at least one CES role." in services.submission_problems(req)


# --- Review ------------------------------------------------------------------------------------------


def test_it_pauses_the_sla_while_the_ata_owes_an_answer(chicago, django_capture_on_commit_callbacks):
    with time_machine.travel(dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC), tick=False) as clock:  # Mon
        req = submitted(chicago)
        assert req.sla_due_on == dt.date(2026, 11, 23)
        clock.shift(dt.timedelta(days=1))  # Tue: the Help Desk asks
        services.access_request_request_info(
            access_request=req, reviewer=chicago["help_desk"], question="Which site?"
        )
        clock.shift(dt.timedelta(days=7))  # next Tue: the ATA answers, 5 business days later
        req = services.access_request_answer(
            access_request=req, actor=chicago["ata"], answer="The north site."
        )
    assert req.status == RequestStatus.IN_REVIEW
    assert req.sla_due_on == dt.date(2026, 11, 30)
    assert [m.kind for m in req.messages.all()] == ["info_request", "answer"]


def test_it_returns_a_wrong_form_and_refiles_it_in_one_click_with_its_data(chicago):
    account(chicago, "moving@x.org", agency=chicago.other_agency)
    req = submitted(chicago, people=[("Mo", "Ving", "moving@x.org")])
    services.access_request_return(
        access_request=req,
        reviewer=chicago["help_desk"],
        correct_type=rtype(chicago, "returning-user"),
        reason="Active at another agency.",
    )
    new, problems = services.access_request_refile(access_request=req, actor=chicago["ata"])
    assert problems == []
    assert new.status == RequestStatus.SUBMITTED and new.request_type.code == "returning-user"
    assert new.resubmission_of == req
    assert list(new.people.values_list("email", flat=True)) == ["moving@x.org"]
    assert list(new.projects.all()) == [chicago.shelter]
    with pytest.raises(services.RequestConflict):
        services.access_request_refile(access_request=req, actor=chicago["ata"])


def test_it_lets_nobody_review_their_own_request(chicago):
    both = chicago["ata"]
    MembershipFactory(user=both, continuum=chicago.continuum, role="help_desk")
    req = submitted(chicago)
    with pytest.raises(PermissionDenied, match="Nobody reviews a request they filed"):
        services.access_request_claim(access_request=req, reviewer=both)


def test_it_refuses_review_by_the_wrong_role_or_another_tenant(chicago, tenant_b):
    req = submitted(chicago)
    for reviewer in (chicago["agency_user"], chicago["ce_team"], tenant_b["help_desk"], chicago["auditor"]):
        with pytest.raises(PermissionDenied):
            services.access_request_approve(access_request=req, reviewer=reviewer)
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.SUBMITTED


def test_it_approves_only_after_the_checklist_and_starts_onboarding(
    chicago, django_capture_on_commit_callbacks
):
    req = submitted(chicago, people=[("Ana", "Lopez", "ana@agency.org"), ("Ben", "Ito", "ben@agency.org")])
    reviewer = chicago["help_desk"]
    with pytest.raises(ValidationError, match="Not yet done"):
        services.access_request_approve(access_request=req, reviewer=reviewer)
    received = []
    services.access_request_approved.connect(
        lambda sender, access_request, **kw: received.append(access_request.pk),
        weak=False,
        dispatch_uid="test-approved",
    )
    try:
        for step in services.CHECKLIST_STEPS:
            services.access_request_confirm_step(access_request=req, reviewer=reviewer, step=step)
        with django_capture_on_commit_callbacks(execute=True):
            req = services.access_request_approve(access_request=req, reviewer=reviewer)
    finally:
        services.access_request_approved.disconnect(dispatch_uid="test-approved")
    assert req.status == RequestStatus.APPROVED and received == [req.pk]
    for person in req.people.all():
        assert person.user is not None
        assert person.user.memberships.filter(agency=chicago.agency, role="agency_user").exists()
    # The ATA and both people hear about it.
    recipients = set(
        Notification.objects.filter(dedupe_key__startswith=f"access_request:{req.pk}:").values_list(
            "to_email", flat=True
        )
    )
    assert {chicago["ata"].email, "ana@agency.org", "ben@agency.org"} <= recipients


def test_it_rejects_only_with_a_reason(chicago):
    req = submitted(chicago)
    with pytest.raises(ValidationError):
        services.access_request_reject(access_request=req, reviewer=chicago["help_desk"], reason="  ")
    services.access_request_reject(
        access_request=req, reviewer=chicago["help_desk"], reason="Not an employee."
    )
    with pytest.raises(services.RequestConflict, match="rejected now"):
        services.access_request_approve(access_request=req, reviewer=chicago["help_desk"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_many_concurrent_reviewers_win(tenants):
    chicago = tenants[0]
    configuration.install_chicago(chicago.continuum)
    make_eligible(chicago)
    chicago.shelter = project(chicago)
    reviewers = [chicago["help_desk"]] + [UserFactory() for _ in range(7)]
    for r in reviewers[1:]:
        MembershipFactory(user=r, continuum=chicago.continuum, role="help_desk")
    double_approvals = 0
    with Racers(len(reviewers)) as racers:
        for _ in range(200):
            req = submitted(chicago)
            AccessRequest.objects.filter(pk=req.pk).update(
                enrollments_confirmed_at=req.submitted_at,
                training_account_created_at=req.submitted_at,
                license_use_confirmed_at=req.submitted_at,
            )

            def approve(racer: int, req=req) -> None:
                services.access_request_approve(access_request=req, reviewer=reviewers[racer])

            wins, conflicts = split(racers.round(approve), services.RequestConflict)
            assert len(wins) == 1 and len(conflicts) == len(reviewers) - 1
            double_approvals += (
                AuditEvent.objects.filter(action="access_request.approved", object_id=str(req.pk)).count() - 1
            )
    assert double_approvals == 0


# --- Pages -------------------------------------------------------------------------------------------


def test_it_shows_the_ata_why_their_agency_cannot_file(client, tenant_a):
    configuration.install_chicago(tenant_a.continuum)
    apa(tenant_a)
    client.force_login(tenant_a["ata"])
    body = client.get(f"/{tenant_a.continuum.slug}/requests/new/").content.decode()
    assert "cannot submit access requests yet" in body


def test_it_files_a_request_through_the_pages(client, chicago):
    client.force_login(chicago["ata"])
    base = f"/{chicago.continuum.slug}/requests"
    response = client.post(
        f"{base}/new/", {"request_type": rtype(chicago, "new-users").pk, "agency": chicago.agency.pk}
    )
    req = AccessRequest.objects.get()
    assert response["Location"] == f"{base}/{req.pk}/"
    client.post(f"{base}/{req.pk}/paste-people/", {"pasted": "Ana Lopez, ana@x.org\nBen Ito, ben@x.org"})
    response = client.post(
        f"{base}/{req.pk}/add-person/", {"first_name": "", "last_name": "Z", "email": "zz"}
    )
    assert response.status_code == 400
    assert "Enter the person" in response.content.decode()
    client.post(f"{base}/{req.pk}/save/", {"projects": [chicago.shelter.pk], "responsibilities": "Intake."})
    client.post(f"{base}/{req.pk}/submit/")
    req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and req.people.count() == 2


def test_it_hides_requests_from_other_agencies_and_tenants(client, chicago, tenant_b):
    req = submitted(chicago)
    url = f"/{chicago.continuum.slug}/requests/{req.pk}/"
    client.force_login(chicago["other_ata"])
    assert client.get(url).status_code == 404
    assert client.post(url + "withdraw/").status_code == 404
    client.force_login(tenant_b["help_desk"])
    assert client.get(url).status_code == 404
    client.force_login(chicago["agency_user"])
    assert client.get(url).status_code == 403
    client.force_login(
        chicago["supervisor"] if "supervisor" in chicago.people else chicago["agency_supervisor"]
    )
    assert client.get(url).status_code == 200
    assert client.post(url + "withdraw/").status_code in (302, 403)
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.SUBMITTED


def more_submitted(tenant, count: int) -> None:
    """`count` more submitted requests of one person each (unique e-mails)."""
    for i in range(count):
        submitted(tenant, people=[("P", f"N{i}", f"p{i}-{AccessRequest.objects.count()}@x.org")])


def test_it_keeps_queue_queries_constant_as_requests_grow(client, chicago):
    client.force_login(chicago["help_desk"])
    url = f"/{chicago.continuum.slug}/queue/help-desk/"
    more_submitted(chicago, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more_submitted(chicago, 15)
    # Assigned rows show the assignee's name (a row reads only the columns it shows; any other
    # would be a query per row).
    for req in AccessRequest.objects.filter(continuum=chicago.continuum)[:5]:
        services.access_request_claim(access_request=req, reviewer=chicago["help_desk"])
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)
    html = response.content.decode()
    assert html.count("/requests/") >= 17
    assert html.count(f"<td>{chicago['help_desk'].get_full_name()}</td>") == 5
    # Filtered (a COUNT of what matches), the same number of queries whatever the number of rows.
    with CaptureQueriesContext(connection) as filtered:
        assert "of 17 matching requests" in client.get(url, {"older_than": 0}).content.decode()
    assert len(filtered.captured_queries) == len(large.captured_queries) + 1


def test_it_keeps_the_request_list_queries_constant_as_requests_grow(client, chicago):
    client.force_login(chicago["ata"])
    url = f"/{chicago.continuum.slug}/requests/"
    more_submitted(chicago, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more_submitted(chicago, 15)
    for req in AccessRequest.objects.filter(continuum=chicago.continuum)[:3]:
        services.access_request_claim(access_request=req, reviewer=chicago["help_desk"])
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert response.content.decode().count('<th scope="row"><a class="usa-link" href="/') == 17


def test_it_filters_the_queue(client, chicago):
    old = submitted(chicago, people=[("Old", "One", "old@x.org")])
    AccessRequest.objects.filter(pk=old.pk).update(
        submitted_at=old.submitted_at - dt.timedelta(days=20), sla_due_on=dt.date(2020, 1, 1)
    )
    submitted(chicago, people=[("New", "Two", "new@x.org")])
    client.force_login(chicago["help_desk"])
    url = f"/{chicago.continuum.slug}/queue/help-desk/"
    rows = client.get(url, {"sla_state": "overdue"}).context["rows"]
    assert [r.pk for r in rows] == [old.pk]
    rows = client.get(url, {"q": "new@x.org"}).context["rows"]
    assert len(rows) == 1 and rows[0].pk != old.pk
    rows = client.get(url, {"older_than": 10}).context["rows"]
    assert [r.pk for r in rows] == [old.pk]
    assert client.get(url, {"older_than": "abc"}).status_code == 200


def test_the_ata_home_lists_what_needs_the_ata_and_the_latest_requests(client, chicago):
    """The agency panel: questions to answer, drafts and returned (not yet re-filed) requests with
    their form and people count; the latest submitted ones; nothing from another CoC's agencies."""
    asked = submitted(chicago, people=[("A", "One", "a1@x.org"), ("B", "Two", "b2@x.org")])
    services.access_request_request_info(
        access_request=asked, reviewer=chicago["help_desk"], question="Site?"
    )
    unsent = draft(chicago, people=[("C", "Three", "c3@x.org")])
    returned = submitted(chicago, people=[("D", "Four", "d4@x.org")])
    services.access_request_return(
        access_request=returned, reviewer=chicago["help_desk"], correct_type=rtype(chicago, "returning-user")
    )
    refiled = submitted(chicago, people=[("E", "Five", "e5@x.org")])
    services.access_request_return(
        access_request=refiled, reviewer=chicago["help_desk"], correct_type=rtype(chicago, "returning-user")
    )
    new, _ = services.access_request_refile(access_request=refiled, actor=chicago["ata"])
    waiting = submitted(chicago, people=[("F", "Six", "f6@x.org")])
    client.force_login(chicago["ata"])
    panel = next(
        p.context
        for p in client.get(f"/{chicago.continuum.slug}/").context["panels"]
        if "needs_me" in p.context
    )
    needs = {r.pk: r for r in panel["needs_me"]}
    assert set(needs) == {asked.pk, unsent.pk, returned.pk}
    assert needs[asked.pk].people_count == 2 and needs[unsent.pk].people_count == 1
    recent = [r.pk for r in panel["recent"]]
    assert unsent.pk not in recent and {waiting.pk, new.pk} <= set(recent) and len(recent) == 5
    html = client.get(f"/{chicago.continuum.slug}/").content.decode()
    assert f"Request #{asked.pk} ({asked.request_type.short_name}, 2 people)" in html


def test_the_queue_sort_menu_says_oldest_or_newest_first(client, chicago):
    client.force_login(chicago["help_desk"])
    body = client.get(f"/{chicago.continuum.slug}/queue/help-desk/").content.decode()
    sort = body[body.index('name="sort"') :]
    sort = sort[: sort.index("</select>")]
    assert '<option value="-age">Newest first</option>' in sort
    assert "descending" not in sort


def test_the_queue_shows_pages_with_the_number_matching_and_keeps_the_filters(client, chicago, monkeypatch):
    from access_requests import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    reqs = [submitted(chicago, people=[("P", f"N{i}", f"page{i}@x.org")]) for i in range(5)]
    client.force_login(chicago["help_desk"])
    url = f"/{chicago.continuum.slug}/queue/help-desk/"
    first = client.get(url, {"sort": "age"})
    assert [r.pk for r in first.context["rows"]] == [r.pk for r in reqs[:2]]
    html = first.content.decode()
    assert "Showing 1–2 of 5 matching requests" in html and "Page 1 of 3" in html
    assert 'href="?sort=age&amp;page=2">Next page</a>' in html
    last = client.get(url, {"sort": "age", "page": 3})
    assert [r.pk for r in last.context["rows"]] == [reqs[4].pk]
    assert "Previous page" in last.content.decode() and "Next page" not in last.content.decode()
    # A page past the end shows the last one; a filter counts only what matches.
    assert [r.pk for r in client.get(url, {"sort": "age", "page": 99}).context["rows"]] == [reqs[4].pk]
    filtered = client.get(url, {"q": "page3@x.org"}).content.decode()
    assert "Showing 1–1 of 1 matching request," in filtered and "Page 1 of" not in filtered
    # The CSV still has every matching row, not one page.
    csv_body = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert all(f"\n{r.pk}," in csv_body for r in reqs)


def test_the_request_list_shows_pages_with_the_number_and_keeps_the_status_filter(
    client, chicago, tenant_b, monkeypatch
):
    """The ATA's list: pages of QUEUE_PAGE_SIZE, newest first, "Showing 1–2 of 5", Previous / Next
    keeping the status filter; a page past the end shows the last; the CSV has every row; people
    outside the agency still see none of it."""
    from access_requests import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    reqs = [submitted(chicago, people=[("P", f"N{i}", f"list{i}@x.org")]) for i in range(4)]
    unsent = draft(chicago, people=[("D", "Raft", "draft@x.org")])
    newest = [unsent, *reversed(reqs)]
    client.force_login(chicago["ata"])
    url = f"/{chicago.continuum.slug}/requests/"
    first = client.get(url)
    assert [r.pk for r in first.context["requests"]] == [r.pk for r in newest[:2]]
    html = first.content.decode()
    assert "Showing 1–2 of 5 requests, newest first." in html and "Page 1 of 3" in html
    assert 'href="?page=2">Next page</a>' in html and "Previous page" not in html
    assert f"/requests/{newest[2].pk}/" not in html
    last = client.get(url, {"page": 3})
    assert [r.pk for r in last.context["requests"]] == [newest[4].pk]
    last_html = last.content.decode()
    assert "Showing 5–5 of 5 requests" in last_html and 'href="?page=2">Previous page</a>' in last_html
    assert "Next page" not in last_html
    # A page past the end (or not a number) shows the last / the first page.
    assert [r.pk for r in client.get(url, {"page": 99}).context["requests"]] == [newest[4].pk]
    assert [r.pk for r in client.get(url, {"page": "x"}).context["requests"]] == [r.pk for r in newest[:2]]
    # The status filter counts only what matches and is kept in the page links.
    submitted_only = client.get(url, {"status": RequestStatus.SUBMITTED})
    assert [r.pk for r in submitted_only.context["requests"]] == [reqs[3].pk, reqs[2].pk]
    page_html = submitted_only.content.decode()
    assert "Showing 1–2 of 4 requests with this status, newest first." in page_html
    assert 'href="?status=submitted&amp;page=2">Next page</a>' in page_html
    second = client.get(url, {"status": RequestStatus.SUBMITTED, "page": 2})
    assert [r.pk for r in second.context["requests"]] == [reqs[1].pk, reqs[0].pk]
    assert 'href="?status=submitted&amp;page=1">Previous page</a>' in second.content.decode()
    # One page only: no page links.
    drafts = client.get(url, {"status": RequestStatus.DRAFT}).content.decode()
    assert "Showing 1–1 of 1 request with this status" in drafts and "Page 1 of" not in drafts
    # The CSV still has every row, not one page.
    csv_body = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert all(f"\n{r.pk}," in csv_body for r in newest)
    # Outsiders: another agency's ATA sees none of these, another CoC's staff none, and someone
    # without the capability is refused.
    client.force_login(chicago["other_ata"])
    other = client.get(url)
    assert other.status_code == 200 and list(other.context["requests"]) == []
    assert all(f"/requests/{r.pk}/" not in other.content.decode() for r in newest)
    client.force_login(tenant_b["help_desk"])
    assert client.get(url).status_code == 404
    client.force_login(chicago["agency_user"])
    assert client.get(url).status_code == 403


def test_the_request_list_pages_never_repeat_a_request_created_at_the_same_instant(
    client, chicago, monkeypatch
):
    from access_requests import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    reqs = [submitted(chicago, people=[("P", f"N{i}", f"tie{i}@x.org")]) for i in range(5)]
    AccessRequest.objects.filter(pk__in=[r.pk for r in reqs]).update(created_at=reqs[0].created_at)
    client.force_login(chicago["ata"])
    url = f"/{chicago.continuum.slug}/requests/"
    seen = [r.pk for page in (1, 2, 3) for r in client.get(url, {"page": page}).context["requests"]]
    assert seen == sorted((r.pk for r in reqs), reverse=True)


OLD_QUEUE_ROW = """
  <tr{% if req.sla_state == "overdue" %} class="app-row--overdue"{% endif %}>
    <th scope="row"><a class="usa-link" href="{% url 'request_detail' current_continuum.slug req.pk %}">#{{ req.pk }}</a></th>
    <td>{{ req.agency.name }}</td>
    <td>{{ req.request_type.short_name }}</td>
    <td>{{ req.people_count }}</td>
    <td><time datetime="{{ req.submitted_at|date:'c' }}">{{ req.submitted_at|date:"M j" }}</time> ({{ req.submitted_at|timesince }})</td>
    <td>{% request_sla req %}</td>
    <td>{% request_status req %}</td>
    <td>{{ req.assignee.get_full_name|default:"—" }}</td>
  </tr>"""  # noqa: E501
OLD_LIST_ROW = """
  <tr>
    <th scope="row"><a class="usa-link" href="{% url 'request_detail' current_continuum.slug req.pk %}">#{{ req.pk }}</a></th>
    <td>{{ req.agency.name }}</td>
    <td>{{ req.request_type.short_name }}</td>
    <td>{{ req.people_count }}</td>
    <td>{% request_status req %}</td>
    <td>{% if req.submitted_at %}<time datetime="{{ req.submitted_at|date:'c' }}">{{ req.submitted_at|date:"M j, Y" }}</time>{% else %}—{% endif %}</td>
    <td>{% request_sla req %}</td>
  </tr>"""  # noqa: E501


@pytest.mark.parametrize("zone", ["America/Chicago", "UTC"])
def test_the_rows_written_in_python_read_as_their_template_forms(zone, chicago):
    """The queue's and the list's rows write what their template forms wrote (link, escaped names,
    people, the day in the CoC's time zone and how long ago, SLA, status, assignee or a dash), for
    drafts, paused, overdue, assigned and unassigned requests."""
    from django.template import Context, Template
    from django.test.html import parse_html
    from django.utils import timezone

    from access_requests import selectors
    from agencies.models import Agency

    desk, nameless = chicago["help_desk"], UserFactory(full_name="")
    MembershipFactory(user=nameless, continuum=chicago.continuum, role="help_desk")
    Agency.objects.filter(pk=chicago.agency.pk).update(name='Smith & Co <"North">')
    with time_machine.travel(dt.datetime(2026, 3, 4, 3, 30, tzinfo=dt.UTC), tick=False):  # 3rd in Chicago
        claimed = submitted(chicago, people=[("A", "One", "a1@x.org"), ("B", "Two", "b2@x.org")])
        services.access_request_claim(access_request=claimed, reviewer=desk)
    late = submitted(chicago, people=[("C", "Three", "c3@x.org")])
    services.access_request_assign(access_request=late, actor=desk, assignee=nameless)
    AccessRequest.objects.filter(pk=late.pk).update(sla_due_on=dt.date(2020, 1, 6))
    asked = submitted(chicago, people=[("D", "Four", "d4@x.org")])
    services.access_request_request_info(access_request=asked, reviewer=desk, question="Site?")
    submitted(chicago, people=[("E", "Five", "e5@x.org")])
    draft(chicago, people=[("F", "Six", "f6@x.org")])
    rows = list(selectors.page_rows(selectors.request_list(continuum=chicago.continuum, user=chicago["ata"])))
    assert {r.sla_state for r in rows} == {"on_track", "overdue", "paused", "closed"}
    later = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
    context = Context({"rows": rows, "current_continuum": chicago.continuum})
    with time_machine.travel(later, tick=False), timezone.override(zone):
        for tag, old in (("queue_row", OLD_QUEUE_ROW), ("list_row", OLD_LIST_ROW)):
            new = Template("{% load request_tags %}{% for req in rows %}{% " + tag + " req %}{% endfor %}")
            expected = Template("{% load request_tags %}{% for req in rows %}" + old + "{% endfor %}")
            html = new.render(context)
            assert parse_html(html) == parse_html(expected.render(context))
            assert html.count("Smith &amp; Co &lt;&quot;North&quot;&gt;") == len(rows)
            if tag == "queue_row":
                assert f"<td>{desk.get_full_name()}</td>" in html and f"<td>{nameless.email}</td>" in html
                assert '<tr class="app-row--overdue">' in html
            else:
                assert "<td>—</td>" in html  # the draft was never submitted


@pytest.mark.parametrize(
    "state, due, expected",
    [
        (
            "overdue",
            dt.date(2026, 3, 4),
            '<span class="usa-tag app-sla app-sla--overdue">Overdue (due Mar 4)</span>',
        ),
        ("overdue", None, '<span class="usa-tag app-sla app-sla--overdue">Overdue</span>'),
        ("due_today", dt.date(2026, 3, 4), '<span class="usa-tag app-sla app-sla--today">Due today</span>'),
        ("paused", None, '<span class="usa-tag app-sla app-sla--paused">Paused: waiting for the ATA</span>'),
        ("on_track", dt.date(2026, 3, 14), '<span class="app-sla">Due Mar 14</span>'),
        ("closed", None, "—"),
    ],
)
def test_the_sla_and_status_tags_read_as_before(state, due, expected):
    from django.template import Context, Template

    req = AccessRequest(status=RequestStatus.INFO_REQUESTED, sla_due_on=due)
    req.sla_state = state
    html = Template("{% load request_tags %}{% request_sla req %}|{% request_status req %}").render(
        Context({"req": req})
    )
    status = '<span class="usa-tag app-status app-status--info_requested">More information requested</span>'
    assert html == f"{expected}|{status}"
