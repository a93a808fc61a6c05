"""Kernel pages for insight and integrations: the audit viewer (with CSV) and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import selectors, services
from .api import AuditEventFilter
from .decorators import tenant_view
from .exports import csv_response
from .forms import ApiTokenForm, MetricsFilterForm
from .metrics import MetricScope, collect_metrics, metric_cells
from .permissions import Capability, Role

NEW_TOKEN_SESSION_KEY = "new_api_token"


@tenant_view(Capability.VIEW_AUDIT_TRAIL)
def audit_trail(request: HttpRequest) -> HttpResponse:
    events = selectors.audit_trail(continuum=request.continuum, user=request.user)
    filterset = AuditEventFilter(request.GET, queryset=events)
    events = filterset.qs if filterset.is_valid() else events.none()
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"audit-{request.continuum.slug}",
            header=["occurred_at", "actor", "action", "object_type", "object_id", "object", "ip_address"],
            rows=events.iterator(chunk_size=2000),
            row=lambda e: [
                e.occurred_at.isoformat(),
                e.actor_label,
                e.action,
                e.object_type.model if e.object_type_id else "",
                e.object_id,
                e.object_repr,
                e.ip_address or "",
            ],
        )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "insight/audit_trail.html",
        {"page": page, "form": filterset.form, "query": query.urlencode()},
    )


@tenant_view(Capability.MANAGE_API_TOKENS)
def api_tokens(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = services.api_token_create(continuum=continuum, actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Shown on the next page once, then gone: only the hash is stored.
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "key": key}
            return redirect("api_tokens", continuum_slug=continuum.slug)
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    tokens = list(selectors.api_tokens(continuum=continuum, user=user))
    labels = dict(Role.choices)
    for token in tokens:
        token.role_label = labels.get(token.role, token.role)
    return render(request, "insight/api_tokens.html", {"form": form, "tokens": tokens, "new": new})


@tenant_view(Capability.MANAGE_API_TOKENS)
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get(continuum=request.continuum, user=request.user, token_id=token_id)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"{token} is revoked; integrations using it are refused from now on.")
    return redirect("api_tokens", continuum_slug=request.continuum.slug)


@tenant_view(Capability.VIEW_METRICS)
def metrics(request: HttpRequest) -> HttpResponse:
    from access_requests.selectors import request_types
    from agencies.selectors import agency_list

    continuum, user = request.continuum, request.user
    form = MetricsFilterForm(
        request.GET,
        agencies=list(agency_list(continuum=continuum, user=user).values_list("pk", "name")),
        request_types=list(request_types(continuum=continuum).values_list("pk", "name")),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    scope = MetricScope(
        continuum=continuum,
        user=user,
        today=timezone.now().astimezone(continuum.tzinfo).date(),
        agency_id=filters.get("agency"),
        request_type_id=filters.get("request_type"),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    charts = collect_metrics(scope)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"metrics-{continuum.slug}",
            header=["chart", "unit", "row", "column", "value", "note"],
            rows=metric_cells(charts),
            row=list,
        )
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "insight/metrics.html",
        {"form": form, "charts": charts, "scope": scope, "csv_query": query.urlencode()},
    )
