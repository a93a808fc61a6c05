"""The Celery application. Every periodic schedule lives in `hmis_onboarding.schedules`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis_onboarding.settings.local")

app = Celery("hmis_onboarding")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    from .schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
