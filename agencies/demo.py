"""The two reference Continuums of Care loaded by `manage.py seed_demo`.

Chicago-like (IL-510) follows seeds 000–003 (All Chicago's procedure); LA-like (CA-600) follows
seed 004 (LAHSA). Every name is fictional; e-mail addresses use the reserved example.org domain.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from hmis_onboarding.permissions import Role

DEMO_PASSWORD = "demo-password-2026"


@dataclass(frozen=True)
class DemoContinuum:
    key: str
    name: str
    coc_code: str
    slug: str
    timezone: str
    hmis_lead_name: str
    help_desk_email: str
    ce_team_email: str
    agencies: tuple[dict, ...]
    people: tuple[tuple[str, str, str, str | None], ...]  # (e-mail, full name, role, agency name)


CHICAGO = DemoContinuum(
    key="chicago",
    name="Chicago CoC (demo)",
    coc_code="IL-510",
    slug="chicago",
    timezone="America/Chicago",
    hmis_lead_name="All Chicago — HMIS Lead (demo)",
    help_desk_email="hmis-helpdesk@example.org",
    ce_team_email="ces@example.org",
    agencies=(
        {"name": "Lakeshore Family Services", "license_pool_size": 25, "direct_services_provider": True},
        {
            "name": "Northside Housing Collaborative",
            "license_pool_size": 12,
            "direct_services_provider": True,
        },
        {
            "name": "Harbor Light Survivors Network",
            "victim_service_provider": True,
            "hmis_participating": False,
            "direct_services_provider": True,
            "license_pool_size": 0,
        },
        {"name": "Westside Community Shelter", "license_pool_size": 8, "direct_services_provider": True},
        {"name": "Pilsen Street Outreach", "license_pool_size": 6, "direct_services_provider": True},
        # A health-care agency outside HMIS that hosts HRS by the CE team's exception (seed 000).
        {
            "name": "Near West Health Partners",
            "license_pool_size": 2,
            "hmis_participating": False,
            "direct_services_provider": True,
        },
        # Its scanned APA came back from the Help Desk: signed by the wrong person.
        {"name": "Austin Recovery Homes", "license_pool_size": 3, "direct_services_provider": True},
        # New to the CoC: nothing signed yet.
        {
            "name": "Englewood Youth Drop-In",
            "license_pool_size": 0,
            "hmis_participating": False,
            "direct_services_provider": True,
        },
    ),
    people=(
        ("chicago.ata@example.org", "Alicia Reyes", Role.ATA, "Lakeshore Family Services"),
        (
            "chicago.supervisor@example.org",
            "Marcus Bell",
            Role.AGENCY_SUPERVISOR,
            "Lakeshore Family Services",
        ),
        ("chicago.user@example.org", "Jordan Kim", Role.AGENCY_USER, "Lakeshore Family Services"),
        (
            "chicago.director@example.org",
            "Denise Okafor",
            Role.EXECUTIVE_DIRECTOR,
            "Lakeshore Family Services",
        ),
        ("chicago.helpdesk@example.org", "Priya Natarajan", Role.HELP_DESK, None),
        ("chicago.ce@example.org", "Tomás Alvarez", Role.CE_TEAM, None),
        ("chicago.implementation@example.org", "Grace Liu", Role.IMPLEMENTATION_TEAM, None),
        ("chicago.admin@example.org", "Robert Haynes", Role.COC_ADMIN, None),
        ("chicago.auditor@example.org", "Helen Park", Role.AUDITOR, None),
        # More of the agencies' people, so lists have something true to show.
        ("l.mendez@example.org", "Luis Mendez", Role.AGENCY_USER, "Lakeshore Family Services"),
        ("s.johnson@example.org", "Shanice Johnson", Role.AGENCY_USER, "Lakeshore Family Services"),
        ("northside.ata@example.org", "Owen Gallagher", Role.ATA, "Northside Housing Collaborative"),
        ("k.brooks@example.org", "Kayla Brooks", Role.AGENCY_USER, "Northside Housing Collaborative"),
        ("harbor.ata@example.org", "Mei Chen", Role.ATA, "Harbor Light Survivors Network"),
        ("westside.ata@example.org", "Darnell Price", Role.ATA, "Westside Community Shelter"),
        ("a.nowak@example.org", "Anna Nowak", Role.AGENCY_USER, "Pilsen Street Outreach"),
        # A person working in both reference CoCs (shows the CoC switcher).
        ("multi.helpdesk@example.org", "Sam Rivera", Role.HELP_DESK, None),
    ),
)

LOS_ANGELES = DemoContinuum(
    key="la",
    name="Los Angeles CoC (demo)",
    coc_code="CA-600",
    slug="los-angeles",
    timezone="America/Los_Angeles",
    hmis_lead_name="LAHSA — HMIS Lead (demo)",
    help_desk_email="hmis-training@example.org",
    ce_team_email="ces-la@example.org",
    agencies=(
        {"name": "Golden State Housing Partners", "license_pool_size": 30, "direct_services_provider": True},
        {
            "name": "San Fernando Valley Access Center",
            "license_pool_size": 15,
            "direct_services_provider": True,
        },
        {
            "name": "Safe Passage DV Alliance",
            "victim_service_provider": True,
            "hmis_participating": False,
            "direct_services_provider": True,
            "license_pool_size": 0,
        },
        {"name": "Eastside Outreach Collective", "license_pool_size": 10, "direct_services_provider": True},
        {"name": "Harbor Gateway Rapid Rehousing", "license_pool_size": 5, "direct_services_provider": True},
        # Its Organization Agreement came back: the CoC Representative section was filled in.
        {"name": "Boyle Heights Family Center", "license_pool_size": 4, "direct_services_provider": True},
        {
            "name": "Westlake Community Clinic",
            "license_pool_size": 0,
            "hmis_participating": False,
            "direct_services_provider": True,
        },
        # Signed the Organization Agreement days before LAHSA published a version everyone had to sign
        # again; the deadline passed without its signature.
        {"name": "Leimert Park Senior Services", "license_pool_size": 3, "direct_services_provider": True},
    ),
    people=(
        ("la.ata@example.org", "Monica Vasquez", Role.ATA, "Golden State Housing Partners"),
        ("la.supervisor@example.org", "Kevin Tran", Role.AGENCY_SUPERVISOR, "Golden State Housing Partners"),
        ("la.user@example.org", "Brianna Woods", Role.AGENCY_USER, "Golden State Housing Partners"),
        (
            "la.director@example.org",
            "Raymond Flores",
            Role.EXECUTIVE_DIRECTOR,
            "Golden State Housing Partners",
        ),
        ("la.helpdesk@example.org", "Fatima Rahman", Role.HELP_DESK, None),
        ("la.ce@example.org", "Jamal Carter", Role.CE_TEAM, None),
        ("la.implementation@example.org", "Irene Castillo", Role.IMPLEMENTATION_TEAM, None),
        ("la.admin@example.org", "Steven Yamamoto", Role.COC_ADMIN, None),
        ("la.auditor@example.org", "Lorraine Dubois", Role.AUDITOR, None),
        ("d.ortiz@example.org", "Daniel Ortiz", Role.AGENCY_USER, "Golden State Housing Partners"),
        ("valley.ata@example.org", "Hannah Goldberg", Role.ATA, "San Fernando Valley Access Center"),
        ("r.singh@example.org", "Ravi Singh", Role.AGENCY_USER, "San Fernando Valley Access Center"),
        ("eastside.ata@example.org", "Carmen Ruiz", Role.ATA, "Eastside Outreach Collective"),
        (
            "valley.director@example.org",
            "Luis Herrera",
            Role.EXECUTIVE_DIRECTOR,
            "San Fernando Valley Access Center",
        ),
        ("multi.helpdesk@example.org", "Sam Rivera", Role.HELP_DESK, None),
    ),
)

DEMO_CONTINUUMS = (CHICAGO, LOS_ANGELES)

# The HMIS Lead's superuser for the Django admin.
DEMO_SUPERUSER = ("hmis.lead@example.org", "Pat Morgan (HMIS Lead superuser)")


def demo_totp_secret(email: str) -> str:
    """A fixed TOTP secret per demo persona, so the demo can print its codes. Demo mode only."""
    digest = hashlib.sha256(f"hmis-onboarding-demo-totp:{email.lower()}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


# --- Agreements, programs, HRS hosts and program setup (issue 3) ---------------------------------------
# Every agreement state appears in both CoCs: current, expiring within the warning window, expired,
# awaiting countersignature, returned, never signed (and a victim service provider that signs nothing);
# Los Angeles also shows an agency whose agreement is on a version it had to sign again.

CHICAGO_APA_TEXT = """This Agency Participation Agreement (APA) is between the Chicago Continuum of \
Care's HMIS Lead \
(the "HMIS Lead") and the Agency named below (demo text; not a real agreement).

1. Participation. The Agency takes part in the Chicago CoC Homeless Management Information System (HMIS) and \
designates at least one Agency Technical Administrator (ATA) who requests, supports and removes user access.

2. Privacy. The Agency collects and shares client information only with the client's consent and in line \
with the HMIS privacy policy, and never enters information about clients it does not serve.

3. Users. Every user completes the required training, signs the End User Agreement and keeps their \
credentials to themselves. The Agency tells the HMIS Lead within one business day when a user leaves.

4. Data quality. The Agency enters timely, complete and accurate data for each of its HMIS projects.

5. Term. This agreement is in force once countersigned by the HMIS Lead and must be renewed every \
twelve months."""

CHICAGO_HRS_HOST_TEXT = """This Housing Resource Specialist Host Agreement is between the \
Coordinated Entry Lead Agency and \
the hosting organisation named below (demo text).

1. The organisation provides direct services to people experiencing homelessness and supports its Housing \
Resource Specialists in administering the Standardized Housing Assessment.

2. Housing Resource Specialists use HMIS to administer the assessment and record updates, since housing \
matches are made through HMIS.

3. The Coordinated Entry Lead Agency trains Housing Resource Specialists and may remove access for \
staff who no \
longer serve in that role."""

LA_ORGANIZATION_AGREEMENT_TEXT = """HMIS Organization Agreement between the Los Angeles CoC's HMIS \
Lead and the \
Organization named below (demo text; not a real agreement).

1. The Organization participates in HMIS for the Coordinated Entry System (CES) in the role(s) it identifies \
during program setup.

2. The Organization protects client data, obtains consent as required, and ensures each user signs the User \
Agreement and completes the training for their role.

3. The Executive Director or Authorized Representative signs for the Organization. The CoC Representative \
section is completed by the HMIS Lead.

4. Term. Two years from the HMIS Lead's countersignature."""

# The second version: the first with a data-retention clause; every Organization must sign it again.
LA_ORGANIZATION_AGREEMENT_V2_TEXT = LA_ORGANIZATION_AGREEMENT_TEXT.replace(
    "4. Term.",
    """4. Data retention. The Organization keeps paper records holding client information no longer than \
seven years after the client's last service and destroys them securely.

5. Term.""",
)


@dataclass(frozen=True)
class DemoAgreementType:
    code: str
    name: str
    short_name: str
    body: str
    countersigner_roles: tuple[str, ...]
    renewal_months: int
    gates: tuple[str, ...]
    # A second version every agency must sign again, published just before the oldest agreement that
    # still counts was signed; its re-sign deadline has passed. Empty: one version only.
    revised_body: str = ""


@dataclass(frozen=True)
class DemoAgreement:
    """An agreement in a given state; dates are relative to the day the demo is seeded."""

    agency: str
    type_code: str
    # current | expiring | expired | awaiting | returned | outdated (executed on the first version just
    # before the type's second version was published: "New version must be signed")
    state: str
    signer_name: str
    signer_title: str
    method: str = "e_signature"  # or "upload"
    signer_email: str | None = None  # the account that signed in the app or uploaded
    returned_reason: str = ""  # state "returned": why the CoC sent it back


@dataclass(frozen=True)
class DemoProgram:
    agency: str
    name: str
    hud_project_type: int
    ces_program_type: str = ""
    funding: tuple[str, ...] = ()
    setup_confirmed: bool = False


@dataclass(frozen=True)
class DemoSetupRequest:
    agency: str
    status: str
    kind: str
    ces_roles: tuple[str, ...]
    program_types: tuple[str, ...]
    description: str
    programs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoParticipation:
    settings: dict
    agreement_types: tuple[DemoAgreementType, ...]
    agreements: tuple[DemoAgreement, ...]
    programs: tuple[DemoProgram, ...]
    hrs_hosts: tuple[tuple[str, str], ...] = ()  # (agency, exception reason or "")
    setup_requests: tuple[DemoSetupRequest, ...] = ()


CHICAGO_PARTICIPATION = DemoParticipation(
    settings={
        "access_requires_program_setup": False,
        "vsp_ce_contact_email": "ces@example.org",
        "vsp_ce_instructions": (
            "The CoC operates a separate Coordinated Entry System for survivors of domestic and gender-based "
            "violence. It does not enter data into HMIS; it uses an alternative database with limited access "
            "to protect the safety and confidentiality of survivors."
        ),
    },
    agreement_types=(
        DemoAgreementType(
            code="apa",
            name="Agency Participation Agreement",
            short_name="APA",
            body=CHICAGO_APA_TEXT,
            countersigner_roles=(Role.COC_ADMIN, Role.HELP_DESK),
            renewal_months=12,
            gates=("submit_access_requests", "host_hrs"),
        ),
        DemoAgreementType(
            code="hrs-host",
            name="Housing Resource Specialist Host Agreement",
            short_name="HRS Host Agreement",
            body=CHICAGO_HRS_HOST_TEXT,
            countersigner_roles=(Role.CE_TEAM,),
            renewal_months=12,
            gates=("host_hrs",),
        ),
    ),
    agreements=(
        DemoAgreement(
            "Lakeshore Family Services",
            "apa",
            "current",
            "Denise Okafor",
            "Executive Director",
            signer_email="chicago.director@example.org",
        ),
        DemoAgreement(
            "Lakeshore Family Services",
            "hrs-host",
            "current",
            "Denise Okafor",
            "Executive Director",
            signer_email="chicago.director@example.org",
        ),
        DemoAgreement(
            "Northside Housing Collaborative",
            "apa",
            "expiring",
            "Frances Doyle",
            "Executive Director",
            method="upload",
            signer_email="northside.ata@example.org",
        ),
        DemoAgreement(
            "Westside Community Shelter",
            "apa",
            "expired",
            "Calvin Moore",
            "Executive Director",
            method="upload",
            signer_email="westside.ata@example.org",
        ),
        DemoAgreement(
            "Pilsen Street Outreach",
            "apa",
            "awaiting",
            "Rosa Delgado",
            "Executive Director",
            method="upload",
            signer_email="chicago.helpdesk@example.org",
        ),
        DemoAgreement(
            "Near West Health Partners",
            "apa",
            "current",
            "Dr. Imani Wells",
            "Chief Executive Officer",
            method="upload",
            signer_email="chicago.helpdesk@example.org",
        ),
        DemoAgreement(
            "Near West Health Partners",
            "hrs-host",
            "current",
            "Dr. Imani Wells",
            "Chief Executive Officer",
            method="upload",
            signer_email="chicago.ce@example.org",
        ),
        DemoAgreement(
            "Austin Recovery Homes",
            "apa",
            "returned",
            "Terrence Hill",
            "Program Coordinator",
            method="upload",
            signer_email="chicago.helpdesk@example.org",
            returned_reason="Signed by the program coordinator; the executive director or an authorized "
            "representative must sign the APA.",
        ),
    ),
    programs=(
        DemoProgram("Lakeshore Family Services", "Lakeshore Family Shelter", 0, funding=("funded_esg",)),
        DemoProgram("Lakeshore Family Services", "Lakeshore Rapid Rehousing", 13),
        DemoProgram(
            "Lakeshore Family Services",
            "Lakeshore Prevention Fund",
            12,
            funding=("funded_state_homeless_prevention",),
        ),
        DemoProgram("Northside Housing Collaborative", "Northside Permanent Supportive Housing", 3),
        DemoProgram(
            "Northside Housing Collaborative",
            "Northside Veterans Rapid Rehousing",
            13,
            funding=("funded_ssvf",),
        ),
        DemoProgram("Westside Community Shelter", "Westside Overnight Shelter", 1, funding=("funded_esg",)),
        DemoProgram("Pilsen Street Outreach", "Pilsen PATH Outreach", 4, funding=("funded_path",)),
        DemoProgram("Pilsen Street Outreach", "Pilsen Prevention Partnership", 12, funding=("funded_hpcc",)),
    ),
    hrs_hosts=(
        ("Lakeshore Family Services", ""),
        (
            "Near West Health Partners",
            "Health-care agency with years of experience managing sensitive participant data "
            "in an electronic health record.",
        ),
    ),
)

LA_PARTICIPATION = DemoParticipation(
    settings={
        "access_requires_program_setup": True,
        "vsp_ce_contact_email": "ces-la@example.org",
        "vsp_ce_instructions": (
            "Victim service providers take part in Coordinated Entry through the CoC's domestic-violence CES "
            "process outside HMIS; no client-identifying information is entered into HMIS."
        ),
    },
    agreement_types=(
        DemoAgreementType(
            code="organization-agreement",
            name="HMIS Organization Agreement",
            short_name="Organization Agreement",
            body=LA_ORGANIZATION_AGREEMENT_TEXT,
            countersigner_roles=(Role.COC_ADMIN, Role.HELP_DESK),
            renewal_months=24,
            gates=("submit_access_requests",),
            revised_body=LA_ORGANIZATION_AGREEMENT_V2_TEXT,
        ),
    ),
    agreements=(
        DemoAgreement(
            "Golden State Housing Partners",
            "organization-agreement",
            "current",
            "Raymond Flores",
            "Executive Director",
            signer_email="la.director@example.org",
        ),
        DemoAgreement(
            "San Fernando Valley Access Center",
            "organization-agreement",
            "awaiting",
            "Luis Herrera",
            "Executive Director",
            signer_email="valley.director@example.org",
        ),
        DemoAgreement(
            "Eastside Outreach Collective",
            "organization-agreement",
            "expiring",
            "Nadia Petrosyan",
            "Authorized Representative",
            method="upload",
            signer_email="eastside.ata@example.org",
        ),
        DemoAgreement(
            "Harbor Gateway Rapid Rehousing",
            "organization-agreement",
            "expired",
            "George Alvarado",
            "Executive Director",
            method="upload",
            signer_email="la.helpdesk@example.org",
        ),
        DemoAgreement(
            "Boyle Heights Family Center",
            "organization-agreement",
            "returned",
            "Ana Morales",
            "Executive Director",
            method="upload",
            signer_email="la.helpdesk@example.org",
            returned_reason="The CoC Representative section was filled in by the agency; leave it blank "
            "for LAHSA and send the agreement again.",
        ),
        DemoAgreement(
            "Leimert Park Senior Services",
            "organization-agreement",
            "outdated",
            "Gloria Whitfield",
            "Executive Director",
            method="upload",
            signer_email="la.helpdesk@example.org",
        ),
    ),
    programs=(
        DemoProgram(
            "Golden State Housing Partners",
            "Golden State Access Center",
            6,
            "access_center",
            setup_confirmed=True,
        ),
        DemoProgram(
            "Golden State Housing Partners", "Golden State Permanent Housing", 3, "permanent_housing"
        ),
        DemoProgram(
            "Eastside Outreach Collective",
            "Eastside Street Outreach",
            4,
            "outreach",
            funding=("funded_path",),
        ),
        DemoProgram("Harbor Gateway Rapid Rehousing", "Harbor Gateway RRH", 13, "permanent_housing"),
    ),
    setup_requests=(
        DemoSetupRequest(
            "Golden State Housing Partners",
            "confirmed",
            "new",
            ("housing_navigation", "housing_provider"),
            ("access_center",),
            "Set up our access center for CES surveys and housing navigation.",
            programs=("Golden State Access Center",),
        ),
        DemoSetupRequest(
            "San Fernando Valley Access Center",
            "submitted",
            "new",
            ("assessment_only",),
            ("assessment_only",),
            "New assessment-only program for our walk-in access point (Van Nuys).",
        ),
        DemoSetupRequest(
            "Eastside Outreach Collective",
            "awaiting_confirmation",
            "modification",
            ("housing_navigation",),
            ("outreach",),
            "Allow our outreach program to use CES tools (survey and navigation).",
            programs=("Eastside Street Outreach",),
        ),
    ),
)

DEMO_PARTICIPATION = {"chicago": CHICAGO_PARTICIPATION, "la": LA_PARTICIPATION}
