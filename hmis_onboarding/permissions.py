"""Roles and what they may do. A person's permissions in a CoC are the union of their roles."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ATA = "ata", "Agency Technical Administrator"
    AGENCY_SUPERVISOR = "agency_supervisor", "Agency supervisor"
    AGENCY_USER = "agency_user", "Agency user"
    EXECUTIVE_DIRECTOR = "executive_director", "Executive director / authorized representative"
    HELP_DESK = "help_desk", "HMIS Help Desk"
    CE_TEAM = "ce_team", "Coordinated Entry team"
    IMPLEMENTATION_TEAM = "implementation_team", "HMIS implementation team"
    COC_ADMIN = "coc_admin", "CoC administrator"
    AUDITOR = "auditor", "Auditor (read-only)"


# Roles held inside one agency; the others belong to the CoC's HMIS Lead / CE Lead.
AGENCY_ROLES = frozenset({Role.ATA, Role.AGENCY_SUPERVISOR, Role.AGENCY_USER, Role.EXECUTIVE_DIRECTOR})
STAFF_ROLES = frozenset(
    {Role.HELP_DESK, Role.CE_TEAM, Role.IMPLEMENTATION_TEAM, Role.COC_ADMIN, Role.AUDITOR}
)
# Every CoC staff role must use two-factor authentication.
MFA_REQUIRED_ROLES = STAFF_ROLES


class Capability(models.TextChoices):
    """What a page or service asks for; roles grant capabilities (see ROLE_CAPABILITIES)."""

    VIEW_ALL_AGENCIES = "view_all_agencies", "See every agency of the CoC"
    VIEW_OWN_AGENCY = "view_own_agency", "See one's own agency and its people"
    MANAGE_AGENCY_PEOPLE = "manage_agency_people", "Manage an agency's people"
    REVIEW_REQUESTS = "review_requests", "Work the Help Desk review queue"
    REVIEW_CE_REQUESTS = "review_ce_requests", "Work the Coordinated Entry queue"
    SETUP_PROGRAMS = "setup_programs", "Set up agency programs"
    CONFIGURE_CONTINUUM = "configure_continuum", "Configure the CoC's pathway and settings"
    VIEW_AUDIT_TRAIL = "view_audit_trail", "Read the audit trail"
    MANAGE_AGENCIES = "manage_agencies", "Add agencies, edit their profiles and designate their ATAs"
    COUNTERSIGN_AGREEMENTS = "countersign_agreements", "Countersign agency agreements for the CoC"
    APPROVE_HRS_HOSTS = "approve_hrs_hosts", "Approve agencies as Housing Resource Specialist hosts"
    REQUEST_PROGRAM_SETUP = "request_program_setup", "File program setup / modification requests"
    FILE_ACCESS_REQUESTS = "file_access_requests", "File access requests for one's agency"
    VIEW_REQUESTS = "view_requests", "See access requests (one's agency's, or the CoC's for staff)"
    MANAGE_OUTBOX = "manage_outbox", "See the e-mail outbox and retry failed e-mails"
    REVIEW_SAMPLE_CLIENTS = "review_sample_clients", "Review sample client assignments"
    ISSUE_CREDENTIALS = "issue_credentials", "Issue, suspend and revoke HMIS credentials"
    VIEW_LICENSES = "view_licenses", "See HMIS licenses and who holds them"
    OFFBOARD_USERS = "offboard_users", "Report that a person left the agency (revokes their access)"
    REMOVE_HRS = "remove_hrs", "Remove Housing Resource Specialists' Coordinated Entry access"
    MANAGE_API_TOKENS = "manage_api_tokens", "Create and revoke the CoC's API tokens for integrations"
    VIEW_METRICS = "view_metrics", "See the CoC's onboarding metrics"
    MANAGE_ROLLOUT = "manage_rollout", "Record who met the obligations of a rollout plan"
    MANAGE_TRAINING = "manage_training", "Import LMS progress and run the LMS sync"


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # LA's "Program Manager (or those knowledgeable about the program(s))" is one of these three.
    Role.ATA: frozenset(
        {
            C.VIEW_OWN_AGENCY,
            C.MANAGE_AGENCY_PEOPLE,
            C.REQUEST_PROGRAM_SETUP,
            C.FILE_ACCESS_REQUESTS,
            C.VIEW_REQUESTS,
            C.VIEW_LICENSES,
            C.OFFBOARD_USERS,
        }
    ),
    Role.AGENCY_SUPERVISOR: frozenset(
        {C.VIEW_OWN_AGENCY, C.REQUEST_PROGRAM_SETUP, C.VIEW_REQUESTS, C.VIEW_LICENSES}
    ),
    Role.AGENCY_USER: frozenset(),
    Role.EXECUTIVE_DIRECTOR: frozenset({C.VIEW_OWN_AGENCY, C.REQUEST_PROGRAM_SETUP}),
    # Which staff role countersigns which agreement is CoC configuration (AgreementType.countersigner_roles);
    # the capability only opens the countersignature queue.
    Role.HELP_DESK: frozenset(
        {
            C.VIEW_ALL_AGENCIES,
            C.REVIEW_REQUESTS,
            C.VIEW_AUDIT_TRAIL,
            C.MANAGE_AGENCIES,
            C.COUNTERSIGN_AGREEMENTS,
            C.VIEW_REQUESTS,
            C.MANAGE_OUTBOX,
            C.REVIEW_SAMPLE_CLIENTS,
            C.ISSUE_CREDENTIALS,
            C.VIEW_LICENSES,
            C.VIEW_METRICS,
            C.MANAGE_ROLLOUT,
            C.MANAGE_TRAINING,
        }
    ),
    Role.CE_TEAM: frozenset(
        {
            C.VIEW_ALL_AGENCIES,
            C.REVIEW_CE_REQUESTS,
            C.REMOVE_HRS,
            C.APPROVE_HRS_HOSTS,
            C.COUNTERSIGN_AGREEMENTS,
            C.VIEW_REQUESTS,
            C.VIEW_METRICS,
        }
    ),
    Role.IMPLEMENTATION_TEAM: frozenset(
        {C.VIEW_ALL_AGENCIES, C.SETUP_PROGRAMS, C.VIEW_REQUESTS, C.VIEW_METRICS}
    ),
    Role.COC_ADMIN: frozenset(
        {
            C.VIEW_ALL_AGENCIES,
            C.CONFIGURE_CONTINUUM,
            C.VIEW_AUDIT_TRAIL,
            C.MANAGE_AGENCY_PEOPLE,
            C.MANAGE_AGENCIES,
            C.COUNTERSIGN_AGREEMENTS,
            C.SETUP_PROGRAMS,
            C.VIEW_REQUESTS,
            C.MANAGE_OUTBOX,
            C.MANAGE_API_TOKENS,
            C.VIEW_METRICS,
            C.MANAGE_ROLLOUT,
            C.MANAGE_TRAINING,
        }
    ),
    Role.AUDITOR: frozenset(
        {C.VIEW_ALL_AGENCIES, C.VIEW_AUDIT_TRAIL, C.VIEW_REQUESTS, C.VIEW_LICENSES, C.VIEW_METRICS}
    ),
}


def capabilities_for(roles: set[str] | frozenset[str]) -> frozenset[str]:
    caps: set[str] = set()
    for role in roles:
        caps |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(caps)
