"""The embedded default used by `make run`: DEBUG on, SQLite, filesystem broker, console e-mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
DEMO_MODE = env.bool("DEMO_MODE", default=True)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-never-use-in-production")
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # noqa: F405
