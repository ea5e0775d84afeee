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


def span(value: Any, key: str) -> Span:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigError(f"{key} = {value!r}: give a range as [low, high]")
    low, high = (number(v, key) for v in value)
    if low < 0:
        raise ConfigError(f"{key} = {value!r}: the low end is negative; use 0 or more")
    if low > high:
        raise ConfigError(f"{key} = {value!r}: low is above high; write it as [{value[1]}, "
                          f"{value[0]}]")
    return Span(low, high)


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
