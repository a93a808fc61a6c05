from rest_framework.routers import SimpleRouter

from . import api

# Mounted under /api/<continuum_slug>/ by hmis_onboarding.urls; TenantMiddleware resolves the CoC.
router = SimpleRouter()
router.register("agencies", api.AgencyViewSet, basename="api_agency")
router.register("agreement-types", api.AgreementTypeViewSet, basename="api_agreement_type")
router.register("agreements", api.AgreementViewSet, basename="api_agreement")
router.register("programs", api.HmisProjectViewSet, basename="api_program")

urlpatterns = router.urls
