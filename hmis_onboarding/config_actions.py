"""Configuration areas of the kernel (see hmis_onboarding.config_history)."""

from .config_history import register_config_actions

register_config_actions(
    "calendar",
    "Business calendar and reminders",
    [
        "continuum.calendar_changed",
        "continuum.holiday_added",
        "continuum.holiday_removed",
        "continuum.federal_holidays_loaded",
    ],
    url_name="business_calendar",
)
