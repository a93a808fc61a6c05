from django.apps import AppConfig


class RolloutConfig(AppConfig):
    """Rollout plans of a CoC: dated phases, what each switches on or off, and the obligations (with
    deadlines) that every ATA must meet."""

    name = "rollout"
    verbose_name = "Rollout plans"

    def ready(self) -> None:
        from . import home, nav  # noqa: F401  (home panel, navigation)
