"""When tickets arrive: business rhythm over the window, split into day-aligned chunks.

The ticket count is spread over (day, kind) cells with one multinomial draw: *critical* tickets
uniformly over the whole 24/7 window, non-critical ones inside business hours with share
``business_hours_share`` and in the off-hours (evenings, nights, weekends) otherwise. Chunks are
runs of whole days holding about ``CHUNK_TICKETS`` tickets, so a ticket's per-day number is
known inside its chunk and memory does not grow with the ticket count. A day denser than a chunk
is cut into equal slices of time, each its own chunk (``DaySlice``): the day's count of each
kind is spread over the slices with one multinomial draw per kind, so the per-day numbers stay
known and memory stays bounded. Days that fit a chunk are planned and drawn exactly as before
(the same seed gives the same bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ticketlens.sources.generate.clock import DAY, HOUR, BusinessClock
from ticketlens.sources.generate.config import DeskConfig, Weights

# Tickets per simulation chunk. Fixed, never derived from the machine: the output depends on
# it (workload is balanced chunk by chunk), and the same seed must give the same bytes anywhere.
CHUNK_TICKETS = 50_000
CRITICAL, BUSINESS, OFF_HOURS = 0, 1, 2


@dataclass(frozen=True)
class DaySlice:
    """A slice of time of one dense day, simulated as its own chunk."""

    start: int           # [start, end) seconds into the day
    end: int
    counts: np.ndarray   # (3,) tickets per kind created in the slice
    before: int          # tickets of the day created in earlier slices


@dataclass(frozen=True)
class ArrivalPlan:
    first_day: int          # days since 1970-01-01 of the window's first day
    counts: np.ndarray      # (days, 3) tickets per day and kind
    chunks: tuple[tuple[int, int], ...]  # [first, last) day offsets of each chunk
    slices: dict[int, DaySlice] = field(default_factory=dict)  # chunk index -> its slice

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
    cal = config.calendar
    weights *= _week_factors(day_numbers, cal.weekly_swing, cal.weekly_persistence, rng)[:, None]
    weights = weights.ravel() / weights.sum()
    counts = rng.multinomial(w.tickets, weights).reshape(days, 3)
    per_day = counts.sum(axis=1)
    chunks: list[tuple[int, int]] = []
    slices: dict[int, DaySlice] = {}
    start, held = 0, 0
    for day, count in enumerate(per_day.tolist()):
        if held and held + count > chunk_tickets:
            chunks.append((start, day))
            start, held = day, 0
        if count > chunk_tickets:  # a dense day: alone in its chunks, one per slice
            for piece in _slice_day(counts[day], first + day, clock, rng, chunk_tickets):
                slices[len(chunks)] = piece
                chunks.append((day, day + 1))
            start = day + 1
            continue
        held += count
    if held or not chunks:
        chunks.append((start, days))
    return ArrivalPlan(first, counts, tuple(chunks), slices)


def _week_factors(day_numbers: np.ndarray, swing: float, persistence: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Each day's share of its week's random volume factor (busy and quiet spells): the log of
    the factor is a stationary AR(1) over the Monday-to-Sunday weeks the window touches, with
    standard deviation ``swing`` and lag-one correlation ``persistence``."""
    week = (day_numbers + 3) // 7  # 1970-01-01 was a Thursday: weeks start on Mondays
    week = week - week[0]
    shocks = rng.standard_normal(int(week[-1]) + 1)
    keep, fresh = persistence, np.sqrt(1.0 - persistence**2)
    level = np.empty_like(shocks)
    level[0] = shocks[0]
    for w in range(1, len(shocks)):  # one step per week: a few dozen, never per ticket
        level[w] = keep * level[w - 1] + fresh * shocks[w]
    return np.exp(swing * level)[week]


def _support(day: int, clock: BusinessClock) -> np.ndarray:
    """(3, 2): where in the day each kind can arrive, as [first, last) of its own coordinate
    (seconds of the day for critical tickets, of business hours, of off-hours)."""
    weekday = (day + 3) % 7 < 5
    business = clock.day_seconds if weekday else 0
    return np.array([[0, DAY], [0, business], [0, DAY - business]], dtype=np.int64)


def _coordinates(day: int, clock: BusinessClock, second: np.ndarray) -> np.ndarray:
    """(3, len(second)): each moment of the day in the coordinate of each kind (monotone)."""
    weekday = (day + 3) % 7 < 5
    opening, closing = clock.open_hour * HOUR, clock.close_hour * HOUR
    if not weekday:
        return np.stack([second, np.zeros_like(second), second])
    business = np.clip(second, opening, closing) - opening
    off = second - business
    return np.stack([second, business, off])


def _slice_day(counts: np.ndarray, day: int, clock: BusinessClock, rng: np.random.Generator,
               chunk_tickets: int) -> list[DaySlice]:
    """Equal slices of the day, as many as keep the busiest slice's expected count at half a
    chunk (a draw far above that is vanishingly rare), and the tickets of each kind in each."""
    length = _support(day, clock)[:, 1]
    bounds_probe = np.arange(0, DAY + 1, HOUR, dtype=np.int64)
    per_hour = np.diff(_coordinates(day, clock, bounds_probe), axis=1)  # (3, 24)
    density = (counts[:, None] * per_hour / np.maximum(length, 1)[:, None]).sum(axis=0).max()
    parts = int(min(DAY, max(2, np.ceil(2 * density * 24 / chunk_tickets))))
    bounds = (np.arange(parts + 1, dtype=np.int64) * DAY) // parts
    widths = np.diff(_coordinates(day, clock, bounds), axis=1)  # (3, parts)
    drawn = np.zeros((3, parts), dtype=np.int64)
    for kind in range(3):
        if counts[kind]:
            drawn[kind] = rng.multinomial(int(counts[kind]), widths[kind] / length[kind])
    # Neighbouring slices share a chunk while they fit one (quiet night hours are not split).
    pieces: list[DaySlice] = []
    held, first = 0, 0
    total = drawn.sum(axis=0)
    for i in range(parts + 1):
        if i == parts or (held and held + total[i] > chunk_tickets):
            if held:
                pieces.append(DaySlice(int(bounds[first]), int(bounds[i]),
                                       drawn[:, first:i].sum(axis=1),
                                       int(total[:first].sum())))
            held, first = 0, i
        if i < parts:
            held += int(total[i])
    return pieces


@dataclass(frozen=True)
class Arrivals:
    created: np.ndarray    # int64 seconds, sorted
    critical: np.ndarray   # bool
    day: np.ndarray        # int64 days since 1970-01-01 of creation
    sequence: np.ndarray   # int64 1-based number within its creation day
    day_width: np.ndarray  # int64 digits of that day's numbers (3, more past 999 a day)


def draw_arrivals(plan: ArrivalPlan, chunk: tuple[int, int], clock: BusinessClock,
                  rng: np.random.Generator, piece: DaySlice | None = None) -> Arrivals:
    if piece is not None:
        return _draw_slice(plan, chunk[0], piece, clock, rng)
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


def _draw_slice(plan: ArrivalPlan, offset: int, piece: DaySlice, clock: BusinessClock,
                rng: np.random.Generator) -> Arrivals:
    """The tickets of one slice of a dense day: each kind uniform over its part of the slice,
    numbered after the day's earlier slices."""
    day = plan.first_day + offset
    kind = np.repeat(np.arange(3), piece.counts)
    lo, hi = _coordinates(day, clock, np.array([piece.start, piece.end], dtype=np.int64)).T
    u = rng.random(len(kind))
    position = lo[kind] + u * (hi[kind] - lo[kind])  # in each kind's own coordinate
    opening = clock.open_hour * HOUR
    weekday = (day + 3) % 7 < 5
    off_second = np.where(weekday & (position >= opening), position + clock.day_seconds,
                          position)
    second = np.select([kind == CRITICAL, kind == BUSINESS],
                       [position, opening + position], off_second)
    created = day * DAY + np.clip(np.floor(second).astype(np.int64), piece.start, piece.end - 1)
    order = np.argsort(created, kind="stable")
    n = len(created)
    width = max(3, len(str(int(plan.counts[offset].sum()))))
    return Arrivals(created[order], (kind == CRITICAL)[order], np.full(n, day, dtype=np.int64),
                    piece.before + np.arange(1, n + 1, dtype=np.int64),
                    np.full(n, width, dtype=np.int64))


def _digits(values: np.ndarray) -> np.ndarray:
    return np.array([len(str(int(v))) for v in values], dtype=np.int64)


def choose(weights: Weights, vocabulary: Sequence[str], u: np.ndarray) -> np.ndarray:
    """Index into ``vocabulary`` for each uniform, following the named shares."""
    cumulative = np.cumsum(weights.probs)
    cumulative[-1] = 1.0 + 1e-12  # float sums must not leave a gap at the top
    picked = np.searchsorted(cumulative, u, side="right")
    lookup = np.array([vocabulary.index(name) for name in weights.names], dtype=np.int8)
    return lookup[np.minimum(picked, len(lookup) - 1)]
