"""Every periodic task of the system, in one place, each with the reason it runs when it does.

django-celery-beat's DatabaseScheduler copies these entries into its tables at start-up, so staff
can see them in the admin; exactly one beat process may run (docker-compose.yml has one service).
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Expired sessions pile up in the session table; clear them nightly at a quiet hour (UTC).
    "clear-expired-sessions": {
        "task": "hmis_onboarding.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    # The outbox's safety net: re-queues e-mails whose task was lost (broker restart, worker killed
    # before it acknowledged) and releases rows a dead worker had claimed. Every minute bounds how
    # late such an e-mail can be; the run is a couple of indexed queries when nothing is stuck.
    "flush-outbox": {
        "task": "hmis_onboarding.tasks.flush_outbox",
        "schedule": 60.0,
    },
    # Daily reminders and digests go out at each CoC's own digest hour in its own time zone, on its
    # business days. CoCs span time zones, so a single UTC time cannot serve them: every 5 minutes
    # the dispatcher starts the runs that have come due (each CoC at most once per local day).
    "dispatch-daily-reminders": {
        "task": "hmis_onboarding.tasks.dispatch_daily_reminders",
        "schedule": crontab(minute="*/5"),
    },
    # Agreements expire by the calendar; once a day (after midnight in the US time zones of the CoCs,
    # before their staff start work) record the ones that lapsed and the ones entering the warning
    # window, so the status list, the gate and the reminder e-mails agree by morning.
    "sweep-agreement-expiry": {
        "task": "agencies.tasks.sweep_agreement_expiry",
        "schedule": crontab(hour=9, minute=5),
    },
    # HMIS accounts: warn, then suspend, people inactive past the window; suspend the accounts of
    # agencies whose agreement lapsed; expire sample client assignments whose days ran out (and give
    # their seats to the waitlist); close onboardings idle past the CoC's window (the ATA is asked for a
    # new training request). After the agreement sweep (same morning), so a lapse recorded at
    # 09:05 suspends access the same day.
    "sweep-access-lifecycle": {
        "task": "access_requests.tasks.sweep_access_lifecycle",
        "schedule": crontab(hour=9, minute=35),
    },
    # TalentLMS has no webhooks, so training progress is polled. This only queues CoCs whose own
    # poll interval (LMS settings, default 15 min) has passed; each run stays within the CoC's share
    # of the LMS's hourly quota and resumes where the previous one stopped.
    "lms-progress-sync": {
        "task": "training.tasks.lms_sync_due",
        "schedule": crontab(minute="*/5"),
    },
    # The metrics page reads stored figures (a roll-up; hmis_onboarding.metric_snapshots): every
    # CoC's unfiltered figures are recomputed hourly (under a second each for a metro CoC), so the
    # page opens on figures at most an hour old; at :40, after the :05/:35 nightly sweeps.
    "metrics-rollup": {
        "task": "hmis_onboarding.tasks.metrics_rollup",
        "schedule": crontab(minute=40),
    },
    # Filtered figures nobody asked for in two days are deleted (computed again when asked for).
    "metrics-prune": {
        "task": "hmis_onboarding.tasks.metrics_prune",
        "schedule": crontab(hour=10, minute=50),
    },
}
