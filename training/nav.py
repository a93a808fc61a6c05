"""Navigation entries for training."""

from django.urls import reverse

from hmis_onboarding.navigation import register_nav
from hmis_onboarding.permissions import Capability


@register_nav("Training", "Course catalog", order=10)
def _catalog(continuum, access):
    # Every member may read the catalog; it is most useful to staff and agency leads.
    return reverse("training_catalog", args=[continuum.slug]) if access.is_member else None


@register_nav("Training", "Progress imports", order=30)
def _imports(continuum, access):
    if not access.can(Capability.MANAGE_TRAINING):
        return None
    return reverse("training_progress_imports", args=[continuum.slug])


@register_nav("Administration", "LMS settings", order=40)
def _lms_settings(continuum, access):
    if not access.can(Capability.CONFIGURE_CONTINUUM):
        return None
    return reverse("training_lms_settings", args=[continuum.slug])


@register_nav("Training", "Sessions", order=15)
def _sessions(continuum, access):
    return reverse("training_sessions", args=[continuum.slug]) if access.is_member else None


@register_nav("Training", "Session schedule", order=20)
def _session_schedule(continuum, access):
    if not access.can(Capability.MANAGE_TRAINING):
        return None
    return reverse("training_session_schedule", args=[continuum.slug])


@register_nav("Training", "My onboarding", order=5)
def _my_onboarding(continuum, access):
    # Staff have no onboarding of their own in the CoC they run.
    return None if access.is_staff else reverse("my_onboarding", args=[continuum.slug])


@register_nav("Training", "Training progress", order=20)
def _progress(continuum, access):
    from .views import may_see_progress

    return reverse("training_progress", args=[continuum.slug]) if may_see_progress(access) else None
