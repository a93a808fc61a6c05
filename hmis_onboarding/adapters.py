"""allauth adapters: invitation-only accounts, and TOTP that staff cannot switch off."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People get accounts when their CoC or agency adds them; there is no public sign-up.
        return False


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from .security import user_requires_mfa

        if authenticator.type == Authenticator.Type.TOTP and user_requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)

    def get_totp_issuer(self) -> str:
        from django.conf import settings

        return settings.MFA_TOTP_ISSUER

    def _get_site_name(self, *args: Any, **kwargs: Any) -> str:
        return "HMIS Onboarding"
