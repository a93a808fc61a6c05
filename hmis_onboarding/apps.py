from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class KernelConfig(AppConfig):
    """The cross-cutting kernel: people, tenancy resolution, permissions and the audit trail."""

    name = "hmis_onboarding"
    verbose_name = "HMIS Onboarding kernel"

    def ready(self) -> None:
        from . import nav, signals  # noqa: F401  (navigation entries; login / MFA audit receivers)

        # Each app registers its reminder sources and notification kinds in notification_sources.py.
        autodiscover_modules("notification_sources")
        # ... and their charts for the metrics page in metrics.py (hmis_onboarding.metrics).
        autodiscover_modules("metrics")
        # ... and which of their audit actions are configuration changes (config_history.py).
        autodiscover_modules("config_actions")
