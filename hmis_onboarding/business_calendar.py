"""Business days of a Continuum of Care: weekends, its holidays and working hours, in its time zone.

SLAs ("access within 3 business days", seed 004) and reminder timing count business days. Sweeps
that evaluate many dates should call `calendar_for(continuum)` once and use the returned
`BusinessCalendar`; the module-level functions are conveniences that load it per call.

Conventions (the property tests in tests/test_business_calendar.py hold them):
- `add_business_days(start, n)` for n ≥ 1 is the n-th business day after `start` (start itself not
  counted), so it is always a business day; n = 0 returns `start` unchanged; n < 0 counts backwards.
- `business_days_between(start, end)` counts business days d with start < d ≤ end (negative when
  end is before start), so `business_days_between(s, add_business_days(s, n)) == n` for every n.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
DEFAULT_WORKDAY_START = dt.time(9, 0)
DEFAULT_WORKDAY_END = dt.time(17, 0)
# A guard against runaway loops when a calendar is (mis)configured with no business days at all.
_MAX_SCAN_DAYS = 3660


class NoBusinessDays(ValueError):
    pass


@dataclass(frozen=True)
class BusinessCalendar:
    tz: dt.tzinfo
    holidays: frozenset[dt.date] = frozenset()
    workday_start: dt.time = DEFAULT_WORKDAY_START
    workday_end: dt.time = DEFAULT_WORKDAY_END
    weekend: frozenset[int] = field(default=WEEKEND)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def local_date(self, moment: dt.datetime | dt.date) -> dt.date:
        if isinstance(moment, dt.datetime):
            return timezone.localtime(moment, self.tz).date() if timezone.is_aware(moment) else moment.date()
        return moment

    def next_business_day(self, day: dt.date) -> dt.date:
        """The first business day on or after `day`."""
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_business_day(day):
                return day
            day += dt.timedelta(days=1)
        raise NoBusinessDays("The calendar has no business day within ten years.")

    def add_business_days(self, start: dt.date | dt.datetime, n: int) -> dt.date:
        day = self.local_date(start)
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        scanned = 0
        while remaining:
            day += dt.timedelta(days=step)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS + abs(n) * 7:
                raise NoBusinessDays("The calendar has no business day within ten years.")
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
        a, b = self.local_date(start), self.local_date(end)
        if a == b:
            return 0
        sign = 1
        if b < a:
            # Business days d with end ≤ d < start, negated: the mirror image of the forward count.
            a, b = b - dt.timedelta(days=1), a - dt.timedelta(days=1)
            sign = -1
        return sign * self._count(a, b)

    def _count(self, a: dt.date, b: dt.date) -> int:
        """Business days d with a < d ≤ b, in O(weeks + holidays) rather than a day-by-day walk."""
        total_days = (b - a).days
        weeks, extra = divmod(total_days, 7)
        workdays_per_week = 7 - len(self.weekend)
        count = weeks * workdays_per_week
        day = a + dt.timedelta(days=weeks * 7)
        for _ in range(extra):
            day += dt.timedelta(days=1)
            if day.weekday() not in self.weekend:
                count += 1
        count -= sum(1 for h in self.holidays if a < h <= b and h.weekday() not in self.weekend)
        return count

    def business_day_of(self, moment: dt.datetime) -> dt.date:
        """The business day on which something that happened at `moment` counts as received:
        that day within working hours, otherwise the next business day (after hours, weekends,
        holidays). Work that arrives before opening counts from the same business day."""
        local = timezone.localtime(moment, self.tz)
        day = local.date()
        if self.is_business_day(day) and local.time() < self.workday_end:
            return day
        return self.next_business_day(day + dt.timedelta(days=1))

    def is_working_time(self, moment: dt.datetime) -> bool:
        local = timezone.localtime(moment, self.tz)
        return self.is_business_day(local.date()) and self.workday_start <= local.time() < self.workday_end

    def at_local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """An aware datetime for `hour:minute` on `day` in the CoC's zone (DST gaps resolve forward)."""
        naive = dt.datetime.combine(day, dt.time(hour, minute))
        aware = naive.replace(tzinfo=self.tz)
        # Wall-clock times that do not exist (spring forward) round-trip to a different hour.
        round_trip = aware.astimezone(dt.UTC).astimezone(self.tz)
        return round_trip if round_trip.replace(tzinfo=None) != naive else aware

    def next_business_time_at(self, hour: int, after: dt.datetime | None = None) -> dt.datetime:
        """The first moment at `hour`:00 local time on a business day that is at or after `after`."""
        if not 0 <= hour <= 23:
            raise ValueError("hour must be between 0 and 23")
        after = after or timezone.now()
        day = timezone.localtime(after, self.tz).date()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_business_day(day):
                candidate = self.at_local(day, hour)
                if candidate >= after:
                    return candidate
            day += dt.timedelta(days=1)
        raise NoBusinessDays("The calendar has no business day within ten years.")


def calendar_for(continuum: Any) -> BusinessCalendar:
    """The continuum's calendar: its time zone, working hours (defaults until saved) and holidays."""
    from .models import ContinuumCalendar, ContinuumHoliday
    from .tenancy import preloaded

    found, settings_row = preloaded(continuum, "business_calendar")
    if not found:
        settings_row = ContinuumCalendar.objects.filter(continuum=continuum).first()
    holidays = frozenset(ContinuumHoliday.objects.filter(continuum=continuum).values_list("date", flat=True))
    return BusinessCalendar(
        tz=zoneinfo.ZoneInfo(continuum.timezone),
        holidays=holidays,
        workday_start=settings_row.workday_start if settings_row else DEFAULT_WORKDAY_START,
        workday_end=settings_row.workday_end if settings_row else DEFAULT_WORKDAY_END,
    )


def is_business_day(continuum: Any, day: dt.date | dt.datetime) -> bool:
    cal = calendar_for(continuum)
    return cal.is_business_day(cal.local_date(day))


def add_business_days(continuum: Any, start: dt.date | dt.datetime, n: int) -> dt.date:
    return calendar_for(continuum).add_business_days(start, n)


def business_days_between(continuum: Any, start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    return calendar_for(continuum).business_days_between(start, end)


def next_business_time_at(continuum: Any, hour: int, after: dt.datetime | None = None) -> dt.datetime:
    return calendar_for(continuum).next_business_time_at(hour, after)


# --- US federal holidays ------------------------------------------------------------------------------
# 5 U.S.C. 6103. When a fixed-date holiday falls on a Saturday the federal observance is the Friday
# before, on a Sunday the Monday after; HMIS Leads follow the observed day.


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The observed US federal holidays of `year` (Juneteenth from 2021, when it became one)."""
    mon, thu = 0, 3
    days: list[tuple[dt.date, str]] = [
        (_observed(dt.date(year, 1, 1)), "New Year's Day"),
        (_nth_weekday(year, 1, mon, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, mon, 3), "Washington's Birthday"),
        (_last_weekday(year, 5, mon), "Memorial Day"),
    ]
    if year >= 2021:
        days.append((_observed(dt.date(year, 6, 19)), "Juneteenth National Independence Day"))
    days += [
        (_observed(dt.date(year, 7, 4)), "Independence Day"),
        (_nth_weekday(year, 9, mon, 1), "Labor Day"),
        (_nth_weekday(year, 10, mon, 2), "Columbus Day"),
        (_observed(dt.date(year, 11, 11)), "Veterans Day"),
        (_nth_weekday(year, 11, thu, 4), "Thanksgiving Day"),
        (_observed(dt.date(year, 12, 25)), "Christmas Day"),
    ]
    # New Year's Day of the next year may be observed on 31 December of this one.
    next_new_year = _observed(dt.date(year + 1, 1, 1))
    if next_new_year.year == year:
        days.append((next_new_year, "New Year's Day (observed)"))
    return sorted(d for d in days if d[0].year == year)
