from rest_framework.routers import SimpleRouter

from . import api

# Mounted under /api/<continuum_slug>/ by hmis_onboarding.urls.
router = SimpleRouter()
router.register("audit-events", api.AuditEventViewSet, basename="api_audit_event")

urlpatterns = router.urls
