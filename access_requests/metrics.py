"""Access-request charts for the metrics page (registered with hmis_onboarding.metrics).

Every provider runs one query, whatever the number of requests. Medians and percentiles are computed
by PostgreSQL (ordered-set aggregates, grouped per queue); SQLite has neither, so there the durations
come back in one `values_list` and Python computes them, with the same definitions."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate, Upper

from hmis_onboarding.metrics import (
    BLUE,
    GREEN,
    NAVY,
    RED,
    Chart,
    DaysBetween,
    Median,
    MetricScope,
    NearestRank,
    Row,
    median,
    percentile,
    percentiles_in_database,
    register_metric,
)

from .models import (
    OPEN_STATUSES,
    AccessRequest,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
    Queue,
    RequestedPerson,
    RequestStatus,
)

DECIDED_STATUSES = (RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.RETURNED)


def _start(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def scoped_requests(scope: MetricScope, prefix: str = "") -> Q:
    """The filters of the page as a Q over AccessRequest (or a relation to it, with `prefix`)."""
    tz = scope.continuum.tzinfo
    condition = Q(**{f"{prefix}continuum": scope.continuum}) & ~Q(**{f"{prefix}status": RequestStatus.DRAFT})
    if scope.agency_id:
        condition &= Q(**{f"{prefix}agency_id": scope.agency_id})
    if scope.request_type_id:
        condition &= Q(**{f"{prefix}request_type_id": scope.request_type_id})
    if scope.since:
        condition &= Q(**{f"{prefix}submitted_at__gte": _start(scope.since, tz)})
    if scope.until:
        condition &= Q(**{f"{prefix}submitted_at__lt": _start(scope.until + datetime.timedelta(days=1), tz)})
    return condition


def _requests(scope: MetricScope) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(scoped_requests(scope)).order_by()


@register_metric("requests.by_status", order=10)
def requests_by_status(scope: MetricScope) -> Chart:
    counts = dict(_requests(scope).values_list("status").annotate(n=Count("id")))
    rows = [
        Row(label, [counts.get(status, 0)])
        for status, label in RequestStatus.choices
        if status != RequestStatus.DRAFT
    ]
    return Chart(
        key="requests-by-status",
        title="Access requests by status",
        description="Submitted requests in the period, by where they are now.",
        series=["Requests"],
        rows=rows,
    )


@register_metric("requests.funnel", order=20)
def onboarding_funnel(scope: MetricScope) -> Chart:
    """People (by e-mail, so someone named on two requests counts once) named on requests → on
    approved requests → learning path complete → sample client passed (or exempt) → holding an
    active HMIS account."""
    from training.models import LearningPath

    # People are counted by e-mail, case-insensitively (like `email__iexact`): one row per e-mail
    # (a hash aggregate), then sums. Probing the accounts by e-mail per requested person, or
    # COUNT(DISTINCT …) per stage, takes seconds to minutes on a metro CoC (40k requests, 10k
    # accounts); the other probes below are unique-index lookups.
    live_accounts = (
        HmisAccount.objects.filter(continuum=scope.continuum, status=HmisAccountStatus.ACTIVE)
        .annotate(email_key=Upper("email"))
        .values("email_key")
    )
    trained = LearningPath.objects.filter(
        continuum=scope.continuum, user_id=OuterRef("user_id"), is_complete=True
    )
    past_sample_client = Onboarding.objects.filter(
        person_id=OuterRef("pk"),
        stage__in=(OnboardingStage.AGREEMENT, OnboardingStage.READY, OnboardingStage.CREDENTIALED),
    )
    approved = Q(access_request__status=RequestStatus.APPROVED)

    def reached(condition: Q) -> Max:
        return Max(Case(When(condition, then=1), default=0))

    per_person = (
        RequestedPerson.objects.filter(scoped_requests(scope, "access_request__"))
        .annotate(email_key=Upper("email"))
        .order_by()
        .values("email_key")
        .annotate(
            was_approved=reached(approved),
            was_trained=reached(approved & Exists(trained)),
            passed_sample_client=reached(approved & Exists(past_sample_client)),
            is_live=reached(approved & Q(email_key__in=live_accounts)),
        )
    )
    totals = per_person.aggregate(
        requested=Count("email_key"),
        approved=Sum("was_approved"),
        trained=Sum("was_trained"),
        sample_client=Sum("passed_sample_client"),
        credentialed=Sum("is_live"),
    )
    totals = {k: v or 0 for k, v in totals.items()}
    rows = [
        Row("Requested", [totals["requested"]]),
        Row("Approved", [totals["approved"]]),
        Row("Learning path complete", [totals["trained"]]),
        Row("Sample client passed or exempt", [totals["sample_client"]]),
        Row("Holding live HMIS credentials", [totals["credentialed"]]),
    ]
    return Chart(
        key="onboarding-funnel",
        title="Onboarding funnel (people)",
        description="People named on submitted requests, how many were approved, completed their "
        "learning path, passed the sample client (or were exempt), and now hold an active HMIS account.",
        series=["People"],
        rows=rows,
    )


def _decided(scope: MetricScope) -> QuerySet[AccessRequest]:
    return _requests(scope).filter(
        status__in=DECIDED_STATUSES, submitted_at__isnull=False, decided_at__isnull=False
    )


class QueueDecisions(NamedTuple):
    median: float | None
    p90: float | None
    decided: int
    on_time: int


def _decisions_per_queue(scope: MetricScope) -> dict[str, QueueDecisions]:
    """Per queue, the decided requests: the median and 90th percentile of days from submission to
    decision, how many, and how many by their due date. One query, shared by two charts."""

    def compute() -> dict[str, QueueDecisions]:
        decided_on = TruncDate("decided_at", tzinfo=scope.continuum.tzinfo)
        on_time_q = Q(sla_due_on__isnull=True) | Q(sla_due_on__gte=decided_on)
        if percentiles_in_database():
            days = DaysBetween("submitted_at", "decided_at")
            return {
                r["queue"]: QueueDecisions(r["median"], r["p90"], r["n"], r["on_time"])
                for r in _decided(scope)
                .values("queue")
                .annotate(
                    median=Median(days),
                    p90=NearestRank(days, 0.9),
                    n=Count("id"),
                    on_time=Count("id", filter=on_time_q),
                )
            }
        by_queue: dict[str, list[float]] = defaultdict(list)
        on_time: dict[str, int] = defaultdict(int)
        rows = _decided(scope).annotate(
            in_time=Case(When(on_time_q, then=1), default=0, output_field=IntegerField())
        )
        for queue, submitted, decided, in_time in rows.values_list(
            "queue", "submitted_at", "decided_at", "in_time"
        ):
            by_queue[queue].append((decided - submitted).total_seconds() / 86400)
            on_time[queue] += in_time
        return {
            queue: QueueDecisions(median(v), percentile(v, 0.9), len(v), on_time[queue])
            for queue, v in by_queue.items()
        }

    return scope.once("requests.decisions_per_queue", compute)


@register_metric("requests.decision_days", order=30)
def decision_days(scope: MetricScope) -> Chart:
    stats = _decisions_per_queue(scope)
    none = QueueDecisions(None, None, 0, 0)
    rows = []
    for queue, label in Queue.choices:
        q = stats.get(queue, none)
        rows.append(Row(label, [q.median, q.p90], note=f"{q.decided} decided"))
    return Chart(
        key="decision-days",
        title="Days from submission to decision, per queue",
        description="Calendar days from submission to approval, rejection or return: the median and the "
        "90th percentile (nine in ten were decided within it).",
        series=["Median", "90th percentile"],
        rows=rows,
        layout="group",
        unit="days",
        colours=(BLUE, NAVY),
    )


@register_metric("requests.sla", order=40)
def sla_compliance(scope: MetricScope) -> Chart:
    # Counted by the database, in the query the decision-time chart makes.
    on_time: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for queue, q in _decisions_per_queue(scope).items():
        on_time[queue] = q.on_time
        late[queue] = q.decided - q.on_time
    rows = []
    for queue, label in Queue.choices:
        total = on_time[queue] + late[queue]
        share = f"{round(100 * on_time[queue] / total)}% on time" if total else "nothing decided"
        rows.append(Row(label, [on_time[queue], late[queue]], note=share))
    return Chart(
        key="sla-compliance",
        title="Service level per queue",
        description="Decided requests answered by their due date (business days, pauses for questions "
        "excluded) and those answered late.",
        series=["On time", "Late"],
        rows=rows,
        colours=(GREEN, RED),
    )


@register_metric("requests.agencies_open", order=50)
def agencies_with_open_requests(scope: MetricScope) -> Chart:
    overdue = Q(sla_due_on__lt=scope.today) & ~Q(status=RequestStatus.INFO_REQUESTED)
    top = list(
        _requests(scope)
        .filter(status__in=OPEN_STATUSES)
        .values("agency__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue))
        .order_by("-overdue", "-open", "agency__name")[:10]
    )
    rows = [Row(r["agency__name"], [r["overdue"], r["open"] - r["overdue"]]) for r in top]
    return Chart(
        key="agencies-open",
        title="Agencies with the most open requests",
        description="The ten agencies with the most overdue, then open, requests.",
        series=["Overdue", "Open, not overdue"],
        rows=rows,
        colours=(RED, BLUE),
        empty_text="No open requests.",
    )
