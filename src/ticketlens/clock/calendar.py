"""Vectorised business-time arithmetic: working time as a cumulative function.

A calendar's working intervals are laid out once in UTC over the span of the data. Then

* ``cumulative(t)`` = working microseconds from the span's origin up to instant ``t``
  (a ``searchsorted`` plus a cumulative sum), so the business duration between two instants is
  the difference of two lookups;
* ``instant(w)`` = the earliest instant at which ``cumulative`` reaches ``w`` (the inverse
  lookup), which gives breach and warning instants.

Both take and return numpy ``int64`` arrays of microseconds since the Unix epoch (UTC), so
results are exact to the microsecond across nights, weekends, holidays and DST changes — no
loop over minutes, days or tickets.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ticketlens.clock.policy import Calendar

US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * US_PER_SECOND
# The span a layout may cover: Python's dates, one day in from each end, so that the local
# date of either end is a date in any zone (every UTC offset is under a day).
_MIN_US = int(np.datetime64("0001-01-02", "us").astype(np.int64))
_MAX_US = int(np.datetime64("9999-12-30", "us").astype(np.int64))
# The local days laid out: from year 1's first (a ticket of 0001-01-01 counts its working
# hours) to 9999-12-30 (a later local day's hours west of UTC would end in year 10000, which
# pandas cannot localise: 9999-12-31 counts no working time).
_FIRST_DAY, _LAST_DAY = date(1, 1, 1), date(9999, 12, 30)


class WorkingTime:
    """Cumulative working time of one calendar between ``start_us`` and ``end_us``.

    The span is widened by a margin so that instants a little outside it still resolve;
    ``instant`` extends the layout on demand when asked for more working time than it holds.
    """

    def __init__(self, calendar: Calendar, start_us: int, end_us: int) -> None:
        self.calendar = calendar
        # the clocks run in threads and a lookup may lay the calendar out further ahead
        self._lock = threading.Lock()
        self._lay_out(start_us - 2 * _US_PER_DAY, end_us + 2 * _US_PER_DAY)

    # --- layout -------------------------------------------------------------------------

    def _lay_out(self, start_us: int, end_us: int) -> None:
        self.start_us, self.end_us = start_us, end_us
        if self.calendar.is_always:
            self.starts = np.array([start_us], dtype=np.int64)
            self.ends = np.array([end_us], dtype=np.int64)
        else:
            self.starts, self.ends = _working_intervals(self.calendar, start_us, end_us)
        lengths = self.ends - self.starts
        self.cum_after = np.cumsum(lengths)
        self.cum_before = self.cum_after - lengths
        self._offset = self.cum_before - self.starts  # cumulative(t) = t + offset inside one

    @property
    def total_us(self) -> int:
        return int(self.cum_after[-1]) if len(self.cum_after) else 0

    # --- lookups ------------------------------------------------------------------------

    def cumulative(self, t_us: np.ndarray) -> np.ndarray:
        """Working microseconds from the layout's origin up to each instant in ``t_us``."""
        with self._lock:
            return self._cumulative(np.asarray(t_us, dtype=np.int64))

    def _cumulative(self, t: np.ndarray) -> np.ndarray:
        if self.calendar.is_always:
            return t - self.start_us
        if not len(t):
            return np.zeros(0, dtype=np.int64)
        earliest, latest = int(t.min()), int(t.max())
        if latest > self.end_us:
            # Same origin, later end: values already computed stay valid.
            self._lay_out(self.start_us, latest + 31 * _US_PER_DAY)
        if earliest < self.start_us:
            raise ValueError("instant before the calendar's layout: build it from the earliest")
        k = np.searchsorted(self.starts, t, side="right") - 1
        if len(self.starts) and earliest >= int(self.starts[0]):
            # every instant has a working interval at or before it (the layout starts early):
            # cum_before[k] + min(t - starts[k], length[k]), in two gathers
            return np.minimum(t + self._offset[k], self.cum_after[k])
        inside = k >= 0
        kk = np.where(inside, k, 0)
        within = np.clip(t - self.starts[kk], 0, self.ends[kk] - self.starts[kk])
        return np.where(inside, self.cum_before[kk] + within, 0)

    def instant(self, w_us: np.ndarray) -> np.ndarray:
        """The earliest instant at which ``cumulative`` reaches each value of ``w_us``."""
        with self._lock:
            return self._instant(np.asarray(w_us, dtype=np.int64))

    def _instant(self, w: np.ndarray) -> np.ndarray:
        if self.calendar.is_always:
            return w + self.start_us
        while len(w) and int(w.max()) > self.total_us and self.end_us < _MAX_US:
            # Deadlines may lie past the data's span (open tickets): lay out further ahead
            # (up to the end of year 9999: the instants past it run on as if round the clock).
            self._extend(int(w.max()) - self.total_us)
        k = np.searchsorted(self.cum_after, w, side="left")
        k = np.minimum(k, len(self.starts) - 1)
        return self.starts[k] + (w - self.cum_before[k])

    def _extend(self, missing_us: int) -> None:
        weekly = self.calendar.weekly_seconds() * US_PER_SECOND
        weeks = missing_us // weekly + 2
        # Same origin, later end: values already computed against this layout stay valid.
        self._lay_out(self.start_us, self.end_us + int(weeks) * 7 * _US_PER_DAY + 31 * _US_PER_DAY)

    def business(self, t0_us: np.ndarray, t1_us: np.ndarray) -> np.ndarray:
        """Working microseconds between two instants (element-wise, ``t1 >= t0``)."""
        return self.cumulative(t1_us) - self.cumulative(t0_us)


def _working_intervals(calendar: Calendar, start_us: int, end_us: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """The calendar's working intervals ``[start, end)`` in UTC microseconds, sorted."""
    zone = calendar.timezone
    # Days are laid out in microseconds (nanoseconds end in 2262; instants before 1970 are
    # negative like any other) and within Python's years 1-9999, which every instant a
    # workspace holds lies in: instants beyond the clamped layout count no working time.
    start_us = min(max(start_us, _MIN_US), _MAX_US)
    end_us = min(max(end_us, _MIN_US), _MAX_US)
    first = max(_local_date(start_us, zone), _FIRST_DAY + timedelta(1)) - timedelta(1)
    last = min(_local_date(end_us, zone), _LAST_DAY - timedelta(1)) + timedelta(1)
    days = pd.date_range(first, last, freq="D", unit="us")  # local calendar days, naive
    closed = _closed_days(calendar, first, last)
    if closed:
        days = days[~days.normalize().isin(pd.DatetimeIndex(sorted(closed)))]
    weekday = days.day_of_week.to_numpy()
    local_starts: list[np.ndarray] = []
    local_ends: list[np.ndarray] = []
    day_us = days.as_unit("us").asi8  # naive local midnight, µs
    assert calendar.hours is not None
    for wd, ranges in enumerate(calendar.hours):
        on_day = day_us[weekday == wd]
        for start_s, end_s in ranges:
            local_starts.append(on_day + start_s * US_PER_SECOND)
            local_ends.append(on_day + end_s * US_PER_SECOND)
    if not local_starts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = _to_utc_us(np.concatenate(local_starts), zone, earliest=True)
    ends = _to_utc_us(np.concatenate(local_ends), zone, earliest=False)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    keep = ends > starts  # a range swallowed by a DST gap has no length
    return starts[keep], ends[keep]


def _local_date(us: int, zone: str) -> date:
    return pd.Timestamp(us, unit="us", tz="UTC").tz_convert(zone).date()


def _to_utc_us(local_us: np.ndarray, zone: str, *, earliest: bool) -> np.ndarray:
    """Naive local wall times → UTC microseconds.

    Wall times in a DST gap move forward to the first valid instant; wall times that occur
    twice (clocks going back) resolve to the first occurrence for range starts and the second
    for range ends, so a working range always covers the whole repeated hour.
    """
    index = pd.DatetimeIndex(local_us.astype("datetime64[us]"))
    ambiguous = np.full(len(index), earliest, dtype=bool)
    aware = index.tz_localize(zone, ambiguous=ambiguous, nonexistent="shift_forward")
    return aware.as_unit("us").asi8.astype(np.int64)


def _closed_days(calendar: Calendar, first: date, last: date) -> set[date]:
    closed = {d for d in calendar.holidays if first <= d <= last}
    if calendar.country:
        import holidays

        public = holidays.country_holidays(
            calendar.country, subdiv=calendar.subdivision, years=range(first.year, last.year + 1)
        )
        closed.update(d for d in public if first <= d <= last)
    return closed
