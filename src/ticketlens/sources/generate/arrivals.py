"""When tickets arrive: business rhythm over the window, split into day-aligned chunks.

The ticket count is spread over (day, kind) cells with one multinomial draw: *critical* tickets
uniformly over the whole 24/7 window, non-critical ones inside business hours with share
``business_hours_share`` and in the off-hours (evenings, nights, weekends) otherwise. Chunks are
runs of whole days holding about ``CHUNK_TICKETS`` tickets, so a ticket's per-day number is
known inside its chunk and memory does not grow with the ticket count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ticketlens.sources.generate.clock import DAY, HOUR, BusinessClock
from ticketlens.sources.generate.config import DeskConfig, Weights

# Tickets per simulation chunk. Fixed, never derived from the machine: the output depends on
# it (workload is balanced chunk by chunk), and the same seed must give the same bytes anywhere.
CHUNK_TICKETS = 50_000
CRITICAL, BUSINESS, OFF_HOURS = 0, 1, 2


@dataclass(frozen=True)
class ArrivalPlan:
    first_day: int          # days since 1970-01-01 of the window's first day
    counts: np.ndarray      # (days, 3) tickets per day and kind
    chunks: tuple[tuple[int, int], ...]  # [first, last) day offsets of each chunk

    @property
    def days(self) -> int:
        return len(self.counts)


def epoch_day(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def plan_arrivals(config: DeskConfig, clock: BusinessClock, rng: np.random.Generator,
                  chunk_tickets: int = CHUNK_TICKETS) -> ArrivalPlan:
    w = config.window
    first = epoch_day(w.start)
    days = epoch_day(w.end) - first + 1
    day_numbers = first + np.arange(days)
    weekday = (day_numbers + 3) % 7 < 5
    business = np.where(weekday, clock.day_seconds, 0).astype(float)
    off = DAY - business
    p_critical = config.mix.priority.of("Critical")
    share = config.calendar.business_hours_share if business.sum() > 0 else 0.0
    weights = np.zeros((days, 3))
    weights[:, CRITICAL] = p_critical / days
    if business.sum() > 0:
        weights[:, BUSINESS] = (1 - p_critical) * share * business / business.sum()
    weights[:, OFF_HOURS] = (1 - p_critical) * (1 - share) * off / off.sum()
    weights = weights.ravel() / weights.sum()
    counts = rng.multinomial(w.tickets, weights).reshape(days, 3)
    per_day = counts.sum(axis=1)
    chunks: list[tuple[int, int]] = []
    start, held = 0, 0
    for day, count in enumerate(per_day.tolist()):
        if held and held + count > chunk_tickets:
            chunks.append((start, day))
            start, held = day, 0
        held += count
    if held or not chunks:
        chunks.append((start, days))
    return ArrivalPlan(first, counts, tuple(chunks))


@dataclass(frozen=True)
class Arrivals:
    created: np.ndarray    # int64 seconds, sorted
    critical: np.ndarray   # bool
    day: np.ndarray        # int64 days since 1970-01-01 of creation
    sequence: np.ndarray   # int64 1-based number within its creation day
    day_width: np.ndarray  # int64 digits of that day's numbers (3, more past 999 a day)


def draw_arrivals(plan: ArrivalPlan, chunk: tuple[int, int], clock: BusinessClock,
                  rng: np.random.Generator) -> Arrivals:
    lo, hi = chunk
    counts = plan.counts[lo:hi]
    day = np.repeat(plan.first_day + np.arange(lo, hi), 3)
    kind = np.tile(np.arange(3), hi - lo)
    flat = counts.ravel()
    day = np.repeat(day, flat)
    kind = np.repeat(kind, flat)
    u = rng.random(len(day))
    weekday = (day + 3) % 7 < 5
    opening, closing = clock.open_hour * HOUR, clock.close_hour * HOUR
    off_len = np.where(weekday, DAY - clock.day_seconds, DAY)
    off_second = u * off_len
    off_second = np.where(weekday & (off_second >= opening), off_second + clock.day_seconds,
                          off_second)
    second = np.select([kind == CRITICAL, kind == BUSINESS],
                       [u * DAY, opening + u * (closing - opening)], off_second)
    created = day * DAY + np.floor(second).astype(np.int64)
    order = np.argsort(created, kind="stable")
    created, day, critical = created[order], day[order], (kind == CRITICAL)[order]
    per_day = counts.sum(axis=1)
    first_of_day = np.repeat(np.cumsum(per_day) - per_day, per_day)
    sequence = np.arange(len(created)) - first_of_day + 1
    width = np.repeat(np.maximum(3, _digits(per_day)), per_day)
    return Arrivals(created, critical, day, sequence, width)


def _digits(values: np.ndarray) -> np.ndarray:
    return np.array([len(str(int(v))) for v in values], dtype=np.int64)


def choose(weights: Weights, vocabulary: Sequence[str], u: np.ndarray) -> np.ndarray:
    """Index into ``vocabulary`` for each uniform, following the named shares."""
    cumulative = np.cumsum(weights.probs)
    cumulative[-1] = 1.0 + 1e-12  # float sums must not leave a gap at the top
    picked = np.searchsorted(cumulative, u, side="right")
    lookup = np.array([vocabulary.index(name) for name in weights.names], dtype=np.int8)
    return lookup[np.minimum(picked, len(lookup) - 1)]
