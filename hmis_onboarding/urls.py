from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

# Django admin: HMIS Lead superusers only, signing in through allauth (with MFA).
admin.site.login = views.admin_login
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
admin.site.site_header = "HMIS Onboarding — HMIS Lead administration"

urlpatterns = [
    path("", views.landing, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The OpenAPI schema and its documentation (assets from static/, drf-spectacular-sidecar).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    # Before the tenant catch-all: these first segments are reserved (agencies.models.RESERVED_SLUGS).
    path("api/<slug:continuum_slug>/", include("agencies.api_urls")),
    path("api/<slug:continuum_slug>/", include("access_requests.api_urls")),
    path("api/<slug:continuum_slug>/", include("training.api_urls")),
    path("api/<slug:continuum_slug>/", include("hmis_onboarding.api_urls")),
    path("p/", include("agencies.public_urls")),
    path("<slug:continuum_slug>/training/", include("training.urls")),
    path("<slug:continuum_slug>/", include("training.urls_personal")),
    path("<slug:continuum_slug>/", include("agencies.urls")),
    path("<slug:continuum_slug>/", include("access_requests.urls")),
    path("<slug:continuum_slug>/", include("hmis_onboarding.tenant_urls")),
    path("<slug:continuum_slug>/", include("rollout.urls")),
]

handler400 = "hmis_onboarding.views.bad_request"
handler403 = "hmis_onboarding.views.permission_denied"
handler404 = "hmis_onboarding.views.page_not_found"
handler500 = "hmis_onboarding.views.server_error"
handler429 = "hmis_onboarding.views.too_many_requests"
