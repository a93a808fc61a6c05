"""Bench-only URLs: the floor views, then the application's own URLs unchanged."""

from django.urls import include, path

from . import floor

urlpatterns = [
    path("<slug:continuum_slug>/__bench__/floor/<slug:name>/", floor.floor, name="bench_floor"),
    path("", include("hmis_onboarding.urls")),
]
