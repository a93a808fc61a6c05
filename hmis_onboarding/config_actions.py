"""Configuration areas of the kernel (see hmis_onboarding.config_history)."""

from typing import Any

from .config_history import register_config_actions


def _restore_calendar(*, continuum: Any, actor: Any, values: dict[str, Any]) -> None:
    from .services import CALENDAR_FIELDS, NOTIFICATION_SETTINGS_FIELDS, calendar_settings_update

    fields = set(CALENDAR_FIELDS) | set(NOTIFICATION_SETTINGS_FIELDS)
    calendar_settings_update(
        continuum=continuum, actor=actor, **{k: v for k, v in values.items() if k in fields}
    )


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
    restorers={"continuum.calendar_changed": _restore_calendar},
)
