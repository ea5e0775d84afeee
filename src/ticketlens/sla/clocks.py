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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.sla.calendar import WorkingTime
from ticketlens.sla.policy import Metric, Policy, Wait

NOT_STARTED, RUNNING, PAUSED, STOPPED = 0, 1, 2, 3
STATUS_NAMES = ("not_started", "running", "paused", "stopped")
NO_TIME = np.iinfo(np.int64).max  # "never" in crossing searches


@dataclass
class EventArrays:
    """One ticket's events contiguous and time-ordered; codes index the policy's vocabulary."""

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
        self.first = np.searchsorted(self.tix, np.arange(self.n_tickets), side="left")
        self.last = np.append(self.first[1:], n) - 1
        # index of the first event of each event's ticket
        self.gstart = self.first.astype(np.int32)[self.tix]
        self.is_last = np.zeros(n, dtype=bool)
        self.is_last[self.last] = True
        following = np.append(self.ts[1:], 0)
        self.next_ts = np.where(self.is_last, self.ts, following)


# --- grouped primitives ---------------------------------------------------------------------


def ffill(ev: EventArrays, mask: np.ndarray, values: np.ndarray, default: object) -> np.ndarray:
    """Per event: ``values`` at the latest event (this one included) of the same ticket
    where ``mask`` holds, else ``default``."""
    pos = np.where(mask, ev.index, -1)
    np.maximum.accumulate(pos, out=pos)
    valid = pos >= ev.gstart
    return np.where(valid, values[np.maximum(pos, 0)], default)


def previous(ev: EventArrays, values: np.ndarray, default: object) -> np.ndarray:
    """Per event: ``values`` at the ticket's previous event, ``default`` at its first."""
    shifted = np.empty_like(values)
    shifted[1:] = values[:-1]
    if len(values):
        shifted[0] = default
    return np.where(ev.index == ev.gstart, default, shifted)


def per_ticket_sum(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


def per_ticket_min(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.minimum.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


def per_ticket_max(ev: EventArrays, values: np.ndarray) -> np.ndarray:
    return np.maximum.reduceat(values, ev.first) if len(values) else np.zeros(0, values.dtype)


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


# --- clocks -----------------------------------------------------------------------------------


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


def run_clock(ev: EventArrays, policy: Policy, metric: Metric, calendars: Calendars,
              as_of_us: int) -> dict[str, np.ndarray]:
    """Per-ticket columns of one metric (see docs/sla.md for each column)."""
    def flags(names: frozenset[str]) -> np.ndarray:
        return lookup(activity_flags(policy, names), ev.act)

    start, stop = flags(metric.start), flags(metric.stop)
    pause, resume, reopen = flags(metric.pause), flags(metric.resume), flags(metric.reopen)
    starts_seen = np.cumsum(start)
    starts_seen = starts_seen - (starts_seen[ev.gstart] - start[ev.gstart])
    started = starts_seen > 0
    first_start = start & (starts_seen == 1)

    stopped = ffill(ev, started & (stop | reopen | first_start), stop, False) & started
    stopped_before = previous(ev, stopped, False)
    paused = ffill(ev, started & (pause | resume | reopen | first_start), pause, False)
    paused &= started & ~stopped
    state = np.where(~started, NOT_STARTED,
                     np.where(stopped, STOPPED, np.where(paused, PAUSED, RUNNING)))
    reopened = reopen & stopped_before
    effective_stop = stop & started & ~stopped_before
    if metric.on_reopen == "full":
        # Zendesk's "full resolution time": the time between a stop and a later reopen counts.
        last_reopen = per_ticket_max(ev, np.where(reopened, ev.index, -1))[ev.tix]
        state = np.where((state == STOPPED) & (ev.index < last_reopen), RUNNING, state)
    running, pausing = state == RUNNING, state == PAUSED
    clock_open = running | pausing

    # Segment ends: the next event, or the as-of instant for a clock still open at the end.
    seg_end = np.where(ev.is_last & clock_open, as_of_us, ev.next_ts)
    wall = seg_end - ev.ts

    seg_prio = _segment_priority(ev, metric, first_start)
    target_us, cal_idx = _target_tables(policy, metric, calendars)
    seg_target = lookup(target_us, seg_prio)
    seg_cal = lookup(cal_idx, seg_prio)
    business = np.zeros(len(ev.ts), dtype=np.int64)
    for c, fn in enumerate(calendars.functions):
        m = clock_open & (seg_cal == c)
        if m.any():
            business[m] = fn.business(ev.ts[m], seg_end[m])

    # Elapsed business time accumulates per cycle: the whole ticket, or each reopen anew.
    new_cycle = metric.on_reopen == "new_cycle"
    cycle_start = (ev.index == ev.gstart) | (reopened if new_cycle else False)
    cycle_first = np.maximum.accumulate(np.where(cycle_start, ev.index, 0))
    run_business = np.where(running, business, 0)
    before = np.cumsum(run_business) - run_business
    cum_before = before - before[cycle_first]

    def crossing(threshold: np.ndarray, strict: bool) -> np.ndarray:
        return _crossing(ev, threshold, strict, clock_open, running, cum_before, business,
                         seg_cal, calendars)

    has_target = seg_target >= 0
    breach_at = crossing(seg_target, strict=True)
    any_target = per_ticket_max(ev, has_target & started) > 0
    last = ev.last
    last_target = seg_target[last]
    cycle_elapsed = cum_before[last] + run_business[last]
    is_open = clock_open[last]
    left = np.where(last_target >= 0, last_target - cycle_elapsed, 0)
    breached = breach_at != NO_TIME

    columns: dict[str, np.ndarray] = {
        "status": state[last],  # index into STATUS_NAMES
        "started_at": per_ticket_min(ev, np.where(first_start, ev.ts, NO_TIME)),
        "stopped_at": np.where(state[last] == STOPPED,
                               per_ticket_max(ev, np.where(effective_stop, ev.ts, -1)), NO_TIME),
        "wall_s": per_ticket_sum(ev, np.where(running, wall, 0)) / 1e6,
        "business_s": per_ticket_sum(ev, run_business) / 1e6,
        "paused_s": per_ticket_sum(ev, np.where(pausing, wall, 0)) / 1e6,
        "paused_business_s": per_ticket_sum(ev, np.where(pausing, business, 0)) / 1e6,
        "target_s": np.where(last_target >= 0, last_target / 1e6, np.nan),
        "calendar": seg_cal[last],  # index into calendars.names
        "breached": breached,
        "has_verdict": any_target,
        "breach_at": breach_at,
    }
    for fraction in policy.warn_at:
        scaled = np.where(target_us >= 0, np.round(target_us * fraction), -1).astype(np.int64)
        columns[f"warn_{round(fraction * 100)}_at"] = crossing(lookup(scaled, seg_prio),
                                                               strict=False)
    columns["elapsed_fraction"] = np.where(last_target > 0, cycle_elapsed / np.maximum(
        last_target, 1), np.nan)
    columns["time_left_s"] = np.where(is_open & (last_target >= 0), left / 1e6, np.nan)
    due = np.full(ev.n_tickets, NO_TIME, dtype=np.int64)
    projecting = is_open & running[last] & (last_target >= 0) & (left > 0)
    for c, fn in enumerate(calendars.functions):
        m = projecting & (seg_cal[last] == c)
        if m.any():
            now = fn.cumulative(np.full(int(m.sum()), as_of_us, dtype=np.int64))
            due[m] = fn.instant(now + left[m])
    columns["due_at"] = np.where(is_open & breached, breach_at, due)
    columns["cycles"] = np.where(
        per_ticket_max(ev, started) > 0,
        1 + per_ticket_sum(ev, reopened.astype(np.int64)) if new_cycle else 1, 0)
    return columns


def _segment_priority(ev: EventArrays, metric: Metric, first_start: np.ndarray) -> np.ndarray:
    """The priority whose target governs each segment.

    ``retarget``: the priority in force at the segment's event (events without one carry the
    last known; a ticket's leading unknowns take its first known priority); ``initial``: the
    priority at the clock's start; ``final``: the priority at the ticket's last event.
    """
    known = ev.prio >= 0
    carried = ffill(ev, known, ev.prio, -1)
    first_known = per_ticket_min(ev, np.where(known, ev.index, np.iinfo(np.int64).max))
    has_known = first_known < len(ev.prio)
    lead = np.where(has_known, ev.prio[np.minimum(first_known, len(ev.prio) - 1)], -1)
    in_force = np.where(carried >= 0, carried, lead[ev.tix])
    if metric.on_priority_change == "retarget":
        return in_force
    if metric.on_priority_change == "final":
        return in_force[ev.last][ev.tix]
    at_start = per_ticket_max(ev, np.where(first_start, in_force, -1))
    return at_start[ev.tix]


def _target_tables(policy: Policy, metric: Metric,
                   calendars: Calendars) -> tuple[np.ndarray, np.ndarray]:
    """Per policy priority code (+ a last slot for unknown): target µs (-1: none), calendar."""
    default = calendars.index(policy.default_calendar)
    target_us = np.full(len(policy.priorities) + 1, -1, dtype=np.int64)
    cal_idx = np.full(len(policy.priorities) + 1, default, dtype=np.int64)
    for i, priority in enumerate(policy.priorities):
        target = metric.targets.get(priority)
        if target is not None:
            target_us[i] = round(target.seconds * 1_000_000)
            cal_idx[i] = calendars.index(target.calendar)
    return target_us, cal_idx


def _crossing(ev: EventArrays, threshold: np.ndarray, strict: bool, clock_open: np.ndarray,
              running: np.ndarray, cum_before: np.ndarray, business: np.ndarray,
              seg_cal: np.ndarray, calendars: Calendars) -> np.ndarray:
    """Per ticket: the instant elapsed time first passes ``threshold``, else NO_TIME.

    ``strict``: elapsed must exceed the threshold (a breach: finishing exactly on the target is
    in time); otherwise reaching it counts (a warning). Already past it at a segment's start
    (after a re-target to a shorter target) means at the segment's start. Segments are in time
    order within a ticket, so the first candidate segment holds the earliest crossing.
    """
    has = clock_open & (threshold >= 0)
    if strict:
        immediate = has & (cum_before > threshold)
        within = has & running & (cum_before + business > threshold)
    else:
        immediate = has & (cum_before >= threshold)
        within = has & running & (cum_before + business >= threshold)
    candidates = np.flatnonzero(immediate | within)
    at = np.full(ev.n_tickets, NO_TIME, dtype=np.int64)
    if not len(candidates):
        return at
    tix = ev.tix[candidates]
    first = candidates[np.r_[True, tix[1:] != tix[:-1]]]
    instant = ev.ts[first].copy()
    later = ~immediate[first]
    for c, fn in enumerate(calendars.functions):
        m = later & (seg_cal[first] == c)
        if m.any():
            rows = first[m]
            reach = fn.cumulative(ev.ts[rows]) + (threshold[rows] - cum_before[rows])
            instant[m] = np.maximum(ev.ts[rows], fn.instant(reach))
    at[ev.tix[first]] = instant
    return at


def run_wait(ev: EventArrays, policy: Policy, wait: Wait, as_of_us: int) -> np.ndarray:
    """Per ticket: wall seconds spent in the waiting state (open waits run to the as-of)."""
    enter = lookup(activity_flags(policy, wait.enter), ev.act)
    if wait.leave is None:
        waiting = enter.copy()  # any other activity leaves the state
    else:
        leave = lookup(activity_flags(policy, wait.leave), ev.act)
        waiting = ffill(ev, enter | leave, enter, False)
    seg_end = np.where(ev.is_last & waiting, as_of_us, ev.next_ts)
    return per_ticket_sum(ev, np.where(waiting, seg_end - ev.ts, 0)) / 1e6
