"""Bulk scale data for benchmarks: `manage.py seed_scale --profile metro|national [--scale F]`."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Generate benchmark data in bulk: metro = one CoC with 900 agencies, 15,000 people, 40,000 "
        "access requests, 250,000 course enrolments and 1,000,000 audit events; national = 400 CoCs "
        "whose sizes fall off from a metro (about 11.6 metros in all). --scale multiplies every count."
    )

    def add_arguments(self, parser):
        parser.add_argument("--profile", choices=["metro", "national"], default="metro")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply every count (e.g. 0.05 for a small national)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--force", action="store_true", help="Run even under production settings (never on real data)."
        )

    def handle(self, *args, profile: str, scale: float, seed: int, force: bool, **options):
        from bench.seed import AlreadySeeded, seed_scale

        if settings.SETTINGS_MODULE.endswith(".production") and not force:
            raise CommandError(
                "Refusing to write benchmark data under production settings. Use a scratch database "
                "with local or test settings, or pass --force if this really is a throw-away database."
            )
        if not 0 < scale <= 100:
            raise CommandError("--scale must be greater than 0 and at most 100.")
        started = time.perf_counter()
        try:
            report = seed_scale(profile=profile, scale=scale, seed=seed, log=self.stdout.write)
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from exc
        for name, count in report.rows.items():
            self.stdout.write(f"  {name:<16} {count:>10,} rows  {report.seconds[name]:7.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data ready: profile {profile} × {scale:g}, {report.continuums} CoC(s) "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
