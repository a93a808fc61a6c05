from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    """Continuums (tenants), agencies, memberships; later agreements, programs and licenses."""

    name = "agencies"

    def ready(self) -> None:
        from . import nav  # noqa: F401  (navigation entries)
