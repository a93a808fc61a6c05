"""Configuration areas of the access-request app (see hmis_onboarding.config_history)."""

from typing import Any

from hmis_onboarding.config_history import register_config_actions


def _restore_policy(*, continuum: Any, actor: Any, values: dict[str, Any]) -> None:
    from .configuration import POLICY_FIELDS, request_policy_update

    request_policy_update(
        continuum=continuum, actor=actor, **{k: v for k, v in values.items() if k in POLICY_FIELDS}
    )


register_config_actions(
    "pathway",
    "Access-request pathway",
    ["request_policy.changed", "request_type.changed", "ces_role.changed"],
    url_name="pathway_config",
    restorers={"request_policy.changed": _restore_policy},
)
