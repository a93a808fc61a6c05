from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from .models import Course, LmsConfiguration


class LmsConfigurationForm(forms.ModelForm):
    base_url = forms.URLField(
        label="Portal address",
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text="For example https://yourcoc.talentlms.com",
    )
    # Write-only: the stored key is never rendered back into the page.
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the stored key. It is stored encrypted and never shown again.",
    )

    class Meta:
        model = LmsConfiguration
        fields = [
            "provider",
            "base_url",
            "api_key",
            "enabled",
            "poll_interval_minutes",
            "hourly_quota",
            "quota_share_percent",
            "burst_limit",
            "timeout_seconds",
            "batch_size",
            "date_format",
        ]

    def clean_base_url(self) -> str:
        url = (self.cleaned_data.get("base_url") or "").strip().rstrip("/")
        if url:
            parts = urlsplit(url)
            local = parts.hostname in ("127.0.0.1", "localhost", "::1")
            if parts.scheme != "https" and not local:
                raise forms.ValidationError(
                    "Use the portal's https:// address: the API key travels with every call."
                )
        return url

    def clean(self) -> dict:
        data = super().clean()
        has_key = bool(data.get("api_key")) or self.instance.has_api_key
        if data.get("enabled") and not (data.get("base_url") and has_key):
            raise forms.ValidationError("To turn the sync on, enter the portal address and an API key.")
        return data


class PrerequisiteForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")
    requires = forms.ModelChoiceField(queryset=Course.objects.none(), label="Requires")
    min_percent = forms.IntegerField(
        label="Minimum percentage of the required course", min_value=1, max_value=100, initial=100
    )

    def __init__(self, *args, courses=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        queryset = courses if courses is not None else Course.objects.none()
        self.fields["course"].queryset = queryset
        self.fields["requires"].queryset = queryset

    def clean(self) -> dict:
        data = super().clean()
        if data.get("course") and data.get("course") == data.get("requires"):
            raise forms.ValidationError("A course cannot require itself.")
        return data


class ProgressImportForm(forms.Form):
    file = forms.FileField(
        label="LMS progress export (CSV)",
        help_text="Columns: e-mail, course (name or LMS course id), progress % and/or completion status, "
        "optional completion date. Nothing is written until you confirm the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload the export as a .csv file.")
        return upload


class SessionForm(forms.Form):
    """A new session; date and time are in the CoC's time zone."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=15,
        max_value=720,
        help_text="Leave empty for the course's usual length.",
    )
    capacity = forms.IntegerField(label="Seats", min_value=1, max_value=500)
    location = forms.CharField(label="Location", required=False, max_length=200)
    webinar_url = forms.URLField(label="Webinar link", required=False, assume_scheme="https", max_length=200)
    trainer = forms.ModelChoiceField(queryset=None, label="Trainer", required=False)

    def __init__(self, *args, courses, trainers, tz_name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["trainer"].queryset = trainers
        self.fields["date"].help_text = f"In the CoC's time zone ({tz_name})."

    def clean(self):
        data = super().clean()
        if not (data.get("location") or "").strip() and not (data.get("webinar_url") or "").strip():
            raise forms.ValidationError("Give a location or a webinar link.")
        return data


class RegisterForForm(forms.Form):
    """An ATA registers someone of their agency."""

    person = forms.ModelChoiceField(queryset=None, label="Person to register")
    session = forms.ModelChoiceField(queryset=None, label="Session")

    def __init__(self, *args, people, sessions, tz, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.course.name}, {s.starts_at.astimezone(tz):%a %b %-d, %Y %-I:%M %p}"
        )


class AcknowledgementForm(forms.Form):
    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
