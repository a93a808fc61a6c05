"""Navigation entry for the rollout plans (CoC staff)."""

from django.urls import reverse

from hmis_onboarding.navigation import register_nav
from hmis_onboarding.permissions import Capability


@register_nav("Training", "Rollout plans", order=80)
def _rollout_plans(continuum, access):
    if access.can(Capability.VIEW_ALL_AGENCIES):
        return reverse("rollout_plan_list", args=[continuum.slug])
    return None
