"""Navigation entries for agencies, agreements, programs, HRS hosts and CoC administration."""

from django.urls import reverse

from hmis_onboarding.navigation import register_nav
from hmis_onboarding.permissions import Capability, Role

LEAD_ROLES = {Role.ATA, Role.AGENCY_SUPERVISOR, Role.EXECUTIVE_DIRECTOR}


@register_nav("Agencies", "Agencies", order=10)
def _agencies(continuum, access):
    return reverse("agency_list", args=[continuum.slug]) if access.can(Capability.VIEW_ALL_AGENCIES) else None


@register_nav("Agencies", "My agency", order=10)
def _my_agency(continuum, access):
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return None
    for agency_id in sorted(access.agency_ids):
        if access.roles_in_agency(agency_id) & LEAD_ROLES:
            return reverse("agency_detail", args=[continuum.slug, agency_id])
    return None


@register_nav("Agencies", "Programs", order=20)
def _programs(continuum, access):
    return (
        reverse("program_list", args=[continuum.slug]) if access.can(Capability.VIEW_ALL_AGENCIES) else None
    )


@register_nav("Agencies", "Agreements to countersign", order=30)
def _countersign(continuum, access):
    if access.can(Capability.COUNTERSIGN_AGREEMENTS):
        return reverse("agreement_queue", args=[continuum.slug])
    return None


@register_nav("Agencies", "Program setup", order=40)
def _program_setup(continuum, access):
    if access.can(Capability.SETUP_PROGRAMS) and continuum.access_requires_program_setup:
        return reverse("program_setup_queue", args=[continuum.slug])
    return None


@register_nav("Agencies", "HRS hosts", order=50)
def _hrs_hosts(continuum, access):
    return (
        reverse("hrs_host_list", args=[continuum.slug]) if access.can(Capability.APPROVE_HRS_HOSTS) else None
    )


@register_nav("Administration", "CoC settings", order=10)
def _settings(continuum, access):
    if access.can(Capability.CONFIGURE_CONTINUUM):
        return reverse("continuum_settings", args=[continuum.slug])
    return None


@register_nav("Administration", "Agreement setup", order=20)
def _agreement_setup(continuum, access):
    if access.can(Capability.CONFIGURE_CONTINUUM):
        return reverse("agreement_type_list", args=[continuum.slug])
    return None


@register_nav("Administration", "Audit trail", order=90)
def _audit(continuum, access):
    return reverse("audit_trail", args=[continuum.slug]) if access.can(Capability.VIEW_AUDIT_TRAIL) else None
