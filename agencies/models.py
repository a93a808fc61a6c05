"""The tenant (a CoC's HMIS implementation), its agencies, and who belongs where in which role."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hmis_onboarding.permissions import AGENCY_ROLES, STAFF_ROLES, Role

from .storage import PrivateStorage

coc_code_validator = RegexValidator(
    r"^[A-Z]{2}-\d{3}$", "Use HUD's CoC code format: two state letters, a hyphen and three digits (IL-510)."
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (for example America/Chicago).")


# First path segments the site itself uses: a CoC with one of these slugs could never be reached.
# "schema", "docs" and "redoc" would collide with /api/schema/ and the API documentation pages.
RESERVED_SLUGS = frozenset(
    {"accounts", "admin", "api", "p", "static", "media", "healthz", "favicon.ico", "schema", "docs", "redoc"}
)


def validate_continuum_slug(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(f"“{value}” is used by the site itself; choose another web address.")


class Continuum(models.Model):
    """The tenant. Everything a CoC owns carries a foreign key to its Continuum."""

    name = models.CharField(max_length=200)
    coc_code = models.CharField("HUD CoC code", max_length=6, unique=True, validators=[coc_code_validator])
    slug = models.SlugField(max_length=40, unique=True, validators=[validate_continuum_slug])
    timezone = models.CharField(max_length=64, default="America/Chicago", validators=[validate_timezone])
    hmis_lead_name = models.CharField("HMIS Lead", max_length=200, blank=True)
    help_desk_email = models.EmailField("Help Desk e-mail", blank=True)
    ce_team_email = models.EmailField("Coordinated Entry team e-mail", blank=True)
    idle_timeout_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Sign people out after this many minutes without activity (5–240).",
    )
    access_requires_program_setup = models.BooleanField(
        "Access requests need a confirmed program setup",
        default=False,
        help_text="LA's rule: the agency's HMIS programs are set up and confirmed (step 2) before users "
        "can be trained and given access (step 3).",
    )
    agreement_warning_days = models.PositiveIntegerField(
        "Warn this many days before an agreement expires",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    participation_page_public = models.BooleanField(
        "Publish the participation status list",
        default=True,
        help_text="A public page listing participating agencies and their agreement status "
        "(no personal data).",
    )
    vsp_ce_contact_email = models.EmailField(
        "Victim service providers' Coordinated Entry contact",
        blank=True,
        help_text="Where staff of victim service providers go instead of HMIS (the separate CE process).",
    )
    vsp_ce_instructions = models.TextField(
        "Victim service providers' Coordinated Entry process",
        blank=True,
        help_text="Shown to staff of victim service providers in place of any HMIS client-data path.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Continuum of Care"
        verbose_name_plural = "Continuums of Care"

    def __str__(self) -> str:
        return f"{self.name} ({self.coc_code})"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Agency(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    hmis_participating = models.BooleanField("HMIS-participating", default=True)
    coc_member = models.BooleanField("CoC member", default=True)
    victim_service_provider = models.BooleanField(
        default=False,
        help_text="Domestic-violence / victim service provider: never enters client PII into HMIS.",
    )
    direct_services_provider = models.BooleanField(
        "Provides direct services",
        default=False,
        help_text="Serves people experiencing homelessness directly "
        "(required to host Housing Resource Specialists).",
    )
    license_pool_size = models.PositiveIntegerField(default=0)
    ces_roles = models.JSONField(
        "CES organisation roles",
        default=list,
        blank=True,
        help_text="The agency's roles in Coordinated Entry, as confirmed through program setup.",
    )
    contact_email = models.EmailField("General e-mail", blank=True)
    contact_phone = models.CharField("General phone", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["continuum", "name"], name="agency_unique_name_per_continuum"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ces_role_labels(self) -> list[str]:
        return [CesOrganizationRole(r).label for r in self.ces_roles if r in CesOrganizationRole.values]


class Membership(models.Model):
    """One role of one person in one CoC, for agency roles also in one agency.

    A person holding several roles has several rows; their permissions are the union.
    """

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["continuum", "agency", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["continuum", "user", "agency", "role"], name="membership_unique_role"
            ),
            # A staff role's row has no agency twin with NULL agency: one per person and CoC.
            models.UniqueConstraint(
                fields=["continuum", "user", "role"],
                condition=Q(agency__isnull=True),
                name="membership_unique_staff_role",
            ),
            models.CheckConstraint(
                condition=(
                    # Sorted: a set's order changes between runs and would make a new migration each time.
                    Q(role__in=sorted(r.value for r in AGENCY_ROLES), agency__isnull=False)
                    | Q(role__in=sorted(r.value for r in STAFF_ROLES), agency__isnull=True)
                ),
                name="membership_role_matches_scope",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "continuum", "is_active"], name="membership_user_tenant"),
            # Which agencies have an active ATA (`has_ata` on every agency list): ~one row per agency,
            # so the check reads a small index instead of every membership of the CoC.
            models.Index(
                fields=["agency"], condition=Q(role=Role.ATA, is_active=True), name="membership_active_ata"
            ),
        ]

    def __str__(self) -> str:
        where = self.agency.name if self.agency_id else self.continuum.coc_code
        return f"{self.user} — {self.get_role_display()} ({where})"

    def clean(self) -> None:
        if self.agency_id and self.agency.continuum_id != self.continuum_id:
            raise ValidationError({"agency": "The agency belongs to another Continuum of Care."})
        if self.role in AGENCY_ROLES and not self.agency_id:
            raise ValidationError({"agency": "This role is held within an agency: choose one."})
        if self.role in STAFF_ROLES and self.agency_id:
            raise ValidationError({"agency": "CoC staff roles are not tied to an agency."})


# --- Agreements ------------------------------------------------------------------------------------


class Gate(models.TextChoices):
    """What an agency may do only while it holds a current agreement of each type that gates it."""

    SUBMIT_ACCESS_REQUESTS = "submit_access_requests", "file HMIS access requests"
    HOST_HRS = "host_hrs", "host Housing Resource Specialists"


def validate_agency_role_list(value: object) -> None:
    if not isinstance(value, list) or any(r not in AGENCY_ROLES for r in value):
        raise ValidationError("Choose who signs from the agency roles.")


def validate_staff_role_list(value: object) -> None:
    if not isinstance(value, list) or any(r not in STAFF_ROLES for r in value):
        raise ValidationError("Choose who countersigns from the CoC staff roles.")


def validate_gate_list(value: object) -> None:
    if not isinstance(value, list) or any(g not in Gate.values for g in value):
        raise ValidationError("Choose what the agreement gates from the list.")


class AgreementType(models.Model):
    """A kind of agreement the CoC asks agencies to sign (APA, Organization Agreement, HRS host…)."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="agreement_types")
    code = models.SlugField(max_length=40, help_text="Short identifier, e.g. apa.")
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, help_text="As people say it, e.g. APA.")
    description = models.TextField(blank=True)
    signer_roles = models.JSONField(
        default=list,
        validators=[validate_agency_role_list],
        help_text="Agency roles that may sign for the agency.",
    )
    requires_countersignature = models.BooleanField(
        default=True, help_text="The CoC signs too; the agreement is executed only then."
    )
    countersigner_roles = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_staff_role_list],
        help_text="CoC staff roles that may countersign.",
    )
    renewal_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="An executed agreement expires after this many months; empty: it does not expire.",
    )
    gates = models.JSONField(default=list, blank=True, validators=[validate_gate_list])
    is_active = models.BooleanField(default=True, help_text="Inactive types are no longer asked for.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["continuum", "name"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="agreement_type_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.requires_countersignature and not self.countersigner_roles:
            raise ValidationError({"countersigner_roles": "Choose who countersigns for the CoC."})
        if not self.signer_roles:
            raise ValidationError({"signer_roles": "Choose who signs for the agency."})

    @property
    def signer_role_labels(self) -> list[str]:
        return [Role(r).label for r in self.signer_roles]

    @property
    def countersigner_role_labels(self) -> list[str]:
        return [Role(r).label for r in self.countersigner_roles]

    @property
    def gate_labels(self) -> list[str]:
        return [Gate(g).label for g in self.gates if g in Gate.values]


class AgreementVersion(models.Model):
    """One published wording of an agreement. Never edited: a change is a new version."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agreement_type = models.ForeignKey(AgreementType, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=40, help_text="As printed on the document, e.g. 2026.")
    body = models.TextField(help_text="The full text agencies sign.")
    body_sha256 = models.CharField(max_length=64, editable=False)
    requires_resign = models.BooleanField(
        "Agencies must sign this version again",
        default=False,
        help_text="Agreements on earlier versions stop counting after the re-sign deadline.",
    )
    resign_by = models.DateField(
        "Re-sign deadline",
        null=True,
        blank=True,
        help_text="Earlier versions count until this day; empty: they stop counting at once.",
    )
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["agreement_type", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement_type", "number"], name="agreement_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_type.short_name} version {self.label}"


class AgreementStatus(models.TextChoices):
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature", "Awaiting countersignature"
    EXECUTED = "executed", "Executed"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded by a newer agreement"
    RETURNED = "returned", "Returned to the agency"


class SigningMethod(models.TextChoices):
    E_SIGNATURE = "e_signature", "Signed in the application"
    UPLOAD = "upload", "Scanned signed copy uploaded"


def agreement_document_path(instance: Agreement, filename: str) -> str:
    # Our own name, never the uploader's: nothing of theirs reaches the file system path.
    return f"agreements/{instance.continuum_id}/{instance.agency_id}/{uuid.uuid4().hex}.pdf"


private_storage = PrivateStorage()


class Agreement(models.Model):
    """One agency's signature on one version of an agreement type, and the CoC's countersignature."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="agreements")
    agreement_type = models.ForeignKey(AgreementType, on_delete=models.PROTECT, related_name="agreements")
    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(max_length=32, choices=AgreementStatus.choices)
    method = models.CharField(max_length=16, choices=SigningMethod.choices)

    signer_name = models.CharField("Signed by (name)", max_length=200)
    signer_title = models.CharField("Signer's title", max_length=200)
    signed_on = models.DateField("Date signed")
    signed_at = models.DateTimeField(help_text="When the signature was recorded here.")
    signer_ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    document = models.FileField(storage=private_storage, upload_to=agreement_document_path, max_length=200)
    document_sha256 = models.CharField(max_length=64)
    document_pages = models.PositiveIntegerField()
    document_size = models.PositiveIntegerField()

    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigner_name = models.CharField(max_length=200, blank=True)
    countersigner_title = models.CharField(max_length=200, blank=True)
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigner_ip = models.GenericIPAddressField(null=True, blank=True)
    executed_document = models.FileField(
        storage=private_storage, upload_to=agreement_document_path, max_length=200, blank=True
    )

    executed_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_warning_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the expiry sweep first recorded that this agreement expires soon.",
    )

    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [
            models.Index(fields=["continuum", "status"], name="agreement_continuum_status"),
            models.Index(fields=["agency", "agreement_type", "status"], name="agreement_agency_type"),
            models.Index(fields=["status", "expires_on"], name="agreement_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_type.short_name} — {self.agency.name} ({self.signed_on:%Y-%m-%d})"

    @property
    def is_executed(self) -> bool:
        return self.status == AgreementStatus.EXECUTED

    @property
    def best_document(self):
        return self.executed_document or self.document


# --- Programs --------------------------------------------------------------------------------------


class HudProjectType(models.IntegerChoices):
    """HUD project types (data element 2.02.6) with their HUD codes."""

    ES_ENTRY_EXIT = 0, "Emergency Shelter – Entry/Exit"
    ES_NIGHT_BY_NIGHT = 1, "Emergency Shelter – Night-by-Night"
    TRANSITIONAL_HOUSING = 2, "Transitional Housing"
    PERMANENT_SUPPORTIVE_HOUSING = 3, "PH – Permanent Supportive Housing"
    STREET_OUTREACH = 4, "Street Outreach"
    SERVICES_ONLY = 6, "Services Only"
    SAFE_HAVEN = 8, "Safe Haven"
    PH_HOUSING_ONLY = 9, "PH – Housing Only"
    PH_HOUSING_WITH_SERVICES = 10, "PH – Housing with Services"
    DAY_SHELTER = 11, "Day Shelter"
    HOMELESSNESS_PREVENTION = 12, "Homelessness Prevention"
    RAPID_REHOUSING = 13, "PH – Rapid Re-Housing"
    COORDINATED_ENTRY = 14, "Coordinated Entry"


class CesOrganizationRole(models.TextChoices):
    """LA (seed 004): an organisation's role(s) in the CES process decide which programs are set up."""

    ASSESSMENT_ONLY = "assessment_only", "Assessment Only"
    HOUSING_NAVIGATION = "housing_navigation", "Housing Navigation / Case Management"
    HOUSING_PROVIDER = "housing_provider", "Housing Provider"


class CesProgramType(models.TextChoices):
    """LA (seed 004): the main program types involved in CES."""

    ASSESSMENT_ONLY = "assessment_only", "Assessment Only"
    ACCESS_CENTER = "access_center", "Access Center and/or other supportive services program"
    OUTREACH = "outreach", "Outreach"
    SHELTER = "shelter", "Emergency Shelter or Transitional Housing"
    PERMANENT_HOUSING = "permanent_housing", "Permanent Housing"


# "No setup modification of the program is needed for Permanent Housing programs" (seed 004).
PROGRAM_TYPES_NEEDING_NO_SETUP = frozenset({CesProgramType.PERMANENT_HOUSING})

FUNDING_FLAGS = (
    ("funded_path", "PATH"),
    ("funded_ssvf", "SSVF"),
    ("funded_esg", "ESG"),
    ("funded_hpcc", "HPCC"),
    ("funded_state_homeless_prevention", "State Homeless Prevention"),
)


class HmisProject(models.Model):
    """An agency program as it exists in the HMIS."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    hud_project_type = models.PositiveSmallIntegerField("HUD project type", choices=HudProjectType.choices)
    ces_program_type = models.CharField(
        "CES program type", max_length=32, choices=CesProgramType.choices, blank=True
    )
    hmis_project_id = models.CharField("Project ID in the HMIS", max_length=64, blank=True)
    funded_path = models.BooleanField("PATH-funded", default=False)
    funded_ssvf = models.BooleanField("SSVF-funded", default=False)
    funded_esg = models.BooleanField("ESG-funded", default=False)
    funded_hpcc = models.BooleanField("HPCC", default=False)
    funded_state_homeless_prevention = models.BooleanField("State Homeless Prevention", default=False)
    is_active = models.BooleanField(default=True)
    setup_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the agency confirmed the implementation team's setup."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="hmis_project_unique_name_per_agency"),
        ]
        indexes = [models.Index(fields=["continuum", "is_active"], name="hmis_project_continuum")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"

    @property
    def funding_labels(self) -> list[str]:
        return [label for name, label in FUNDING_FLAGS if getattr(self, name)]

    @property
    def needs_setup(self) -> bool:
        return self.ces_program_type not in PROGRAM_TYPES_NEEDING_NO_SETUP

    @property
    def ready_for_ces(self) -> bool:
        return self.is_active and (not self.needs_setup or self.setup_confirmed_at is not None)


class ProgramSetupStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted — waiting for the implementation team"
    IN_PROGRESS = "in_progress", "Being set up by the implementation team"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Set up — waiting for the program manager to confirm"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class ProgramSetupKind(models.TextChoices):
    NEW = "new", "Set up new program(s)"
    MODIFICATION = "modification", "Modify existing program(s)"


def validate_ces_roles(value: object) -> None:
    if not isinstance(value, list) or not value or any(r not in CesOrganizationRole.values for r in value):
        raise ValidationError("Choose at least one CES organisation role.")


def validate_setup_program_types(value: object) -> None:
    allowed = set(CesProgramType.values) - PROGRAM_TYPES_NEEDING_NO_SETUP
    if not isinstance(value, list) or not value or any(t not in allowed for t in value):
        raise ValidationError("Choose at least one program type that needs setup.")


class ProgramSetupRequest(models.Model):
    """LA step 2: the program manager asks the implementation team to set up / modify programs."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="program_setup_requests")
    kind = models.CharField(max_length=16, choices=ProgramSetupKind.choices)
    ces_roles = models.JSONField("CES organisation roles", default=list, validators=[validate_ces_roles])
    program_types = models.JSONField(default=list, validators=[validate_setup_program_types])
    programs_description = models.TextField(
        "Programs", help_text="Which programs to create or modify, with anything the team should know."
    )
    projects = models.ManyToManyField(HmisProject, blank=True, related_name="setup_requests")
    status = models.CharField(
        max_length=32, choices=ProgramSetupStatus.choices, default=ProgramSetupStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    setup_completed_at = models.DateTimeField(null=True, blank=True)
    implementation_note = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    problem_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["continuum", "status"], name="program_setup_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.agency.name}"

    @property
    def ces_role_labels(self) -> list[str]:
        return [CesOrganizationRole(r).label for r in self.ces_roles if r in CesOrganizationRole.values]

    @property
    def program_type_labels(self) -> list[str]:
        return [CesProgramType(t).label for t in self.program_types if t in CesProgramType.values]


# --- Housing Resource Specialist hosts ------------------------------------------------------------


class HrsHostStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    REVOKED = "revoked", "Revoked"


class HrsHost(models.Model):
    """The CE team's decision that an agency may host Housing Resource Specialists (seed 000)."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="hrs_host")
    status = models.CharField(max_length=16, choices=HrsHostStatus.choices)
    exception_granted = models.BooleanField(
        default=False, help_text="Hosts although it does not enter HMIS data (CE team's discretion)."
    )
    exception_reason = models.TextField(blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["agency__name"]
        verbose_name = "Housing Resource Specialist host"

    def __str__(self) -> str:
        return f"HRS host: {self.agency.name} ({self.get_status_display()})"
