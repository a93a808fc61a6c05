"""Encryption of secrets stored in the database (an LMS API key opens every trainee's record).

Keys come from `settings.LMS_CREDENTIAL_KEYS` (newest first, so old keys still decrypt during a
rotation); without it, one key is derived from SECRET_KEY. Fernet = AES-128-CBC + HMAC-SHA256.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derive(secret: str) -> bytes:
    digest = hashlib.sha256(f"hmis-onboarding/lms-credentials/{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    secrets = list(getattr(settings, "LMS_CREDENTIAL_KEYS", None) or [])
    if not secrets:
        if not settings.SECRET_KEY:
            raise ImproperlyConfigured("Set SECRET_KEY or LMS_CREDENTIAL_KEYS to store LMS API keys.")
        secrets = [settings.SECRET_KEY]
    return MultiFernet([Fernet(_derive(s)) for s in secrets])


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key this deployment no longer has."""


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The stored LMS API key cannot be decrypted; enter it again.") from exc
