"""Real workload: each technician's concurrent open tickets, and balancing when overloaded.

A technician *holds* a ticket from the event that hands it to them until the event that hands it
on, resolves or closes it (waiting for the user or for parts still counts: the ticket sits in
their queue). These holding intervals give each technician's load at any moment as
``#intervals started by then - #intervals ended by then``: two sorted key arrays
(``technician << 34 | second``) and two binary searches per query, no loop over tickets.

Balancing happens where work lands in a queue: at the first assignment and at the escalation to
L2. If the receiving technician's load there (the new ticket included) is above their tier's
capacity, the ticket is reassigned (a "Ticket Reassigned" event inside the gap before the next
step) to the least-loaded colleague of the same tier and team, provided that colleague is under
capacity; if everyone is swamped the ticket stays. One pass per checkpoint: loads come from the
journeys before that checkpoint's moves. Holding intervals still open at the end of a chunk are
carried into the next, so load is continuous across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ticketlens.generate.journey import SLOT_ACTIVE, Journey
from ticketlens.generate.roster import Roster

_SHIFT = 34  # seconds since 1970 fit in 34 bits until the year 2514


@dataclass
class Intervals:
    tech: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    start: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    end: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __add__(self, other: Intervals) -> Intervals:
        return Intervals(np.concatenate([self.tech, other.tech]),
                         np.concatenate([self.start, other.start]),
                         np.concatenate([self.end, other.end]))

    def still_open(self, at: int) -> Intervals:
        keep = self.end > at
        return Intervals(self.tech[keep], self.start[keep], self.end[keep])


def holding_intervals(journey: Journey) -> Intervals:
    """One interval per (ticket, stretch held by one technician while open)."""
    rows, cols = np.nonzero(journey.present)  # row-major: by ticket, then slot = time order
    holder = journey.holder[rows, cols].astype(np.int64)
    active = SLOT_ACTIVE[cols] & (holder >= 0)
    time = journey.time[rows, cols]
    new_ticket = np.ones(len(rows), dtype=bool)
    new_ticket[1:] = rows[1:] != rows[:-1]
    boundary = new_ticket.copy()
    boundary[1:] |= (holder[1:] != holder[:-1]) | (active[1:] != active[:-1])
    starts = np.flatnonzero(boundary)
    # Every simulated journey ends with Ticket Closed (not active), so an active stretch is
    # always followed by another stretch of the same ticket.
    ends = np.append(starts[1:], len(rows))
    held = active[starts]
    starts, ends = starts[held], ends[held]
    return Intervals(holder[starts], time[starts], time[np.minimum(ends, len(rows) - 1)])


class LoadIndex:
    def __init__(self, intervals: Intervals) -> None:
        self._starts = np.sort((intervals.tech << _SHIFT) | intervals.start)
        self._ends = np.sort((intervals.tech << _SHIFT) | intervals.end)

    def load(self, tech: np.ndarray, time: np.ndarray) -> np.ndarray:
        key = (tech.astype(np.int64) << _SHIFT) | time
        return (np.searchsorted(self._starts, key, side="right")
                - np.searchsorted(self._ends, key, side="right"))


def rebalance(journey: Journey, slot: int, carried: Intervals, roster: Roster,
              team: np.ndarray) -> np.ndarray:
    """Technician each ticket is moved to at ``slot`` for workload balancing, or -1."""
    target = np.full(len(team), -1, dtype=np.int64)
    rows = np.flatnonzero(journey.present[:, slot])
    if not len(rows):
        return target
    index = LoadIndex(carried + holding_intervals(journey))
    tech = journey.holder[rows, slot].astype(np.int64)
    time = journey.time[rows, slot]
    member = roster.member(tech)
    capacity = roster.capacity[member]
    over = index.load(tech, time) > capacity
    rows, tech, time, member, capacity = (x[over] for x in (rows, tech, time, member, capacity))
    if not len(rows):
        return target
    # Candidates: same team, same tier (tier rosters differ in size: pad with -1).
    tiers = roster.tier[member]
    width = max(len(m) for m in roster.members_by_tier)
    table = np.full((len(roster.members_by_tier), width), -1, dtype=np.int64)
    for i, members in enumerate(roster.members_by_tier):
        table[i, : len(members)] = members
    colleagues = table[tiers]                                   # (k, width) member ids
    valid = (colleagues >= 0) & (colleagues != member[:, None])
    ids = (tech // roster.size * roster.size)[:, None] + np.maximum(colleagues, 0)
    loads = index.load(ids.ravel(), np.repeat(time, width)).reshape(ids.shape)
    loads = np.where(valid, loads, np.iinfo(np.int64).max)
    best = np.argmin(loads, axis=1)  # first minimum: ties go to roster order
    best_load = loads[np.arange(len(rows)), best]
    move = best_load < capacity
    target[rows[move]] = ids[np.arange(len(rows)), best][move]
    return target
