"""Agency charts for the metrics page: license pool usage and agreements expiring."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from hmis_onboarding.metrics import BLUE, GREY, Chart, MetricScope, Row, register_metric

from .models import Agency, Agreement, AgreementStatus


@register_metric("agencies.licenses", order=60)
def license_usage(scope: MetricScope) -> Chart:
    agencies = Agency.objects.filter(continuum=scope.continuum)
    if scope.agency_id:
        agencies = agencies.filter(pk=scope.agency_id)
    # Imported here: agencies must not depend on access_requests at import time.
    from access_requests.models import HmisAccountStatus

    top = list(
        agencies.annotate(
            used=Count("hmis_accounts", filter=Q(hmis_accounts__status=HmisAccountStatus.ACTIVE))
        )
        .filter(Q(license_pool_size__gt=0) | Q(used__gt=0))
        .order_by("-used", "name")
        .values("name", "used", "license_pool_size")[:12]
    )
    rows = []
    for a in top:
        free = max(a["license_pool_size"] - a["used"], 0)
        over = max(a["used"] - a["license_pool_size"], 0)
        note = f"{over} over the pool" if over else f"{free} of {a['license_pool_size']} free"
        rows.append(Row(a["name"], [a["used"], free], note=note))
    return Chart(
        key="license-usage",
        title="HMIS licenses used per agency",
        description="Active HMIS accounts against each agency's license pool (the twelve busiest agencies).",
        series=["In use", "Free"],
        rows=rows,
        colours=(BLUE, GREY),
        empty_text="No agency has licenses or accounts yet.",
    )


@register_metric("agencies.agreements_expiring", order=70)
def agreements_expiring(scope: MetricScope) -> Chart:
    today = scope.today
    agreements = Agreement.objects.filter(continuum=scope.continuum, status=AgreementStatus.EXECUTED)
    if scope.agency_id:
        agreements = agreements.filter(agency_id=scope.agency_id)
    buckets = [
        ("Past their expiry date", Q(expires_on__lt=today)),
        ("Within 30 days", Q(expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=30))),
        (
            "In 31–60 days",
            Q(
                expires_on__gt=today + datetime.timedelta(days=30),
                expires_on__lte=today + datetime.timedelta(days=60),
            ),
        ),
        (
            "In 61–90 days",
            Q(
                expires_on__gt=today + datetime.timedelta(days=60),
                expires_on__lte=today + datetime.timedelta(days=90),
            ),
        ),
    ]
    counts = agreements.aggregate(**{f"b{i}": Count("id", filter=q) for i, (_, q) in enumerate(buckets)})
    rows = [Row(label, [counts[f"b{i}"]]) for i, (label, _) in enumerate(buckets)]
    return Chart(
        key="agreements-expiring",
        title="Executed agreements expiring",
        description="Executed agreements by when they expire (those past the date await the nightly "
        "expiry sweep or a renewal).",
        series=["Agreements"],
        rows=rows,
        empty_text="No executed agreement expires in the next 90 days.",
    )
