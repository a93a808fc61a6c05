"""Walk every URL pattern the resolver knows, and prove each is classified and guarded.

A new route that nobody classified here fails `test_it_classifies_every_route`, so no page can ship
without an explicit access rule and the probes below.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from hmis_onboarding.models import ContinuumHoliday, Notification
from hmis_onboarding.permissions import Capability, Role, capabilities_for


@dataclass(frozen=True)
class Rule:
    """How a route is guarded.

    kind: public | account (allauth) | admin | tenant (a CoC page) | tenant_agency (a page about one
    agency's object: staff of the CoC and that agency's leads see it; an ATA of another agency gets 404).
    capability: what the role must grant (None: any member).
    method: the method the route answers; POST routes are probed by POST (allowed roles must not get a
    5xx; the service may still refuse details with 400/403).
    kwargs: builds the URL arguments for a tenant (objects are created in that tenant); by default
    `agency_id` is the tenant's agency and other arguments come from SAMPLE_KWARGS.
    roles: the roles allowed, when a capability alone does not say it.
    """

    kind: str
    capability: str | None = None
    method: str = "GET"
    kwargs: Callable[[Any], dict] | None = None
    roles: frozenset[str] | None = None


PUBLIC = Rule("public")
ACCOUNT = Rule("account")  # allauth pages: public entry points or the person's own account
ADMIN = Rule("admin")

# --- Builders of agency-side objects for the rules below (issue 3) ---------------------------------


def _apa(tenant):
    from .agencies.helpers import make_type, make_version

    agreement_type = make_type(tenant.continuum)
    make_version(agreement_type)
    return agreement_type


def _type_kwargs(tenant) -> dict:
    return {"agreement_type_id": _apa(tenant).pk}


def _agreement_kwargs(state: str = "awaiting", executed_copy: bool = False):
    def build(tenant) -> dict:
        from django.core.files.base import ContentFile

        from .agencies.helpers import make_agreement, pdf_bytes

        agreement = make_agreement(
            tenant.agency, _apa(tenant), state=state, submitted_by=tenant["executive_director"]
        )
        if executed_copy:
            agreement.executed_document.save("x.pdf", ContentFile(pdf_bytes()), save=True)
        return {"agreement_id": agreement.pk, "pk": agreement.pk}

    return build


def _project_kwargs(tenant) -> dict:
    from agencies.models import HmisProject

    project = HmisProject.objects.create(
        continuum=tenant.continuum, agency=tenant.agency, name="Outreach", hud_project_type=4
    )
    return {"project_id": project.pk, "pk": project.pk}


def _setup_request_kwargs(tenant) -> dict:
    from agencies.models import ProgramSetupRequest

    setup = ProgramSetupRequest.objects.create(
        continuum=tenant.continuum,
        agency=tenant.agency,
        kind="new",
        ces_roles=["assessment_only"],
        program_types=["assessment_only"],
        programs_description="x",
        submitted_by=tenant["ata"],
    )
    return {"request_id": setup.pk}


def _host_kwargs(tenant) -> dict:
    from django.utils import timezone

    from agencies.models import HrsHost

    host = HrsHost.objects.create(
        continuum=tenant.continuum,
        agency=tenant.agency,
        status="approved",
        approved_by=tenant["ce_team"],
        approved_at=timezone.now(),
    )
    return {"host_id": host.pk}


def _session_kwargs(tenant) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from training.models import Course, TrainingSession

    course = Course.objects.create(
        continuum=tenant.continuum, code="walk-session", name="Walk session", kind="instructor_led"
    )
    session = TrainingSession.objects.create(
        continuum=tenant.continuum,
        course=course,
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=60,
        capacity=5,
        location="Room 1",
    )
    return {"session_id": session.pk}


def _progress_import_kwargs(tenant) -> dict:
    from django.core.files.base import ContentFile

    from training.models import ProgressImport

    record = ProgressImport(
        continuum=tenant.continuum, uploaded_by=tenant["help_desk"], original_name="x.csv"
    )
    record.file.save("x.csv", ContentFile(b"Email,Course,Progress\n"), save=False)
    record.save()
    return {"import_id": record.pk}


PROGRESS_VIEWERS = frozenset(r.value for r in Role) - {Role.AGENCY_USER.value}


def _learning_path_kwargs(tenant) -> dict:
    from django.utils import timezone

    from training.models import LearningPath

    now = timezone.now()
    path, _ = LearningPath.objects.get_or_create(
        continuum=tenant.continuum,
        user=tenant["agency_user"],
        defaults={"needs": {}, "assigned_at": now, "recomputed_at": now},
    )
    return {"pk": path.pk}


def _completed_path_kwargs(tenant) -> dict:
    """The agency user's learning path, complete (one course for everyone, completed)."""
    from django.utils import timezone

    from training.models import Course, Enrollment, LearningPath

    now = timezone.now()
    person = tenant["agency_user"]
    course, _ = Course.objects.get_or_create(
        continuum=tenant.continuum,
        code="walk-intro",
        defaults={"name": "Walk introduction", "applies_to": "everyone", "category": "foundation"},
    )
    LearningPath.objects.get_or_create(
        continuum=tenant.continuum,
        user=person,
        defaults={"needs": {}, "assigned_at": now, "recomputed_at": now, "is_complete": True},
    )
    Enrollment.objects.get_or_create(
        continuum=tenant.continuum,
        user=person,
        course=course,
        defaults={"state": "completed", "percent": 100, "completed_at": now},
    )
    return {"person_id": person.pk}


# The person's onboarding record: the person, their agency's ATAs and supervisors, staff of all agencies.
RECORD_READERS = frozenset(
    {Role.AGENCY_USER.value, Role.ATA.value, Role.AGENCY_SUPERVISOR.value}
) | frozenset(r.value for r in Role if Capability.VIEW_ALL_AGENCIES in capabilities_for({r.value}))
# The certificate: the person, their agency's ATAs, and the staff who run training.
CERTIFICATE_READERS = frozenset({Role.AGENCY_USER.value, Role.ATA.value}) | frozenset(
    r.value for r in Role if Capability.MANAGE_TRAINING in capabilities_for({r.value})
)


def _extra_ata_kwargs(tenant) -> dict:
    from agencies.models import Membership

    from .factories import UserFactory

    membership = Membership.objects.create(
        continuum=tenant.continuum, agency=tenant.agency, role="ata", user=UserFactory()
    )
    return {"membership_id": membership.pk}


def _failed_email_kwargs(tenant) -> dict:
    row, _ = Notification.objects.get_or_create(
        dedupe_key=f"route-walk:{tenant.continuum.pk}",
        defaults={
            "continuum": tenant.continuum,
            "to_email": "someone@example.org",
            "kind": "digest",
            "message_id": f"<route-walk-{tenant.continuum.pk}@test>",
            "subject": "Route walk",
            "body_text": "Route walk",
            "state": Notification.State.FAILED,
        },
    )
    return {"notification_id": row.pk}


def _holiday_kwargs(tenant) -> dict:
    holiday, _ = ContinuumHoliday.objects.get_or_create(
        continuum=tenant.continuum, date=datetime.date(2026, 12, 24), defaults={"name": "Christmas Eve"}
    )
    return {"holiday_id": holiday.pk}


def _audit_event_kwargs(tenant) -> dict:
    from hmis_onboarding.audit import audit_record

    return {"pk": audit_record(action="route_walk.probe", continuum=tenant.continuum).pk}


def _request_type_kwargs(tenant) -> dict:
    from access_requests.models import AccessRequest

    return {"type_id": AccessRequest.objects.get(pk=access_request(tenant)).request_type_id}


def _rubric_element_kwargs(tenant) -> dict:
    from access_requests.models import RubricElement

    element, _ = RubricElement.objects.get_or_create(continuum=tenant.continuum, code="3.01", name="Name")
    return {"element_id": element.pk}


def _api_token_kwargs(tenant) -> dict:
    from hmis_onboarding.services import api_token_create

    token, _ = api_token_create(
        continuum=tenant.continuum, actor=tenant["coc_admin"], name="Route walk", role="auditor"
    )
    return {"token_id": token.pk}


def _course_kwargs(tenant) -> dict:
    from training.models import Course

    course, _ = Course.objects.get_or_create(
        continuum=tenant.continuum, code="route-walk", defaults={"name": "Route walk course"}
    )
    return {"course_id": course.pk}


def _bundle_kwargs(tenant) -> dict:
    from training.models import CourseBundle

    bundle, _ = CourseBundle.objects.get_or_create(
        continuum=tenant.continuum, code="route-walk", defaults={"name": "Route walk bundle"}
    )
    return {"bundle_id": bundle.pk}


def _plan_kwargs(tenant) -> dict:
    from rollout.models import RolloutObligation, RolloutPhase, RolloutPlan

    plan, _ = RolloutPlan.objects.get_or_create(continuum=tenant.continuum, name="Route walk plan")
    obligation = RolloutObligation.objects.filter(plan=plan).first() or RolloutObligation.objects.create(
        continuum=tenant.continuum, plan=plan, title="Route walk course", due_on=datetime.date(2026, 1, 5)
    )
    phase = RolloutPhase.objects.filter(plan=plan).first() or RolloutPhase.objects.create(
        continuum=tenant.continuum, plan=plan, name="Route walk phase", starts_on=datetime.date(2026, 1, 5)
    )
    return {"plan_id": plan.pk, "obligation_id": obligation.pk, "phase_id": phase.pk}


C = Capability
# Roles that see agencies (all of them, or their own): the API's agency, agreement and program lists.
SEE_AGENCIES = frozenset(
    r.value for r in Role if {C.VIEW_ALL_AGENCIES, C.VIEW_OWN_AGENCY} & capabilities_for({r.value})
)
# The test APA (tests/agencies/helpers.make_type): signed by the director, countersigned by these.
APA_COUNTERSIGNERS = frozenset({Role.COC_ADMIN.value, Role.HELP_DESK.value})
AGENCY = "tenant_agency"
# A trainee's onboarding, sample client and rounds: the person, their agency's ATA and supervisor, and
# CoC staff who see every agency.
OWN_OR_LEADS = frozenset({Role.AGENCY_USER.value, Role.ATA.value, Role.AGENCY_SUPERVISOR.value}) | frozenset(
    r.value for r in Role if C.VIEW_ALL_AGENCIES in capabilities_for({r.value})
)
# HMIS accounts of an agency: staff who see licenses (or remove HRSs) and the agency's ATA and supervisor.
ACCOUNT_VIEWERS = frozenset(
    {
        Role.HELP_DESK.value,
        Role.AUDITOR.value,
        Role.CE_TEAM.value,
        Role.ATA.value,
        Role.AGENCY_SUPERVISOR.value,
    }
)

ROUTES: dict[str, Rule] = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "tenant_home": Rule("tenant"),
    "agency_list": Rule("tenant", Capability.VIEW_ALL_AGENCIES),
    "agency_detail": Rule("tenant_agency"),
    "continuum_settings": Rule("tenant", Capability.CONFIGURE_CONTINUUM),
    "audit_trail": Rule("tenant", Capability.VIEW_AUDIT_TRAIL),
    # Access requests (access_requests/urls.py).
    "request_list": Rule("tenant", Capability.VIEW_REQUESTS),
    "request_new": Rule("tenant", Capability.FILE_ACCESS_REQUESTS),
    "request_advice": Rule("tenant", Capability.FILE_ACCESS_REQUESTS),
    "request_detail": Rule(
        "tenant_agency", Capability.VIEW_REQUESTS, kwargs=lambda t: {"request_id": access_request(t)}
    ),
    "request_action": Rule(
        "tenant_agency",
        Capability.VIEW_REQUESTS,
        method="POST",
        kwargs=lambda t: {"request_id": access_request(t), "action": "claim"},
    ),
    "api_access_request-list": Rule("tenant", Capability.VIEW_REQUESTS),
    "api_access_request-detail": Rule(
        "tenant_agency", Capability.VIEW_REQUESTS, kwargs=lambda t: {"pk": access_request(t)}
    ),
    **{
        f"api_access_request-{name}": Rule(
            "tenant_agency",
            Capability.VIEW_REQUESTS,
            method="POST",
            kwargs=lambda t: {"pk": access_request(t)},
        )
        for name in (
            "submit",
            "claim",
            "assign",
            "checklist",
            "request-info",
            "answer",
            "return-for-correct-form",
            "refile",
            "reject",
            "approve",
        )
    },
    "request_summary_pdf": Rule(
        "tenant_agency", Capability.VIEW_REQUESTS, kwargs=lambda t: {"request_id": access_request(t)}
    ),
    "request_queue": Rule(
        "tenant",
        kwargs=lambda t: {"queue_slug": "help-desk"},
        roles=frozenset({Role.HELP_DESK, Role.AUDITOR, Role.COC_ADMIN}),
    ),
    # Agencies, agreements, programs, HRS hosts (issue 3).
    "public_participation": Rule("public", kwargs=lambda tenant: {"slug": tenant.continuum.slug}),
    "agency_create": Rule("tenant", C.MANAGE_AGENCIES),
    "agency_edit": Rule(AGENCY, C.MANAGE_AGENCIES),
    "agency_designate_ata": Rule(AGENCY, C.MANAGE_AGENCIES),
    "agency_remove_ata": Rule(AGENCY, C.MANAGE_AGENCIES, method="POST", kwargs=_extra_ata_kwargs),
    "agreement_sign": Rule(AGENCY, kwargs=_type_kwargs, roles=frozenset({Role.EXECUTIVE_DIRECTOR.value})),
    "agreement_upload": Rule(
        AGENCY,
        kwargs=_type_kwargs,
        roles=APA_COUNTERSIGNERS | {Role.EXECUTIVE_DIRECTOR.value, Role.ATA.value},
    ),
    "agreement_queue": Rule("tenant", C.COUNTERSIGN_AGREEMENTS),
    "agreement_detail": Rule(AGENCY, kwargs=_agreement_kwargs()),
    "agreement_countersign": Rule(
        AGENCY, method="POST", kwargs=_agreement_kwargs(), roles=APA_COUNTERSIGNERS
    ),
    "agreement_return": Rule(AGENCY, method="POST", kwargs=_agreement_kwargs(), roles=APA_COUNTERSIGNERS),
    "agreement_document": Rule(AGENCY, kwargs=_agreement_kwargs()),
    "agreement_executed_document": Rule(AGENCY, kwargs=_agreement_kwargs("current", executed_copy=True)),
    "agreement_type_list": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "agreement_type_new": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "agreement_type_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_type_kwargs),
    "agreement_version_new": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_type_kwargs),
    "program_list": Rule("tenant", C.VIEW_ALL_AGENCIES),
    "program_create": Rule(AGENCY, C.SETUP_PROGRAMS),
    "program_edit": Rule(AGENCY, C.SETUP_PROGRAMS, kwargs=_project_kwargs),
    "program_setup_queue": Rule("tenant", C.SETUP_PROGRAMS),
    "program_setup_new": Rule(AGENCY, C.REQUEST_PROGRAM_SETUP),
    "program_setup_detail": Rule(AGENCY, kwargs=_setup_request_kwargs),
    "program_setup_start": Rule(AGENCY, C.SETUP_PROGRAMS, method="POST", kwargs=_setup_request_kwargs),
    "program_setup_complete": Rule(AGENCY, C.SETUP_PROGRAMS, method="POST", kwargs=_setup_request_kwargs),
    "program_setup_confirm": Rule(
        AGENCY, C.REQUEST_PROGRAM_SETUP, method="POST", kwargs=_setup_request_kwargs
    ),
    "program_setup_problem": Rule(
        AGENCY, C.REQUEST_PROGRAM_SETUP, method="POST", kwargs=_setup_request_kwargs
    ),
    "program_setup_cancel": Rule(
        AGENCY, C.REQUEST_PROGRAM_SETUP, method="POST", kwargs=_setup_request_kwargs
    ),
    "hrs_host_list": Rule("tenant", C.APPROVE_HRS_HOSTS),
    "hrs_host_approve": Rule(AGENCY, C.APPROVE_HRS_HOSTS),
    "hrs_host_revoke": Rule(AGENCY, C.APPROVE_HRS_HOSTS, method="POST", kwargs=_host_kwargs),
    # The agency API (/api/<continuum_slug>/…): the same scoping as the pages.
    "api_agency-list": Rule("tenant", roles=SEE_AGENCIES),
    "api_agency-detail": Rule(AGENCY, kwargs=lambda tenant: {"pk": tenant.agency.pk}),
    "api_agreement_type-list": Rule("tenant"),
    "api_agreement_type-detail": Rule("tenant", kwargs=lambda tenant: {"pk": _apa(tenant).pk}),
    "api_agreement-list": Rule("tenant", roles=SEE_AGENCIES),
    "api_agreement-detail": Rule(AGENCY, kwargs=_agreement_kwargs()),
    "api_agreement-document": Rule(AGENCY, kwargs=_agreement_kwargs()),
    "api_agreement-executed-document": Rule(AGENCY, kwargs=_agreement_kwargs("current", executed_copy=True)),
    "api_agreement-countersign": Rule(
        AGENCY, method="POST", kwargs=_agreement_kwargs(), roles=APA_COUNTERSIGNERS
    ),
    "api_program-list": Rule("tenant", roles=SEE_AGENCIES),
    "api_program-detail": Rule(AGENCY, kwargs=_project_kwargs),
    # Notifications: outbox, preferences, business calendar (issue 7).
    "notification_outbox": Rule("tenant", C.MANAGE_OUTBOX),
    "notification_retry": Rule("tenant", C.MANAGE_OUTBOX, method="POST", kwargs=_failed_email_kwargs),
    "notification_preferences": Rule("tenant"),
    "business_calendar": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "holiday_delete": Rule("tenant", C.CONFIGURE_CONTINUUM, method="POST", kwargs=_holiday_kwargs),
    # Sample client, End User Agreement, credentials and licenses (issue 6).
    "my_access": Rule("tenant"),
    "my_access_action": Rule(
        "tenant",
        method="POST",
        kwargs=lambda t: {"onboarding_id": _onboarding(t).pk, "action": "sign-up"},
        roles=frozenset({Role.AGENCY_USER.value}),  # only the person themselves
    ),
    "eua_document": Rule(
        "tenant",
        kwargs=lambda t: {"signature_id": _signature(t).pk},
        roles=frozenset({Role.AGENCY_USER.value, Role.ATA.value, Role.AGENCY_SUPERVISOR.value})
        | frozenset(r.value for r in Role if C.VIEW_ALL_AGENCIES in capabilities_for({r.value})),
    ),
    # Housing Resource Specialists: the person signs the HRS Agreement; the CE team approves.
    "hrs_agreement_sign": Rule(
        "tenant",
        kwargs=lambda t: {"onboarding_id": _hrs_onboarding(t).pk},
        roles=frozenset({Role.AGENCY_USER.value}),  # only the person themselves
    ),
    "hrs_agreement_document": Rule(
        "tenant",
        kwargs=lambda t: {"signature_id": _hrs_signature(t).pk},
        roles=frozenset({Role.AGENCY_USER.value, Role.ATA.value, Role.AGENCY_SUPERVISOR.value})
        | frozenset(r.value for r in Role if C.VIEW_ALL_AGENCIES in capabilities_for({r.value})),
    ),
    "ce_approvals": Rule("tenant", C.REVIEW_CE_REQUESTS),
    "ce_approval": Rule(
        "tenant", C.REVIEW_CE_REQUESTS, kwargs=lambda t: {"onboarding_id": _hrs_onboarding(t).pk}
    ),
    "sample_client_queue": Rule("tenant", C.REVIEW_SAMPLE_CLIENTS),
    "sample_client_review": Rule(
        "tenant", C.REVIEW_SAMPLE_CLIENTS, kwargs=lambda t: {"round_id": _round(t).pk}
    ),
    "onboarding_confirm_training": Rule(
        "tenant",
        C.REVIEW_SAMPLE_CLIENTS,
        method="POST",
        kwargs=lambda t: {"onboarding_id": _onboarding(t).pk},
    ),
    "credential_issue": Rule(
        "tenant", C.ISSUE_CREDENTIALS, kwargs=lambda t: {"onboarding_id": _onboarding(t).pk}
    ),
    "licenses": Rule("tenant", C.VIEW_LICENSES),
    "hmis_account_offboard": Rule(
        AGENCY,
        method="POST",
        kwargs=lambda t: {"account_id": _account(t).pk},
        roles=frozenset({Role.ATA.value, Role.HELP_DESK.value}),
    ),
    "access_reviews": Rule("tenant", C.VIEW_LICENSES),
    "access_review_open": Rule("tenant", C.ISSUE_CREDENTIALS, method="POST"),
    "access_review_decide": Rule(
        AGENCY,
        method="POST",
        kwargs=lambda t: {"item_id": _review_item(t).pk},
        roles=frozenset({Role.ATA.value}),
    ),
    # API foundation, audit viewer, API tokens (issue 8).
    "api_schema": PUBLIC,
    "api_docs": PUBLIC,
    "api_redoc": PUBLIC,
    "api_audit_event-list": Rule("tenant", C.VIEW_AUDIT_TRAIL),
    "api_audit_event-detail": Rule("tenant", C.VIEW_AUDIT_TRAIL, kwargs=_audit_event_kwargs),
    "metrics": Rule("tenant", C.VIEW_METRICS),
    "metrics_refresh": Rule("tenant", C.VIEW_METRICS, method="POST"),
    "pathway_config": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "pathway_request_type": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_request_type_kwargs),
    "pathway_ces_matrix": Rule("tenant", C.CONFIGURE_CONTINUUM, method="POST"),
    "credential_policy_config": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "agreements_config": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "agreement_publish": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=lambda t: {"kind": "end_user"}),
    "rubric_config": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "rubric_element_new": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "rubric_element_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_rubric_element_kwargs),
    "api_tokens": Rule("tenant", C.MANAGE_API_TOKENS),
    "api_token_revoke": Rule("tenant", C.MANAGE_API_TOKENS, method="POST", kwargs=_api_token_kwargs),
    # Rollout plans (issue 7): CoC staff read them; the Help Desk and CoC admins record completions.
    "rollout_plan_list": Rule("tenant", C.VIEW_ALL_AGENCIES),
    "rollout_plan_detail": Rule("tenant", C.VIEW_ALL_AGENCIES, kwargs=_plan_kwargs),
    "rollout_completion_record": Rule("tenant", C.MANAGE_ROLLOUT, method="POST", kwargs=_plan_kwargs),
    # Rollout plan configuration (issue 8): CoC administrators only.
    "rollout_plan_new": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "rollout_plan_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_plan_kwargs),
    "rollout_phase_new": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_plan_kwargs),
    "rollout_phase_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_plan_kwargs),
    "rollout_obligation_new": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_plan_kwargs),
    "rollout_obligation_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_plan_kwargs),
    "configuration_restore": Rule(
        "tenant",
        C.CONFIGURE_CONTINUUM,
        method="POST",
        kwargs=lambda t: {"event_id": _audit_event_kwargs(t)["pk"]},
    ),
    # Configuration history (issue 8): administrators, and those who read the audit trail.
    "configuration_history": Rule(
        "tenant",
        roles=frozenset(
            r.value for r in Role if {C.CONFIGURE_CONTINUUM, C.VIEW_AUDIT_TRAIL} & capabilities_for({r.value})
        ),
    ),
    # Training (issue 5): the catalog is readable by every member; imports are the Help Desk's.
    "training_catalog": Rule("tenant"),
    "training_lms_settings": Rule("tenant", C.CONFIGURE_CONTINUUM),
    # Catalog configuration (issue 8): CoC administrators only.
    "training_course_new": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "training_course_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_course_kwargs),
    "training_bundles": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "training_bundle_edit": Rule("tenant", C.CONFIGURE_CONTINUUM, kwargs=_bundle_kwargs),
    "training_policy": Rule("tenant", C.CONFIGURE_CONTINUUM),
    "training_progress_imports": Rule("tenant", C.MANAGE_TRAINING),
    "training_progress_import": Rule("tenant", C.MANAGE_TRAINING, kwargs=_progress_import_kwargs),
    "training_sessions": Rule("tenant"),
    "training_session_schedule": Rule("tenant", C.MANAGE_TRAINING),
    "training_session_roster": Rule("tenant", C.MANAGE_TRAINING, kwargs=_session_kwargs),
    "training_acknowledgement": Rule("tenant"),
    # The trainee's own tracker (any member: it only ever shows the signed-in person); the progress
    # view for CoC staff and agency leads; the read-only path API scoped the same way (own path for
    # everyone else, so the agency user reads their own path's detail).
    "my_onboarding": Rule("tenant"),
    "training_progress": Rule("tenant", roles=PROGRESS_VIEWERS),
    "training_lms_duplicate": Rule("tenant", roles=PROGRESS_VIEWERS, method="POST"),
    # PDFs about one person (issue 8): see RECORD_READERS / CERTIFICATE_READERS; anyone else → 404.
    "training_onboarding_record": Rule(
        "tenant", kwargs=lambda t: {"person_id": t["agency_user"].pk}, roles=RECORD_READERS
    ),
    "training_certificate": Rule("tenant", kwargs=_completed_path_kwargs, roles=CERTIFICATE_READERS),
    "training_certificate_verify": Rule("tenant", C.VIEW_ALL_AGENCIES),
    "api_learning_path-list": Rule("tenant"),
    "api_learning_path-detail": Rule("tenant", kwargs=_learning_path_kwargs),
    # People, onboardings, the sample client, HMIS accounts and licenses API (issue 8 over issue 6):
    # lists are scoped (any member reads their own rows); objects of the agency user are theirs, their
    # agency's ATA's and supervisor's, and staff's who see every agency.
    "api_person-list": Rule("tenant", roles=SEE_AGENCIES),
    "api_person-detail": Rule(AGENCY, kwargs=lambda t: {"pk": t["agency_user"].pk}),
    "api_onboarding-list": Rule("tenant"),
    "api_onboarding-detail": Rule("tenant", kwargs=lambda t: {"pk": _onboarding(t).pk}, roles=OWN_OR_LEADS),
    "api_onboarding-confirm-training": Rule(
        "tenant", C.REVIEW_SAMPLE_CLIENTS, method="POST", kwargs=lambda t: {"pk": _onboarding(t).pk}
    ),
    "api_onboarding-sign-up": Rule(
        "tenant",
        method="POST",
        kwargs=lambda t: {"pk": _onboarding(t).pk},
        roles=frozenset({Role.AGENCY_USER.value}),  # only the person themselves
    ),
    "api_sample_client_assignment-list": Rule("tenant"),
    "api_sample_client_assignment-detail": Rule(
        "tenant", kwargs=lambda t: {"pk": _round(t).assignment_id}, roles=OWN_OR_LEADS
    ),
    "api_sample_client_assignment-submit": Rule(
        "tenant",
        method="POST",
        kwargs=lambda t: {"pk": _round(t).assignment_id},
        roles=frozenset({Role.AGENCY_USER.value}),
    ),
    "api_sample_client_round-list": Rule("tenant"),
    "api_sample_client_round-detail": Rule(
        "tenant", kwargs=lambda t: {"pk": _round(t).pk}, roles=OWN_OR_LEADS
    ),
    "api_sample_client_round-review": Rule(
        "tenant", C.REVIEW_SAMPLE_CLIENTS, method="POST", kwargs=lambda t: {"pk": _round(t).pk}
    ),
    "api_hmis_account-list": Rule("tenant"),
    "api_hmis_account-detail": Rule(AGENCY, kwargs=lambda t: {"pk": _account(t).pk}, roles=ACCOUNT_VIEWERS),
    "api_hmis_account-suspend": Rule(
        AGENCY,
        method="POST",
        kwargs=lambda t: {"pk": _account(t).pk},
        roles=frozenset({Role.HELP_DESK.value, Role.CE_TEAM.value}),
    ),
    "api_hmis_account-offboard": Rule(
        AGENCY,
        method="POST",
        kwargs=lambda t: {"pk": _account(t).pk},
        roles=frozenset({Role.ATA.value, Role.HELP_DESK.value}),
    ),
    "api_license-list": Rule("tenant", C.VIEW_LICENSES),
}


def _review_item(tenant):
    from access_requests.access_review import access_review_open
    from access_requests.models import AccessReviewItem

    existing = AccessReviewItem.objects.filter(review__agency=tenant.agency).first()
    if existing:
        return existing
    _account(tenant)
    access_review_open(continuum=tenant.continuum, actor=tenant["help_desk"])
    return AccessReviewItem.objects.get(review__agency=tenant.agency)


def _onboarding(tenant):
    """The tenant's agency user's onboarding (created once per tenant)."""
    from access_requests.credentials import onboarding_start
    from access_requests.models import AccessRequest, Onboarding, RequestedPerson

    person = tenant["agency_user"]
    existing = Onboarding.objects.filter(user=person).first()
    if existing:
        return existing
    req = AccessRequest.objects.get(pk=access_request(tenant))
    RequestedPerson.objects.create(
        continuum=tenant.continuum,
        access_request=req,
        first_name="Agency",
        last_name="User",
        email=person.email,
        user=person,
    )
    return onboarding_start(access_request=req)[0]


def _signature(tenant):
    from access_requests.credential_config import install_end_user_agreement
    from access_requests.credentials import eua_sign
    from access_requests.models import Onboarding

    onboarding = _onboarding(tenant)
    existing = onboarding.signatures.first()
    if existing:
        return existing
    install_end_user_agreement(tenant.continuum)
    Onboarding.objects.filter(pk=onboarding.pk).update(stage="agreement")
    onboarding.refresh_from_db()
    return eua_sign(onboarding=onboarding, actor=tenant["agency_user"], signed_name="Agency User")


def _hrs_onboarding(tenant):
    """The agency user's onboarding, as a Housing Resource Specialist awaiting the CE team."""
    from access_requests.models import Onboarding

    onboarding = _onboarding(tenant)
    Onboarding.objects.filter(pk=onboarding.pk).update(is_hrs=True, ce_decision="pending")
    onboarding.refresh_from_db()
    return onboarding


def _hrs_signature(tenant):
    from access_requests.credential_config import install_hrs_agreement
    from access_requests.credentials import hrs_agreement_sign
    from access_requests.models import Onboarding

    onboarding = _hrs_onboarding(tenant)
    existing = onboarding.signatures.filter(version__kind="hrs").first()
    if existing:
        return existing
    install_hrs_agreement(tenant.continuum)
    Onboarding.objects.filter(pk=onboarding.pk).update(stage="agreement")
    onboarding.refresh_from_db()
    return hrs_agreement_sign(onboarding=onboarding, actor=tenant["agency_user"], signed_name="Agency User")


def _round(tenant):
    from django.utils import timezone

    from access_requests.models import SampleClientAssignment, SampleClientRound

    onboarding = _onboarding(tenant)
    assignment, _ = SampleClientAssignment.objects.get_or_create(
        onboarding=onboarding,
        defaults={
            "continuum": tenant.continuum,
            "agency": onboarding.agency,
            "user": onboarding.user,
            "project_type": 1,
            "status": "open",
            "requested_at": timezone.now(),
        },
    )
    rnd, _ = SampleClientRound.objects.get_or_create(
        assignment=assignment,
        number=1,
        defaults={"continuum": tenant.continuum, "submitted_at": timezone.now(), "client_reference": "SC-1"},
    )
    return rnd


def _account(tenant):
    from django.utils import timezone

    from access_requests.models import HmisAccount

    account, _ = HmisAccount.objects.get_or_create(
        agency=tenant.agency,
        email="route-walk@example.org",
        defaults={"continuum": tenant.continuum, "hmis_username": "routewalk", "issued_at": timezone.now()},
    )
    return account


def access_request(tenant) -> int:
    """A submitted request of the tenant's agency (created once per tenant)."""
    from access_requests.models import AccessRequest, RequestedPerson, RequestStatus, RequestType

    existing = AccessRequest.objects.filter(agency=tenant.agency).first()
    if existing:
        return existing.pk
    rtype, _ = RequestType.objects.get_or_create(
        continuum=tenant.continuum,
        code="new-users",
        defaults={
            "name": "New users",
            "short_name": "New users",
            "description": "-",
            "eligibility": "new_or_lapsed",
        },
    )
    from django.utils import timezone

    req = AccessRequest.objects.create(
        continuum=tenant.continuum,
        agency=tenant.agency,
        request_type=rtype,
        queue=rtype.queue,
        status=RequestStatus.SUBMITTED,
        created_by=tenant["ata"],
        submitted_by=tenant["ata"],
        submitted_at=timezone.now(),
    )
    RequestedPerson.objects.create(
        continuum=tenant.continuum, access_request=req, first_name="Ana", last_name="Lopez", email="ana@x.org"
    )
    return req.pk


# Route names owned by allauth (login, logout, password reset, e-mail, MFA, sessions).
ACCOUNT_PREFIXES = ("account_", "mfa_", "usersessions_")

# Values for URL parameters, by name; tenant objects are filled from the tenant under test.
SAMPLE_KWARGS = {"key": "invalid-key", "uidb36": "0", "pk": "1", "id": "1"}


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(entry, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            yield (f"{namespace}:{name}" if namespace and name else name), prefix + str(entry.pattern), entry


def classify(name: str, pattern: str = "") -> Rule | None:
    if name.startswith("admin:") or (not name and pattern.startswith("admin/")):
        return ADMIN
    if name.startswith(ACCOUNT_PREFIXES):
        return ACCOUNT
    return ROUTES.get(name)


def all_routes():
    return list(walk())


def test_it_classifies_every_route():
    unclassified = sorted(
        {
            f"{name or '(unnamed)'} → /{pattern}"
            for name, pattern, _ in all_routes()
            if classify(name, pattern) is None
        }
    )
    assert not unclassified, "Routes without an access rule in tests/test_route_walk.py:\n" + "\n".join(
        unclassified
    )


def test_it_has_no_stale_entries():
    names = {name for name, _, _ in all_routes()}
    assert not set(ROUTES) - names, f"Classified routes that no longer exist: {set(ROUTES) - names}"


def tenant_routes():
    return sorted(
        {
            (name, rule)
            for name, _, _ in all_routes()
            if (rule := classify(name)) and rule.kind.startswith("tenant")
        },
        key=lambda x: x[0],
    )


def build_url(name: str, tenant) -> str:
    from django.urls import reverse

    _, pattern, entry = next(r for r in all_routes() if r[0] == name)
    rule = classify(name, pattern)
    kwargs = {"continuum_slug": tenant.continuum.slug}
    built = rule.kwargs(tenant) if rule and rule.kwargs else {}
    # Path converters for path(), named groups for regex routes (DRF routers).
    for param in entry.pattern.regex.groupindex:
        if param in built:
            kwargs[param] = built[param]
        elif param == "agency_id":
            kwargs[param] = tenant.agency.pk
        elif param != "continuum_slug":
            assert param in SAMPLE_KWARGS, f"{name}: give its Rule a kwargs builder for <{param}>"
            kwargs[param] = SAMPLE_KWARGS[param]
    return reverse(name, kwargs=kwargs)


def allowed_roles(rule: Rule) -> list[str]:
    roles = [r.value for r in Role]
    if rule.roles is not None:
        roles = [r for r in roles if r in rule.roles]
    if rule.capability:
        roles = [r for r in roles if rule.capability in capabilities_for({r})]
    if rule.kind == "tenant_agency":
        # Agency pages: CoC staff who see all agencies, and the agency's own leads.
        roles = [
            r
            for r in roles
            if Capability.VIEW_ALL_AGENCIES in capabilities_for({r})
            or Capability.VIEW_OWN_AGENCY in capabilities_for({r})
        ]
    return roles


@pytest.mark.parametrize("name,rule", tenant_routes(), ids=[n for n, _ in tenant_routes()])
def test_it_guards_tenant_route(name, rule, client, tenants):
    tenant_a, tenant_b = tenants
    url = build_url(name, tenant_a)
    fetch = client.post if rule.method == "POST" else client.get

    # Anonymous → the login page, coming back here afterwards (an API answers 401 instead).
    response = fetch(url)
    if url.startswith("/api/"):
        assert response.status_code == 401, (name, response)
    else:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), (
            name,
            response,
        )

    # A member of another CoC, whatever their role → 404 (same as a CoC that does not exist).
    for role in ("coc_admin", "help_desk", "ata"):
        client.force_login(tenant_b[role])
        assert fetch(url).status_code == 404, (name, role)

    # Every allowed role of this tenant → 200; every other role → 403 (or 404 for objects).
    allowed = allowed_roles(rule)
    for role in Role:
        client.force_login(tenant_a[role.value])
        status = fetch(url).status_code
        if role.value not in allowed:
            assert status in (403, 404), (name, role.value, status)
        elif rule.method == "GET":
            assert status == 200, (name, role.value, status)
        else:
            assert status < 500, (name, role.value, status)

    # The wrong agency: an ATA of another agency in the same CoC.
    if rule.kind == "tenant_agency":
        client.force_login(tenant_a["other_ata"])
        assert fetch(url).status_code in (403, 404), name


def test_it_gives_404_for_a_forged_continuum_slug(client, tenant_a):
    from hmis_onboarding.models import AuditEvent

    client.force_login(tenant_a["coc_admin"])
    response = client.get("/no-such-coc/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.get("/no-such-coc/agencies/").status_code == 404
    # A probe for CoCs is a security event: recorded with who tried which slug.
    refusals = AuditEvent.objects.filter(action="authorization.refused", actor=tenant_a["coc_admin"])
    assert refusals.count() == 2
    assert {e.metadata["reason"] for e in refusals} == {"unknown continuum"}
    assert {e.metadata["slug"] for e in refusals} == {"no-such-coc"}
    # The API answers the same, in its own error shape.
    response = client.get("/api/no-such-coc/agencies/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "name", sorted({n for n, _, _ in all_routes() if (r := classify(n)) and r.kind == "public"})
)
def test_it_serves_public_routes_to_anyone(name, client, tenant_a):
    from django.urls import reverse

    rule = classify(name)
    kwargs = rule.kwargs(tenant_a) if rule.kwargs else {}
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_it_never_errors_on_account_routes_for_anonymous_visitors(client, db):
    from django.urls import NoReverseMatch, reverse

    for name, _, entry in all_routes():
        if classify(name) != ACCOUNT:
            continue
        kwargs = {p: SAMPLE_KWARGS.get(p, "x") for p in entry.pattern.regex.groupindex}
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        status = client.get(url).status_code
        assert status < 500, (name, status)


def test_it_keeps_the_django_admin_to_hmis_lead_superusers(client, tenant_a):
    admin_routes = [
        name for name, _, entry in all_routes() if classify(name) == ADMIN and not entry.pattern.regex.groups
    ]
    assert "admin:index" in admin_routes
    from django.urls import reverse

    # Anonymous → allauth's login page (admin login goes through allauth).
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert client.get(reverse("admin:login")).status_code == 302
    assert "/accounts/login/" in client.get(reverse("admin:login"))["Location"]
    # CoC staff who are not superusers never get an admin page.
    client.force_login(tenant_a["coc_admin"])
    for name in admin_routes:
        if name in ("admin:logout", "admin:login"):
            continue
        assert client.get(reverse(name)).status_code in (302, 403), name
    # Nor does someone with Django's is_staff flag who is not a superuser.
    from .factories import PASSWORD, UserFactory

    staff_flag = UserFactory(totp=True, is_staff=True, is_superuser=False)
    client.force_login(staff_flag)
    for name in ("admin:index", "admin:hmis_onboarding_user_changelist"):
        response = client.get(reverse(name), follow=True)
        assert response.status_code == 403, (name, response.redirect_chain)
    # ...and the admin's own password-only form cannot be used to skip allauth's TOTP step.
    lead = UserFactory(totp=True, is_superuser=True, is_staff=True)
    response = client.post(reverse("admin:login"), {"username": lead.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get(reverse("admin:index"), follow=True).status_code == 403
    # A superuser without an authenticator is sent to set one up first.
    no_totp = UserFactory(totp=False, is_superuser=True, is_staff=True)
    client.force_login(no_totp)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    # An HMIS Lead superuser (with MFA) does.
    client.force_login(lead)
    assert client.get(reverse("admin:index")).status_code == 200
