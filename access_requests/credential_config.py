"""Configuration of the last steps to a credential, per CoC: the credential policy (sample client
seats, days, failed rounds, exempt funding, inactivity warning), the sample client rubric (HUD data
elements by project type) and the End User Agreement text. Installers are idempotent (by code/label)."""

from __future__ import annotations

from agencies.models import Continuum, HudProjectType

from .models import AgreementKind, CredentialPolicy, EndUserAgreementVersion, HrsSampleClient, RubricElement

ALL_ENROLLMENT_TYPES: list[int] = []  # empty = every project type
# HUD CoC/ESG program-specific elements are collected by these types (hud-data-elements.md).
INCOME_TYPES = [0, 2, 3, 4, 6, 8, 12, 13]
HOUSING_MOVE_IN_TYPES = [3, 9, 10, 13]
DV_TYPES = [0, 1, 2, 3, 4, 8, 9, 10, 12, 13]
CONTACT_TYPES = [1, 4, 6, 14]
ENGAGEMENT_TYPES = [1, 4, 6]

# (code, name, guidance, project types)
HUD_RUBRIC: list[tuple[str, str, str, list[int]]] = [
    ("3.01", "Name", "Name parts and their data quality.", ALL_ENROLLMENT_TYPES),
    ("3.02", "Social Security Number", "Number and its data quality.", ALL_ENROLLMENT_TYPES),
    ("3.03", "Date of Birth", "Date and its data quality.", ALL_ENROLLMENT_TYPES),
    ("3.04", "Race and Ethnicity", "Every answer that applies.", ALL_ENROLLMENT_TYPES),
    ("3.07", "Veteran Status", "Adults only.", ALL_ENROLLMENT_TYPES),
    ("3.08", "Disabling Condition", "At project start.", ALL_ENROLLMENT_TYPES),
    ("3.10", "Project Start Date", "The date in the scenario.", ALL_ENROLLMENT_TYPES),
    ("3.15", "Relationship to Head of Household", "Exactly one head of household.", ALL_ENROLLMENT_TYPES),
    ("3.16", "Enrollment CoC", "The CoC code, head of household.", ALL_ENROLLMENT_TYPES),
    (
        "3.917",
        "Prior Living Situation",
        "Type, length of stay, date homelessness began, times and months homeless.",
        ALL_ENROLLMENT_TYPES,
    ),
    ("4.21", "Sex", "FY2026 element.", ALL_ENROLLMENT_TYPES),
    ("3.20", "Housing Move-in Date", "On or after the start date, once housed.", HOUSING_MOVE_IN_TYPES),
    ("4.02", "Income and Sources", "Sources, amounts and total.", INCOME_TYPES),
    ("4.03", "Non-cash Benefits", "SNAP, WIC, TANF and the others.", INCOME_TYPES),
    ("4.04", "Health Insurance", "Every coverage source.", INCOME_TYPES),
    (
        "4.05-4.10",
        "Disabilities",
        "Physical, developmental, chronic health, HIV/AIDS, mental health, substance use.",
        INCOME_TYPES,
    ),
    ("4.11", "Domestic Violence", "Survivor, when, currently fleeing.", DV_TYPES),
    ("4.12", "Current Living Situation", "At each contact.", CONTACT_TYPES),
    ("4.13", "Date of Engagement", "Once, when engaged.", ENGAGEMENT_TYPES),
    ("4.14", "Bed-night Date", "Each night of stay.", [1]),
    ("4.19", "Coordinated Entry Assessment", "Date, location, type, level, prioritization.", [14]),
    ("4.20", "Coordinated Entry Event", "Event type, result and result date.", [14]),
]

EUA_PARAGRAPHS = (
    (
        "I will use the HMIS only for the work my agency assigned me, and only for the clients my "
        "projects serve."
    ),
    (
        "I will keep my username and password to myself. Nobody at my agency, the HMIS Lead or the Help "
        "Desk will ever ask me for my password, and I will not write it down where others can see it."
    ),
    (
        "I will collect and enter client information only with the client's consent, as the CoC's privacy "
        "policy describes, and I will never enter personally identifying information for clients of a "
        "victim service provider."
    ),
    (
        "I will enter data accurately and on time, following the HUD HMIS Data Standards and the workflow "
        "of my project-specific training."
    ),
    (
        "I will lock or sign out of the HMIS when I leave my workstation, and I will not use the HMIS on "
        "a shared or public computer."
    ),
    (
        "I will report any suspected breach of security or privacy to my Agency Technical Administrator "
        "and to the HMIS Help Desk at once."
    ),
    (
        "I understand that my access may be suspended or revoked if I do not follow this agreement, if I "
        "am inactive for longer than the CoC allows, or when I leave my agency."
    ),
)
EUA_TEXT = "\n\n".join(EUA_PARAGRAPHS)

# The individual Housing Resource Specialist Agreement (seed 000: "Once approved to become a Housing
# Resource Specialist, staff will complete required training and sign a Housing Resource Specialist
# Agreement detailing expectations").
HRS_AGREEMENT_PARAGRAPHS = (
    (
        "I serve as a Housing Resource Specialist for my host agency, which provides direct services to "
        "people experiencing homelessness and was approved by the Coordinated Entry Lead Agency."
    ),
    (
        "I will administer the Standardized Housing Assessment as trained, honestly and completely, and "
        "refer participants to the resources that can resolve their housing crisis."
    ),
    (
        "I will use the HMIS to administer every assessment and to record updates, because housing "
        "matches are made through the HMIS, and I will keep the participant's record current."
    ),
    (
        "I will enter assessments and updates in the Coordinated Entry System project only, keep data "
        "quality high, and correct errors the Coordinated Entry team points out promptly."
    ),
    (
        "I will never enter survivors of domestic or gender-based violence into the HMIS Coordinated Entry "
        "System; I will refer them to the separate Gender-Based Violence Coordinated Entry System."
    ),
    (
        "I will tell my Agency Technical Administrator and the Coordinated Entry team at once when I no "
        "longer serve as a Housing Resource Specialist or leave my host agency."
    ),
    (
        "I understand that the Coordinated Entry team may remove my Coordinated Entry access when I no "
        "longer serve in this role or do not meet the expectations of this agreement."
    ),
)
HRS_AGREEMENT_TEXT = "\n\n".join(HRS_AGREEMENT_PARAGRAPHS)


def policy_for(continuum: Continuum) -> CredentialPolicy:
    """The CoC's credential policy; an unsaved row with the defaults until one is configured."""
    row = CredentialPolicy.objects.filter(continuum=continuum).first()
    return row if row is not None else CredentialPolicy(continuum=continuum)


def install_rubric(continuum: Continuum) -> None:
    for position, (code, name, guidance, types) in enumerate(HUD_RUBRIC, start=1):
        RubricElement.objects.update_or_create(
            continuum=continuum,
            code=code,
            defaults={"name": name, "guidance": guidance, "project_types": types, "position": position},
        )


def install_end_user_agreement(
    continuum: Continuum, label: str = "2026.1", kind: str = AgreementKind.END_USER
) -> EndUserAgreementVersion:
    version = EndUserAgreementVersion.objects.filter(continuum=continuum, kind=kind, label=label).first()
    if version is None:
        EndUserAgreementVersion.objects.filter(continuum=continuum, kind=kind, is_current=True).update(
            is_current=False
        )
        version = EndUserAgreementVersion.objects.create(
            continuum=continuum,
            kind=kind,
            label=label,
            title=AgreementKind(kind).label,
            body=HRS_AGREEMENT_TEXT if kind == AgreementKind.HRS else EUA_TEXT,
            is_current=True,
        )
    return version


def install_hrs_agreement(continuum: Continuum, label: str = "2026.1") -> EndUserAgreementVersion:
    return install_end_user_agreement(continuum, label, kind=AgreementKind.HRS)


def install_chicago(continuum: Continuum) -> None:
    CredentialPolicy.objects.update_or_create(
        continuum=continuum,
        defaults={
            "sample_client_seats": 8,
            "sample_client_days": 10,
            "sample_client_max_failed_rounds": 3,
            "sample_client_exempt_funding": ["funded_hpcc", "funded_state_homeless_prevention"],
            # Seed 001: HRS training "in addition to or instead of, depending on need".
            "hrs_sample_client": HrsSampleClient.WITH_PROJECTS,
        },
    )
    install_rubric(continuum)
    install_end_user_agreement(continuum)
    install_hrs_agreement(continuum)


def install_los_angeles(continuum: Continuum) -> None:
    CredentialPolicy.objects.update_or_create(
        continuum=continuum, defaults={"sample_client_exempt_funding": []}
    )
    install_rubric(continuum)
    install_end_user_agreement(continuum)


def project_type_label(code: int) -> str:
    return HudProjectType(code).label if code in HudProjectType.values else f"HUD project type {code}"
