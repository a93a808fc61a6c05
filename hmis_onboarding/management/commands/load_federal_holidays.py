"""Add a year's observed US federal holidays to the business calendar of one or every CoC."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from hmis_onboarding.management import continuums_option
from hmis_onboarding.services import holidays_load_us_federal


class Command(BaseCommand):
    help = "Load the observed US federal holidays of a year into CoC business calendars (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", help="Year (repeatable); default: this and next year."
        )
        parser.add_argument("--continuum", help="Slug of one CoC; default: every CoC.")

    def handle(self, *args, year: list[int] | None = None, continuum: str | None = None, **options):
        years = year or [timezone.now().year, timezone.now().year + 1]
        continuums = continuums_option(continuum)
        for coc in continuums:
            for y in years:
                added = holidays_load_us_federal(continuum=coc, year=y)
                self.stdout.write(f"{coc.coc_code} {y}: {added} holiday(s) added.")
