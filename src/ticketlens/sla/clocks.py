"""SLA clocks over all tickets at once: state per event, elapsed per segment, crossings.

Events arrive as flat numpy arrays in ticket order (each ticket one contiguous, time-ordered
run). A clock's state after each event follows from the *last* relevant event before it —
a grouped forward fill — so no Python loop runs over events or tickets:

* ``started``: at or after the ticket's first start event;
* ``stopped``: the last stop/reopen event since the start was a stop;
* ``paused``: the last pause/resume/reopen event since the start was a pause;

Between two consecutive events of a ticket lies a *segment* in the state after the first one
(the last segment of an open clock runs to the as-of instant). Business time of a segment is
the difference of two cumulative-working-time lookups of the calendar of the priority in force;
breach and warning instants are inverse lookups.

Speed: every pass is one numpy operation over all events, so the number of passes is the cost.
Work shared by the clocks — each calendar's cumulative working time at every event, the
priority in force, segment lengths — is computed once per run (``Timeline``); per-ticket values
reach the events with ``np.repeat`` over the ticket run lengths (a sequential copy) rather than
a gather.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ticketlens.sla.calendar import WorkingTime
from ticketlens.sla.policy import Metric, Policy, Wait

NOT_STARTED, RUNNING, PAUSED, STOPPED = 0, 1, 2, 3
STATUS_NAMES = ("not_started", "running", "paused", "stopped")
NO_TIME = np.iinfo(np.int64).max  # "never" in crossing searches


@dataclass
class EventArrays:
    """One ticket's events contiguous and time-ordered; codes index the policy's vocabulary.

    Every ticket ``0 .. n_tickets - 1`` has at least one event.
    """

    tix: np.ndarray  # int32 ticket index, non-decreasing
    ts: np.ndarray  # int64 microseconds since the epoch (UTC)
    act: np.ndarray  # int policy activity index, -1 = not in the policy's vocabulary
    prio: np.ndarray  # int policy priority index, -1 = unknown / not in the vocabulary
    holder: np.ndarray  # int person code, -1 = nobody
    n_tickets: int

    def __post_init__(self) -> None:
        n = len(self.tix)
        # int32 positions: half the memory traffic of int64 in every grouped pass
        self.index = np.arange(n, dtype=np.int32)
        self.counts = np.bincount(self.tix, minlength=self.n_tickets)  # events per ticket
        self.first = np.zeros(self.n_tickets, dtype=np.int64)
        np.cumsum(self.counts[:-1], out=self.first[1:])
        self.last = self.first + self.counts - 1
        # index of the first event of each event's ticket
        self.gstart = self.per_event(self.first.astype(np.int32))
        # wall length of the segment each event starts (0 after a ticket's last event)
        self.step = np.empty_like(self.ts)
        np.subtract(self.ts[1:], self.ts[:-1], out=self.step[:-1])
        self.step[self.last] = 0

    def per_event(self, per_ticket: np.ndarray) -> np.ndarray:
        """A per-ticket array spread to every event of the ticket."""
        return np.repeat(per_ticket, self.counts)


# --- grouped primitives ---------------------------------------------------------------------


def last_position(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    """Per event: the index of the latest event (this one included) of the same ticket where
    ``mask`` holds; below ``ev.gstart`` when there is none."""
    pos = np.where(mask, ev.index, np.int32(-1))
    np.maximum.accumulate(pos, out=pos)
    return pos


def ffill(ev: EventArrays, mask: np.ndarray, values: np.ndarray, default: object) -> np.ndarray:
    """Per event: ``values`` at the latest event (this one included) of the same ticket
    where ``mask`` holds, else ``default``."""
    pos = last_position(ev, mask)
    # pos -1 reads values[-1]; the where() discards it with every other out-of-ticket position
    return np.where(pos >= ev.gstart, values[pos], default)


def ffill_flag(ev: EventArrays, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ffill`` of a boolean with default False."""
    pos = last_position(ev, mask)
    out = values[pos]
    out &= pos >= ev.gstart
    return out


def previous(ev: EventArrays, values: np.ndarray, default: object) -> np.ndarray:
    """Per event: ``values`` at the ticket's previous event, ``default`` at its first."""
    shifted = np.empty_like(values)
    shifted[1:] = values[:-1]
    shifted[ev.first] = default
    return shifted


def per_ticket_sum(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


def per_ticket_count(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    """Per ticket: events where ``mask`` holds (int64)."""
    if not len(mask):
        return np.zeros(0, np.int64)
    return np.add.reduceat(mask.view(np.int8), ev.first, dtype=np.int64)


def per_ticket_min(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.minimum.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


def per_ticket_max(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.maximum.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


def per_ticket_any(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    return np.logical_or.reduceat(mask, ev.first) if len(mask) else np.zeros(0, bool)


def first_where(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    """Per ticket: index of its first event where ``mask`` holds (``len(mask)`` if none)."""
    return per_ticket_min(ev, np.where(mask, ev.index, np.int32(len(mask))))


def last_where(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    """Per ticket: index of its last event where ``mask`` holds (-1 if none)."""
    return per_ticket_max(ev, np.where(mask, ev.index, np.int32(-1)))


def lookup(table_by_code: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Index a per-code table with codes where -1 means "none": every such table ends with
    the "none" slot, which index -1 reaches directly."""
    return table_by_code[codes]


def activity_flags(policy: Policy, names: frozenset[str]) -> np.ndarray:
    """Boolean table over policy activity codes (+ a final False slot for code -1)."""
    table = np.zeros(len(policy.activities) + 1, dtype=bool)
    for i, name in enumerate(policy.activities):
        table[i] = name in names
    return table


def flags(ev: EventArrays, policy: Policy, names: frozenset[str]) -> np.ndarray:
    """Per event: is its activity one of ``names``."""
    return lookup(activity_flags(policy, names), ev.act)


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
    """The events, the calendars and the as-of instant, with what every clock reuses."""

    ev: EventArrays
    calendars: Calendars
    as_of_us: int
    _cum: dict[int, np.ndarray] = field(default_factory=dict)
    _step: dict[int, np.ndarray] = field(default_factory=dict)
    _in_force: dict[str, np.ndarray] = field(default_factory=dict)

    def cumulative_at_events(self, c: int) -> np.ndarray:
        """Calendar ``c``'s cumulative working µs at every event's instant."""
        if c not in self._cum:
            self._cum[c] = self.calendars.functions[c].cumulative(self.ev.ts)
        return self._cum[c]

    def business_step(self, c: int) -> np.ndarray:
        """Working µs of calendar ``c`` from each event to the ticket's next one (0 after its
        last): the difference of two cumulative lookups, both already at hand."""
        if c not in self._step:
            cum = self.cumulative_at_events(c)
            step = np.empty_like(cum)
            step[:-1] = cum[1:]
            step -= cum
            step[self.ev.last] = 0
            self._step[c] = step
        return self._step[c]

    def business_to_as_of(self, c: int, rows: np.ndarray) -> np.ndarray:
        """Working µs of calendar ``c`` from the events ``rows`` to the as-of instant."""
        fn = self.calendars.functions[c]
        now = fn.cumulative(np.array([self.as_of_us], dtype=np.int64))[0]
        return now - self.cumulative_at_events(c)[rows]

    def prepare(self, policy: Policy) -> None:
        """Compute what the clocks share before they run side by side (read-only after)."""
        for c in sorted({int(c) for m in policy.metrics
                         for c in np.unique(_target_tables(policy, m, self.calendars)[1])}):
            self.business_step(c)
        self.priority_in_force()
        if any(m.on_priority_change == "final" for m in policy.metrics):
            self._final_priority()

    def priority_in_force(self) -> np.ndarray:
        """Per event: the priority at that event (events without one carry the last known; a
        ticket's leading unknowns take its first known priority)."""
        if "retarget" not in self._in_force:
            ev = self.ev
            known = ev.prio >= 0
            pos = last_position(ev, known)
            first_known = first_where(ev, known)
            # before the first known priority: the first known one (or none at all)
            pos = np.where(pos >= ev.gstart, pos, ev.per_event(first_known))
            prio = np.append(ev.prio, np.array([-1], dtype=ev.prio.dtype))  # slot len: none
            self._in_force["retarget"] = prio[pos]
        return self._in_force["retarget"]

    def _final_priority(self) -> np.ndarray:
        """Per event: the priority in force at the ticket's last event."""
        if "final" not in self._in_force:
            self._in_force["final"] = self.ev.per_event(self.priority_in_force()[self.ev.last])
        return self._in_force["final"]

    def segment_priority(self, metric: Metric, first_start: np.ndarray,
                         start_at: np.ndarray) -> np.ndarray:
        """The priority whose target governs each segment.

        ``retarget``: the priority in force at the segment's event; ``initial``: the priority
        at the clock's start; ``final``: the priority at the ticket's last event.
        """
        in_force = self.priority_in_force()
        if metric.on_priority_change == "retarget":
            return in_force
        ev = self.ev
        if metric.on_priority_change == "final":
            return self._final_priority()
        started = start_at < len(ev.ts)
        at_start = np.where(started, in_force[np.where(started, start_at, 0)], -1)
        return ev.per_event(at_start.astype(in_force.dtype))


# --- clocks -----------------------------------------------------------------------------------


def run_clock(tl: Timeline, policy: Policy, metric: Metric) -> dict[str, np.ndarray]:
    """Per-ticket columns of one metric (see docs/sla.md for each column)."""
    ev, as_of_us = tl.ev, tl.as_of_us
    n = len(ev.ts)
    start, stop = flags(ev, policy, metric.start), flags(ev, policy, metric.stop)
    pause, resume = flags(ev, policy, metric.pause), flags(ev, policy, metric.resume)
    reopen = flags(ev, policy, metric.reopen)

    start_at = first_where(ev, start)  # per ticket; n when the clock never starts
    has_start = start_at < n
    started = ev.index >= ev.per_event(start_at.astype(np.int32))
    first_start = np.zeros(n, dtype=bool)
    first_start[start_at[has_start]] = True

    stopped = ffill_flag(ev, started & (stop | reopen | first_start), stop)
    stopped &= started
    stopped_before = previous(ev, stopped, False)
    # NOT_STARTED 0, RUNNING 1, PAUSED 2, STOPPED 3 (paused and stopped never both hold)
    state = started.view(np.int8) + 2 * stopped.view(np.int8)
    pausable = bool(pause.any())  # a clock that never pauses skips the paused state's passes
    if pausable:
        paused = ffill_flag(ev, started & (pause | resume | reopen | first_start), pause)
        paused &= started
        paused &= ~stopped
        state += paused.view(np.int8)
    reopened = reopen & stopped_before
    effective_stop = stop & started & ~stopped_before
    if metric.on_reopen == "full":
        # Zendesk's "full resolution time": the time between a stop and a later reopen counts.
        last_reopen = ev.per_event(last_where(ev, reopened))
        state = np.where((state == STOPPED) & (ev.index < last_reopen), np.int8(RUNNING), state)
    running = state == RUNNING
    pausing = state == PAUSED if pausable else None
    clock_open = running | pausing if pausable else running
    last = ev.last
    open_at_end = clock_open[last]
    end_rows = last[open_at_end]  # last events whose segment runs on to the as-of instant

    seg_prio = tl.segment_priority(metric, first_start, start_at)
    target_us, cal_idx = _target_tables(policy, metric, tl.calendars)
    has_target = lookup(target_us >= 0, seg_prio)
    seg_cal = lookup(cal_idx, seg_prio)
    used = [int(c) for c in np.unique(cal_idx)]
    business = np.where(clock_open, tl.business_step(used[0]), 0)
    for c in used[1:]:
        on_c = clock_open & (seg_cal == c)
        np.copyto(business, tl.business_step(c), where=on_c)
    for c in used:
        rows = end_rows[seg_cal[end_rows] == c] if len(used) > 1 else end_rows
        business[rows] = tl.business_to_as_of(c, rows)

    # Elapsed business time accumulates per cycle: the whole ticket, or each reopen anew.
    new_cycle = metric.on_reopen == "new_cycle"
    run_business = np.where(running, business, 0) if pausable else business
    cum_before = np.cumsum(run_business)
    cum_before -= run_business  # before each segment, since the first event
    if new_cycle:
        cycle_start = (ev.index == ev.gstart) | reopened
        cycle_first = np.maximum.accumulate(np.where(cycle_start, ev.index, np.int32(0)))
        cum_before -= cum_before[cycle_first]
    else:
        cum_before -= ev.per_event(cum_before[ev.first])

    crossings = _Crossings(tl, clock_open & has_target, cum_before, run_business,
                           seg_prio, seg_cal)
    breach_at = crossings.first(target_us, strict=True)
    any_target = per_ticket_any(ev, has_target & started)
    last_target = target_us[seg_prio[last]]
    cycle_elapsed = cum_before[last] + run_business[last]
    left = np.where(last_target >= 0, last_target - cycle_elapsed, 0)
    breached = breach_at != NO_TIME

    # Per-ticket sums of masked event values, through one scratch buffer.
    scratch = np.empty(len(ev.ts), dtype=np.int64)

    def masked_sum(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        np.multiply(values, mask, out=scratch)
        return per_ticket_sum(ev, scratch)

    # wall time: the event steps, plus the open last segment up to the as-of instant
    to_as_of = np.where(open_at_end, as_of_us - ev.ts[last], 0)
    wall_running = masked_sum(ev.step, running)
    wall_running += np.where(running[last], to_as_of, 0)
    no_time = np.zeros(ev.n_tickets, dtype=np.int64)
    if pausable:
        wall_paused = masked_sum(ev.step, pausing)
        wall_paused += np.where(pausing[last], to_as_of, 0)
        business_paused = masked_sum(business, pausing)
    else:
        wall_paused = business_paused = no_time
    # a stop's instant where the clock stops (effective_stop), else -1
    np.copyto(scratch, -1)
    np.copyto(scratch, ev.ts, where=effective_stop)
    last_stop = per_ticket_max(ev, scratch)
    last_state = state[last]
    columns: dict[str, np.ndarray] = {
        "status": last_state,  # index into STATUS_NAMES
        "started_at": np.where(has_start, ev.ts[np.where(has_start, start_at, 0)], NO_TIME),
        "stopped_at": np.where(last_state == STOPPED, last_stop, NO_TIME),
        "wall_s": wall_running / 1e6,
        "business_s": per_ticket_sum(ev, run_business) / 1e6,
        "paused_s": wall_paused / 1e6,
        "paused_business_s": business_paused / 1e6,
        "target_s": np.where(last_target >= 0, last_target / 1e6, np.nan),
        "calendar": seg_cal[last],  # index into calendars.names
        "breached": breached,
        "has_verdict": any_target,
        "breach_at": breach_at,
    }
    for fraction in policy.warn_at:
        scaled = np.where(target_us >= 0, np.round(target_us * fraction), -1).astype(np.int64)
        columns[f"warn_{round(fraction * 100)}_at"] = crossings.first(scaled, strict=False)
    columns["elapsed_fraction"] = np.where(last_target > 0, cycle_elapsed / np.maximum(
        last_target, 1), np.nan)
    is_open = open_at_end
    columns["time_left_s"] = np.where(is_open & (last_target >= 0), left / 1e6, np.nan)
    due = np.full(ev.n_tickets, NO_TIME, dtype=np.int64)
    projecting = is_open & running[last] & (last_target >= 0) & (left > 0)
    last_cal = seg_cal[last]
    for c, fn in enumerate(tl.calendars.functions):
        m = projecting & (last_cal == c)
        if m.any():
            now = fn.cumulative(np.full(int(m.sum()), as_of_us, dtype=np.int64))
            due[m] = fn.instant(now + left[m])
    columns["due_at"] = np.where(is_open & breached, breach_at, due)
    columns["cycles"] = np.where(
        has_start, 1 + per_ticket_count(ev, reopened) if new_cycle else 1, 0)
    return columns


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
    """Per ticket: the instant elapsed time first passes a per-priority threshold.

    Only segments of an open clock with a target can cross, so those rows are gathered once
    and every threshold (the breach, each warning) is searched among them.
    """

    def __init__(self, tl: Timeline, has: np.ndarray, cum_before: np.ndarray,
                 run_business: np.ndarray, seg_prio: np.ndarray, seg_cal: np.ndarray) -> None:
        self.tl = tl
        self.rows = np.flatnonzero(has)
        self.cum_before = cum_before[self.rows]
        # elapsed at the segment's end (a paused segment adds nothing)
        self.after = self.cum_before + run_business[self.rows]
        self.prio = seg_prio[self.rows]
        self.tix = tl.ev.tix[self.rows]
        self.cal = seg_cal

    def first(self, threshold_by_priority: np.ndarray, strict: bool) -> np.ndarray:
        """``strict``: elapsed must exceed the threshold (a breach: finishing exactly on the
        target is in time); otherwise reaching it counts (a warning). Already past it at a
        segment's start (after a re-target to a shorter target) means at the segment's start.
        Segments are in time order within a ticket, so the first candidate segment holds the
        earliest crossing."""
        ev = self.tl.ev
        at = np.full(ev.n_tickets, NO_TIME, dtype=np.int64)
        threshold = lookup(threshold_by_priority, self.prio)
        # passed by the segment's end (at its start, or within it while running)
        passed = self.after > threshold if strict else self.after >= threshold
        candidates = np.flatnonzero(passed)
        if not len(candidates):
            return at
        tix = self.tix[candidates]
        chosen = candidates[np.r_[True, tix[1:] != tix[:-1]]]
        rows = self.rows[chosen]
        before, limit = self.cum_before[chosen], threshold[chosen]
        immediate = before > limit if strict else before >= limit
        instant = ev.ts[rows]
        later = ~immediate
        row_cal = self.cal[rows]
        for c, fn in enumerate(self.tl.calendars.functions):
            m = later & (row_cal == c)
            if m.any():
                reach = self.tl.cumulative_at_events(c)[rows[m]] + (limit[m] - before[m])
                instant[m] = np.maximum(instant[m], fn.instant(reach))
        at[ev.tix[rows]] = instant
        return at


def run_wait(tl: Timeline, policy: Policy, wait: Wait) -> np.ndarray:
    """Per ticket: wall seconds spent in the waiting state (open waits run to the as-of)."""
    ev = tl.ev
    enter = flags(ev, policy, wait.enter)
    if wait.leave is None:
        waiting = enter  # any other activity leaves the state
    else:
        waiting = ffill_flag(ev, enter | flags(ev, policy, wait.leave), enter)
    last = ev.last
    total = per_ticket_sum(ev, np.where(waiting, ev.step, 0))
    total += np.where(waiting[last], tl.as_of_us - ev.ts[last], 0)
    return total / 1e6
