from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Course catalog, learning paths, LMS integration and sample client assignments."""

    name = "training"

    def ready(self) -> None:
        from . import catalog_version, home, nav, receivers  # noqa: F401  (receivers, home panel, navigation)
