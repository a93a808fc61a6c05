"""Settings for benchmark runs only (`make bench`): the local settings with DEBUG off, plus the bench
middleware (server time and query count in response headers) and the floor views under /__bench__/.
Never used by the application, the tests or production."""

from pathlib import Path

from hmis_onboarding.settings.local import *  # noqa: F403
from hmis_onboarding.settings.local import BASE_DIR, MIDDLEWARE, TEMPLATES

DEBUG = False
DEMO_MODE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.ServerTimingMiddleware", *MIDDLEWARE]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Static files are not what is measured: no collectstatic step, unhashed URLs.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)
