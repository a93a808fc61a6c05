"""Configuration: production refuses unsafe settings; the embedded default is what we claim."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


PROD = {
    "DJANGO_SETTINGS_MODULE": "hmis_onboarding.settings.production",
    "ALLOWED_HOSTS": "hmis.example.org",
}


def test_it_refuses_to_start_production_without_a_secret_key():
    result = run_manage("check", **PROD)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_production_with_debug_on():
    result = run_manage("check", DEBUG="true", SECRET_KEY=secrets.token_urlsafe(64), **PROD)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_it_passes_the_deploy_checks_in_production():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(64), **PROD
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only"
)
def test_it_runs_sqlite_in_wal_mode_with_immediate_transactions():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_uses_postgresql_and_redis_when_configured():
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
    if os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


def test_the_readme_documents_every_environment_variable_the_settings_read():
    import re

    names: set[str] = set()
    for module in (ROOT / "hmis_onboarding" / "settings").glob("*.py"):
        source = module.read_text()
        # env("X"), env.int("X", ...), environ.Env().str("X", ...), and the Env(X=(type, default)) schema.
        names |= set(re.findall(r'\benv(?:\(\))?(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
        names |= set(re.findall(r'Env\(\)\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
        names |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]+)=\(", source, re.MULTILINE))
    assert {"DATABASE_URL", "REDIS_URL", "HMIS_VAR_DIR", "SESSION_IDLE_TIMEOUT_MINUTES"} <= names
    readme = (ROOT / "README.md").read_text()
    # First cell of a table row; it may name several (`STATIC_ROOT` / `MEDIA_ROOT`).
    documented = {
        n
        for row in re.findall(r"^\| (`[A-Z].*?) \|", readme, re.MULTILINE)
        for n in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)
    }
    assert not names - documented, (
        f"Read by the settings but missing from README's tables: {sorted(names - documented)}"
    )


def test_make_test_fails_loudly_when_pytest_collects_nothing():
    result = subprocess.run(
        ["make", "-s", "test", "PYTEST_ARGS=tests/test_imports.py -k no_test_has_this_name -q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "pytest collected no tests: failing." in result.stderr
