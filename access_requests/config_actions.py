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


def _restore_credential_policy(*, continuum: Any, actor: Any, values: dict[str, Any]) -> None:
    from .credential_settings import CREDENTIAL_POLICY_FIELDS, credential_policy_update

    credential_policy_update(
        continuum=continuum,
        actor=actor,
        **{k: v for k, v in values.items() if k in CREDENTIAL_POLICY_FIELDS},
    )


register_config_actions(
    "credential",
    "Credential: policy, agreements and rubric",
    ["credential_policy.changed", "agreement_version.published", "rubric_element.changed"],
    url_name="credential_policy_config",
    restorers={"credential_policy.changed": _restore_credential_policy},
)
