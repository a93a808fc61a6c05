from __future__ import annotations

from typing import Any

from django import forms

from agencies.forms import CheckboxGroup, DateInput
from hmis_onboarding.permissions import Role

from .models import CompletionSource, RolloutObligation, RolloutPhase, Switch


class CompletionForm(forms.Form):
    person = forms.TypedChoiceField(label="Person", coerce=int)
    completed_on = forms.DateField(
        label="Completed on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date they finished.",
    )
    source = forms.ChoiceField(label="How it was met")
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)

    def __init__(self, *args, obligation: RolloutObligation, people: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people
        self.fields["source"].choices = obligation.source_choices
        self.fields["person"].widget.attrs["id"] = f"id_person_{obligation.pk}"
        self.auto_id = f"id_%s_{obligation.pk}"


class PlanForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    summary = forms.CharField(
        label="Summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What changes, in a sentence or two, for ATAs.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Inactive plans switch nothing, create no reminders and are hidden from ATAs.",
    )


SWITCH_CHOICES = [("", "Not set by this phase"), ("on", "On"), ("off", "Off")]


class PhaseForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    starts_on = forms.DateField(label="Starts on", widget=DateInput)
    ends_on = forms.DateField(
        label="Ends on", required=False, widget=DateInput, help_text="Leave empty for the last phase."
    )
    description = forms.CharField(
        label="What happens", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in Switch.choices:
            self.fields[f"switch_{key}"] = forms.ChoiceField(
                label=f"From its start: {label[0].lower()}{label[1:]}",
                choices=SWITCH_CHOICES,
                required=False,
            )

    @staticmethod
    def initial_for(phase: RolloutPhase) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": phase.name,
            "starts_on": phase.starts_on,
            "ends_on": phase.ends_on,
            "description": phase.description,
        }
        for key, on in (phase.switches or {}).items():
            initial[f"switch_{key}"] = "on" if on else "off"
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "A phase cannot end before it starts.")
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        switches = {key: data[f"switch_{key}"] == "on" for key in Switch.values if data.get(f"switch_{key}")}
        return {
            "name": data["name"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "description": data["description"],
            "switches": switches,
        }


class ObligationForm(forms.Form):
    title = forms.CharField(label="What must be completed", max_length=200)
    instructions = forms.CharField(
        label="How to meet it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the people concerned.",
    )
    role = forms.ChoiceField(label="Who must complete it", choices=Role.choices, initial=Role.ATA)
    available_from = forms.DateField(label="Available from", required=False, widget=DateInput)
    due_on = forms.DateField(label="Deadline", widget=DateInput)
    lms_course_name = forms.CharField(label="LMS course name", required=False, max_length=200)
    accepted_sources = forms.MultipleChoiceField(
        label="What counts as completing it",
        choices=CompletionSource.choices,
        required=False,
        widget=CheckboxGroup,
        help_text="Leave every box empty to accept any of them.",
    )
    consequence = forms.CharField(
        label="After the deadline",
        max_length=200,
        initial="Subject to removal of access",
        help_text="What CoC staff may do once the deadline has passed.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, due = data.get("available_from"), data.get("due_on")
        if start and due and due < start:
            self.add_error("due_on", "The deadline cannot come before the obligation is available.")
        return data
