from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    """Access requests, review queues and the HMIS account lifecycle (named so as not to shadow
    the `requests` HTTP library; see DESIGN.md §9)."""

    name = "access_requests"
    verbose_name = "Access requests"

    def ready(self) -> None:
        from . import credentials, home, nav, notify  # noqa: F401  (approval receiver, home panel, navigation, notification kinds)
        from .readiness import register_learning_path_check, training_learning_path

        register_learning_path_check(training_learning_path)
