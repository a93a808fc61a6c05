"""Forms for the agency side. Every field renders through includes/_field.html or the choice-group
include (USWDS classes, labels, hints and errors tied to the field)."""

from __future__ import annotations

from typing import Any

from django import forms

from hmis_onboarding.permissions import AGENCY_ROLES, STAFF_ROLES, Role

from .models import (
    PROGRAM_TYPES_NEEDING_NO_SETUP,
    Agency,
    AgreementType,
    AgreementVersion,
    CesOrganizationRole,
    CesProgramType,
    Continuum,
    Gate,
    HmisProject,
    ProgramSetupKind,
)
from .services import AGENCY_PROFILE_FIELDS, HMIS_PROJECT_FIELDS


class CheckboxGroup(forms.CheckboxSelectMultiple):
    """Checkboxes rendered as a USWDS fieldset by agencies/_choice_group.html."""

    choice_group = "checkbox"

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"class": "usa-checkbox__input", **(attrs or {})}, choices)


class RadioGroup(forms.RadioSelect):
    choice_group = "radio"

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"class": "usa-radio__input", **(attrs or {})}, choices)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ContinuumSettingsForm(forms.ModelForm):
    class Meta:
        model = Continuum
        fields = [
            "name",
            "timezone",
            "hmis_lead_name",
            "help_desk_email",
            "ce_team_email",
            "idle_timeout_minutes",
            "access_requires_program_setup",
            "agreement_warning_days",
            "participation_page_public",
            "vsp_ce_contact_email",
            "vsp_ce_instructions",
        ]
        widgets = {"timezone": forms.TextInput(attrs={"autocomplete": "off"})}


class AgencyProfileForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = AGENCY_PROFILE_FIELDS


class DesignateAtaForm(forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="Their agency e-mail address.")
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        help_text="Needed only if they have no account yet.",
    )


def _role_choices(roles: frozenset[str]) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role if r in roles]


class AgreementTypeForm(forms.ModelForm):
    signer_roles = forms.MultipleChoiceField(
        label="Who signs for the agency", choices=_role_choices(AGENCY_ROLES), widget=CheckboxGroup
    )
    countersigner_roles = forms.MultipleChoiceField(
        label="Who countersigns for the CoC",
        choices=_role_choices(STAFF_ROLES),
        widget=CheckboxGroup,
        required=False,
        help_text="Needed when the CoC countersigns.",
    )
    gates = forms.MultipleChoiceField(
        label="Without a current agreement, the agency cannot",
        choices=Gate.choices,
        widget=CheckboxGroup,
        required=False,
    )

    class Meta:
        model = AgreementType
        fields = [
            "name",
            "short_name",
            "code",
            "description",
            "signer_roles",
            "requires_countersignature",
            "countersigner_roles",
            "renewal_months",
            "gates",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("requires_countersignature") and not data.get("countersigner_roles"):
            self.add_error("countersigner_roles", "Choose who countersigns for the CoC.")
        return data


class AgreementVersionForm(forms.ModelForm):
    class Meta:
        model = AgreementVersion
        fields = ["label", "body", "requires_resign", "resign_by"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18}), "resign_by": DateInput()}


class SignAgreementForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    signer_name = forms.CharField(
        label="Your full name (typed signature)",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    signer_title = forms.CharField(
        label="Your title",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    consent = forms.BooleanField(
        label="I have read this agreement, I am authorized to sign it for the agency, "
        "and I sign it electronically.",
        error_messages={"required": "Tick the box to sign."},
    )


class UploadAgreementForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=AgreementVersion.objects.none(),
        label="Version of the agreement that was signed",
        empty_label=None,
    )
    signer_name = forms.CharField(label="Name of the person who signed", max_length=200)
    signer_title = forms.CharField(label="Their title", max_length=200)
    signed_on = forms.DateField(label="Date signed", widget=DateInput())
    document = forms.FileField(
        label="Signed copy (PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, versions: list[AgreementVersion], max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = AgreementVersion.objects.filter(
            pk__in=[v.pk for v in versions]
        ).order_by("-number")
        self.fields["version"].label_from_instance = lambda v: f"Version {v.label}"
        megabytes = max_bytes // (1024 * 1024)
        self.fields[
            "document"
        ].help_text = f"A scan of the whole signed agreement, as one PDF file of at most {megabytes} MB."


class CountersignForm(forms.Form):
    countersigner_name = forms.CharField(
        label="Your full name (typed signature)",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    countersigner_title = forms.CharField(label="Your title", max_length=200)
    consent = forms.BooleanField(
        label="I countersign this agreement for the Continuum of Care.",
        error_messages={"required": "Tick the box to countersign."},
    )


class ReturnAgreementForm(forms.Form):
    reason = forms.CharField(
        label="Why it goes back to the agency",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class HmisProjectForm(forms.ModelForm):
    class Meta:
        model = HmisProject
        fields = HMIS_PROJECT_FIELDS


class ProgramSetupRequestForm(forms.Form):
    kind = forms.ChoiceField(label="What is needed", choices=ProgramSetupKind.choices, widget=RadioGroup)
    ces_roles = forms.MultipleChoiceField(
        label="The organisation's role(s) in the CES process",
        choices=CesOrganizationRole.choices,
        widget=CheckboxGroup,
        help_text="The organisation's role defines which programs will be set up.",
    )
    program_types = forms.MultipleChoiceField(
        label="Program types to set up or modify",
        choices=[
            (v, label) for v, label in CesProgramType.choices if v not in PROGRAM_TYPES_NEEDING_NO_SETUP
        ],
        widget=CheckboxGroup,
        help_text="Permanent Housing programs need no setup modification, so they are not listed.",
    )
    projects = forms.ModelMultipleChoiceField(
        label="Existing programs to modify",
        queryset=HmisProject.objects.none(),
        widget=CheckboxGroup,
        required=False,
    )
    programs_description = forms.CharField(
        label="Programs",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="Name the programs to create or modify, with anything the implementation team should know.",
    )

    def __init__(self, *args: Any, projects: list[HmisProject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = HmisProject.objects.filter(
            pk__in=[p.pk for p in projects if p.needs_setup]
        )
        self.fields["projects"].label_from_instance = lambda p: p.name


class ProgramSetupCompleteForm(forms.Form):
    projects = forms.ModelMultipleChoiceField(
        label="Programs set up for this request", queryset=HmisProject.objects.none(), widget=CheckboxGroup
    )
    note = forms.CharField(
        label="Note for the program manager", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, projects: list[HmisProject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = HmisProject.objects.filter(pk__in=[p.pk for p in projects])
        self.fields["projects"].label_from_instance = lambda p: (
            f"{p.name} ({p.get_hud_project_type_display()})"
        )


class ProgramSetupProblemForm(forms.Form):
    note = forms.CharField(
        label="What is not right", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class HrsHostApproveForm(forms.Form):
    exception_reason = forms.CharField(
        label="Reason for the exception",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="Only for an agency that does not enter HMIS data: why it may host anyway "
        "(for example experience managing sensitive participant data in an electronic health record).",
    )


class HrsHostRevokeForm(forms.Form):
    reason = forms.CharField(
        label="Why hosting ends", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
