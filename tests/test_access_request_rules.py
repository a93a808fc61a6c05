"""Access requests, item by item (issue 4): the credit rule of every form, the form configured per
queue, the advice on the draft, the SLA in business days with holidays, the queue's filters and
assignment, the e-mails with their link, the ATA's form and the late reviewer's message."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from access_requests import configuration, selectors, services
from access_requests.models import AccessRequest, CesPermission, CesRole, Onboarding, RequestStatus
from hmis_onboarding.models import AuditEvent, ContinuumHoliday, Notification

from .factories import MembershipFactory, UserFactory
from .test_access_requests import account, chicago, draft, make_eligible, project, rtype, submitted  # noqa: F401

pytestmark = pytest.mark.django_db


def credit_of(tenant, code, email, projects):
    req = submitted(tenant, code=code, people=[("Pat", "Doe", email)], projects=projects)
    return req.people.get()


# --- 1. The four forms' rules -------------------------------------------------------------------------


def test_it_credits_new_project_access_with_the_same_separate_training_rule(chicago):  # noqa: F811
    account(chicago, "current@x.org", types=(1,))  # an active user of this agency, trained for shelters
    person = credit_of(chicago, "new-project-access", "current@x.org", [chicago.shelter])
    assert person.credited_training, person.credit_note
    assert "covers" in person.credit_note
    account(chicago, "current2@x.org", types=(1, 4))
    street = project(chicago, name="Street Outreach", hud_type=4)
    person = credit_of(chicago, "new-project-access", "current2@x.org", [street])
    assert not person.credited_training
    assert person.credit_note == "Needs its own training: Street Outreach."


@pytest.mark.parametrize(
    ("family", "hud_type", "funding"),
    [
        ("housing", 3, {}),  # PSH
        ("housing", 13, {}),  # RRH
        ("outreach", 4, {}),
        ("path", 1, {"funded_path": True}),  # a PATH-funded shelter
    ],
)
def test_it_makes_housing_outreach_and_path_projects_need_their_own_training(
    chicago,  # noqa: F811
    family,
    hud_type,
    funding,
):
    account(chicago, "back@x.org", agency=chicago.other_agency, types=(hud_type,))
    needed = project(chicago, name=f"The {family} project", hud_type=hud_type, **funding)
    person = credit_of(chicago, "returning-user", "back@x.org", [needed])
    assert not person.credited_training
    assert person.credit_note == f"Needs its own training: The {family} project."
    # The families are configuration: without them the earlier training is credited.
    configuration.request_policy_update(
        continuum=chicago.continuum,
        actor=chicago["coc_admin"],
        separately_trained_project_types=[],
        separately_trained_funding=[],
    )
    account(chicago, "back2@x.org", agency=chicago.other_agency, types=(hud_type,))
    assert credit_of(chicago, "returning-user", "back2@x.org", [needed]).credited_training


def test_it_credits_nobody_for_a_project_type_they_never_trained_for(chicago):  # noqa: F811
    account(chicago, "back@x.org", agency=chicago.other_agency, types=(6,))  # services only
    person = credit_of(chicago, "returning-user", "back@x.org", [chicago.shelter])
    assert not person.credited_training
    assert person.credit_note == "No earlier training for: Family Shelter."
    # New users are never credited, whatever they hold.
    req = submitted(chicago, people=[("New", "One", "new@x.org")])
    assert not req.people.get().credited_training and req.people.get().credit_note == ""


def test_it_routes_each_form_to_the_queue_its_configuration_names(chicago):  # noqa: F811
    configuration.request_type_update(
        request_type=rtype(chicago, "new-project-access"), actor=chicago["coc_admin"], queue="ce_team"
    )
    account(chicago, "current@x.org")
    req = submitted(chicago, code="new-project-access", people=[("Cur", "Rent", "current@x.org")])
    assert req.queue == "ce_team"
    with pytest.raises(PermissionDenied, match="Coordinated Entry team"):
        services.access_request_claim(access_request=req, reviewer=chicago["help_desk"])
    services.access_request_claim(access_request=req, reviewer=chicago["ce_team"])
    assert AccessRequest.objects.get(pk=req.pk).assignee == chicago["ce_team"]


# --- 2. The right form, before submission -------------------------------------------------------------


def test_it_tells_the_ata_on_the_draft_which_form_a_person_needs_and_why(client, chicago):  # noqa: F811
    account(chicago, "elsewhere@x.org", agency=chicago.other_agency)
    req = draft(chicago, people=[("Eli", "Where", "elsewhere@x.org"), ("New", "Person", "new@x.org")])
    client.force_login(chicago["ata"])
    body = client.get(f"/{chicago.continuum.slug}/requests/{req.pk}/").content.decode()
    assert "Eli Where: elsewhere@x.org holds current access at another agency" in body
    assert "Their form is “Returning user”, not “New user(s)”" in body
    assert "New Person:" not in body  # the new user is on the right form
    # The same answer before a draft exists, from the e-mail alone.
    advice_url = f"/{chicago.continuum.slug}/requests/advice/"
    body = client.get(advice_url, {"email": "elsewhere@x.org"}).content.decode()
    assert "Use <strong>New agency user with previous or current HMIS access</strong>" in body
    assert "holds current access at another agency" in body
    client.force_login(chicago["agency_user"])
    assert client.get(advice_url, {"email": "elsewhere@x.org"}).status_code == 403


def test_it_refiles_a_returned_request_in_one_click_on_its_page(client, chicago):  # noqa: F811
    account(chicago, "moving@x.org", agency=chicago.other_agency)
    req = submitted(chicago, people=[("Mo", "Ving", "moving@x.org")], read_only=True)
    base = f"/{chicago.continuum.slug}/requests"
    client.force_login(chicago["help_desk"])
    response = client.post(
        f"{base}/{req.pk}/return/",
        {"correct_type": rtype(chicago, "returning-user").pk, "reason": "Active elsewhere."},
    )
    assert response.status_code == 302
    client.force_login(chicago["ata"])
    body = client.get(f"{base}/{req.pk}/").content.decode()
    assert "Re-file through “Returning user” with the same data" in body
    response = client.post(f"{base}/{req.pk}/refile/")
    new = AccessRequest.objects.get(resubmission_of=req)
    assert response["Location"] == f"{base}/{new.pk}/"
    assert new.status == RequestStatus.SUBMITTED and new.read_only
    assert new.responsibilities == req.responsibilities
    assert "Re-filed and submitted" in " ".join(m.message for m in get_messages(response.wsgi_request))
    assert "Re-file through" not in client.get(f"{base}/{req.pk}/").content.decode()


# --- 3. The ATA's form --------------------------------------------------------------------------------


def test_it_saves_the_draft_and_puts_messages_on_the_wrong_field(client, chicago):  # noqa: F811
    theirs = project(chicago, name="Their Shelter", agency=chicago.other_agency)
    req = draft(chicago, projects=[])
    url = f"/{chicago.continuum.slug}/requests/{req.pk}/"
    client.force_login(chicago["ata"])
    # Another agency's program is not on the list; posting it anyway is an error on that field.
    assert "Their Shelter" not in client.get(url).content.decode()
    response = client.post(url + "save/", {"projects": [theirs.pk], "responsibilities": "Intake."})
    assert response.status_code == 400
    errors = response.context["draft_form"].errors
    assert list(errors) == ["projects"] and "valid choice" in errors["projects"][0]
    req.refresh_from_db()
    assert req.responsibilities == "Intake and enrollments." and not req.projects.exists()
    client.post(
        url + "save/", {"projects": [chicago.shelter.pk], "responsibilities": "Reports.", "read_only": "on"}
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.DRAFT and req.read_only and req.responsibilities == "Reports."
    assert list(req.projects.all()) == [chicago.shelter]
    # The draft waits in the ATA's list and reopens with what was saved.
    assert f"/requests/{req.pk}/" in client.get(f"/{chicago.continuum.slug}/requests/").content.decode()
    form = client.get(url).context["draft_form"]
    assert form.initial["read_only"] and form.initial["responsibilities"] == "Reports."
    # A paste with a bad line adds the good lines and names the bad one on the paste field's form.
    response = client.post(url + "paste-people/", {"pasted": "Bo Diaz, bo@x.org\nnobody"})
    assert response.status_code == 400
    assert "Line 2:" in response.content.decode()
    assert req.people.filter(email="bo@x.org").exists()


# --- 4. LA's role-based registration ------------------------------------------------------------------

SEED_004_MATRIX = {  # seed 004's table: role → (HMIS role, permissions), least to most access
    "housing-provider": (
        "CES_Housing_Provider",
        {"view_housing_resource_list", "manage_housing_resource_list", "enter_vacancy_form"},
    ),
    "assessment-only": ("CES_Assessments", {"enter_ces_survey"}),
    "housing-navigator": (
        "CES_Standard",
        {
            "enter_ces_survey",
            "housing_navigation",
            "case_management",
            "view_prioritization_list",
            "view_housing_resource_list",
        },
    ),
    "outreach": (
        "CES_Outreach",
        {
            "enter_ces_survey",
            "housing_navigation",
            "case_management",
            "view_prioritization_list",
            "view_housing_resource_list",
            "services_before_survey",
        },
    ),
    "community-coordinator": (
        "CES_Coordinator",
        set(CesPermission.values) - {"services_before_survey"},
    ),
    "community-matcher": ("CES_Matcher", set(CesPermission.values) - {"services_before_survey"}),
}


def test_it_installs_seed_004_s_matrix_as_data_and_files_a_registration_with_two_roles(
    client,
    tenant_a,
):
    configuration.install_los_angeles(tenant_a.continuum)
    roles = list(CesRole.objects.filter(continuum=tenant_a.continuum).order_by("rank"))
    assert [r.code for r in roles] == list(SEED_004_MATRIX)
    for role in roles:
        hmis_role, permissions = SEED_004_MATRIX[role.code]
        assert (role.hmis_role, set(role.permissions)) == (hmis_role, permissions), role.code
        assert role.trainings, role.code
    make_eligible(tenant_a)
    tenant_a.shelter = project(tenant_a)
    by_code = {r.code: r for r in roles}
    req = submitted(
        tenant_a,
        code="ces-user-registration",
        people=[("Ana", "Lopez", "ana@x.org"), ("Ben", "Ito", "ben@x.org")],
        ces_roles=[by_code["housing-provider"], by_code["outreach"]],
    )
    assert req.queue == "help_desk" and req.people.count() == 2
    client.force_login(tenant_a["help_desk"])
    body = client.get(f"/{tenant_a.continuum.slug}/requests/{req.pk}/").content.decode()
    assert "CES_Outreach (the highest of their roles)" in body
    assert "HMIS 511 Webinar (1 hour)" in body and "HMIS 102 (3 hours)" in body


# --- 5. Review: the queue -----------------------------------------------------------------------------


def _other_agency_request(tenant, email):
    """A request of the tenant's other agency, filed by its ATA."""
    ata = tenant["other_ata"]
    req = services.access_request_create(
        agency=tenant.other_agency, actor=ata, request_type=rtype(tenant, "new-users")
    )
    services.requested_person_add(
        access_request=req, actor=ata, first_name="Oz", last_name="Far", email=email
    )
    services.access_request_update_draft(
        access_request=req,
        actor=ata,
        read_only=False,
        responsibilities="Intake.",
        projects=[project(tenant, name="Far Shelter", agency=tenant.other_agency)],
    )
    return services.access_request_submit(access_request=req, actor=ata)


def test_it_filters_the_queue_by_form_agency_assignee_and_sorts_by_age(client, chicago):  # noqa: F811
    make_eligible(chicago, chicago.other_agency)
    desk, colleague = chicago["help_desk"], UserFactory(full_name="Col League")
    MembershipFactory(user=colleague, continuum=chicago.continuum, role="help_desk")
    first = submitted(chicago, people=[("Ann", "First", "ann@x.org")])
    account(chicago, "current@x.org")
    second = submitted(chicago, code="new-project-access", people=[("Cur", "Rent", "current@x.org")])
    third = _other_agency_request(chicago, "oz@x.org")
    services.access_request_claim(access_request=first, reviewer=desk)
    services.access_request_assign(access_request=second, actor=desk, assignee=colleague)
    client.force_login(desk)
    url = f"/{chicago.continuum.slug}/queue/help-desk/"

    def ids(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [r.pk for r in response.context["rows"]]

    assert ids() == [first.pk, second.pk, third.pk]  # oldest first
    assert ids(sort="-age") == [third.pk, second.pk, first.pk]
    assert ids(request_type=rtype(chicago, "new-project-access").pk) == [second.pk]
    assert ids(agency=chicago.other_agency.pk) == [third.pk]
    assert ids(assignee="me") == [first.pk]
    assert ids(assignee="others") == [second.pk]
    assert ids(assignee="none") == [third.pk]
    assert ids(q="Rent") == [second.pk] and ids(q=f"#{third.pk}") == [third.pk]
    assert ids(request_type=999999) == []  # an unknown choice filters nothing in, answers 200
    # Only the team (and auditors, read-only) see a queue.
    for outsider in (chicago["ata"], chicago["ce_team"], chicago["agency_supervisor"]):
        client.force_login(outsider)
        assert client.get(url).status_code in (403, 404), outsider
    client.force_login(chicago["auditor"])
    assert client.get(url).status_code == 200


def test_it_assigns_only_to_the_team_and_never_to_the_filer(chicago):  # noqa: F811
    both = UserFactory()
    MembershipFactory(user=both, continuum=chicago.continuum, agency=chicago.agency, role="ata")
    MembershipFactory(user=both, continuum=chicago.continuum, role="help_desk")
    req = services.access_request_create(
        agency=chicago.agency, actor=both, request_type=rtype(chicago, "new-users")
    )
    services.requested_person_add(
        access_request=req, actor=both, first_name="A", last_name="B", email="a@x.org"
    )
    services.access_request_update_draft(
        access_request=req,
        actor=both,
        read_only=False,
        responsibilities="Intake.",
        projects=[chicago.shelter],
    )
    req = services.access_request_submit(access_request=req, actor=both)
    desk = chicago["help_desk"]
    with pytest.raises(PermissionDenied, match="Nobody reviews a request they filed"):
        services.access_request_assign(access_request=req, actor=desk, assignee=both)
    with pytest.raises(PermissionDenied, match="Help Desk"):
        services.access_request_assign(access_request=req, actor=desk, assignee=chicago["ce_team"])
    req = services.access_request_assign(access_request=req, actor=desk, assignee=desk)
    assert req.status == RequestStatus.IN_REVIEW and req.assignee == desk
    req = services.access_request_assign(access_request=req, actor=desk, assignee=None)
    assert req.assignee is None
    assert AuditEvent.objects.filter(action="access_request.assigned", object_id=str(req.pk)).count() == 2


# --- 6. The SLA clock ---------------------------------------------------------------------------------


def test_it_counts_the_sla_in_business_days_skipping_the_coc_s_holidays(chicago):  # noqa: F811
    for day, name in (
        (dt.date(2026, 11, 19), "Staff day"),
        (dt.date(2026, 11, 27), "Day after Thanksgiving"),
    ):
        ContinuumHoliday.objects.create(continuum=chicago.continuum, date=day, name=name)
    with time_machine.travel(dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC), tick=False) as clock:  # Mon
        req = submitted(chicago)
        # Tue 17, Wed 18, (Thu 19 off), Fri 20, Mon 23, Tue 24: 5 business days.
        assert req.sla_due_on == dt.date(2026, 11, 24)
        clock.shift(dt.timedelta(days=1))
        services.access_request_request_info(
            access_request=req, reviewer=chicago["help_desk"], question="Site?"
        )
        clock.shift(dt.timedelta(days=8))  # Wed 25: paused for Wed 18, Fri 20, Mon 23, Tue 24, Wed 25
        # While paused the request is neither overdue nor counted as such, though its date has passed.
        counts = selectors.queue_counts(continuum=chicago.continuum, user=chicago["help_desk"])["help_desk"]
        assert (counts["overdue"], counts["paused"]) == (0, 1)
        row = selectors.queue_requests(
            continuum=chicago.continuum, user=chicago["help_desk"], queue="help_desk"
        )
        assert row.get(pk=req.pk).sla_state == "paused"
        req = services.access_request_answer(access_request=req, actor=chicago["ata"], answer="North.")
        # 5 business days on from Tue 24: Wed 25, Thu 26, (Fri 27 off), Mon 30, Tue Dec 1, Wed Dec 2.
        assert req.sla_due_on == dt.date(2026, 12, 2)
        clock.shift(dt.timedelta(days=8))  # Thu Dec 3
        counts = selectors.queue_counts(continuum=chicago.continuum, user=chicago["help_desk"])["help_desk"]
        assert (counts["overdue"], counts["paused"]) == (1, 0)


def test_it_highlights_and_counts_overdue_requests_in_the_queue(client, chicago):  # noqa: F811
    late = submitted(chicago, people=[("La", "Te", "late@x.org")])
    AccessRequest.objects.filter(pk=late.pk).update(sla_due_on=dt.date(2020, 1, 6))
    submitted(chicago, people=[("On", "Time", "ontime@x.org")])
    client.force_login(chicago["help_desk"])
    body = client.get(f"/{chicago.continuum.slug}/queue/help-desk/").content.decode()
    assert re.search(r'<span class="app-figure">1</span> overdue', body)
    assert re.search(r'<span class="app-figure">2</span> open', body)
    rows = re.findall(r'<tr class="app-row--overdue">.*?</tr>', body, re.S)
    assert len(rows) == 1 and f"#{late.pk}<" in rows[0] and "Overdue (due Jan 6)" in rows[0]


# --- 7. Every transition: audit and e-mails with a link -----------------------------------------------


def _mail(req, event):
    return list(Notification.objects.filter(dedupe_key__startswith=f"access_request:{req.pk}:{event}:"))


def test_it_audits_every_transition_and_mails_the_ata_a_link_to_the_request(
    chicago,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    link = f"/{chicago.continuum.slug}/requests/"
    with django_capture_on_commit_callbacks(execute=True):
        req = submitted(chicago, people=[("Ana", "Lopez", "ana@agency.org")])
        desk, ata = chicago["help_desk"], chicago["ata"]
        services.access_request_request_info(access_request=req, reviewer=desk, question="Which site?")
        services.access_request_answer(access_request=req, actor=ata, answer="North.")
        for step in services.CHECKLIST_STEPS:
            services.access_request_confirm_step(access_request=req, reviewer=desk, step=step)
        services.access_request_approve(access_request=req, reviewer=desk)
    for event, to in (("submitted", ata.email), ("info_requested", ata.email), ("approved", ata.email)):
        mails = [m for m in _mail(req, event) if m.to_email == to]
        assert len(mails) == 1, event
        assert f"{link}{req.pk}/" in mails[0].body_text, event
    assert "Which site?" in _mail(req, "info_requested")[0].body_text
    answered = _mail(req, "answered")
    assert [m.to_email for m in answered] == [desk.email]  # the reviewer who asked (the assignee)
    # Approval concerns the person: their onboarding starts and they are told.
    person = req.people.get()
    assert Onboarding.objects.filter(access_request=req, user=person.user).exists()
    assert Notification.objects.filter(
        dedupe_key=f"access_request:{req.pk}:onboarding:{person.user.pk}"
    ).exists()
    actions = set(
        AuditEvent.objects.filter(object_id=str(req.pk), action__startswith="access_request.").values_list(
            "action", flat=True
        )
    )
    assert {
        "access_request.drafted",
        "access_request.person_added",
        "access_request.draft_saved",
        "access_request.submitted",
        "access_request.info_requested",
        "access_request.answered",
        "access_request.checklist",
        "access_request.approved",
    } <= actions


def test_it_tells_the_people_named_in_a_rejected_or_returned_request(
    chicago,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """Every outcome reaches the person too: a rejection with the reason and who to ask, a return
    with "nothing is needed from you". Someone without an account is written to at the address the
    ATA gave, without a link to pages they cannot open."""
    desk = chicago["help_desk"]
    with django_capture_on_commit_callbacks(execute=True):
        rejected = submitted(
            chicago, people=[("Ana", "Lopez", "ana@agency.org"), ("Bo", "Kim", "bo@agency.org")]
        )
        services.access_request_reject(access_request=rejected, reviewer=desk, reason="Not agency staff.")
        returned = submitted(chicago, people=[("Cy", "Moss", "cy@agency.org")])
        services.access_request_return(
            access_request=returned, reviewer=desk, correct_type=rtype(chicago, "returning-user")
        )
    to_people = sorted(
        (m.to_email, m) for m in _mail(rejected, "rejected") if m.to_email != chicago["ata"].email
    )
    assert [email for email, _ in to_people] == ["ana@agency.org", "bo@agency.org"]
    for _, mail in to_people:
        assert "was not approved" in mail.subject
        assert "Not agency staff." in mail.body_text
        assert chicago["ata"].full_name in mail.body_text  # who to ask
        assert "Open it:" not in mail.body_text  # no account yet: no link to a page they cannot open
    (person_mail,) = [m for m in _mail(returned, "returned") if m.to_email == "cy@agency.org"]
    assert "Nothing is needed from you" in person_mail.body_text
    # The ATA still gets the request's own e-mail with the link.
    assert any(m.to_email == chicago["ata"].email for m in _mail(returned, "returned"))


def test_it_writes_no_mail_and_no_change_when_a_transition_is_refused(chicago):  # noqa: F811
    req = draft(chicago, projects=[])
    with pytest.raises(ValidationError, match="Choose the projects"):
        services.access_request_submit(access_request=req, actor=chicago["ata"])
    req.refresh_from_db()
    assert req.status == RequestStatus.DRAFT
    assert not Notification.objects.filter(dedupe_key__startswith=f"access_request:{req.pk}:").exists()
    assert not AuditEvent.objects.filter(action="access_request.submitted", object_id=str(req.pk)).exists()


# --- Two reviewers at once ----------------------------------------------------------------------------


def test_it_tells_the_late_reviewer_on_the_page_what_happened(client, chicago):  # noqa: F811
    req = submitted(chicago)
    colleague = UserFactory(totp=True)  # CoC staff sign in with two-factor authentication
    MembershipFactory(user=colleague, continuum=chicago.continuum, role="help_desk")
    services.access_request_reject(access_request=req, reviewer=chicago["help_desk"], reason="Not staff.")
    client.force_login(colleague)
    response = client.post(f"/{chicago.continuum.slug}/requests/{req.pk}/request-info/", {"question": "Who?"})
    assert response.status_code == 302
    text = " ".join(m.message for m in get_messages(response.wsgi_request))
    assert text == (
        "This request is rejected now, so it cannot be put on hold for information. "
        "Reload the page to see its current state."
    )
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.REJECTED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_different_decisions_win_and_names_it_to_the_other(tenants):
    chicago = tenants[0]  # noqa: F811
    configuration.install_chicago(chicago.continuum)
    make_eligible(chicago)
    chicago.shelter = project(chicago)
    approver, rejecter = chicago["help_desk"], UserFactory()
    MembershipFactory(user=rejecter, continuum=chicago.continuum, role="help_desk")
    for _ in range(20):
        req = submitted(chicago)
        AccessRequest.objects.filter(pk=req.pk).update(
            enrollments_confirmed_at=req.submitted_at,
            training_account_created_at=req.submitted_at,
            license_use_confirmed_at=req.submitted_at,
        )
        barrier, outcomes = threading.Barrier(2), {}

        def act(name, call, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                call()
                outcomes[name] = "won"
            except services.RequestConflict as conflict:
                outcomes[name] = str(conflict)
            finally:
                connection.close()

        threads = [
            threading.Thread(
                target=act,
                args=(
                    "approve",
                    lambda req=req: services.access_request_approve(access_request=req, reviewer=approver),
                ),
            ),
            threading.Thread(
                target=act,
                args=(
                    "reject",
                    lambda req=req: services.access_request_reject(
                        access_request=req, reviewer=rejecter, reason="Duplicate."
                    ),
                ),
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winner = next(name for name, result in outcomes.items() if result == "won")
        loser = "reject" if winner == "approve" else "approve"
        final = AccessRequest.objects.get(pk=req.pk).status
        assert final == ("approved" if winner == "approve" else "rejected")
        done = {"approve": "approved", "reject": "rejected"}[loser]
        assert outcomes[loser] == (
            f"This request is {final} now, so it cannot be {done}. Reload the page to see its current state."
        )
        decisions = AuditEvent.objects.filter(
            object_id=str(req.pk), action__in=["access_request.approved", "access_request.rejected"]
        )
        assert decisions.count() == 1


# --- 8. The API: the same loop and the queue's filters ------------------------------------------------


def test_it_runs_the_more_info_loop_and_the_refile_through_the_api(client, chicago):  # noqa: F811
    account(chicago, "moving@x.org", agency=chicago.other_agency)
    req = submitted(chicago, people=[("Mo", "Ving", "moving@x.org")])
    api = f"/api/{chicago.continuum.slug}/access-requests/"
    client.force_login(chicago["help_desk"])
    body = client.post(f"{api}{req.pk}/request-info/", {"text": "Which site?"}).json()
    assert (body["status"], body["sla_state"]) == ("info_requested", "paused")
    assert client.post(f"{api}{req.pk}/answer/", {"text": "Mine."}).status_code == 403  # not the ATA
    client.force_login(chicago["other_ata"])
    assert client.post(f"{api}{req.pk}/answer/", {"text": "Mine."}).status_code == 404  # another agency
    client.force_login(chicago["ata"])
    body = client.post(f"{api}{req.pk}/answer/", {"text": "The north site."}).json()
    assert body["status"] == "in_review"
    assert client.post(f"{api}{req.pk}/answer/", {"text": "Again."}).status_code == 409
    client.force_login(chicago["help_desk"])
    response = client.post(
        f"{api}{req.pk}/return/", {"correct_type": "returning-user", "reason": "Elsewhere."}
    )
    assert response.json()["status"] == "returned"
    client.force_login(chicago["ata"])
    response = client.post(f"{api}{req.pk}/refile/")
    assert response.status_code == 201
    body = response.json()
    assert (body["request_type"], body["status"], body["problems"]) == ("returning-user", "submitted", [])
    assert body["resubmission_of"] == req.pk and body["people"][0]["email"] == "moving@x.org"


def test_it_filters_the_api_list_like_the_queue(client, chicago):  # noqa: F811
    first = submitted(chicago, people=[("Ann", "First", "ann@x.org")])
    account(chicago, "current@x.org")
    second = submitted(chicago, code="new-project-access", people=[("Cur", "Rent", "current@x.org")])
    AccessRequest.objects.filter(pk=first.pk).update(sla_due_on=dt.date(2020, 1, 6))
    services.access_request_claim(access_request=second, reviewer=chicago["help_desk"])
    client.force_login(chicago["help_desk"])
    api = f"/api/{chicago.continuum.slug}/access-requests/"

    def ids(**params):
        response = client.get(api, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(sort="age") == [first.pk, second.pk]
    assert ids(request_type="new-project-access") == [second.pk]
    assert ids(sla_state="overdue") == [first.pk]
    assert ids(assignee="me") == [second.pk] and ids(assignee="none") == [first.pk]
    assert ids(q="ann@x.org") == [first.pk]
    assert ids(agency=chicago.agency.pk, queue="help_desk", status="in_review") == [second.pk]
    response = client.get(api, {"sla_state": "someday"})
    assert response.status_code == 400 and "sla_state" in response.json()["errors"]
