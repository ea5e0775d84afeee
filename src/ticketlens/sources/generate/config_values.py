"""The value checks of the desk configuration, and the value types they build (shares that sum to
1, [low, high] ranges).

Each check takes the value and the key it came from, and raises a ``ConfigError`` naming the key
and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketlens.core.config import reject_unknown_keys
from ticketlens.core.errors import ConfigError


@dataclass(frozen=True)
class Weights:
    """Named shares summing to 1, in a fixed order."""

    names: tuple[str, ...]
    probs: tuple[float, ...]

    def of(self, name: str) -> float:
        return self.probs[self.names.index(name)] if name in self.names else 0.0


@dataclass(frozen=True)
class Span:
    """A [low, high] range to draw a duration or count from."""

    low: float
    high: float



def number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key} = {value!r} is not a number; give a number")
    return float(value)


def rate(value: Any, key: str) -> float:
    x = number(value, key)
    if not 0.0 <= x <= 1.0:
        raise ConfigError(f"{key} = {value!r} is not a probability; use a value between 0 and 1")
    return x


def positive(value: Any, key: str) -> float:
    x = number(value, key)
    if x <= 0:
        raise ConfigError(f"{key} = {value!r} must be greater than 0")
    return x


def non_negative(value: Any, key: str) -> float:
    x = number(value, key)
    if x < 0:
        raise ConfigError(f"{key} = {value!r} is negative; use 0 or more")
    return x


def proficiency(value: Any, key: str) -> float:
    x = number(value, key)
    if not 0 < x <= 1:
        raise ConfigError(f"{key} = {value!r}: proficiency must be in (0, 1] (1 = expert)")
    return x


def count(value: Any, what: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} = {value!r}: {what} must be a whole number")
    if value < 0:
        raise ConfigError(f"{key} = {value}: {what} cannot be negative; use 0 or more")
    return int(value)


def seed(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key} = {value!r}: the seed must be a whole number >= 0")
    return int(value)


def span(value: Any, key: str, name: str | None = None) -> Span:
    """A [low, high] range; ``name`` (a duration key such as ``assign_minutes``) also caps the
    high end at ``span_limit(name)``."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigError(f"{key} = {value!r}: give a range as [low, high]")
    low, high = (number(v, key) for v in value)
    if low < 0:
        raise ConfigError(f"{key} = {value!r}: the low end is negative; use 0 or more")
    if low > high:
        raise ConfigError(f"{key} = {value!r}: low is above high; write it as [{value[1]}, "
                          f"{value[0]}]")
    if name is not None:
        limit, unit = _span_rule(name)
        if high > limit:
            raise ConfigError(f"{key} = {value!r}: the high end is above {limit:,} {unit}; "
                              f"give a range within [0, {limit:,}]")
    return Span(low, high)


# The longest duration a range may draw, by the unit its key ends in: a year of each. Every
# journey then ends within decades of its window, so its times stay inside the generator's
# 34-bit clock (see LAST_DAY); an absurd range such as [15, 1e300] is refused, not simulated.
_SPAN_RULES = (("resolution_", "_hours", 2_080, "working hours (a working year)"),
               ("", "_minutes", 525_600, "minutes (a year)"),
               ("", "_hours", 8_760, "hours (a year)"),
               ("", "_business_days", 260, "business days (a year)"),
               ("", "_weeks", 52, "weeks (a year)"),
               ("escalation_extra", "", 10, "(an escalated resolution up to 11 times as long)"))


def _span_rule(name: str) -> tuple[int, str]:
    for prefix, suffix, limit, unit in _SPAN_RULES:
        if name.startswith(prefix) and name.endswith(suffix):
            return limit, unit
    raise KeyError(name)


def span_limit(name: str) -> int:
    """The largest high end a duration range ``name`` accepts."""
    return _span_rule(name)[0]


# The generator's clock counts int64 seconds since 1970-01-01 and keys workload by
# ``technician << 34 | second`` (34 bits reach 2514): windows must lie within these days.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2399, 12, 31)


def window_day(value: Any, key: str) -> date:
    day = as_date(value, key)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ConfigError(f"{key} = {day.isoformat()}: the generator's window must lie between "
                          f"{FIRST_DAY} and {LAST_DAY} (its clock counts seconds from 1970); "
                          "choose days in that range")
    return day


def weights(table: Any, allowed: tuple[str, ...], key: str) -> Weights:
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{key} must be a table of name = share")
    reject_unknown_keys(table, allowed, key)
    probs = [rate(table[name], f"{key} {name}") for name in allowed if name in table]
    names = [name for name in allowed if name in table]
    total = math.fsum(probs)
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"{key}: the shares sum to {total:.6g}, not 1; adjust them so they add "
                          "up to 1")
    return Weights(tuple(names), tuple(probs))


def as_date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{key} = {value!r} is not a date; write it as YYYY-MM-DD")


def timezone(value: Any, key: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key} = {value!r} is not a known time zone; use an IANA name such "
                          "as UTC or Europe/London") from None
    return str(value)


def plain(obj: Any) -> Any:
    if isinstance(obj, Weights):
        return dict(zip(obj.names, obj.probs, strict=True))
    if isinstance(obj, Span):
        return [obj.low, obj.high]
    if isinstance(obj, date):
        return obj.isoformat()
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [plain(x) for x in obj]
    return obj
