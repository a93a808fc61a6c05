"""docker-compose.yml: the stack README promises, and a beat health check that notices a stalled beat."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_it_runs_postgres_redis_web_one_worker_and_exactly_one_beat(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    beats = [name for name, s in services.items() if " beat" in command_of(s)]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    workers = [name for name, s in services.items() if " worker" in command_of(s)]
    assert workers == ["worker"]
    assert all("scale" not in s and s.get("deploy", {}).get("replicas", 1) == 1 for s in services.values())


def test_it_migrates_before_gunicorn_starts(compose):
    command = command_of(compose["services"]["web"])
    assert "manage.py migrate" in command and "gunicorn" in command
    assert command.index("manage.py migrate") < command.index("gunicorn")


def test_it_gives_every_service_a_health_check_and_the_app_waits_for_healthy_services(compose):
    services = compose["services"]
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert {d: depends[d]["condition"] for d in depends} == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }


def test_it_keeps_data_in_named_volumes(compose):
    named = set(compose["volumes"])
    mounts = [m for s in compose["services"].values() for m in s.get("volumes", [])]
    assert mounts
    for mount in mounts:
        source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
        assert source in named, f"{mount} is not a named volume"
    assert {"postgres-data", "redis-data", "media"} <= named


@pytest.mark.django_db
def test_the_beat_health_check_fails_when_the_beat_stops_sending(monkeypatch):
    from django_celery_beat import schedulers
    from django_celery_beat.schedulers import DatabaseScheduler

    from hmis_onboarding.celery import app

    with pytest.raises(CommandError, match="not sent flush-outbox yet"):
        call_command("beat_health")
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        # What a running beat does: install the schedule, send the every-minute task, sync.
        # (It closes "old" connections, which would close the test's transaction; a beat owns its own.)
        monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)
        app.finalize()  # installs hmis_onboarding.schedules.BEAT_SCHEDULE, as at start-up
        scheduler = DatabaseScheduler(app=app)
        scheduler.reserve(scheduler.schedule["flush-outbox"])
        scheduler.sync()
        out = io.StringIO()
        call_command("beat_health", stdout=out)
        assert out.getvalue().startswith("ok")
        traveller.shift(dt.timedelta(minutes=11))
        with pytest.raises(CommandError, match="last sent flush-outbox"):
            call_command("beat_health")


def test_every_web_server_runs_with_the_repositorys_gunicorn_settings(compose):
    """The image, docker-compose's web service and `make bench` start gunicorn with
    gunicorn.conf.py, so what the bench measures is what is deployed."""
    assert "--config gunicorn.conf.py" in command_of(compose["services"]["web"])
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "bench" / "run.py").read_text()


def test_a_gunicorn_worker_freezes_what_it_loaded_at_start():
    """After start-up the loaded app sits in the collector's permanent generation, so a full
    collection during a request no longer walks it (the review queue's ~100 ms p95 spike)."""
    import gc
    import runpy

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
