from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms

from agencies.forms import CheckboxGroup
from agencies.models import HudProjectType

from .models import Course, CourseBundle, LmsConfiguration, TrainingPolicy


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


# --- Catalog configuration (CoC administrators) ----------------------------------------------------------
def _split(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


class CourseForm(forms.Form):
    code = forms.SlugField(
        label="Code",
        max_length=60,
        help_text="A stable identifier (letters, digits, hyphens), used by configuration files. It "
        "cannot change later.",
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label="Format", choices=Course.Kind.choices)
    category = forms.ChoiceField(
        label="Category",
        choices=Course.Category.choices,
        help_text="Orders the steps the prerequisites leave unordered, and picks the default recency window.",
    )
    applies_to = forms.ChoiceField(label="Who takes it", choices=Course.AppliesTo.choices)
    hud_project_types = forms.TypedMultipleChoiceField(
        label="HUD project types it covers",
        choices=HudProjectType.choices,
        coerce=int,
        required=False,
        widget=CheckboxGroup,
        help_text="For “people whose projects match”: anyone working in one of these project types takes it.",
    )
    program_tags = forms.CharField(
        label="Program or funding tags",
        required=False,
        max_length=400,
        help_text="Comma-separated, for example PATH, SSVF.",
    )
    training_roles = forms.CharField(
        label="Roles that require it",
        required=False,
        max_length=400,
        help_text="Comma-separated role codes (LA: housing-provider, outreach, …).",
    )
    bundle = forms.ModelChoiceField(
        label="“Choose one of” bundle",
        queryset=CourseBundle.objects.none(),
        required=False,
        empty_label="Not in a bundle",
        help_text="Completing any one course of a bundle satisfies it.",
    )
    read_only_alternate_of = forms.ModelChoiceField(
        label="Read-only users take it instead of",
        queryset=Course.objects.none(),
        required=False,
        empty_label="No course",
    )
    includes = forms.ModelChoiceField(
        label="Completing it also completes",
        queryset=Course.objects.none(),
        required=False,
        empty_label="No course",
    )
    new_users_only = forms.BooleanField(label="New users only (returning users skip it)", required=False)
    recency_months = forms.IntegerField(
        label="Recency window (months)",
        required=False,
        min_value=1,
        max_value=60,
        help_text="Completion must be this recent before the sample client; empty = the CoC default for "
        "its category.",
    )
    lms_course_id = forms.CharField(label="LMS course id", required=False, max_length=64)
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", required=False, min_value=1, max_value=10000
    )
    led_by = forms.CharField(label="Taught or approved by", required=False, max_length=120)
    position = forms.IntegerField(label="Position in the catalog", min_value=0, max_value=32767, initial=100)
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Inactive courses leave learning paths; progress already recorded is kept.",
    )

    def __init__(self, *args: Any, course: Course | None, courses: Any, bundles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = courses.exclude(pk=course.pk) if course is not None else courses
        self.fields["bundle"].queryset = bundles
        self.fields["read_only_alternate_of"].queryset = others
        self.fields["includes"].queryset = others
        if course is not None:
            del self.fields["code"]

    @staticmethod
    def initial_for(course: Course) -> dict[str, Any]:
        from .configuration import COURSE_EDIT_FIELDS

        initial = {name: getattr(course, name) for name in COURSE_EDIT_FIELDS}
        initial["program_tags"] = ", ".join(course.program_tags or [])
        initial["training_roles"] = ", ".join(course.training_roles or [])
        return initial

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        data["program_tags"] = _split(data["program_tags"])
        data["training_roles"] = _split(data["training_roles"])
        return data


class CoursePartForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    lms_unit_name = forms.CharField(
        label="LMS unit name",
        required=False,
        max_length=200,
        help_text="The LMS unit that records this part.",
    )
    topics = forms.CharField(label="Topics", required=False, max_length=1000, help_text="Comma-separated.")


CoursePartFormSet = forms.formset_factory(CoursePartForm, extra=1, can_delete=True, max_num=30)


class CoursePrerequisiteForm(forms.Form):
    requires = forms.ModelChoiceField(queryset=Course.objects.none(), label="Requires")
    min_percent = forms.IntegerField(
        label="Minimum percentage of the required course", min_value=1, max_value=100, initial=100
    )

    def __init__(self, *args: Any, course: Course, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requires"].queryset = courses.exclude(pk=course.pk)


class BundleForm(forms.Form):
    code = forms.SlugField(
        label="Code", max_length=60, help_text="A stable identifier; it cannot change later."
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


class TrainingPolicyForm(forms.ModelForm):
    sample_client_exempt_tags = forms.CharField(
        label="Program tags exempt from the sample client",
        required=False,
        max_length=400,
        help_text="Comma-separated (Chicago: HPCC, STATE_PREVENTION).",
    )

    class Meta:
        model = TrainingPolicy
        fields = [
            "project_course_recency_months",
            "foundation_recency_months",
            "training_expires_after_months",
            "stalled_after_days",
            "corrections_reminder_days",
            "sample_client_required",
            "sample_client_exempt_tags",
        ]
        labels = {
            "project_course_recency_months": "Project-specific course recency window (months)",
            "foundation_recency_months": "Foundation and Data Management recency window (months)",
            "training_expires_after_months": "Training expires after (months)",
            "stalled_after_days": "Stalled after (days without progress)",
            "corrections_reminder_days": "Remind about sample client corrections after (days)",
            "sample_client_required": "Trainees finish with the sample client assignment",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["sample_client_exempt_tags"] = ", ".join(
                self.instance.sample_client_exempt_tags or []
            )

    def clean_sample_client_exempt_tags(self) -> list[str]:
        return [t.upper() for t in _split(self.cleaned_data.get("sample_client_exempt_tags", ""))]
