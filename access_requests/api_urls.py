from rest_framework.routers import SimpleRouter

from . import api

# Mounted under /api/<continuum_slug>/ by hmis_onboarding.urls.
router = SimpleRouter()
router.register("access-requests", api.AccessRequestViewSet, basename="api_access_request")

urlpatterns = router.urls
