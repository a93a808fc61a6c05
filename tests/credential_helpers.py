"""Builders for onboarding records (issue 6): an approved request with its people, made directly so
that the concurrency test can make hundreds cheaply."""

from __future__ import annotations

from django.utils import timezone

from access_requests import configuration, credential_config
from access_requests.models import (
    AccessRequest,
    Onboarding,
    OnboardingStage,
    RequestedPerson,
    RequestStatus,
    RequestType,
)
from agencies.models import HmisProject

from .factories import MembershipFactory, UserFactory


def setup_coc(tenant) -> None:
    configuration.install_chicago(tenant.continuum)
    credential_config.install_chicago(tenant.continuum)


def a_project(tenant, name="Family Shelter", hud_type=1, agency=None, **funding) -> HmisProject:
    agency = agency or tenant.agency
    return HmisProject.objects.get_or_create(
        continuum=tenant.continuum,
        agency=agency,
        name=name,
        defaults={"hud_project_type": hud_type, **funding},
    )[0]


def approved_request(tenant, *, agency=None, projects=None, read_only=False, hrs=False) -> AccessRequest:
    """hrs: filed through the HRS / CE 1474 form (the CE team's queue)."""
    agency = agency or tenant.agency
    now = timezone.now()
    req = AccessRequest.objects.create(
        continuum=tenant.continuum,
        agency=agency,
        request_type=RequestType.objects.get(
            continuum=tenant.continuum, code="hrs-1474" if hrs else "new-users"
        ),
        queue="ce_team" if hrs else "help_desk",
        status=RequestStatus.APPROVED,
        created_by=tenant["ata"],
        submitted_by=tenant["ata"],
        submitted_at=now,
        read_only=read_only,
        decided_at=now,
        decided_by=tenant["ce_team" if hrs else "help_desk"],
    )
    req.projects.set(projects if projects is not None else [a_project(tenant, agency=agency)])
    return req


def onboarding_for(
    tenant,
    *,
    user=None,
    agency=None,
    projects=None,
    read_only=False,
    stage=None,
    name=("Ana", "Lopez"),
    hrs=False,
) -> Onboarding:
    from access_requests.credentials import onboarding_start

    agency = agency or tenant.agency
    user = user or UserFactory(full_name=" ".join(name))
    from agencies.models import Membership

    if not Membership.objects.filter(
        user=user, continuum=tenant.continuum, agency=agency, role="agency_user"
    ).exists():
        MembershipFactory(user=user, continuum=tenant.continuum, agency=agency, role="agency_user")
    req = approved_request(tenant, agency=agency, projects=projects, read_only=read_only, hrs=hrs)
    RequestedPerson.objects.create(
        continuum=tenant.continuum,
        access_request=req,
        first_name=name[0],
        last_name=name[1],
        email=user.email,
        user=user,
    )
    (onboarding,) = onboarding_start(access_request=req)
    if stage:
        Onboarding.objects.filter(pk=onboarding.pk).update(stage=stage)
        onboarding.refresh_from_db()
    return onboarding


def ready_onboarding(tenant, **kw) -> Onboarding:
    return onboarding_for(tenant, stage=OnboardingStage.READY, **kw)


def approve_host(tenant, agency=None):
    """Make the agency an approved Housing Resource Specialist host (seed 000): a direct-services
    provider, CoC member entering HMIS data, approved by the CE team."""
    agency = agency or tenant.agency
    agency.direct_services_provider = agency.coc_member = agency.hmis_participating = True
    agency.save(update_fields=["direct_services_provider", "coc_member", "hmis_participating"])
    from django.utils import timezone

    from agencies.models import HrsHost

    return HrsHost.objects.create(
        continuum=tenant.continuum,
        agency=agency,
        status="approved",
        approved_by=tenant["ce_team"],
        approved_at=timezone.now(),
    )
