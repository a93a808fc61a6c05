"""Who may do what to which agency. Agency roles count only in the agency they are held in.

`Access.can()` answers for the whole CoC (the union of all roles). For agency matters that is not
enough: an ATA of one agency who is an agency user in another must not act as ATA in the second.
"""

from __future__ import annotations

from hmis_onboarding.permissions import STAFF_ROLES, Capability, Role, capabilities_for
from hmis_onboarding.tenancy import Access

from .models import Agency, AgreementType


def agency_capabilities(access: Access, agency_id: int) -> frozenset[str]:
    staff_roles = access.roles & STAFF_ROLES
    return capabilities_for(staff_roles) | capabilities_for(access.roles_in_agency(agency_id))


def can_in_agency(access: Access, agency: Agency | int, capability: str) -> bool:
    agency_id = agency if isinstance(agency, int) else agency.pk
    return capability in agency_capabilities(access, agency_id)


def viewable_agency_ids(access: Access) -> frozenset[int]:
    """Agencies an agency-role holder may look into (ATA, supervisor, executive director; not trainees)."""
    return frozenset(
        agency_id
        for agency_id, roles in access.agency_roles.items()
        if Capability.VIEW_OWN_AGENCY in capabilities_for(roles)
    )


def may_view_agency(access: Access, agency: Agency) -> bool:
    return access.can(Capability.VIEW_ALL_AGENCIES) or agency.pk in viewable_agency_ids(access)


def may_sign(access: Access, agreement_type: AgreementType, agency: Agency) -> bool:
    return bool(access.roles_in_agency(agency.pk) & set(agreement_type.signer_roles))


def may_countersign(access: Access, agreement_type: AgreementType) -> bool:
    return bool(
        agreement_type.requires_countersignature and access.roles & set(agreement_type.countersigner_roles)
    )


def may_upload(access: Access, agreement_type: AgreementType, agency: Agency) -> bool:
    """The signer, the agency's ATA (sending the scan on the director's behalf), or a countersigner who
    received the scan by e-mail (LA: "sends a scanned copy to LAHSA")."""
    return (
        may_sign(access, agreement_type, agency)
        or Role.ATA in access.roles_in_agency(agency.pk)
        or may_countersign(access, agreement_type)
    )
