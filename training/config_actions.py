"""Configuration areas of the training app (see hmis_onboarding.config_history)."""

from hmis_onboarding.config_history import register_config_actions

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
)
register_config_actions(
    "lms", "LMS connection", ["training.lms_configuration_changed"], url_name="training_lms_settings"
)
