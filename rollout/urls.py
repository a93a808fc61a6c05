from django.urls import path

from . import views, views_config

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls.
urlpatterns = [
    path("rollout/", views.plan_list, name="rollout_plan_list"),
    path("rollout/<int:plan_id>/", views.plan_detail, name="rollout_plan_detail"),
    # Configuration (CoC administrators).
    path("rollout/new/", views_config.plan_new, name="rollout_plan_new"),
    path("rollout/<int:plan_id>/edit/", views_config.plan_edit, name="rollout_plan_edit"),
    path("rollout/<int:plan_id>/phases/new/", views_config.phase_edit, name="rollout_phase_new"),
    path("rollout/<int:plan_id>/phases/<int:phase_id>/", views_config.phase_edit, name="rollout_phase_edit"),
    path(
        "rollout/<int:plan_id>/obligations/new/",
        views_config.obligation_edit,
        name="rollout_obligation_new",
    ),
    path(
        "rollout/<int:plan_id>/obligations/<int:obligation_id>/",
        views_config.obligation_edit,
        name="rollout_obligation_edit",
    ),
    path(
        "rollout/obligations/<int:obligation_id>/completions/",
        views.completion_record,
        name="rollout_completion_record",
    ),
]
