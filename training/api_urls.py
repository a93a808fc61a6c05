from rest_framework.routers import SimpleRouter

from . import api

# Mounted under /api/<continuum_slug>/ by hmis_onboarding.urls.
router = SimpleRouter()
router.register("learning-paths", api.LearningPathViewSet, basename="api_learning_path")

urlpatterns = router.urls
