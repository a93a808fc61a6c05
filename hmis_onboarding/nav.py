"""The kernel's navigation entries: the person's own account, the CoC switcher, notification
preferences, and the outbox and business calendar for CoC staff."""

from django.urls import reverse

from .navigation import register_nav
from .permissions import Capability


@register_nav("Account", "My account", order=10)
def _my_account(continuum, access):
    return reverse("account_email")


@register_nav("Account", "Notification preferences", order=20)
def _notification_preferences(continuum, access):
    return reverse("notification_preferences", args=[continuum.slug])


@register_nav("Account", "Switch CoC", order=90)
def _switch(continuum, access):
    return reverse("home") + "?choose=1"


@register_nav("Administration", "Calendar and reminders", order=30)
def _calendar(continuum, access):
    if access.can(Capability.CONFIGURE_CONTINUUM):
        return reverse("business_calendar", args=[continuum.slug])
    return None


@register_nav("Administration", "E-mail outbox", order=80)
def _outbox(continuum, access):
    return (
        reverse("notification_outbox", args=[continuum.slug])
        if access.can(Capability.MANAGE_OUTBOX)
        else None
    )


@register_nav("Administration", "API tokens", order=60)
def _api_tokens(continuum, access):
    return reverse("api_tokens", args=[continuum.slug]) if access.can(Capability.MANAGE_API_TOKENS) else None


@register_nav("Administration", "Metrics", order=5)
def _metrics(continuum, access):
    return reverse("metrics", args=[continuum.slug]) if access.can(Capability.VIEW_METRICS) else None


@register_nav("Administration", "Configuration history", order=85)
def _configuration_history(continuum, access):
    from .selectors import may_read_configuration_history

    if may_read_configuration_history(access):
        return reverse("configuration_history", args=[continuum.slug])
    return None
