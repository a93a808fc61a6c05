"""Configuration areas of the agencies app (see hmis_onboarding.config_history)."""

from hmis_onboarding.config_history import register_config_actions

register_config_actions(
    "settings", "CoC settings", ["continuum.settings_changed"], url_name="continuum_settings"
)
register_config_actions(
    "agreements",
    "Agreement types and versions",
    ["agreement_type.created", "agreement_type.changed", "agreement_version.published"],
    url_name="agreement_type_list",
)
