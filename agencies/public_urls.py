from django.urls import path

from . import views_public

# Mounted at /p/ by hmis_onboarding.urls: public pages, no tenant kwarg, no login.
urlpatterns = [
    path("<slug:slug>/participation/", views_public.participation_status, name="public_participation"),
]
