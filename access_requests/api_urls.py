from rest_framework.routers import SimpleRouter

from . import api, api_credentials

# Mounted under /api/<continuum_slug>/ by hmis_onboarding.urls.
router = SimpleRouter()
router.register("access-requests", api.AccessRequestViewSet, basename="api_access_request")
router.register("people", api_credentials.PersonViewSet, basename="api_person")
router.register("onboardings", api_credentials.OnboardingViewSet, basename="api_onboarding")
router.register(
    "sample-client-assignments", api_credentials.AssignmentViewSet, basename="api_sample_client_assignment"
)
router.register("sample-client-rounds", api_credentials.RoundViewSet, basename="api_sample_client_round")
router.register("hmis-accounts", api_credentials.HmisAccountViewSet, basename="api_hmis_account")
router.register("licenses", api_credentials.LicenseViewSet, basename="api_license")

urlpatterns = router.urls
