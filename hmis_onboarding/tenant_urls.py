from django.urls import path

from . import views_config, views_insight
from . import views_notifications as views

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls, after agencies.urls.
urlpatterns = [
    path("outbox/", views.outbox, name="notification_outbox"),
    path("outbox/<int:notification_id>/retry/", views.outbox_retry, name="notification_retry"),
    path("notifications/", views.notification_preferences, name="notification_preferences"),
    path("calendar/", views.business_calendar, name="business_calendar"),
    path("calendar/holidays/<int:holiday_id>/delete/", views.holiday_delete, name="holiday_delete"),
    path("audit/", views_insight.audit_trail, name="audit_trail"),
    path("configuration/history/", views_config.configuration_history, name="configuration_history"),
    path(
        "configuration/history/<int:event_id>/restore/",
        views_config.configuration_restore,
        name="configuration_restore",
    ),
    path("metrics/", views_insight.metrics, name="metrics"),
    path("metrics/refresh/", views_insight.metrics_refresh, name="metrics_refresh"),
    path("api-tokens/", views_insight.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", views_insight.api_token_revoke, name="api_token_revoke"),
]
