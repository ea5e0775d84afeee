"""Real workload: each technician's concurrent open tickets, and balancing when overloaded.

A technician *holds* a ticket from the event that hands it to them until the event that hands it
on, resolves or closes it (waiting for the user or for parts still counts: the ticket sits in
their queue). These holding intervals give each technician's load at any moment as
``#intervals started by then - #intervals ended by then``: two sorted key arrays
(``technician << 34 | second``) and two binary searches per query, no loop over tickets.

Balancing happens where work lands in a queue: at the first assignment and at the escalation to
L2. If the receiving technician's load there (the new ticket included) is above their tier's
capacity, the ticket is reassigned (a "Ticket Reassigned" event inside the gap before the next
step) to a colleague of the same tier and team with spare room, drawn in proportion to that
room (a colleague with the ticket's skill weighs four times); if nobody has room it stays.
Decisions are taken in time order, a batch at a time, and every batch sees the moves made
before it, so overflow does not pile onto one person. Holding intervals still open at the end
of a chunk are carried into the next, so load is continuous across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ticketlens.sources.generate.journey import Journey
from ticketlens.sources.generate.roster import Roster
from ticketlens.sources.generate.slots import SLOT_ACTIVE

_SHIFT = 34  # seconds since 1970 fit in 34 bits until the year 2514


@dataclass
class Intervals:
    tech: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    start: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    end: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    sign: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __add__(self, other: Intervals) -> Intervals:
        return Intervals(*(np.concatenate([getattr(self, k), getattr(other, k)])
                           for k in ("tech", "start", "end", "sign")))

    def still_open(self, at: int) -> Intervals:
        keep = self.end > at
        return Intervals(self.tech[keep], self.start[keep], self.end[keep], self.sign[keep])


def holding_intervals(journey: Journey) -> tuple[Intervals, np.ndarray]:
    """One interval per (ticket, stretch held by one technician while open), and the ticket
    row of each."""
    rows, cols = np.nonzero(journey.present)  # row-major: by ticket, then slot = time order
    if not len(rows):
        return Intervals(), rows
    holder = journey.holder[rows, cols].astype(np.int64)
    active = SLOT_ACTIVE[cols] & (holder >= 0)
    time = journey.time[rows, cols]
    boundary = np.ones(len(rows), dtype=bool)
    boundary[1:] = ((rows[1:] != rows[:-1]) | (holder[1:] != holder[:-1])
                    | (active[1:] != active[:-1]))
    starts = np.flatnonzero(boundary)
    # Every simulated journey ends with Ticket Closed (not active), so an active stretch is
    # always followed by another stretch of the same ticket.
    ends = np.append(starts[1:], len(rows) - 1)
    held = active[starts]
    starts, ends = starts[held], ends[held]
    found = Intervals(holder[starts], time[starts], time[ends],
                      np.ones(len(starts), dtype=np.int64))
    return found, rows[starts]


class LoadIndex:
    """Concurrent open tickets of a technician at a moment: the signed count of intervals with
    start <= moment < end (a sign of -1 takes a moved ticket off its previous holder)."""

    def __init__(self, intervals: Intervals) -> None:
        self._starts, self._start_sum = self._prefix(intervals.tech, intervals.start,
                                                     intervals.sign)
        self._ends, self._end_sum = self._prefix(intervals.tech, intervals.end, intervals.sign)

    @staticmethod
    def _prefix(tech: np.ndarray, time: np.ndarray, sign: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        keys = (tech << _SHIFT) | time
        order = np.argsort(keys, kind="stable")
        return keys[order], np.concatenate([[0], np.cumsum(sign[order])])

    def load(self, tech: np.ndarray, time: np.ndarray) -> np.ndarray:
        # Entries of lower technicians cancel out: each interval adds its sign at its start
        # and takes it back at its end, both below this technician's keys.
        key = (tech.astype(np.int64) << _SHIFT) | time
        return (self._start_sum[np.searchsorted(self._starts, key, side="right")]
                - self._end_sum[np.searchsorted(self._ends, key, side="right")])


BATCH = 1024  # checkpoint decisions taken together; later batches see earlier moves


def rebalance(journey: Journey, slot: int, carried: Intervals, roster: Roster,
              category: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Technician each ticket is moved to at ``slot`` for workload balancing, or -1.

    Decisions are taken in time order, ``BATCH`` at a time: each batch sees the moves of the
    batches before it (the moved stretch leaves its first holder and joins the new one), and
    within a batch no colleague receives more tickets than their spare room.
    """
    target = np.full(len(category), -1, dtype=np.int64)
    intervals, owner = holding_intervals(journey)
    base = LoadIndex(carried + intervals)
    rows = np.flatnonzero(journey.present[:, slot])
    if not len(rows):
        return target
    time = journey.time[rows, slot]
    order = np.argsort(time, kind="stable")
    rows, time = rows[order], time[order]
    tech = journey.holder[rows, slot].astype(np.int64)
    # End of the stretch each query starts (same ticket, same start moment).
    stretch = np.lexsort((intervals.start, owner))
    position = np.searchsorted((owner[stretch] << _SHIFT) | intervals.start[stretch],
                               (rows.astype(np.int64) << _SHIFT) | time)
    end = intervals.end[stretch][position]

    width = max(len(m) for m in roster.members_by_tier)
    table = np.full((len(roster.members_by_tier), width), -1, dtype=np.int64)
    for i, members in enumerate(roster.members_by_tier):
        table[i, : len(members)] = members
    moves = Intervals()
    for lo in range(0, len(rows), BATCH):
        sl = slice(lo, lo + BATCH)
        adjust = LoadIndex(moves) if len(moves.tech) else None

        def load(who: np.ndarray, when: np.ndarray,
                 adjust: LoadIndex | None = adjust) -> np.ndarray:
            value = base.load(who, when)
            return value + adjust.load(who, when) if adjust is not None else value

        b_tech, b_time = tech[sl], time[sl]
        member = roster.member(b_tech)
        over = load(b_tech, b_time) > roster.capacity[member]
        if not over.any():
            continue
        idx = np.flatnonzero(over)
        b_tech, b_time, member = b_tech[idx], b_time[idx], member[idx]
        colleagues = table[roster.tier[member]]
        valid = (colleagues >= 0) & (colleagues != member[:, None])
        safe = np.maximum(colleagues, 0)
        ids = (b_tech // roster.size * roster.size)[:, None] + safe
        loads = load(ids.ravel(), np.repeat(b_time, width)).reshape(ids.shape)
        room = np.where(valid, np.maximum(roster.capacity[safe] - loads, 0), 0)
        # Spare room decides, four times over for a colleague with the ticket's skill; a
        # draw in proportion (not always the emptiest) spreads a burst over the team.
        weight = room * np.where(roster.skilled[safe, category[rows[sl][idx]][:, None]], 4, 1)
        total = weight.sum(axis=1)
        pick = (np.cumsum(weight, axis=1) <= (u[rows[sl][idx]] * total)[:, None]).sum(axis=1)
        pick = pick.clip(0, width - 1)
        k = np.arange(len(idx))
        chosen, room_left = ids[k, pick], room[k, pick]
        # Within the batch, a colleague takes at most their spare room (earliest first).
        by_receiver = np.lexsort((b_time, chosen))
        first = np.r_[True, chosen[by_receiver][1:] != chosen[by_receiver][:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(idx)), 0))
        rank = np.empty(len(idx), dtype=np.int64)
        rank[by_receiver] = np.arange(len(idx)) - group_start
        ok = (total > 0) & (rank < room_left)
        if not ok.any():
            continue
        moved_rows = rows[sl][idx][ok]
        target[moved_rows] = chosen[ok]
        t0, t1 = b_time[ok], end[sl][idx][ok]
        n = int(ok.sum())
        moves = moves + Intervals(np.concatenate([b_tech[ok], chosen[ok]]),
                                  np.concatenate([t0, t0]), np.concatenate([t1, t1]),
                                  np.concatenate([-np.ones(n, np.int64), np.ones(n, np.int64)]))
    return target
