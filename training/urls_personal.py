from django.urls import path

from . import views

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls: the trainee's own page has a short address.
urlpatterns = [
    path("my-onboarding/", views.my_onboarding, name="my_onboarding"),
]
