# One image for web, worker and beat (they differ only in their command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=hmis_onboarding.settings.production \
    HMIS_VAR_DIR=/var/lib/hmis

# WeasyPrint needs Pango; curl is for health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --system --create-home --home-dir /home/hmis hmis \
    && mkdir -p /var/lib/hmis && chown hmis /var/lib/hmis

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# collectstatic needs settings that import cleanly; these build-time values are never used at run time.
RUN SECRET_KEY=build-only-build-only-build-only-build-only-build-only-0000 ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

USER hmis
EXPOSE 8000
CMD ["gunicorn", "hmis_onboarding.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
