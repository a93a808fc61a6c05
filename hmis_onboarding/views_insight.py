"""Kernel pages for insight and integrations: the audit viewer (with CSV) and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, services
from .api import AuditEventFilter
from .decorators import tenant_view
from .exports import csv_response
from .forms import ApiTokenForm, MetricsFilterForm
from .metric_snapshots import (
    RefreshRefused,
    filter_key,
    metrics_figures,
    metrics_refresh_now,
    normalise_filters,
)
from .metrics import metric_cells
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


def _metrics_form(request: HttpRequest, data) -> MetricsFilterForm:
    from access_requests.selectors import request_types
    from agencies.selectors import agency_choices

    continuum, user = request.continuum, request.user
    return MetricsFilterForm(
        data,
        agencies=list(agency_choices(continuum=continuum, user=user).values_list("pk", "name")),
        request_types=list(request_types(continuum=continuum).values_list("pk", "name")),
    )


@tenant_view(Capability.VIEW_METRICS)
def metrics(request: HttpRequest) -> HttpResponse:
    """The CoC's metrics, read from the roll-up (hmis_onboarding.metric_snapshots): computed hourly,
    or now for filters not yet rolled up or when the stored figures are stale."""
    continuum = request.continuum
    form = _metrics_form(request, request.GET)
    filters = normalise_filters(form.cleaned_data if form.is_valid() else {})
    figures = metrics_figures(continuum=continuum, user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"metrics-{continuum.slug}",
            header=["chart", "unit", "row", "column", "value", "note"],
            rows=metric_cells(figures.charts),
            row=list,
        )
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "insight/metrics.html",
        {
            "form": form,
            "charts": figures.charts,
            "figures": figures,
            "filters": filters,
            "csv_query": query.urlencode(),
        },
    )


@tenant_view(Capability.VIEW_METRICS)
@require_POST
def metrics_refresh(request: HttpRequest) -> HttpResponse:
    """'Refresh now': recompute the figures for the filters shown (rate-limited per filter set)."""
    continuum = request.continuum
    form = _metrics_form(request, request.POST)
    filters = normalise_filters(form.cleaned_data if form.is_valid() else {})
    try:
        figures = metrics_refresh_now(continuum=continuum, actor=request.user, filters=filters)
    except RefreshRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(request, f"Figures refreshed: as of {figures.as_of_label}.")
    url = reverse("metrics", args=[continuum.slug])
    key = filter_key(filters)
    return redirect(f"{url}?{key}" if key else url)
