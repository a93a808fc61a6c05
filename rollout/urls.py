from django.urls import path

from . import views

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls.
urlpatterns = [
    path("rollout/", views.plan_list, name="rollout_plan_list"),
    path("rollout/<int:plan_id>/", views.plan_detail, name="rollout_plan_detail"),
    path(
        "rollout/obligations/<int:obligation_id>/completions/",
        views.completion_record,
        name="rollout_completion_record",
    ),
]
