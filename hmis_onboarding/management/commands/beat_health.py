"""Health check of the one Celery beat (docker-compose.yml): is it still sending the schedule?

The beat sends `flush-outbox` every minute and django-celery-beat's DatabaseScheduler writes each
entry's last run to the database at least every three minutes; a beat that hangs, or lost its
database or broker, stops moving that time.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

HEARTBEAT_ENTRY = "flush-outbox"


class Command(BaseCommand):
    help = "Exit non-zero when the beat has not sent its every-minute task recently."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=600, help="seconds (default 600)")

    def handle(self, *args, max_age: int, **options):
        last = PeriodicTask.objects.filter(name=HEARTBEAT_ENTRY).values_list("last_run_at", flat=True).first()
        if last is None:
            raise CommandError(f"The beat has not sent {HEARTBEAT_ENTRY} yet.")
        age = (timezone.now() - last) / dt.timedelta(seconds=1)
        if age > max_age:
            raise CommandError(f"The beat last sent {HEARTBEAT_ENTRY} {int(age)} s ago (limit {max_age} s).")
        self.stdout.write(f"ok: {HEARTBEAT_ENTRY} sent {int(age)} s ago")
