"""A real Celery worker subprocess for tests, on the test's own (committed) database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def database_url() -> str:
    """The test database as a URL the worker subprocess can open."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    assert host in LOCAL_HOSTS, "the crash test only talks to 127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A hmis_onboarding worker` with the test settings, the test database and mail to the
    SMTP server on `smtp_port`; solo pool, so a fault hook's SIGKILL takes the whole worker down."""

    def __init__(self, log_dir: Path, smtp_port: int, name: str, env: dict[str, str] | None = None) -> None:
        dropped = ("CELERY_BROKER_URL", "NOTIFICATION_FAULT_POINT")
        base = {k: v for k, v in os.environ.items() if k not in dropped}
        env = {
            **base,
            "DJANGO_SETTINGS_MODULE": "hmis_onboarding.settings.test",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "TEST_SEND_REAL_EMAIL": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.process = self._start(env, name, log)

    @staticmethod
    def _start(env: dict[str, str], name: str, log) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hmis_onboarding",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                f"--hostname={name}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_for_death(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=max(0.1, timeout))
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])
