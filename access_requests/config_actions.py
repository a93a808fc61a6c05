"""Configuration areas of the access-request app (see hmis_onboarding.config_history)."""

from hmis_onboarding.config_history import register_config_actions

register_config_actions(
    "pathway",
    "Access-request pathway",
    ["request_policy.changed", "request_type.changed", "ces_role.changed"],
    url_name="pathway_config",
)
