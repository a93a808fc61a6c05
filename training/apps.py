from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Course catalog, learning paths, LMS integration and sample client assignments."""

    name = "training"

    def ready(self) -> None:
        from . import home, nav, receivers  # noqa: F401  (home panel, navigation entries, signal receivers)
