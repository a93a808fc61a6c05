"""Training charts for the metrics page (registered with hmis_onboarding.metrics).

Whose training counts follows the page's filters: with a request form or a period, the people named
on approved requests of that form submitted in that period (and agency); with only an agency, the
people who work for it or were requested by it; with no filter, every learning path of the CoC.
Sessions are counted by their date within the period. Every provider runs a fixed number of
queries whatever the number of people; medians and percentiles are computed by PostgreSQL, or in
Python on SQLite, as in access_requests/metrics.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from access_requests.metrics import scoped_requests
from access_requests.models import RequestedPerson, RequestStatus
from agencies.models import Membership
from hmis_onboarding.metrics import (
    BLUE,
    GREEN,
    GREY,
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

from .models import Course, Enrollment, LearningPath, SessionRegistration, TrainingSession
from .selectors import training_policy

MAX_COURSE_ROWS = 15


def people_in_scope(scope: MetricScope, user_field: str = "user_id") -> Q:
    """The page's filters as a Q over any model with a user (`user_field` names its column)."""
    requested = RequestedPerson.objects.filter(
        scoped_requests(scope, "access_request__"),
        access_request__status=RequestStatus.APPROVED,
        user_id=OuterRef(user_field),
    )
    if scope.request_type_id or scope.since or scope.until:
        return Q(Exists(requested))
    if scope.agency_id:
        member = Membership.objects.filter(
            continuum=scope.continuum, agency_id=scope.agency_id, is_active=True, user_id=OuterRef(user_field)
        )
        return Q(Exists(member)) | Q(Exists(requested))
    return Q()


def _paths(scope: MetricScope):
    return LearningPath.objects.filter(people_in_scope(scope), continuum=scope.continuum).order_by()


def _cutoff(scope: MetricScope) -> tuple[int, dt.datetime]:
    days = scope.once(
        "training.stalled_after_days", lambda: training_policy(scope.continuum).stalled_after_days
    )
    return days, timezone.now() - dt.timedelta(days=days)


@register_metric("training.stages", order=52)
def learning_path_stages(scope: MetricScope) -> Chart:
    days, cutoff = _cutoff(scope)
    idle = Q(progress_at__lt=cutoff)
    open_path = Q(is_complete=False)
    counts = (
        _paths(scope)
        .annotate(progress_at=Coalesce("last_progress_at", "assigned_at"))
        .aggregate(
            not_started=Count("id", filter=open_path & ~idle & Q(percent_complete=0)),
            in_progress=Count("id", filter=open_path & ~idle & Q(percent_complete__gt=0)),
            stalled=Count("id", filter=open_path & idle),
            complete=Count("id", filter=Q(is_complete=True)),
        )
    )
    total = sum(counts.values())
    rows = [
        Row("Not started", [counts["not_started"]]),
        Row("In progress", [counts["in_progress"]]),
        Row(f"Stalled ({days}+ days idle)", [counts["stalled"]]),
        Row(
            "Learning path complete",
            [counts["complete"]],
            note=f"{round(100 * counts['complete'] / total)}% of {total}" if total else "",
        ),
    ]
    return Chart(
        key="training-stages",
        title="People per learning-path stage",
        description=f"Everyone with a learning path, by where they are: not started, progressing, stalled "
        f"(no progress for {days} days or more) or complete.",
        series=["People"],
        rows=rows,
        colours=(NAVY,),
        empty_text="Nobody has a learning path for these filters.",
    )


@register_metric("training.completion_days", order=54)
def completion_days(scope: MetricScope) -> Chart:
    """Calendar days from approval (when the path is assigned) to the whole path's completion (its
    last course's completion) and to each course's completion. Courses completed before approval
    (earlier training that counts) are left out."""
    paths = _paths(scope)
    # The path is complete when its last course is: one grouped join (a correlated subquery per path
    # is read three times by PostgreSQL, once per aggregate and once for the filter).
    whole_paths = paths.filter(is_complete=True).annotate(
        done_at=Max("user__enrollments__completed_at", filter=Q(user__enrollments__continuum=scope.continuum))
    )
    # One learning path per person and CoC (a unique constraint), so the join gives each completed
    # course its path's assignment.
    courses = Enrollment.objects.filter(
        people_in_scope(scope),
        continuum=scope.continuum,
        completed_at__isnull=False,
        user__learning_paths__continuum=scope.continuum,
        completed_at__gte=F("user__learning_paths__assigned_at"),
    ).order_by()
    course_rows = []
    if percentiles_in_database():
        days = DaysBetween("assigned_at", "done_at")
        whole = whole_paths.filter(done_at__gte=F("assigned_at")).aggregate(
            median=Median(days), p90=NearestRank(days, 0.9), n=Count("id")
        )
        whole_row = Row(
            "Whole learning path", [whole["median"], whole["p90"]], note=f"{whole['n']} completed"
        )
        course_days = DaysBetween("user__learning_paths__assigned_at", "completed_at")
        per_course = (
            courses.values("course__position", "course__name")
            .annotate(median=Median(course_days), p90=NearestRank(course_days, 0.9), n=Count("id"))
            .order_by("course__position", "course__name")[:MAX_COURSE_ROWS]
        )
        for r in per_course:
            course_rows.append(Row(r["course__name"], [r["median"], r["p90"]], note=f"{r['n']} completed"))
    else:
        whole_list = [
            (done - assigned).total_seconds() / 86400
            for assigned, done in whole_paths.values_list("assigned_at", "done_at")
            if done is not None and done >= assigned
        ]
        per_course_lists: dict[tuple[int, str], list[float]] = defaultdict(list)
        for position, name, assigned, done in courses.values_list(
            "course__position", "course__name", "user__learning_paths__assigned_at", "completed_at"
        ):
            per_course_lists[(position, name)].append((done - assigned).total_seconds() / 86400)
        whole_row = Row(
            "Whole learning path",
            [median(whole_list), percentile(whole_list, 0.9)],
            note=f"{len(whole_list)} completed",
        )
        for (_, name), values in sorted(per_course_lists.items())[:MAX_COURSE_ROWS]:
            course_rows.append(
                Row(name, [median(values), percentile(values, 0.9)], note=f"{len(values)} completed")
            )
    return Chart(
        key="training-completion-days",
        title="Days from approval to training completion",
        description="Calendar days from the approval that assigned the learning path to its completion, "
        "and to each course's completion: the median and the 90th percentile (nine in ten finished "
        "within it).",
        series=["Median", "90th percentile"],
        rows=[whole_row, *course_rows] if whole_row.values[0] is not None or course_rows else [],
        layout="group",
        unit="days",
        colours=(BLUE, NAVY),
        empty_text="Nobody completed training for these filters.",
    )


@register_metric("training.stalls", order=56)
def courses_where_people_stall(scope: MetricScope) -> Chart:
    days, cutoff = _cutoff(scope)
    open_paths = LearningPath.objects.filter(
        continuum=scope.continuum, user_id=OuterRef("user_id"), is_complete=False
    )
    top = list(
        Enrollment.objects.filter(
            people_in_scope(scope),
            Exists(open_paths),
            continuum=scope.continuum,
            state__in=(Enrollment.State.AVAILABLE, Enrollment.State.IN_PROGRESS),
        )
        .annotate(idle_since=Coalesce("last_progress_at", "started_at", "lms_enrolled_at", "created_at"))
        .filter(idle_since__lt=cutoff)
        .values("course__name")
        .annotate(
            started=Count("id", filter=Q(percent__gt=0)),
            never=Count("id", filter=Q(percent=0)),
            total=Count("id"),
        )
        .order_by("-total", "course__name")[:10]
    )
    return Chart(
        key="training-stalls",
        title="Courses where people stall",
        description=f"Open courses with no progress for {days} days or more, by course (the ten with the "
        "most people): people who started and stopped, and people who never started.",
        series=["Started, then stopped", "Never started"],
        rows=[Row(r["course__name"], [r["started"], r["never"]]) for r in top],
        colours=(RED, GREY),
        empty_text="Nobody is stalled in a course.",
    )


@register_metric("training.completion_rates", order=57)
def course_completion_rates(scope: MetricScope) -> Chart:
    per_course = list(
        Enrollment.objects.filter(people_in_scope(scope), continuum=scope.continuum)
        .values("course__name", "course__position")
        .annotate(
            completed=Count("id", filter=Q(state=Enrollment.State.COMPLETED)),
            total=Count("id"),
        )
        .order_by("course__position", "course__name")[:MAX_COURSE_ROWS]
    )
    rows = []
    for r in per_course:
        rate = round(100 * r["completed"] / r["total"]) if r["total"] else 0
        rows.append(
            Row(r["course__name"], [r["completed"], r["total"] - r["completed"]], note=f"{rate}% complete")
        )
    return Chart(
        key="training-completion-rates",
        title="Course completion rates",
        description="People enrolled in each course (on their learning path) who completed it, and "
        "those who have not yet.",
        series=["Completed", "Not yet"],
        rows=rows,
        colours=(GREEN, GREY),
        empty_text="Nobody is enrolled in a course for these filters.",
    )


@register_metric("training.session_fill", order=58)
def session_fill_rate(scope: MetricScope) -> Chart:
    tz = scope.continuum.tzinfo
    sessions = TrainingSession.objects.filter(
        continuum=scope.continuum, is_cancelled=False, course__kind=Course.Kind.INSTRUCTOR_LED
    )
    if scope.since:
        sessions = sessions.filter(starts_at__gte=dt.datetime.combine(scope.since, dt.time.min, tzinfo=tz))
    if scope.until:
        end = dt.datetime.combine(scope.until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        sessions = sessions.filter(starts_at__lt=end)
    seats = {
        r["course__name"]: r
        for r in sessions.order_by()
        .values("course__name", "course__position")
        .annotate(
            capacity=Coalesce(Sum("capacity"), Value(0), output_field=IntegerField()), sessions=Count("id")
        )
    }
    taken = {
        r["session__course__name"]: r
        # The period picks the sessions; agency and form pick whose seats count.
        for r in SessionRegistration.objects.filter(
            people_in_scope(replace(scope, since=None, until=None)), session__in=sessions.values("pk")
        )
        .order_by()
        .values("session__course__name")
        .annotate(
            registered=Count("id", filter=Q(status=SessionRegistration.Status.REGISTERED)),
            waitlisted=Count("id", filter=Q(status=SessionRegistration.Status.WAITLISTED)),
        )
    }
    rows = []
    for name, r in sorted(seats.items(), key=lambda item: (item[1]["course__position"], item[0])):
        booked = taken.get(name, {}).get("registered", 0)
        waiting = taken.get(name, {}).get("waitlisted", 0)
        capacity = r["capacity"]
        fill = f"{round(100 * booked / capacity)}% full" if capacity else "no seats"
        note = f"{fill} · {r['sessions']} session{'s' if r['sessions'] != 1 else ''} · {waiting} waitlisted"
        rows.append(Row(name, [booked, max(capacity - booked, 0)], note=note))
    return Chart(
        key="training-session-fill",
        title="Instructor-led sessions: seats filled",
        description="Seats taken and still open in the sessions held in the period (cancelled sessions "
        "left out), per course. With an agency or form filter, only those people's seats count as taken.",
        series=["Seats taken", "Seats open"],
        rows=rows,
        colours=(BLUE, GREY),
        empty_text="No instructor-led sessions in this period.",
    )
