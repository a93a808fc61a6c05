"""Session lifetime and the MFA requirement for CoC staff."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .audit import audit_record

# Touch the session at most this often, so that not every request writes it.
_ACTIVITY_RESOLUTION_S = 30
MFA_EXEMPT_RECHECK_S = 300


class SessionLifetimeMiddleware:
    """Ends a session after the CoC's idle timeout, and after the absolute lifetime in any case."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault("auth_started", now)
            last = session.get("last_activity", now)
            idle_limit = session.get("idle_timeout_s", settings.SESSION_IDLE_TIMEOUT_MINUTES * 60)
            reason = None
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600:
                reason = "expired"
            elif now - last > idle_limit:
                reason = "idle"
            if reason:
                audit_record(
                    action=f"session.{'idle_timeout' if reason == 'idle' else 'expired'}",
                    actor=user,
                    metadata={"idle_seconds": int(now - last), "age_seconds": int(now - started)},
                )
                logout(request)
                query = urlencode({"reason": reason, "next": request.get_full_path()})
                if getattr(request, "htmx", False) or request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = f"{reverse('account_login')}?{query}"
                    return response
                return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
            if now - last >= _ACTIVITY_RESOLUTION_S or "last_activity" not in session:
                session["last_activity"] = now
        return self.get_response(request)


def user_requires_mfa(user) -> bool:
    """Every CoC staff role, and every superuser, must use two-factor authentication."""
    from agencies.models import Membership

    from .permissions import MFA_REQUIRED_ROLES

    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, is_active=True, role__in=list(MFA_REQUIRED_ROLES)).exists()


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MfaRequiredMiddleware:
    """allauth offers MFA but has no switch to require it: staff without TOTP are sent to set it up."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/favicon.ico")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.path.startswith(self.EXEMPT_PREFIXES):
            return None
        if getattr(request, "api_token", None) is not None:
            # An integration's token is the second factor's equivalent: it has no password at all.
            return None
        session = request.session
        if session.get("mfa_enabled_for") == user.pk:
            return None
        # People who need no MFA are re-checked every few minutes, so a new staff role takes hold
        # quickly without two queries on every request.
        # On a tenant page where the person holds a staff role, never trust that cache.
        access = getattr(request, "access", None)
        staff_here = access is not None and access.requires_mfa
        exempt = session.get("mfa_exempt")
        if not staff_here and exempt and exempt[0] == user.pk and exempt[1] > time.time():
            return None
        if user_has_totp(user):
            session["mfa_enabled_for"] = user.pk
            return None
        if not staff_here and not user_requires_mfa(user):
            session["mfa_exempt"] = [user.pk, time.time() + MFA_EXEMPT_RECHECK_S]
            return None
        messages.warning(
            request,
            "Your role requires two-factor authentication. Set up an authenticator app to continue.",
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
