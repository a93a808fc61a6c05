"""Configuration areas of the training app (see hmis_onboarding.config_history)."""

from typing import Any

from hmis_onboarding.config_history import register_config_actions


def _restore_policy(*, continuum: Any, actor: Any, values: dict[str, Any]) -> None:
    from .configuration import POLICY_FIELDS, training_policy_update

    training_policy_update(
        continuum=continuum, actor=actor, **{k: v for k, v in values.items() if k in POLICY_FIELDS}
    )


register_config_actions(
    "catalog",
    "Course catalog",
    [
        "training.catalog_loaded",
        "training.course_created",
        "training.course_changed",
        "training.course_parts_changed",
        "training.bundle_created",
        "training.bundle_changed",
        "training.prerequisite_added",
        "training.prerequisite_removed",
        "training.policy_changed",
    ],
    url_name="training_catalog",
    restorers={"training.policy_changed": _restore_policy},
)
register_config_actions(
    "lms", "LMS connection", ["training.lms_configuration_changed"], url_name="training_lms_settings"
)
