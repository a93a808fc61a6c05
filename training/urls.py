from django.urls import path

from . import views, views_config, views_documents, views_sessions

# Mounted under /<continuum_slug>/training/ by hmis_onboarding.urls.
urlpatterns = [
    path("catalog/", views.course_catalog, name="training_catalog"),
    path("catalog/courses/new/", views_config.course_new, name="training_course_new"),
    path("catalog/courses/<int:course_id>/", views_config.course_edit, name="training_course_edit"),
    path("catalog/bundles/", views_config.bundles, name="training_bundles"),
    path("catalog/bundles/<int:bundle_id>/", views_config.bundle_edit, name="training_bundle_edit"),
    path("catalog/policy/", views_config.training_policy, name="training_policy"),
    path("lms/", views.lms_settings, name="training_lms_settings"),
    path("imports/", views.progress_imports, name="training_progress_imports"),
    path("imports/<int:import_id>/", views.progress_import_detail, name="training_progress_import"),
    path("sessions/", views_sessions.session_list, name="training_sessions"),
    path("sessions/schedule/", views_sessions.session_schedule, name="training_session_schedule"),
    path("sessions/<int:session_id>/", views_sessions.session_roster, name="training_session_roster"),
    path("acknowledgement/", views_sessions.acknowledgement, name="training_acknowledgement"),
    path("progress/", views.trainee_progress, name="training_progress"),
    path("progress/lms-accounts/", views.lms_duplicate_resolve, name="training_lms_duplicate"),
    path(
        "people/<int:person_id>/onboarding-record.pdf",
        views_documents.onboarding_record,
        name="training_onboarding_record",
    ),
    path("people/<int:person_id>/certificate.pdf", views_documents.certificate, name="training_certificate"),
    path("certificates/verify/", views_documents.certificate_verify, name="training_certificate_verify"),
]
