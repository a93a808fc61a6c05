"""Training demo data for the two reference CoCs: their catalogs (seeds 001/003 and 004), an LMS
configuration pointing at the local fake TalentLMS (`manage.py run_fake_lms`), and people at
every stage of their learning path. Idempotent: `seed_demo` runs it on every start."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agencies.models import Continuum
from hmis_onboarding.models import User

from . import services
from .models import Course, Enrollment, LmsConfiguration
from .path import Needs, ProjectNeed

DEMO_LMS_URL = "http://127.0.0.1:8765"
DEMO_LMS_KEY = "demo-talentlms-key"
CATALOG_FOR_SLUG = {"chicago": "chicago", "los-angeles": "los-angeles"}


def _needs(*projects: tuple[int | None, tuple[str, ...]], **kwargs) -> Needs:
    return Needs(projects=tuple(ProjectNeed(t, frozenset(tags)) for t, tags in projects), **kwargs)


# (e-mail, needs, {course code: (percent, days ago completed or None)})
DEMO_PATHS = {
    "chicago": [
        (
            "chicago.user@example.org",
            _needs((1, ()), (3, ())),
            {"intro-to-hmis": (100, 20), "data-management": (40, None)},
        ),
        ("l.mendez@example.org", _needs((11, ())), {}),
        ("s.johnson@example.org", _needs(read_only=True), {"intro-to-hmis-read-only": (65, None)}),
        (
            "k.brooks@example.org",
            _needs((4, ("PATH",)), hrs=True),
            {"intro-to-hmis": (100, 50), "data-management": (100, 45), "outreach-path": (60, None)},
        ),
        (
            "a.nowak@example.org",
            _needs((4, ())),
            {
                "intro-to-hmis": (100, 120),
                "data-management": (100, 110),
                "outreach-path": (100, 30),
                "sample-client-instructions": (100, 2),
            },
        ),
    ],
    "los-angeles": [
        (
            "la.user@example.org",
            _needs(training_roles=frozenset({"housing-navigator"})),
            {"hmis-10": (100, 9)},
        ),
        ("d.ortiz@example.org", _needs(training_roles=frozenset({"housing-provider"})), {}),
        (
            "r.singh@example.org",
            _needs(training_roles=frozenset({"community-matcher"}), new_user=False),
            {},
        ),
    ],
}


def seed_training_demo(now: dt.datetime | None = None) -> int:
    """Load catalogs and demo paths into whichever reference CoCs exist; returns records created."""
    now = now or timezone.now()
    created = 0
    for continuum in Continuum.objects.filter(slug__in=CATALOG_FOR_SLUG):
        result = services.catalog_load(
            continuum=continuum, spec=services.catalog_spec(CATALOG_FOR_SLUG[continuum.slug])
        )
        created += result.total
        if continuum.slug == "chicago":
            config, new = LmsConfiguration.objects.get_or_create(
                continuum=continuum,
                defaults={"base_url": DEMO_LMS_URL, "enabled": False, "poll_interval_minutes": 5},
            )
            if new:
                config.set_api_key(DEMO_LMS_KEY)
                config.save(update_fields=["api_key_encrypted", "api_key_set_at"])
                created += 1
        courses = {c.code: c for c in Course.objects.filter(continuum=continuum)}
        for email, needs, progress in DEMO_PATHS.get(continuum.slug, []):
            person = User.objects.filter(email=email).first()
            if person is None:
                continue
            if continuum.slug == "chicago":
                services.lms_account_request(continuum=continuum, person=person, email=email)
            before = Enrollment.objects.filter(user=person).count()
            services.learning_path_assign(
                continuum=continuum, person=person, needs=needs, source="demo", now=now
            )
            for code, (percent, days_ago) in progress.items():
                services.enrollment_record_progress(
                    continuum=continuum,
                    person=person,
                    course=courses[code],
                    percent=percent,
                    completed_at=now - dt.timedelta(days=days_ago) if days_ago is not None else None,
                    source=Enrollment.Source.STAFF,
                    now=now - dt.timedelta(days=days_ago or 1),
                )
            created += Enrollment.objects.filter(user=person).count() - before
    return created


# (course code, days from today, local start hour, capacity, location, webinar link, registrants)
DEMO_SESSIONS = [
    ("hmis-10", -9, 9, 25, "", "https://example.org/webinar/hmis-10", ["la.user@example.org"]),
    ("hmis-509-full", -3, 9, 20, "LAHSA training room, 811 Wilshire Blvd", "", ["la.supervisor@example.org"]),
    ("hmis-10", 6, 9, 25, "", "https://example.org/webinar/hmis-10", ["d.ortiz@example.org"]),
    ("hmis-511", 8, 13, 2, "", "https://example.org/webinar/hmis-511", ["la.ata@example.org"]),
    ("hmis-509-half", 13, 9, 20, "LAHSA training room, 811 Wilshire Blvd", "", []),
]


def seed_session_demo(now: dt.datetime | None = None) -> int:
    """A few past and upcoming LA sessions with registrations and the past ones' attendance.
    Idempotent: does nothing once the CoC has sessions."""
    from .models import SessionRegistration, TrainingSession
    from .sessions import attendance_record

    now = now or timezone.now()
    continuum = Continuum.objects.filter(slug="los-angeles").first()
    if continuum is None or TrainingSession.objects.filter(continuum=continuum).exists():
        return 0
    courses = {c.code: c for c in Course.objects.filter(continuum=continuum)}
    trainer = User.objects.filter(email="la.helpdesk@example.org").first()
    today = timezone.localtime(now, continuum.tzinfo).date()
    created = 0
    for code, days, hour, capacity, location, link, emails in DEMO_SESSIONS:
        course = courses.get(code)
        if course is None:
            continue
        starts_at = dt.datetime.combine(
            today + dt.timedelta(days=days), dt.time(hour), tzinfo=continuum.tzinfo
        )
        # Written directly: the scheduling service only accepts future sessions.
        session = TrainingSession.objects.create(
            continuum=continuum,
            course=course,
            starts_at=starts_at,
            duration_minutes=course.duration_minutes or 60,
            capacity=capacity,
            location=location,
            webinar_url=link,
            trainer=trainer,
        )
        created += 1
        for email in emails:
            person = User.objects.filter(email=email).first()
            if person is None:
                continue
            registration = SessionRegistration.objects.create(
                continuum=continuum,
                session=session,
                user=person,
                queued_at=starts_at - dt.timedelta(days=5),
                registered_by=person,
            )
            created += 1
            if days < 0:
                attendance_record(registration=registration, attendance="present", actor=trainer, now=now)
    return created
