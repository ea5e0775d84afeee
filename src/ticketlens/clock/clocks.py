"""SLA clocks over all tickets at once: state per event, elapsed per segment, crossings.

Events arrive as flat numpy arrays in ticket order (each ticket one contiguous, time-ordered
run). A clock's state after each event follows from the *last* relevant event before it:

* ``started``: at or after the ticket's first start event;
* ``stopped``: the last stop/reopen event since the start was a stop;
* ``paused``: the last pause/resume/reopen event since the start was a pause;

Between two consecutive events of a ticket lies a *segment* in the state after the first one
(the last segment of an open clock runs to the as-of instant). Business time of a segment is
the difference of two cumulative-working-time lookups of the calendar of the priority in force;
breach and warning instants are inverse lookups.

Speed: the state machine runs compiled by numba (``kernel.py``, imported on the first clock
run), one walk over each ticket's events, so the cost is one pass instead of the dozens of
whole-array numpy passes (each with a fresh temporary) the same rules take when vectorised. What stays in numpy is vectorised over
calendars or tickets: each business calendar's cumulative working time at every event (a
``searchsorted``, computed once per run in ``Timeline``) and the inverse lookups that turn
the kernel's crossing points into instants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.clock import layout
from ticketlens.clock.calendar import WorkingTime
from ticketlens.clock.layout import NO_TIME, ClockOut, ClockRules, Runs
from ticketlens.clock.policy import Metric, Policy

STATUS_NAMES = ("not_started", "running", "paused", "stopped")  # layout's status codes


@dataclass
class EventArrays:
    """One ticket's events contiguous and time-ordered; codes index the policy's vocabulary.

    Every ticket ``0 .. n_tickets - 1`` has at least one event. Codes are int32 (the kernel
    reads them as such), instants int64 microseconds.
    """

    tix: np.ndarray  # int32 ticket index, non-decreasing
    ts: np.ndarray  # int64 microseconds since the epoch (UTC)
    act: np.ndarray  # int32 policy activity index, -1 = not in the policy's vocabulary
    prio: np.ndarray  # int32 policy priority index, -1 = unknown / not in the vocabulary
    holder: np.ndarray  # int32 person code, -1 = nobody
    n_tickets: int

    def __post_init__(self) -> None:
        self.counts = np.bincount(self.tix, minlength=self.n_tickets)  # events per ticket
        self.first = np.zeros(self.n_tickets, dtype=np.int64)
        np.cumsum(self.counts[:-1], out=self.first[1:])

    def runs(self, as_of_us: int | np.ndarray) -> Runs:
        """The kernel's view of the events; ``as_of_us`` one instant or one per ticket."""
        as_of = np.atleast_1d(np.asarray(as_of_us, dtype=np.int64))
        return Runs(self.first, self.counts.astype(np.int64, copy=False), self.ts, self.act,
                    np.ascontiguousarray(as_of))


def lookup(table_by_code: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Index a per-code table with codes where -1 means "none": every such table ends with
    the "none" slot, which index -1 reaches directly."""
    return table_by_code[codes]


def activity_table(policy: Policy, groups: dict[int, frozenset[str]],
                   dtype: type = np.uint8) -> np.ndarray:
    """Per policy activity code (+ a final empty slot for code -1): the OR of the bits of
    every group the activity belongs to."""
    table = np.zeros(len(policy.activities) + 1, dtype=dtype)
    for i, name in enumerate(policy.activities):
        for bit, names in groups.items():
            if name in names:
                table[i] |= bit
    return table


# --- what every clock shares ------------------------------------------------------------------


@dataclass
class Calendars:
    """The working-time functions of a policy's calendars over the data's span, by name."""

    names: tuple[str, ...]
    functions: tuple[WorkingTime, ...]

    @classmethod
    def build(cls, policy: Policy, start_us: int, end_us: int) -> Calendars:
        names = tuple(policy.calendars)
        return cls(names, tuple(WorkingTime(policy.calendars[n], start_us, end_us) for n in names))

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class Timeline:
    """The events, the calendars and the as-of instant, with what every clock reuses.

    ``as_of_each`` (µs, one per ticket) asks for each ticket's clocks as of its own instant:
    events after it are ignored and an open clock runs on to it (``as_of_us`` must then be at
    or after every one of them, as the calendars span up to it). That is the clock state of a
    ticket at any instant, e.g. the SLA budget left as of a snapshot.
    """

    ev: EventArrays
    calendars: Calendars
    as_of_us: int
    as_of_each: np.ndarray | None = None
    # business calendars' cumulative working µs at every event: [row, event], row per calendar
    _cum: tuple[np.ndarray, dict[int, int]] | None = None

    @property
    def as_of(self) -> np.ndarray:
        """The as-of instants the kernel reads: one for all tickets, or one per ticket."""
        if self.as_of_each is None:
            return np.array([self.as_of_us], dtype=np.int64)
        return self.as_of_each

    def runs(self) -> Runs:
        return self.ev.runs(self.as_of)

    def cumulative_rows(self, needed: list[int]) -> tuple[np.ndarray, dict[int, int]]:
        """Business calendars' cumulative working µs at every event's instant, one row per
        calendar (those ``needed`` and any computed before), and each calendar's row. A
        round-the-clock calendar has none: its cumulative time is the instant itself."""
        cum, row = self._cum or (np.empty((0, len(self.ev.ts)), dtype=np.int64), {})
        missing = [c for c in needed if c not in row]
        if missing:
            rows = list(row) + missing
            grown = np.empty((len(rows), len(self.ev.ts)), dtype=np.int64)
            for r, c in enumerate(rows):
                grown[r] = cum[row[c]] if c in row else \
                    self.calendars.functions[c].cumulative(self.ev.ts)
            self._cum = cum, row = grown, {c: r for r, c in enumerate(rows)}
        return cum, row

    def prepare(self, policy: Policy) -> None:
        """Compute what the clocks share before they run side by side (read-only after)."""
        used = np.unique(np.concatenate(
            [_target_tables(policy, m, self.calendars)[1] for m in policy.metrics] or [[]]))
        self.cumulative_rows(self._business(used))

    def _business(self, used: np.ndarray) -> list[int]:
        return [int(c) for c in used if not self.calendars.functions[int(c)].calendar.is_always]

    def _inputs(self, used: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per calendar, what the kernel reads: cumulative working µs at every event (a row of
        ``cums``, or for ``cum_row`` -1 the instant itself) minus ``offsets[c]``, and at each
        as-of instant ``now[c] - offsets[c]``. Only the ``used`` calendars (a metric's targets
        name them) are ever read."""
        cums, row = self.cumulative_rows(self._business(used))
        as_of, functions = self.as_of, self.calendars.functions
        cum_row = np.full(len(functions), -1, dtype=np.int32)
        offsets = np.zeros(len(functions), dtype=np.int64)
        now = np.empty((len(functions), len(as_of)), dtype=np.int64)
        for c, fn in enumerate(functions):
            if c in row and c in used:
                cum_row[c] = row[c]
                now[c] = fn.cumulative(as_of)
            else:
                # cumulative(t) = t - start: the instants themselves, no array to build
                offsets[c] = fn.start_us
                now[c] = as_of
        return cums, cum_row, offsets, now


# --- clocks -----------------------------------------------------------------------------------


def run_clock(tl: Timeline, policy: Policy, metric: Metric) -> dict[str, np.ndarray]:
    """Per-ticket columns of one metric (see docs/sla.md for each column)."""
    from ticketlens.clock import kernel  # numba: imported only where clocks run

    t = tl.ev.n_tickets
    out = kernel.clock(tl.runs(), clock_rules(tl, policy, metric))
    status, calendar, left = out.status, out.calendar, out.left
    crossing = _Crossings(tl, out)
    breach_at = crossing.instants(0)
    breached = breach_at != NO_TIME
    columns: dict[str, np.ndarray] = {
        "status": status,  # index into STATUS_NAMES
        "started_at": out.started_at,
        "stopped_at": out.stopped_at,
        "wall_s": out.wall_s,
        "business_s": out.business_s,
        "paused_s": out.paused_s,
        "paused_business_s": out.paused_business_s,
        "target_s": out.target_s,
        "calendar": calendar,  # index into calendars.names
        "breached": breached,
        "has_verdict": out.has_verdict.view(bool),
        "breach_at": breach_at,
    }
    for k, fraction in enumerate(policy.warn_at, start=1):
        columns[f"warn_{round(fraction * 100)}_at"] = crossing.instants(k)
    columns["elapsed_fraction"] = out.elapsed_fraction
    columns["time_left_s"] = out.time_left_s
    # due: a breached open clock's breach instant, else a running one's projected end of
    # target (the kernel leaves the time left where there is one to project, else -1)
    due = np.full(t, NO_TIME, dtype=np.int64)
    projecting = np.flatnonzero(left >= 0)
    for c, fn in enumerate(tl.calendars.functions):
        rows = projecting[calendar[projecting] == c]
        if len(rows):
            at_now = fn.cumulative(np.broadcast_to(tl.as_of, t)[rows])
            due[rows] = fn.instant(at_now + left[rows])
    columns["due_at"] = np.where(out.open_at_end.view(bool) & breached, breach_at, due)
    columns["cycles"] = out.cycles
    return columns


def clock_rules(tl: Timeline, policy: Policy, metric: Metric) -> ClockRules:
    """What the kernel needs of one metric: its tables over the policy's codes."""
    bits = activity_table(policy, {layout.START: metric.start, layout.STOP: metric.stop,
                                   layout.PAUSE: metric.pause, layout.RESUME: metric.resume,
                                   layout.REOPEN: metric.reopen})
    target_us, cal_idx = _target_tables(policy, metric, tl.calendars)
    # row 0 the breach (elapsed must exceed the target), then each warning (reaching it)
    thresholds = np.stack([target_us] + [
        np.where(target_us >= 0, np.round(target_us * fraction), -1).astype(np.int64)
        for fraction in policy.warn_at])
    cums, cum_row, offsets, now = tl._inputs(np.unique(cal_idx))
    return ClockRules(bits, tl.ev.prio, target_us, cal_idx.astype(np.int32), thresholds, cums,
                      cum_row, offsets, now, layout.ON_REOPEN[metric.on_reopen],
                      layout.ON_PRIORITY_CHANGE[metric.on_priority_change])


def _target_tables(policy: Policy, metric: Metric,
                   calendars: Calendars) -> tuple[np.ndarray, np.ndarray]:
    """Per policy priority code (+ a last slot for unknown): target µs (-1: none), calendar."""
    default = calendars.index(policy.default_calendar)
    target_us = np.full(len(policy.priorities) + 1, -1, dtype=np.int64)
    cal_idx = np.full(len(policy.priorities) + 1, default, dtype=np.int16)
    for i, priority in enumerate(policy.priorities):
        target = metric.targets.get(priority)
        if target is not None:
            target_us[i] = round(target.seconds * 1_000_000)
            cal_idx[i] = calendars.index(target.calendar)
    return target_us, cal_idx


class _Crossings:
    """Per ticket: the instant elapsed time first passes each threshold (the breach, each
    warning), from the kernel's crossing points.

    The kernel gives, per threshold and ticket, the segment (its first event's row) where the
    threshold is first passed, whether it was already passed at the segment's start (after a
    re-target to a shorter target: the instant is the segment's start), and otherwise the
    cumulative working time the calendar must reach: its inverse lookup is the instant.
    """

    def __init__(self, tl: Timeline, out: ClockOut) -> None:
        self.tl = tl
        self.rows, self.reach = out.cross_row, out.cross_reach
        self.immediate, self.cal = out.cross_immediate, out.cross_cal

    def instants(self, k: int) -> np.ndarray:
        ev = self.tl.ev
        at = np.full(ev.n_tickets, NO_TIME, dtype=np.int64)
        crossed = np.flatnonzero(self.rows[k] >= 0)
        if not len(crossed):
            return at
        rows = self.rows[k][crossed]
        instant = ev.ts[rows]
        later = self.immediate[k][crossed] == 0
        row_cal = self.cal[k][crossed]
        reach = self.reach[k][crossed]
        for c, fn in enumerate(self.tl.calendars.functions):
            m = later & (row_cal == c)
            if m.any():
                instant[m] = np.maximum(instant[m], fn.instant(reach[m]))
        at[crossed] = instant
        return at
