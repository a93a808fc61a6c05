"""Print the current authenticator code of a demo persona (demo mode only)."""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def current_totp_code(email: str) -> str:
    authenticator = Authenticator.objects.filter(
        user__email__iexact=email, type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        raise CommandError(f"{email} has no authenticator app set up.")
    secret = get_adapter().decrypt(authenticator.data["secret"])
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo persona. Refuses to run outside demo mode."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo_totp only runs in demo mode (DEMO_MODE=true).")
        self.stdout.write(current_totp_code(email))
