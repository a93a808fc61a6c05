"""Production: everything from the environment, and refuse to start when unsafe."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, env, require

DEBUG = env.bool("DEBUG", default=False)
require(not DEBUG, "DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
require(
    bool(SECRET_KEY) and len(SECRET_KEY) >= 50, "SECRET_KEY must be set to at least 50 random characters."
)
require(not env.bool("DEMO_MODE", default=False), "DEMO_MODE must be off in production.")
DEMO_MODE = False
require(not env("NOTIFICATION_FAULT_POINT", default=""), "NOTIFICATION_FAULT_POINT is for crash tests only.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
