"""Configuration areas of the agencies app (see hmis_onboarding.config_history)."""

from typing import Any

from hmis_onboarding.config_history import register_config_actions


def _restore_settings(*, continuum: Any, actor: Any, values: dict[str, Any]) -> None:
    from .services import CONTINUUM_SETTINGS_FIELDS, continuum_update_settings

    continuum_update_settings(
        continuum=continuum,
        actor=actor,
        **{k: v for k, v in values.items() if k in CONTINUUM_SETTINGS_FIELDS},
    )


register_config_actions(
    "settings",
    "CoC settings",
    ["continuum.settings_changed"],
    url_name="continuum_settings",
    restorers={"continuum.settings_changed": _restore_settings},
)
register_config_actions(
    "agreements",
    "Agreement types and versions",
    ["agreement_type.created", "agreement_type.changed", "agreement_version.published"],
    url_name="agreement_type_list",
)
