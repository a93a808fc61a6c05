"""Access requests: the request types a CoC offers, the requests ATAs file, the people in them, the
conversation with the reviewers, and the HMIS accounts people hold.

Request types, the inactivity window, the project families that need their own training, the SLA
and LA's CES role matrix are configuration rows per CoC, not code (DESIGN.md §3).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from agencies.models import Agency, Continuum, HmisProject, private_storage


class Queue(models.TextChoices):
    HELP_DESK = "help_desk", "HMIS Help Desk"
    CE_TEAM = "ce_team", "Coordinated Entry team"


class Eligibility(models.TextChoices):
    """Who a request type is for; drives the advice shown to the ATA and the checks on submit."""

    NEW_OR_LAPSED = (
        "new_or_lapsed",
        "New to the CoC's HMIS, or last active longer ago than the inactivity window",
    )
    RETURNING = "returning", "Active within the inactivity window, or holding access at another agency"
    CURRENT_AGENCY_USER = "current_agency_user", "A current, active user of the agency"
    HRS = "hrs", "Housing Resource Specialist / Coordinated Entry access (approved HRS host agencies)"
    ROLE_BASED = "role_based", "Anyone, with their CES roles (role-based registration)"


class RequestType(models.Model):
    """One kind of access request a CoC offers (Chicago: four forms; LA: role-based registration)."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="request_types")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=60)
    description = models.TextField(help_text="Shown to ATAs when they choose the form.")
    eligibility = models.CharField(max_length=32, choices=Eligibility.choices)
    queue = models.CharField(max_length=16, choices=Queue.choices, default=Queue.HELP_DESK)
    allows_multiple_people = models.BooleanField(
        default=False, help_text="Several people needing the same access go in one bundle."
    )
    requires_projects = models.BooleanField(default=True)
    uses_ces_roles = models.BooleanField(default=False, help_text="People pick CES roles (LA).")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["continuum", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="request_type_code_per_continuum")
        ]

    def __str__(self) -> str:
        return self.name


class RequestPolicy(models.Model):
    """A CoC's thresholds for access requests."""

    continuum = models.OneToOneField(Continuum, on_delete=models.PROTECT, related_name="request_policy")
    inactivity_window_months = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Chicago: people last active more than 6 months ago are new users again.",
    )
    separately_trained_project_types = models.JSONField(
        default=list,
        blank=True,
        help_text="HUD project type codes whose access always needs its own training (housing, outreach).",
    )
    separately_trained_funding = models.JSONField(
        default=list,
        blank=True,
        help_text="Funding flags whose projects need their own training (e.g. path).",
    )
    sla_business_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Business days the reviewing team has for a request (LA: 3).",
    )

    class Meta:
        verbose_name_plural = "request policies"

    def __str__(self) -> str:
        return f"Request policy of {self.continuum}"


class CesPermission(models.TextChoices):
    """The rows of LA's role/permission matrix (seed 004)."""

    ENTER_CES_SURVEY = "enter_ces_survey", "Enter CES Survey"
    HOUSING_NAVIGATION = "housing_navigation", "Provide Housing Navigation Services"
    CASE_MANAGEMENT = "case_management", "Provide Case Management Services"
    VIEW_PRIORITIZATION = "view_prioritization_list", "View Client Prioritization List"
    VIEW_HOUSING_RESOURCES = "view_housing_resource_list", "View Housing Resource List"
    MANAGE_PRIORITIZATION = "manage_prioritization_list", "Manage Client Prioritization List"
    MANAGE_HOUSING_RESOURCES = "manage_housing_resource_list", "Manage Housing Resource List"
    ENTER_VACANCY = "enter_vacancy_form", "Enter Vacancy Form"
    SERVICES_BEFORE_SURVEY = "services_before_survey", "Provide Services prior to CES Survey"


class CesRole(models.Model):
    """An individual CES role, its permissions, its trainings and the HMIS role it provides."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="ces_roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(
        help_text="Higher means more access; several roles → the highest."
    )
    hmis_role = models.CharField("HMIS role provided", max_length=60)
    permissions = models.JSONField(default=list)
    trainings = models.JSONField(default=list, help_text="Trainings to attend, in order.")
    program_types = models.JSONField(
        default=list, blank=True, help_text="Program types the role fits; empty = any."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["continuum", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="ces_role_code_per_continuum"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def permission_labels(self) -> list[str]:
        return [CesPermission(p).label for p in self.permissions if p in CesPermission.values]


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    INFO_REQUESTED = "info_requested", "More information requested"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned: resubmit through the correct form"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.INFO_REQUESTED)
CLOSED_STATUSES = (
    RequestStatus.APPROVED,
    RequestStatus.RETURNED,
    RequestStatus.REJECTED,
    RequestStatus.WITHDRAWN,
)


class AccessRequest(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="access_requests")
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="requests")
    queue = models.CharField(max_length=16, choices=Queue.choices)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    read_only = models.BooleanField("Read-only access", default=False)
    responsibilities = models.TextField(
        blank=True, help_text="What these people will do in HMIS (data entry, reports, assessments…)."
    )
    projects = models.ManyToManyField(HmisProject, blank=True, related_name="access_requests")
    ces_roles = models.ManyToManyField(CesRole, blank=True, related_name="access_requests")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # SLA clock, in the CoC's business days. Paused while the ATA owes an answer.
    sla_due_on = models.DateField(null=True, blank=True)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    # Review checklist (seed 001's outcomes before approval).
    enrollments_confirmed_at = models.DateTimeField(null=True, blank=True)
    training_account_created_at = models.DateTimeField(null=True, blank=True)
    license_use_confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    correct_type = models.ForeignKey(
        RequestType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a return: the form to resubmit through.",
    )
    resubmission_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resubmission"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        indexes = [
            models.Index(fields=["continuum", "queue", "status", "submitted_at"], name="request_queue"),
            models.Index(fields=["continuum", "agency", "status"], name="request_agency_status"),
            # request lists and the API list, newest first (LIMIT n over a metro CoC's 40k requests)
            models.Index(fields=["continuum", "-created_at"], name="request_recent"),
            # the review queues: open requests of one queue, oldest first, read in order up to the cut
            models.Index(
                fields=["continuum", "queue", "submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review", "info_requested"]),
                name="request_open_queue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False), name="request_submitted_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk} — {self.request_type.short_name} — {self.agency.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status == RequestStatus.DRAFT


class RequestedPerson(models.Model):
    """One person named in a request (a bundle has several)."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    access_request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="people")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField("Agency e-mail")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    # What the system advised when the person was added, and why (shown to ATA and reviewer).
    suggested_type = models.ForeignKey(
        RequestType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    suggestion_reason = models.CharField(max_length=300, blank=True)
    credited_training = models.BooleanField(
        default=False, help_text="Returning user whose completed training covers these projects."
    )
    credit_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["access_request", "email"], name="requested_person_once_per_request"
            ),
        ]
        indexes = [
            # "My requests" find a person by account or by e-mail, case-insensitively (the tracker,
            # the home page): without it, a scan of every requested person of the CoC.
            models.Index(Upper("email"), name="requested_person_email_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class MessageKind(models.TextChoices):
    INFO_REQUEST = "info_request", "Information requested"
    ANSWER = "answer", "Answer"
    NOTE = "note", "Note"
    OUTCOME = "outcome", "Outcome"


class RequestMessage(models.Model):
    """The conversation on a request: info requests, the ATA's answers, outcomes."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    access_request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on request #{self.access_request_id}"


class HmisAccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class HmisAccount(models.Model):
    """A live HMIS credential a person holds at an agency. Access-request advice reads it: who is new,
    who is returning, who is a current user of the agency."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="hmis_accounts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hmis_accounts",
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=200, blank=True)
    hmis_username = models.CharField(max_length=100)
    hmis_role = models.CharField(max_length=60, blank=True)
    project_types = models.JSONField(default=list, blank=True, help_text="HUD project types trained for.")
    projects = models.ManyToManyField(HmisProject, blank=True, related_name="hmis_accounts")
    status = models.CharField(
        max_length=16, choices=HmisAccountStatus.choices, default=HmisAccountStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    onboarding = models.ForeignKey(
        "Onboarding", null=True, blank=True, on_delete=models.PROTECT, related_name="hmis_accounts"
    )
    last_activity_on = models.DateField(null=True, blank=True)
    inactivity_warned_on = models.DateField(
        null=True, blank=True, help_text="When the person was warned that inactivity will suspend them."
    )

    class Meta:
        ordering = ["email"]
        indexes = [
            models.Index(fields=["continuum", "email"], name="hmis_account_email"),
            models.Index(fields=["agency", "status"], name="hmis_account_agency_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["continuum", "hmis_username"], name="hmis_username_unique_per_continuum"
            ),
            # One live credential per person and agency: a second issuance is refused by the database
            # even if two Help Desk staff press the button at once.
            models.UniqueConstraint(
                fields=["agency", "email"],
                condition=~Q(status="revoked"),
                name="hmis_account_one_live_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hmis_username} ({self.agency.name})"

    @property
    def holds_license(self) -> bool:
        """Active and suspended accounts keep their license; revocation frees it."""
        return self.status != HmisAccountStatus.REVOKED


# --- Per-person onboarding, sample client, End User Agreement (issue 6) -----------------------------


class HrsSampleClient(models.TextChoices):
    """Whether Housing Resource Specialists do the sample client (seed 001: "in addition to or instead
    of, depending on need")."""

    REQUIRED = "required", "Required: the HRS training comes in addition to the sample client"
    WITH_PROJECTS = (
        "with_projects",
        "Only when the request also names projects; otherwise the HRS training replaces it",
    )
    REPLACED_BY_HRS_TRAINING = (
        "replaced_by_hrs_training",
        "Never: the HRS training replaces the sample client",
    )


class CredentialPolicy(models.Model):
    """A CoC's settings for the last steps to a live credential and for keeping it (DESIGN.md §3)."""

    continuum = models.OneToOneField(Continuum, on_delete=models.PROTECT, related_name="credential_policy")
    sample_client_seats = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Sample client assignments open at one time; others wait their turn (Chicago: 8).",
    )
    sample_client_days = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Days an assignment stays open once the seat is given (Chicago: 10).",
    )
    sample_client_max_failed_rounds = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Rounds that may fail before the assignment expires (Chicago: 3).",
    )
    sample_client_exempt_funding = models.JSONField(
        default=list,
        blank=True,
        help_text="Funding flags whose projects need no sample client (Chicago: HPCC, State Homeless "
        "Prevention).",
    )
    inactivity_warning_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Warn this many days before inactivity suspends an account.",
    )
    access_review_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days an ATA has to certify their agency's accounts in an access review.",
    )
    access_review_grace_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The review escalates at its due date; unanswered accounts are suspended after this grace.",
    )
    hrs_sample_client = models.CharField(
        "Sample client for Housing Resource Specialists",
        max_length=32,
        choices=HrsSampleClient.choices,
        default=HrsSampleClient.WITH_PROJECTS,
        help_text="People approved through the HRS / Coordinated Entry 1474 form take the HRS training; "
        "this says whether they also complete the sample client.",
    )

    class Meta:
        verbose_name_plural = "credential policies"

    def __str__(self) -> str:
        return f"Credential policy of {self.continuum}"


class OnboardingStage(models.TextChoices):
    TRAINING = "training", "Training"
    SAMPLE_CLIENT = "sample_client", "Sample client"
    AGREEMENT = "agreement", "End User Agreement"
    READY = "ready", "Ready for credentials"
    CREDENTIALED = "credentialed", "Credentialed"
    CLOSED = "closed", "Closed"


class CeDecision(models.TextChoices):
    NOT_NEEDED = "", "Not needed"
    PENDING = "pending", "Awaiting the Coordinated Entry team"
    APPROVED = "approved", "Approved by the Coordinated Entry team"
    DECLINED = "declined", "Declined by the Coordinated Entry team"


class Onboarding(models.Model):
    """One person's way from an approved access request to a live credential. Created when the request
    is approved; training, the sample client, the agreement and the credential attach to it."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="onboardings")
    access_request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="onboardings")
    person = models.OneToOneField(RequestedPerson, on_delete=models.PROTECT, related_name="onboarding")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="onboardings")
    read_only = models.BooleanField(default=False)
    project_types = models.JSONField(default=list, blank=True)
    stage = models.CharField(max_length=16, choices=OnboardingStage.choices, default=OnboardingStage.TRAINING)
    sample_client_exempt_reason = models.CharField(max_length=200, blank=True)
    training_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    training_confirmed_at = models.DateTimeField(null=True, blank=True)
    credential_due_on = models.DateField(
        null=True,
        blank=True,
        help_text="Access promised by this day once training and forms are complete (LA: 3 business days).",
    )
    # Housing Resource Specialists (HRS / CE 1474 requests): the individual HRS Agreement and the CE
    # team's approval come before Coordinated Entry access is issued (seed 000).
    is_hrs = models.BooleanField("Housing Resource Specialist", default=False)
    ce_decision = models.CharField(max_length=10, choices=CeDecision.choices, blank=True, default="")
    ce_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ce_decided_at = models.DateTimeField(null=True, blank=True)
    ce_decision_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["continuum", "stage"], name="onboarding_stage")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_hrs=True) | Q(ce_decision=""), name="onboarding_ce_decision_only_for_hrs"
            ),
        ]

    def __str__(self) -> str:
        return f"Onboarding of {self.person.full_name} ({self.agency.name})"


class AgreementKind(models.TextChoices):
    """The individual agreements a person signs in the application (each kind has its own versions)."""

    END_USER = "end_user", "HMIS End User Agreement"
    HRS = "hrs", "Housing Resource Specialist Agreement"


class EndUserAgreementVersion(models.Model):
    """The text a person signs before using the HMIS (or, kind HRS, before Coordinated Entry access);
    each CoC keeps its versions of each kind, one current per kind."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=AgreementKind.choices, default=AgreementKind.END_USER)
    label = models.CharField(max_length=40, help_text="As printed, e.g. 2026.1.")
    title = models.CharField(max_length=200, default="HMIS End User Agreement")
    body = models.TextField(help_text="One commitment per paragraph; blank lines separate paragraphs.")
    is_current = models.BooleanField(default=True)
    requires_resign = models.BooleanField(
        "People must sign this version again",
        default=True,
        help_text="When off (a correction of wording), a signature of an earlier version still counts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["continuum", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["continuum", "kind", "label"], name="eua_label_per_continuum_kind"
            ),
            models.UniqueConstraint(
                fields=["continuum", "kind"],
                condition=Q(is_current=True),
                name="eua_one_current_per_continuum_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.label}"

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


def eua_document_path(instance: EndUserAgreementSignature, filename: str) -> str:
    folder = "hrs-agreements" if instance.version.kind == AgreementKind.HRS else "end-user-agreements"
    return f"{folder}/{instance.continuum_id}/{instance.user_id}/{filename}"


class EndUserAgreementSignature(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    onboarding = models.ForeignKey(Onboarding, on_delete=models.PROTECT, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(EndUserAgreementVersion, on_delete=models.PROTECT, related_name="signatures")
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    document = models.FileField(storage=private_storage, upload_to=eua_document_path, max_length=200)
    document_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["onboarding", "version"], name="eua_signed_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.version} signed by {self.signed_name}"

    @property
    def kind(self) -> str:
        return self.version.kind


class RubricElement(models.Model):
    """One HUD data element the Help Desk checks in a sample client. No project types = universal."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12, help_text="HUD number, e.g. 3.01.")
    name = models.CharField(max_length=120)
    guidance = models.CharField(max_length=300, blank=True)
    project_types = models.JSONField(
        default=list, blank=True, help_text="HUD project type codes; empty = all."
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["continuum", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["continuum", "code"], name="rubric_code_per_continuum")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def applies_to(self, project_type: int) -> bool:
        return not self.project_types or project_type in self.project_types


class AssignmentStatus(models.TextChoices):
    WAITLISTED = "waitlisted", "Waiting for a seat"
    OPEN = "open", "Open"
    PASSED = "passed", "Passed"
    EXPIRED = "expired", "Expired"
    REDO_COURSE = "redo_course", "Sent back to a course"


OPEN_ASSIGNMENT_STATUSES = (AssignmentStatus.WAITLISTED, AssignmentStatus.OPEN)


class SampleClientAssignment(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    onboarding = models.ForeignKey(Onboarding, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    project_type = models.PositiveSmallIntegerField()
    scenario = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=AssignmentStatus.choices)
    requested_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    failed_rounds = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["continuum", "status", "requested_at"], name="assignment_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding"],
                condition=Q(status__in=["waitlisted", "open"]),
                name="one_open_assignment_per_onboarding",
            ),
        ]

    def __str__(self) -> str:
        return f"Sample client of {self.user} ({self.get_status_display()})"


class RoundOutcome(models.TextChoices):
    PASS = "pass", "Pass"
    CORRECTIONS = "corrections", "Corrections needed"
    WALKTHROUGH = "walkthrough", "1:1 walk-through scheduled"
    REDO_COURSE = "redo_course", "Redo course"


FAILED_OUTCOMES = (RoundOutcome.CORRECTIONS, RoundOutcome.WALKTHROUGH)


class SampleClientRound(models.Model):
    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(SampleClientAssignment, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    client_reference = models.CharField(
        max_length=100, help_text="The sample client's ID in the HMIS training site."
    )
    note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=RoundOutcome.choices, blank=True)
    total_errors = models.PositiveSmallIntegerField(default=0)
    feedback = models.TextField(blank=True)
    walkthrough_at = models.DateTimeField(null=True, blank=True)
    walkthrough_link = models.URLField(blank=True)
    walkthrough_with = models.CharField(max_length=200, blank=True)
    redo_course = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="round_number_per_assignment"),
        ]

    def __str__(self) -> str:
        return f"Round {self.number}"


class ElementReview(models.Model):
    round = models.ForeignKey(SampleClientRound, on_delete=models.CASCADE, related_name="element_reviews")
    element = models.ForeignKey(RubricElement, on_delete=models.PROTECT, related_name="+")
    errors = models.PositiveSmallIntegerField(default=0)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["element__position", "element__code"]
        constraints = [models.UniqueConstraint(fields=["round", "element"], name="element_once_per_round")]

    def __str__(self) -> str:
        return f"{self.element.code}: {self.errors} error(s)"


class AccessReview(models.Model):
    """One periodic certification: the agency's ATA confirms, person by person, that each live
    account is still needed. Unanswered items escalate at the due date and are suspended after the grace."""

    continuum = models.ForeignKey(Continuum, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="access_reviews")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    due_on = models.DateField()
    suspend_on = models.DateField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(closed_at__isnull=True),
                name="one_open_access_review_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"Access review of {self.agency.name} ({self.opened_at:%Y-%m-%d})"


class ReviewDecision(models.TextChoices):
    PENDING = "", "Not answered yet"
    KEEP = "keep", "Still needs access"
    REMOVE = "remove", "No longer needs access"
    LAPSED = "lapsed", "Unanswered: suspended"


class AccessReviewItem(models.Model):
    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    account = models.ForeignKey(HmisAccount, on_delete=models.PROTECT, related_name="review_items")
    decision = models.CharField(max_length=8, choices=ReviewDecision.choices, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account__full_name", "account__email"]
        constraints = [models.UniqueConstraint(fields=["review", "account"], name="account_once_per_review")]

    def __str__(self) -> str:
        return f"{self.account} in {self.review}"
