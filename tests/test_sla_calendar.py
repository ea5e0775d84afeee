"""Business-time arithmetic: the vectorised cumulative function against a plain day-by-day
reference, and its inverse, on random calendars, zones (with DST) and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketlens.clock.calendar import US_PER_SECOND, WorkingTime
from ticketlens.clock.policy import Calendar

ZONES = ("UTC", "Europe/London", "America/New_York", "Australia/Sydney")
START = datetime(2024, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Range boundaries avoid 01:00-03:59 local, where DST gaps and repeats lie in these zones, so
# the reference can build each boundary with plain zoneinfo.
HOURS = [h for h in range(25) if not 1 <= h <= 3]


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@st.composite
def calendars(draw, first: date = date(2024, 1, 1), last: date = date(2024, 12, 31)
              ) -> Calendar:
    zone = draw(st.sampled_from(ZONES))
    days = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.sampled_from(HOURS), max_size=4)))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        days.append(tuple((cuts[i] * 3600, cuts[i + 1] * 3600) for i in range(0, len(cuts), 2)))
    if not any(days):
        days[0] = ((9 * 3600, 17 * 3600),)
    holidays = tuple(sorted(draw(st.sets(
        st.dates(first, last), max_size=5))))
    return Calendar("c", zone, tuple(days), holidays=holidays)


def reference_business_seconds(cal: Calendar, t0: datetime, t1: datetime) -> float:
    """Working seconds in [t0, t1), day by day with zoneinfo (test oracle, loops allowed)."""
    if cal.hours is None:
        return (t1 - t0).total_seconds()
    zone = ZoneInfo(cal.timezone)
    total = 0.0
    day = t0.astimezone(zone).date() - timedelta(days=1)
    while day <= t1.astimezone(zone).date() + timedelta(days=1):
        if day not in cal.holidays:
            for start_s, end_s in cal.hours[day.weekday()]:
                midnight = datetime(day.year, day.month, day.day)
                start = (midnight + timedelta(seconds=start_s)).replace(tzinfo=zone)
                end = (midnight + timedelta(seconds=end_s)).replace(tzinfo=zone)
                lo, hi = max(start, t0), min(end, t1)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


instants = st.integers(0, 360 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(0, 40 * 24 * 3600))
def test_business_time_matches_the_day_by_day_reference(cal: Calendar, t0: datetime,
                                                        span: int) -> None:
    t1 = t0 + timedelta(seconds=span)
    wt = WorkingTime(cal, _us(START), _us(START + timedelta(days=400)))
    got = wt.business(np.array([_us(t0)]), np.array([_us(t1)]))[0] / US_PER_SECOND
    assert got == reference_business_seconds(cal, t0, t1)


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(1, 30 * 24 * 3600))
def test_instant_inverts_cumulative(cal: Calendar, t0: datetime, work: int) -> None:
    """instant(W(t0) + w) is the first instant by which w seconds of work have passed."""
    wt = WorkingTime(cal, _us(START), _us(START + timedelta(days=30)))
    w0 = wt.cumulative(np.array([_us(t0)]))
    due = wt.instant(w0 + work * US_PER_SECOND)  # may lie beyond the layout: it extends
    assert wt.cumulative(due)[0] - w0[0] == work * US_PER_SECOND
    assert wt.cumulative(due - 1)[0] - w0[0] < work * US_PER_SECOND
    assert due[0] > _us(t0)


BEFORE_1970 = datetime(1966, 1, 1, tzinfo=UTC)  # instants run from here across the epoch
old_instants = st.integers(0, 5 * 365 * 24 * 3600).map(
    lambda s: BEFORE_1970 + timedelta(seconds=s))


@settings(max_examples=60, deadline=None)
@given(calendars(date(1965, 12, 1), date(1971, 1, 31)), old_instants,
       st.integers(0, 40 * 24 * 3600))
def test_business_time_before_1970_matches_the_day_by_day_reference(
        cal: Calendar, t0: datetime, span: int) -> None:
    """Instants before 1970 are negative µs: the same arithmetic, the zones' rules of then."""
    t1 = t0 + timedelta(seconds=span)
    wt = WorkingTime(cal, _us(BEFORE_1970), _us(BEFORE_1970 + timedelta(days=5 * 366)))
    got = wt.business(np.array([_us(t0)]), np.array([_us(t1)]))[0] / US_PER_SECOND
    assert got == reference_business_seconds(cal, t0, t1)
    w0 = wt.cumulative(np.array([_us(t0)]))
    due = wt.instant(w0 + 3600 * US_PER_SECOND)
    assert wt.cumulative(due)[0] - w0[0] == 3600 * US_PER_SECOND


def _office(zone: str, country: str | None = None) -> Calendar:
    return Calendar("b", zone, tuple(((8 * 3600, 17 * 3600),) if d < 5 else ()
                                     for d in range(7)), country=country)


def _at(text: str) -> int:
    return _us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def test_1969_follows_the_rules_of_1969() -> None:
    """Britain kept summer time all winter from 1968 to 1971: 08:00 in London on Monday
    1 December 1969 was 07:00 UTC. The US closed on Christmas Day 1969 (a Thursday)."""
    london = WorkingTime(_office("Europe/London"), _at("1969-11-30"), _at("1970-01-31"))
    day = london.business(np.array([_at("1969-12-01 00:00")]), np.array([_at("1969-12-01 07:30")]))
    assert day[0] == 1800 * US_PER_SECOND
    due = london.instant(london.cumulative(np.array([_at("1969-12-01 00:00")])) + 1)
    assert due[0] == _at("1969-12-01 07:00") + 1
    us = WorkingTime(_office("America/New_York", "US"), _at("1969-12-01"), _at("1970-01-31"))
    week = us.business(np.array([_at("1969-12-22 00:00")]), np.array([_at("1969-12-27 00:00")]))
    assert week[0] == 4 * 9 * 3600 * US_PER_SECOND  # Mon-Fri but Christmas


def test_year_1_counts_from_its_first_day() -> None:
    """0001-01-01, a Monday, is a working day, in zones east and west of UTC too."""
    for zone, offset in (("UTC", "00:00:00"), ("Asia/Tokyo", "09:18:59"),
                         ("America/New_York", "-04:56:02")):
        wt = WorkingTime(_office(zone), _at("0001-01-01"), _at("0001-02-01"))
        sign = -1 if offset.startswith("-") else 1
        h, m, s = (int(x) for x in offset.lstrip("-").split(":"))
        shift = sign * (h * 3600 + m * 60 + s) * US_PER_SECOND
        start, end = _at("0001-01-01 08:00") - shift, _at("0001-01-01 17:00") - shift
        assert wt.business(np.array([start - 60 * US_PER_SECOND]),
                           np.array([end + 60 * US_PER_SECOND]))[0] == 9 * 3600 * US_PER_SECOND
        assert wt.instant(wt.cumulative(np.array([start])) + 1)[0] == start + 1


def test_24x7_is_the_wall_clock() -> None:
    wt = WorkingTime(Calendar("24x7"), 0, 10**12)
    t = np.array([5, 10**9, 3 * 10**11])
    assert (wt.business(t, t + 123) == 123).all()
    assert (wt.instant(wt.cumulative(t) + 77) == t + 77).all()


def test_lookups_are_vectorised_over_many_instants() -> None:
    """A million lookups in one call, each equal to its scalar self."""
    cal = Calendar("b", "Europe/London", tuple(((8 * 3600, 17 * 3600),) if d < 5 else ()
                                                for d in range(7)))
    wt = WorkingTime(cal, _us(START), _us(START + timedelta(days=366)))
    rng = np.random.default_rng(7)
    t = _us(START) + rng.integers(0, 365 * 86_400 * US_PER_SECOND, 1_000_000)
    whole = wt.cumulative(t)
    picks = rng.integers(0, len(t), 50)
    assert all(wt.cumulative(t[i:i + 1])[0] == whole[i] for i in picks)
    assert (np.diff(wt.cumulative(np.sort(t))) >= 0).all()
