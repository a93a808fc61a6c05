"""Kernel pages: the landing page / CoC switcher, health check, and error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from agencies.selectors import continuums_for_user

from .api import is_api_request, json_error
from .audit import audit_record


def landing(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors see what this is; members go to their CoC (or choose one)."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    continuums = list(continuums_for_user(request.user))
    if len(continuums) == 1 and "choose" not in request.GET:
        return redirect("tenant_home", continuum_slug=continuums[0].slug)
    last = request.session.get("last_continuum")
    if last and "choose" not in request.GET and any(c.slug == last for c in continuums):
        return redirect("tenant_home", continuum_slug=last)
    return render(request, "choose_continuum.html", {"continuums": continuums})


@never_cache
def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The Django admin's own sign-in form is never shown: visitors sign in through allauth
    (password, then TOTP), superusers go on to the admin, anyone else is refused."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied("The administration pages are for HMIS Lead superusers only.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    return HttpResponseRedirect(next_url)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    audit_record(
        action="security.csrf_failure",
        actor=getattr(request, "user", None),
        metadata={"path": request.path[:300], "reason": reason[:200]},
    )
    return render(request, "errors/csrf.html", {"reason": reason, "debug": settings.DEBUG}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    if is_api_request(request):
        return json_error(403, "permission_denied", message or "You do not have permission.")
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        # Missing and forbidden are the same answer for API clients too.
        return json_error(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return json_error(500, "server_error", "The server could not answer; the error is logged.")
    return render(request, "errors/500.html", status=500)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's rate limits (login, password reset, MFA) answer with this page."""
    audit_record(
        action="security.rate_limited",
        actor=getattr(request, "user", None),
        metadata={"path": request.path[:300]},
    )
    return render(request, "errors/429.html", status=429)
