"""The business calendar: properties that must hold for any date, holidays and offsets."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmis_onboarding import business_calendar as bc
from hmis_onboarding.business_calendar import BusinessCalendar, us_federal_holidays
from hmis_onboarding.models import ContinuumCalendar, ContinuumHoliday

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")

dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
holiday_sets = st.frozensets(dates, max_size=40)
steps = st.integers(min_value=-120, max_value=120)


def calendar(holidays: frozenset[dt.date] = frozenset()) -> BusinessCalendar:
    return BusinessCalendar(tz=CHICAGO, holidays=holidays)


@given(start=dates, n=steps, holidays=holiday_sets)
@settings(max_examples=300, deadline=None)
def test_it_counts_back_exactly_the_business_days_it_added(start, n, holidays):
    cal = calendar(holidays)
    assert cal.business_days_between(start, cal.add_business_days(start, n)) == n


@given(start=dates, n=st.integers(min_value=1, max_value=120), holidays=holiday_sets)
@settings(max_examples=300, deadline=None)
def test_it_never_lands_on_a_weekend_or_holiday(start, n, holidays):
    cal = calendar(holidays)
    for result in (cal.add_business_days(start, n), cal.add_business_days(start, -n)):
        assert result.weekday() < 5
        assert result not in holidays
        assert cal.is_business_day(result)


@given(a=dates, b=dates, holidays=holiday_sets)
@settings(max_examples=300, deadline=None)
def test_it_counts_like_a_day_by_day_walk_and_is_antisymmetric(a, b, holidays):
    cal = calendar(holidays)
    lo, hi = min(a, b), max(a, b)
    walked = sum(1 for i in range(1, (hi - lo).days + 1) if cal.is_business_day(lo + dt.timedelta(days=i)))
    assert cal.business_days_between(lo, hi) == walked
    # Backwards counts the business days in [end, start): shift by one day to compare.
    back_walk = sum(1 for i in range(0, (hi - lo).days) if cal.is_business_day(lo + dt.timedelta(days=i)))
    assert cal.business_days_between(hi, lo) == -back_walk


@given(start=dates, n=st.integers(min_value=0, max_value=60), m=st.integers(min_value=0, max_value=60))
@settings(max_examples=200, deadline=None)
def test_it_adds_business_days_in_steps_as_in_one_go(start, n, m):
    cal = calendar(frozenset(d for d, _ in us_federal_holidays(start.year)))
    first = cal.add_business_days(start, n)
    if n == 0:
        return  # adding 0 keeps a weekend start on the weekend; the identity needs a business day
    assert cal.add_business_days(first, m) == cal.add_business_days(start, n + m)


moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)
)


@given(moment=moments, hour=st.integers(0, 23))
@settings(max_examples=200, deadline=None)
def test_it_finds_the_next_business_time_at_an_hour(moment, hour):
    cal = calendar(frozenset(d for y in range(2024, 2032) for d, _ in us_federal_holidays(y)))
    found = cal.next_business_time_at(hour, moment)
    local = found.astimezone(CHICAGO)
    assert found >= moment
    assert cal.is_business_day(local.date())
    # The wall-clock hour is the one asked for (except where DST skips it, then one hour later).
    assert local.hour in (hour, hour + 1)
    # Nothing earlier qualifies: only the moment's own day could, and its slot has passed or it is
    # not a business day.
    own_day = cal.local_date(moment)
    if local.date() != own_day:
        assert not cal.is_business_day(own_day) or cal.at_local(own_day, hour) < moment


def test_it_skips_a_weekend_and_a_holiday():
    labor_day = dt.date(2026, 9, 7)
    cal = calendar(frozenset({labor_day}))
    friday = dt.date(2026, 9, 4)
    assert cal.add_business_days(friday, 1) == dt.date(2026, 9, 8)  # Tuesday after Labor Day
    assert cal.business_days_between(friday, dt.date(2026, 9, 8)) == 1
    assert cal.add_business_days(friday, 0) == friday
    assert cal.add_business_days(dt.date(2026, 9, 8), -1) == friday


def test_it_counts_requests_after_hours_from_the_next_business_day():
    cal = BusinessCalendar(tz=LOS_ANGELES, holidays=frozenset({dt.date(2026, 11, 26)}))
    la = LOS_ANGELES
    assert cal.business_day_of(dt.datetime(2026, 11, 24, 7, 0, tzinfo=la)) == dt.date(2026, 11, 24)
    assert cal.business_day_of(dt.datetime(2026, 11, 24, 16, 59, tzinfo=la)) == dt.date(2026, 11, 24)
    assert cal.business_day_of(dt.datetime(2026, 11, 24, 17, 0, tzinfo=la)) == dt.date(2026, 11, 25)
    # Wednesday evening before Thanksgiving: Thursday is a holiday, so Friday.
    assert cal.business_day_of(dt.datetime(2026, 11, 25, 18, 0, tzinfo=la)) == dt.date(2026, 11, 27)
    assert cal.is_working_time(dt.datetime(2026, 11, 24, 10, 0, tzinfo=la))
    assert not cal.is_working_time(dt.datetime(2026, 11, 26, 10, 0, tzinfo=la))
    # LA's 3-business-day access SLA (seed 004) for a request on the Wednesday before Thanksgiving.
    received = cal.business_day_of(dt.datetime(2026, 11, 25, 10, 0, tzinfo=la))
    assert cal.add_business_days(received, 3) == dt.date(2026, 12, 1)


def test_it_handles_the_spring_forward_gap():
    cal = calendar()
    # 02:00 on Sunday 2026-03-08 does not exist in Chicago: clocks jump to 03:00.
    gap = cal.at_local(dt.date(2026, 3, 8), 2)
    assert gap.astimezone(CHICAGO).hour == 3
    monday_8am = cal.next_business_time_at(8, dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC))
    assert monday_8am == dt.datetime(2026, 3, 9, 8, 0, tzinfo=CHICAGO)
    assert monday_8am.astimezone(dt.UTC).hour == 13  # CDT is UTC-5 after the change


def test_it_knows_the_federal_holidays_with_observed_days():
    days = dict(us_federal_holidays(2026))
    assert len(days) == 11
    assert days[dt.date(2026, 1, 1)] == "New Year's Day"
    assert days[dt.date(2026, 1, 19)].startswith("Birthday of Martin Luther King")
    assert days[dt.date(2026, 5, 25)] == "Memorial Day"
    assert days[dt.date(2026, 6, 19)].startswith("Juneteenth")
    assert days[dt.date(2026, 7, 3)] == "Independence Day"  # 4 July 2026 is a Saturday
    assert days[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[dt.date(2026, 12, 25)] == "Christmas Day"
    # 1 January 2028 is a Saturday: observed on Friday 31 December 2027.
    assert dt.date(2027, 12, 31) in dict(us_federal_holidays(2027))
    assert dt.date(2027, 12, 31) not in dict(us_federal_holidays(2028))
    assert len(us_federal_holidays(2028)) == 10
    assert not any("Juneteenth" in name for _, name in us_federal_holidays(2020))


@pytest.mark.django_db
def test_it_reads_the_continuums_holidays_hours_and_time_zone(tenant_a):
    continuum = tenant_a.continuum
    continuum.timezone = "America/Los_Angeles"
    continuum.save(update_fields=["timezone"])
    ContinuumHoliday.objects.create(continuum=continuum, date=dt.date(2026, 12, 24), name="Christmas Eve")
    ContinuumCalendar.objects.create(
        continuum=continuum, workday_start=dt.time(8), workday_end=dt.time(16, 30)
    )
    cal = bc.calendar_for(continuum)
    assert cal.tz == LOS_ANGELES and cal.workday_end == dt.time(16, 30)
    assert not bc.is_business_day(continuum, dt.date(2026, 12, 24))
    assert bc.add_business_days(continuum, dt.date(2026, 12, 23), 1) == dt.date(
        2026, 12, 25
    )  # not a holiday here
    assert bc.business_days_between(continuum, dt.date(2026, 12, 23), dt.date(2026, 12, 28)) == 2
    # 04:00 UTC on the 24th is still the evening of the 23rd in Los Angeles.
    assert bc.is_business_day(continuum, dt.datetime(2026, 12, 24, 4, 0, tzinfo=dt.UTC))
    found = bc.next_business_time_at(continuum, 8, dt.datetime(2026, 12, 23, 20, 0, tzinfo=dt.UTC))
    assert found == dt.datetime(2026, 12, 25, 8, 0, tzinfo=LOS_ANGELES)
    # Other CoCs are untouched by this one's holidays.
    assert bc.calendar_for(continuum).holidays == frozenset({dt.date(2026, 12, 24)})
