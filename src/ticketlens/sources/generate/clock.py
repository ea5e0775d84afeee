"""Vectorised business-time arithmetic on int64 seconds since 1970-01-01 (naive wall clock).

Business time is Monday-Friday inside ``[open, close)`` hours. ``to_business`` maps a wall
moment to the business seconds elapsed since a fixed Monday (a moment outside business hours
maps to the next opening); ``from_business`` is its inverse onto business hours. Adding a
business duration is ``from_business(to_business(t) + d)``: pure integer arithmetic, no
calendar loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86_400
HOUR = 3_600
# 1970-01-01 was a Thursday: shifting day numbers by 3 makes day 0 a Monday (1969-12-29).
_MONDAY_SHIFT = 3


@dataclass(frozen=True)
class BusinessClock:
    open_hour: int
    close_hour: int

    @property
    def day_seconds(self) -> int:
        return (self.close_hour - self.open_hour) * HOUR

    def to_business(self, t: np.ndarray) -> np.ndarray:
        day = t // DAY + _MONDAY_SHIFT
        week, weekday = np.divmod(day, 7)
        within = np.clip(t % DAY - self.open_hour * HOUR, 0, self.day_seconds)
        within = np.where(weekday < 5, within, 0)
        return (week * 5 + np.minimum(weekday, 5)) * self.day_seconds + within

    def from_business(self, b: np.ndarray) -> np.ndarray:
        k, r = np.divmod(b, self.day_seconds)
        week, weekday = np.divmod(k, 5)
        day = week * 7 + weekday - _MONDAY_SHIFT
        return day * DAY + self.open_hour * HOUR + r

    def add_business(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return self.from_business(self.to_business(t) + seconds)

    def in_business_hours(self, t: np.ndarray) -> np.ndarray:
        day = t // DAY + _MONDAY_SHIFT
        second = t % DAY
        return ((day % 7) < 5) & (second >= self.open_hour * HOUR) & (
            second < self.close_hour * HOUR)


def weekday(t: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (t // DAY + _MONDAY_SHIFT) % 7


def next_weekend_morning(t: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The Saturday 10:00 after ``t`` (or the same weekend's Sunday if ``t`` is past Saturday
    10:00), plus ``offset`` seconds."""
    day = t // DAY
    wd = weekday(t)
    saturday = day + (5 - wd) % 7
    candidate = saturday * DAY + 10 * HOUR
    sunday = (day + np.where(wd == 6, 0, 1)) * DAY + 10 * HOUR
    candidate = np.where((wd >= 5) & (candidate <= t), sunday, candidate)
    late = candidate <= t  # Sunday after 10:00: next Saturday
    candidate = np.where(late, (saturday + 7) * DAY + 10 * HOUR, candidate)
    return candidate + offset
