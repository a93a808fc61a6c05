"""Configuration areas of the rollout app (see hmis_onboarding.config_history)."""

from hmis_onboarding.config_history import register_config_actions

register_config_actions(
    "rollout",
    "Rollout plans",
    [
        "rollout.plan_created",
        "rollout.plan_changed",
        "rollout.phase_created",
        "rollout.phase_changed",
        "rollout.phase_deleted",
        "rollout.obligation_created",
        "rollout.obligation_changed",
        "rollout.obligation_deleted",
    ],
    url_name="rollout_plan_list",
)
