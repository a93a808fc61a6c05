"""Settings for pytest: PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set, else SQLite."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
DEMO_MODE = False
SECRET_KEY = "test-secret-key-only-for-the-test-suite"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mail is captured in memory, except for worker subprocesses of the crash tests, which send to a
# real SMTP server given in EMAIL_URL (they set TEST_SEND_REAL_EMAIL).
if not env.bool("TEST_SEND_REAL_EMAIL", default=False):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_EMAIL_VERIFICATION = "optional"
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file database (not :memory:) so that live-server and worker threads share it.
    DATABASES["default"]["TEST"] = {"NAME": env("SQLITE_TEST_PATH", default=str(VAR_DIR / "test.sqlite3"))}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
