"""Forms of the kernel pages: notification preferences, calendar and reminder settings, outbox filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from .models import Notification, NotificationPreference, parse_offsets, validate_offsets
from .selectors import KindPreference
from .widgets import LeanSelect

HOUR_CHOICES = [(h, dt.time(h).strftime("%I:00 %p").lstrip("0")) for h in range(24)]


class NotificationPreferencesForm(forms.Form):
    """One radio group per kind of reminder the person can choose for."""

    def __init__(self, *args: Any, preferences: list[KindPreference], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = [p.kind for p in preferences if p.kind.choosable]
        for pref in preferences:
            if not pref.kind.choosable:
                continue
            self.fields[pref.kind.key] = forms.ChoiceField(
                label=pref.kind.label,
                help_text=pref.kind.description,
                choices=NotificationPreference.Delivery.choices,
                widget=forms.RadioSelect,
                initial=pref.delivery,
                # A kind left out of the submission keeps its current setting.
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        return {key: value for key, value in cleaned.items() if value}


class CalendarSettingsForm(forms.Form):
    workday_start = forms.TimeField(
        label="Working day starts",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="In the CoC's time zone.",
    )
    workday_end = forms.TimeField(
        label="Working day ends",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Work arriving after this time counts from the next business day.",
    )
    digest_hour = forms.TypedChoiceField(
        label="Daily digest time",
        choices=HOUR_CHOICES,
        coerce=int,
        help_text="Digests go out at this hour on business days, in the CoC's time zone.",
    )
    reminder_offsets = forms.CharField(
        label="Reminder days before a due date",
        max_length=40,
        validators=[validate_offsets],
        help_text="Business days, separated by commas — for example 7, 3, 1.",
    )
    escalation_delay_business_days = forms.IntegerField(
        label="Escalate overdue items after (business days)",
        min_value=0,
        max_value=30,
        help_text="Supervisors / CoC staff are told when an item is this many business days overdue.",
    )
    setup_grace_business_days = forms.IntegerField(
        label="Grace period for new members (business days)",
        min_value=0,
        max_value=30,
        help_text="Time to sign in and, for CoC staff, to set up two-factor authentication before "
        "reminders start.",
    )

    def clean_reminder_offsets(self) -> str:
        return ", ".join(str(n) for n in parse_offsets(self.cleaned_data["reminder_offsets"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("workday_start"), data.get("workday_end")
        if start and end and start >= end:
            self.add_error("workday_end", "The working day must end after it starts.")
        return data


class HolidayForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label="Name", max_length=120)


class FederalHolidaysForm(forms.Form):
    year = forms.IntegerField(
        label="Year",
        validators=[MinValueValidator(1900), MaxValueValidator(2200)],
        help_text="Adds the observed US federal holidays of that year; days already listed stay as they are.",
    )


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "All states"), *Notification.State.choices]
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Which integration uses it, for example “TalentLMS sync”."
    )
    role = forms.ChoiceField(
        label="Acts as",
        help_text="The token may do what this role may do in this CoC, nothing more.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .permissions import STAFF_ROLES, Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in STAFF_ROLES]


class IdChoiceField(forms.TypedChoiceField):
    """A choice of one id among many (a metro CoC lists ~900 agencies), given as (id, label) pairs.

    Django normalises every pair twice (for the field, then its widget) and checks a value by
    walking the list; on the metrics page that was ~20 ms of each view. Here the pairs are kept as
    given and a value is checked against a set. Flat choices only (no option groups)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", LeanSelect)
        super().__init__(coerce=int, empty_value=None, **kwargs)

    @property
    def choices(self) -> list[tuple[Any, str]]:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        pairs = list(value)
        self._choices = self.widget._choices = pairs
        self._known = {str(key) for key, _ in pairs}

    def valid_value(self, value: Any) -> bool:
        return str(value) in self._known


class MetricsFilterForm(forms.Form):
    # LeanSelect: Django's per-option templates render a metro CoC's 900 agencies slowly.
    agency = IdChoiceField(required=False, label="Agency")
    request_type = IdChoiceField(required=False, label="Request form")
    since = forms.DateField(
        required=False,
        label="Submitted from",
        help_text="Empty: from the start.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        required=False,
        label="Submitted until",
        help_text="Empty: up to today.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self, *args: Any, agencies: list[tuple[int, str]], request_types: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "All agencies"), *agencies]
        self.fields["request_type"].choices = [("", "All forms"), *request_types]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the period comes before its start.")
        return cleaned
