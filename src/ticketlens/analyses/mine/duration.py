"""Durations in seconds shown the way people read them (12 min, 3.4 h, 2.1 d)."""

from __future__ import annotations

import math


def human_duration(seconds: float | None) -> str:
    """``seconds`` as a short text with a unit that keeps it between about 1 and 100."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    sign = "-" if seconds < 0 else ""
    value = abs(float(seconds))
    for unit, size in (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if value >= size:
            amount = value / size
            text = f"{amount:.1f}" if amount < 10 else f"{amount:.0f}"
            return f"{sign}{text} {unit}"
    return f"{sign}{value:.0f} s"
