"""Security events into the audit trail: logins, failures, MFA, password changes."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from .audit import audit_record, client_ip


def _ip(request: Any) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(auth_signals.user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session["auth_started"] = time.time()
        request.session["last_activity"] = time.time()
    audit_record(action="login.succeeded", actor=user, ip_address=_ip(request))


@receiver(auth_signals.user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_record(
        action="login.failed",
        actor_label=attempted,
        ip_address=_ip(request),
        metadata={"attempted_email": attempted},
    )


@receiver(auth_signals.user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="logout", actor=user, ip_address=_ip(request))


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="mfa.failed", actor=user, ip_address=_ip(request))


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action="mfa.added", actor=user, ip_address=_ip(request), metadata={"type": authenticator.type}
    )


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session.pop("mfa_enabled_for", None)
    audit_record(
        action="mfa.removed", actor=user, ip_address=_ip(request), metadata={"type": authenticator.type}
    )


@receiver(account_signals.password_changed)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="password.changed", actor=user, ip_address=_ip(request))


@receiver(account_signals.password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="password.reset", actor=user, ip_address=_ip(request))
