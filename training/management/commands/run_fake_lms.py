"""Serve the local fake TalentLMS for demos: `manage.py run_fake_lms --configure --simulate 20`.

It offers the CoC's catalog courses (same LMS ids and prerequisites), and with --configure points
the CoC's LMS settings at itself and turns the sync on, so `make run` shows progress arriving from
an LMS. With --simulate N, learners advance every N seconds. Never use this in production.
"""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Continuum
from training.demo import DEMO_LMS_KEY
from training.lms.fake_server import FakeTalentLms
from training.models import Course, Prerequisite
from training.services import lms_configuration_update


class Command(BaseCommand):
    help = "Serve a local fake TalentLMS (v1 API) on 127.0.0.1 for demos."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--key", default=DEMO_LMS_KEY, help="The API key the fake accepts.")
        parser.add_argument("--continuum", default="chicago", help="Slug of the CoC whose catalog to offer.")
        parser.add_argument("--configure", action="store_true", help="Point the CoC's LMS settings here.")
        parser.add_argument("--simulate", type=float, default=0, help="Advance learners every N seconds.")
        parser.add_argument("--rate", type=int, default=200, help="Calls allowed per 5 seconds.")

    def handle(
        self, *args, port: int, key: str, continuum: str, configure: bool, simulate: float, rate: int, **opts
    ):
        if not (settings.DEBUG or settings.DEMO_MODE):
            raise CommandError("The fake LMS is for local demos only (DEBUG or DEMO_MODE).")
        coc = Continuum.objects.filter(slug=continuum).first()
        if coc is None:
            raise CommandError(f"No CoC with slug {continuum!r}; run `manage.py seed_demo` first.")
        fake = FakeTalentLms(api_key=key, port=port, rate_limit=(rate, 5.0))
        courses = Course.objects.filter(continuum=coc).exclude(lms_course_id="").prefetch_related("parts")
        for course in courses:
            if not course.lms_course_id.isdigit():
                continue
            prerequisites = [
                {"course_id": link.requires.lms_course_id, "course_name": link.requires.name}
                for link in Prerequisite.objects.filter(course=course).select_related("requires")
                if link.requires.lms_course_id
            ]
            fake.add_course(
                course.name,
                course_id=int(course.lms_course_id),
                units=[p.title for p in course.parts.all()] or None,
                prerequisites=prerequisites,
            )
        fake.start()
        self.stdout.write(f"Fake TalentLMS for {coc} at {fake.base_url} (API key: {key}); Ctrl-C stops it.")
        if configure:
            lms_configuration_update(
                continuum=coc,
                actor=None,
                api_key=key,
                base_url=fake.base_url,
                enabled=True,
                poll_interval_minutes=5,
            )
            self.stdout.write("The CoC's LMS settings now point here and the sync is on.")
        rng = random.Random()
        # The final-instructions course opens only when the whole path is done (an engine rule the
        # LMS does not know); simulated learners leave it alone.
        final = frozenset(
            int(c.lms_course_id)
            for c in courses
            if c.category == Course.Category.FINAL and c.lms_course_id.isdigit()
        )
        try:
            while True:
                time.sleep(simulate or 3600)
                if simulate:
                    moved = fake.simulate_learning(rng, skip_courses=final)
                    if moved:
                        self.stdout.write(f"{moved} learner(s) made progress.")
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
