from __future__ import annotations

from django import forms

from .models import RolloutObligation


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
