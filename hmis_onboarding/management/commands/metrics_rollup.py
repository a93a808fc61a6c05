"""Compute the metrics page's unfiltered figures now for one or every CoC (what the hourly
`metrics-rollup` beat entry does through Celery), e.g. after loading data or in `make bench`."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from hmis_onboarding.management import continuums_option
from hmis_onboarding.metric_snapshots import metrics_rollup


class Command(BaseCommand):
    help = "Roll up the metrics page's figures (unfiltered) for one or every CoC, now."

    def add_arguments(self, parser):
        parser.add_argument("--continuum", help="Slug of one CoC; default: every CoC.")

    def handle(self, *args, continuum: str | None = None, **options):
        continuums = continuums_option(continuum)
        for coc in continuums:
            snapshot = metrics_rollup(continuum=coc)
            self.stdout.write(f"{coc.slug}: {len(snapshot.charts)} charts in {snapshot.duration_ms} ms")
