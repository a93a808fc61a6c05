"""Forms for the sample client, the End User Agreement, issuance and offboarding."""

from __future__ import annotations

from django import forms

from .models import RoundOutcome, RubricElement


class SignForm(forms.Form):
    signed_name = forms.CharField(
        label="Type your full name to sign", max_length=200, help_text="Typing your name is your signature."
    )
    agree = forms.BooleanField(label="I have read the End User Agreement and agree to it.")


class HrsSignForm(forms.Form):
    signed_name = forms.CharField(
        label="Type your full name to sign", max_length=200, help_text="Typing your name is your signature."
    )
    agree = forms.BooleanField(label="I have read the Housing Resource Specialist Agreement and agree to it.")


class CeDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person and their ATA read this.",
    )


class SubmitForm(forms.Form):
    client_reference = forms.CharField(label="Sample client ID in the HMIS training site", max_length=100)
    note = forms.CharField(
        label="Note for the reviewer (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=RoundOutcome.choices, widget=forms.RadioSelect)
    feedback = forms.CharField(
        label="Feedback for the person", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    walkthrough_at = forms.DateTimeField(
        label="Walk-through date and time",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    walkthrough_link = forms.URLField(label="Walk-through video link", required=False, assume_scheme="https")
    walkthrough_with = forms.CharField(label="Walk-through led by", required=False, max_length=200)
    redo_course = forms.CharField(label="Course (or part) to redo", required=False, max_length=200)

    def __init__(self, *args, elements: list[RubricElement], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.elements = elements
        for element in elements:
            self.fields[f"errors_{element.pk}"] = forms.IntegerField(
                label=f"{element.code} {element.name}: errors", min_value=0, max_value=99, initial=0
            )
            self.fields[f"comment_{element.pk}"] = forms.CharField(
                label=f"{element.code} {element.name}: comment", required=False, max_length=500
            )

    def element_rows(self):
        return [(e, self[f"errors_{e.pk}"], self[f"comment_{e.pk}"]) for e in self.elements]

    def outcome_fields(self):
        return [
            self[name]
            for name in (
                "outcome",
                "feedback",
                "walkthrough_at",
                "walkthrough_link",
                "walkthrough_with",
                "redo_course",
            )
        ]


class IssueForm(forms.Form):
    hmis_username = forms.CharField(
        label="HMIS username", max_length=100, help_text="As created in the HMIS."
    )
    hmis_role = forms.CharField(label="HMIS role", max_length=60)
    projects = forms.ModelMultipleChoiceField(
        label="Projects", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, projects, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = projects


class OffboardForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, max_length=200)
