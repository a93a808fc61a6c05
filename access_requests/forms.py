from __future__ import annotations

from django import forms

from agencies.forms import CheckboxGroup, RadioGroup

from .models import CredentialPolicy, RequestType, RubricElement


class NewRequestForm(forms.Form):
    request_type = forms.ModelChoiceField(
        queryset=RequestType.objects.none(), widget=forms.RadioSelect, label="Which form?", empty_label=None
    )
    agency = forms.ModelChoiceField(queryset=None, label="For which agency?", empty_label=None)

    def __init__(self, *args, request_types, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_type"].queryset = request_types
        self.fields["request_type"].label_from_instance = lambda t: t.name
        self.fields["agency"].queryset = agencies
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first()
            self.fields["agency"].widget = forms.HiddenInput()


class DraftForm(forms.Form):
    responsibilities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What will they do in HMIS? For example: intake and enrollments, case notes, reports.",
    )
    projects = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Projects they need"
    )
    ces_roles = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="CES roles"
    )
    read_only = forms.BooleanField(
        required=False, label="Read-only access (they take the alternate introduction course only)"
    )

    def __init__(self, *args, projects, ces_roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = projects
        self.fields["projects"].label_from_instance = lambda p: (
            f"{p.name} ({p.get_hud_project_type_display()})"
        )
        self.fields["ces_roles"].queryset = ces_roles
        self.fields["ces_roles"].label_from_instance = lambda r: f"{r.name} → {r.hmis_role}"


class PersonForm(forms.Form):
    first_name = forms.CharField(
        max_length=100, error_messages={"required": "Enter the person's first name."}
    )
    last_name = forms.CharField(max_length=100, error_messages={"required": "Enter the person's last name."})
    email = forms.CharField(
        label="Agency e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Their work address at the agency, not a personal one.",
        error_messages={"required": "Enter the person's agency e-mail address."},
    )


class PasteForm(forms.Form):
    pasted = forms.CharField(
        label="Paste a list",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One person per line: First name Last name, e-mail (a spreadsheet copy with columns works too)."
        ),
    )


class QuestionForm(forms.Form):
    question = forms.CharField(label="What do you need to know?", widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(forms.Form):
    correct_type = forms.ModelChoiceField(queryset=None, label="Resubmit through", empty_label=None)
    reason = forms.CharField(label="Why (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, request_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["correct_type"].queryset = request_types
        self.fields["correct_type"].label_from_instance = lambda t: t.name


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason for rejecting", widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    note = forms.CharField(
        label="Note to the ATA (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Assign to", empty_label="Nobody")

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = reviewers


# --- Pathway configuration (CoC administrators) -------------------------------------------------------

FUNDING_CHOICES = [
    ("path", "PATH"),
    ("ssvf", "SSVF"),
    ("esg", "ESG"),
    ("hpcc", "HPCC"),
    ("state_homeless_prevention", "State Homeless Prevention"),
]


class RequestPolicyForm(forms.Form):
    inactivity_window_months = forms.IntegerField(
        label="Inactivity window (months)",
        min_value=1,
        max_value=60,
        help_text="People last active in HMIS longer ago than this file as new users again.",
    )
    sla_business_days = forms.IntegerField(
        label="Review service level (business days)",
        min_value=1,
        max_value=60,
        help_text="Business days a reviewing team has for a request (requests submitted from now on).",
    )
    separately_trained_project_types = forms.TypedMultipleChoiceField(
        label="Project types that need their own training",
        coerce=int,
        required=False,
        widget=CheckboxGroup,
    )
    separately_trained_funding = forms.MultipleChoiceField(
        label="Funding that needs its own training",
        choices=FUNDING_CHOICES,
        required=False,
        widget=CheckboxGroup,
    )

    def __init__(self, *args, **kwargs):
        from agencies.models import HudProjectType

        super().__init__(*args, **kwargs)
        self.fields["separately_trained_project_types"].choices = HudProjectType.choices


class RequestTypeConfigForm(forms.ModelForm):
    class Meta:
        model = RequestType
        fields = [
            "name",
            "short_name",
            "description",
            "eligibility",
            "queue",
            "allows_multiple_people",
            "requires_projects",
            "uses_ces_roles",
            "position",
            "is_active",
        ]
        labels = {"is_active": "Offered to ATAs", "position": "Order in the list"}
        widgets = {"eligibility": RadioGroup, "queue": RadioGroup}


class CredentialPolicyForm(forms.ModelForm):
    """The CoC's credential policy; exempt funding is chosen from the funding sources projects carry."""

    sample_client_exempt_funding = forms.MultipleChoiceField(
        label="Funding whose projects need no sample client",
        required=False,
        widget=CheckboxGroup,
        help_text="People whose every project has one of these funding sources go straight to the "
        "End User Agreement (Chicago: HPCC, State Homeless Prevention).",
    )

    class Meta:
        model = CredentialPolicy
        fields = [
            "sample_client_seats",
            "sample_client_days",
            "sample_client_max_failed_rounds",
            "sample_client_exempt_funding",
            "hrs_sample_client",
            "inactivity_warning_days",
            "access_review_days",
            "access_review_grace_days",
        ]
        labels = {
            "sample_client_seats": "Sample client seats open at one time",
            "sample_client_days": "Days an assignment stays open",
            "sample_client_max_failed_rounds": "Failed rounds before an assignment expires",
            "inactivity_warning_days": "Inactivity warning (days before suspension)",
            "access_review_days": "Days to answer an access review",
            "access_review_grace_days": "Grace after an access review is due (days)",
        }
        widgets = {"hrs_sample_client": RadioGroup}

    def __init__(self, *args, **kwargs):
        from .credential_settings import EXEMPT_FUNDING_CHOICES

        super().__init__(*args, **kwargs)
        self.fields["sample_client_exempt_funding"].choices = EXEMPT_FUNDING_CHOICES


class AgreementVersionForm(forms.Form):
    label = forms.CharField(label="Version label", max_length=40, help_text="As printed, e.g. 2027.1.")
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="One commitment per paragraph; leave a blank line between paragraphs.",
    )
    requires_resign = forms.BooleanField(
        label="People who signed an earlier version must sign this one",
        required=False,
        initial=True,
        help_text="Leave unticked for a correction of wording: earlier signatures keep counting.",
    )


class RubricElementForm(forms.ModelForm):
    project_types = forms.TypedMultipleChoiceField(
        label="Project types that collect it",
        coerce=int,
        required=False,
        widget=CheckboxGroup,
        help_text="None ticked: every project type (a universal data element).",
    )

    class Meta:
        model = RubricElement
        fields = ["code", "name", "guidance", "project_types", "position", "is_active"]
        labels = {
            "code": "HUD element number",
            "guidance": "What the reviewer checks",
            "is_active": "Checked in new reviews",
        }
        help_texts = {
            "position": "Order on the review page.",
            "is_active": "Untick to leave it out of new reviews; past rounds keep their results.",
        }

    def __init__(self, *args, **kwargs):
        from agencies.models import HudProjectType

        super().__init__(*args, **kwargs)
        self.fields["project_types"].choices = HudProjectType.choices

    def validate_unique(self) -> None:
        # The continuum is not on the form; the service checks the code is unique in the CoC.
        pass
