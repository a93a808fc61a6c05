"""The bench's Celery entry point: the application's Celery app plus one bench task that runs, inside
a real worker process, what the nightly beat runs (the sweeps) and what a large LMS import runs (the
ingest), each inside a transaction that is rolled back so every run starts from the same data.

  celery -A bench.worker worker --pool solo      (started by bench/run.py)
  python -m bench.worker send <result.json>      (queues the task; the worker writes the result file)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from hmis_onboarding.celery import app

SLUG = "metro"
INGEST_ROWS = 250_000


class _Rollback(Exception):
    pass


def _measured(fn: Callable[[], Any]) -> dict[str, Any]:
    """Run fn in a transaction that is rolled back; its wall time and SQL query count."""
    from django.db import connection, transaction

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic(), connection.execute_wrapper(count):
            started = time.perf_counter()
            outcome["result"] = fn()
            outcome["seconds"] = round(time.perf_counter() - started, 3)
            raise _Rollback
    except _Rollback:
        pass
    outcome["queries"] = queries[0]
    return outcome


def _reminder_moment(continuum) -> tuple[dt.datetime, dt.date]:
    """The next business day at the CoC's digest hour (when its daily run is due)."""
    from hmis_onboarding.business_calendar import calendar_for
    from hmis_onboarding.notifications import notification_settings_for

    cal = calendar_for(continuum)
    cfg = notification_settings_for(continuum)
    day = dt.datetime.now(cal.tz).date()
    while not cal.is_business_day(day):
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(cfg.digest_hour, 30), tzinfo=cal.tz)
    return moment, day


def sweeps() -> dict[str, Any]:
    from access_requests.tasks import sweep_access_lifecycle_for_continuum
    from agencies.models import Continuum
    from agencies.tasks import sweep_agreement_expiry_for_continuum
    from hmis_onboarding.reminders import reminders_run

    continuum = Continuum.objects.get(slug=SLUG)
    out: dict[str, Any] = {}
    out["agreement_expiry"] = _measured(lambda: sweep_agreement_expiry_for_continuum(continuum.pk))
    out["access_lifecycle"] = _measured(lambda: sweep_access_lifecycle_for_continuum(continuum.pk))
    moment, day = _reminder_moment(continuum)

    def reminders():
        result = reminders_run(continuum_id=continuum.pk, day=day, now=moment)
        return (
            None
            if result is None
            else {"items": result.items, "digests": result.digests, "immediate": result.immediate}
        )

    out["daily_reminders"] = _measured(reminders)
    for value in out.values():
        value["result"] = json.loads(json.dumps(value.get("result"), default=str))
    out["total_seconds"] = round(sum(v["seconds"] for v in out.values()), 3)
    out["total_queries"] = sum(v["queries"] for v in out.values() if isinstance(v, dict))
    return out


def progress_export(continuum, limit: int) -> bytes:
    """An LMS progress export of the CoC's enrolments, a step further on than the database: what a
    real export looks like the day after people kept working (completed rows repeat unchanged)."""
    from training.models import Enrollment

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["User e-mail", "Course name", "Completion percentage", "Completion date"])
    rows = (
        Enrollment.objects.filter(continuum=continuum, lms_account__isnull=False)
        .order_by("pk")
        .values_list("lms_account__email", "course__name", "percent", "completed_at")[:limit]
    )
    today = dt.date.today().isoformat()
    for n, (email, course, percent, completed_at) in enumerate(rows.iterator(chunk_size=10_000)):
        if completed_at is not None:
            writer.writerow([email, course, 100, completed_at.date().isoformat()])
        else:
            new = min(100, percent + 10 + n % 60)
            writer.writerow([email, course, new, today if new == 100 else ""])
    return buffer.getvalue().encode()


def ingest() -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from agencies.models import Continuum, Membership
    from hmis_onboarding.models import User
    from training import imports

    continuum = Continuum.objects.get(slug=SLUG)
    staff = Membership.objects.filter(continuum=continuum, role="help_desk").order_by("user_id").first()
    actor = User.objects.get(pk=staff.user_id)
    data = progress_export(continuum, INGEST_ROWS)
    rows = data.count(b"\n") - 1

    def real():
        record = imports.progress_import_create(
            continuum=continuum, actor=actor, upload=SimpleUploadedFile("progress.csv", data, "text/csv")
        )
        summary = imports.progress_import_apply(progress_import=record, actor=actor)
        return {"valid_rows": record.valid_rows, "error_rows": record.error_rows, **summary}

    def raw_copy():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_progress_copy "
                "(email text, course text, percent int, completed_on text)"
            )
            with cursor.cursor.copy(
                "COPY bench_progress_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy:
                copy.write(data)
        return rows

    ours = _measured(real)
    floor = _measured(raw_copy)
    return {
        "rows": rows,
        "seconds": ours["seconds"],
        "queries": ours["queries"],
        "result": ours["result"],
        "copy_seconds": floor["seconds"],
        "ratio_to_copy": round(ours["seconds"] / floor["seconds"], 1) if floor["seconds"] else None,
    }


@app.task(name="bench.nightly_and_ingest")
def nightly_and_ingest(result_path: str) -> str:
    result = {"sweeps": sweeps(), "ingest": ingest()}
    with open(result_path + ".tmp", "w") as handle:
        json.dump(result, handle)
    import os

    os.replace(result_path + ".tmp", result_path)
    return result_path


if __name__ == "__main__" and sys.argv[1:2] == ["send"]:
    nightly_and_ingest.apply_async(args=[sys.argv[2]], queue="bench")
