"""Navigation entries for access requests and the review queues."""

from django.urls import reverse

from hmis_onboarding.navigation import register_nav
from hmis_onboarding.permissions import Capability


@register_nav("Requests", "Help Desk queue", order=10)
def _help_desk_queue(continuum, access):
    if access.can(Capability.REVIEW_REQUESTS):
        return reverse("request_queue", args=[continuum.slug, "help-desk"])
    return None


@register_nav("Requests", "CE queue", order=20)
def _ce_queue(continuum, access):
    if access.can(Capability.REVIEW_CE_REQUESTS):
        return reverse("request_queue", args=[continuum.slug, "ce-team"])
    return None


@register_nav("Requests", "HRS approvals", order=25)
def _hrs_approvals(continuum, access):
    if access.can(Capability.REVIEW_CE_REQUESTS):
        return reverse("ce_approvals", args=[continuum.slug])
    return None


@register_nav("Requests", "Access requests", order=30)
def _requests(continuum, access):
    return reverse("request_list", args=[continuum.slug]) if access.can(Capability.VIEW_REQUESTS) else None


@register_nav("Requests", "New access request", order=40)
def _new_request(continuum, access):
    if access.can(Capability.FILE_ACCESS_REQUESTS):
        return reverse("request_new", args=[continuum.slug])
    return None


@register_nav("Requests", "Sample client reviews", order=50)
def _sample_clients(continuum, access):
    if access.can(Capability.REVIEW_SAMPLE_CLIENTS):
        return reverse("sample_client_queue", args=[continuum.slug])
    return None


@register_nav("Agencies", "HMIS licenses", order=60)
def _licenses(continuum, access):
    return reverse("licenses", args=[continuum.slug]) if access.can(Capability.VIEW_LICENSES) else None


@register_nav("Account", "My HMIS access", order=15)
def _my_access(continuum, access):
    # Agency people go through onboarding; CoC staff have nothing here.
    return reverse("my_access", args=[continuum.slug]) if access.agency_ids else None


@register_nav("Agencies", "Access reviews", order=70)
def _access_reviews(continuum, access):
    return reverse("access_reviews", args=[continuum.slug]) if access.can(Capability.VIEW_LICENSES) else None


@register_nav("Administration", "Access-request pathway", order=25)
def _pathway(continuum, access):
    if access.can(Capability.CONFIGURE_CONTINUUM):
        return reverse("pathway_config", args=[continuum.slug])
    return None
