"""The per-event kernel's codes and argument layout, written once (``kernel.py`` reads them).

Everything the walks in ``kernel.py`` share with their callers (``clocks.py``, ``tickets.py``)
lives here and nowhere else: the activity bits, the status and rule codes, and the small typed
structures the walks take (``typing.NamedTuple``: numba compiles them as tuples, so one
argument carries a dozen arrays by name instead of a dozen positional ones). This module does
not import numba: it is cheap to import where clocks are only described, never run.

``check_*`` validate a structure before a walk: a caller's mistake (wrong dtype, too few
items, a code out of range) is a ValueError naming the field, never a stray read.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

NO_TIME = int(np.iinfo(np.int64).max)  # "never": an instant that does not exist

# clock status after an event (clocks.STATUS_NAMES names them)
NOT_STARTED, RUNNING, PAUSED, STOPPED = 0, 1, 2, 3

# activity bits of a clock's activity table
START, STOP, PAUSE, RESUME, REOPEN = 1, 2, 4, 8, 16

# a metric's rules, as codes
RESUME_CLOCK, NEW_CYCLE, FULL = 0, 1, 2
RETARGET, INITIAL, FINAL = 0, 1, 2
ON_REOPEN = {"resume": RESUME_CLOCK, "new_cycle": NEW_CYCLE, "full": FULL}
ON_PRIORITY_CHANGE = {"retarget": RETARGET, "initial": INITIAL, "final": FINAL}

# activity bits of the lifecycle table
CREATED, RESPONSE, RESOLVED_BIT, CLOSED_BIT, REOPENED_BIT = 1, 2, 4, 8, 16
ASSIGNED, REASSIGNED, ESCALATED, DE_ESCALATED, HOLD = 32, 64, 128, 256, 512
WAIT_SHIFT = 10  # wait w: enter bit WAIT_SHIFT + 2w, leave bit WAIT_SHIFT + 2w + 1


def wait_bits(w: int) -> tuple[int, int]:
    """The (enter, leave) bits of wait ``w`` in the lifecycle table."""
    return 1 << (WAIT_SHIFT + 2 * w), 1 << (WAIT_SHIFT + 2 * w + 1)


# lifecycle kinds of an activity, in the order tickets._kinds gives them precedence
RESOLVED, CLOSED, REOPENED = 1, 2, 3

# the lifecycle walk's per-ticket outputs, rows of its int64 and int32 blocks
LIFE_INSTANTS = ("created_us", "first_response_us", "resolved_us", "first_resolved_us",
                 "closed_us", "last_event_us", "assignments", "reassignments", "escalations",
                 "de_escalations", "holds", "reopens", "priority_changes")
LIFE_CODES = ("priority", "initial_priority", "category", "department", "first_assignee",
              "final_assignee")


class Runs(NamedTuple):
    """Events in ticket order, each ticket one contiguous, time-ordered run.

    ``as_of`` holds one instant for every ticket, or one per ticket: each ticket's walk stops
    at its last event at or before its as-of, and an open clock runs on to that instant. That
    is how a caller gets a ticket's clock state at any instant (see docs/sla.md).
    """

    first: np.ndarray  # int64 per ticket: its first event's row
    count: np.ndarray  # int64 per ticket: its events (>= 1)
    ts: np.ndarray  # int64 per event: µs since the epoch (UTC)
    act: np.ndarray  # int32 per event: policy activity code, -1 = not in the vocabulary
    as_of: np.ndarray  # int64: 1 or one per ticket (µs)


class ClockRules(NamedTuple):
    """One metric's tables over the policy's codes (each per-code table ends with the "none"
    slot that code -1 reaches) and its calendars' cumulative working time."""

    bits: np.ndarray  # uint8 per activity slot: START | STOP | ...
    prio: np.ndarray  # int32 per event: policy priority code, -1 = unknown
    target: np.ndarray  # int64 per priority slot: target µs, -1 = none
    cal_of: np.ndarray  # int32 per priority slot: calendar index
    thresholds: np.ndarray  # int64 [threshold, priority slot]: row 0 the target, then warnings
    cums: np.ndarray  # int64 [row, event]: a business calendar's cumulative working µs
    cum_row: np.ndarray  # int32 per calendar: its row of cums, -1 = the instants themselves
    offsets: np.ndarray  # int64 per calendar: subtracted from cums (or instants) and now
    now: np.ndarray  # int64 [calendar, 1 or ticket]: cumulative working µs at the as-of
    on_reopen: int  # RESUME_CLOCK | NEW_CYCLE | FULL
    on_priority_change: int  # RETARGET | INITIAL | FINAL


class ClockOut(NamedTuple):
    """Per ticket (per threshold and ticket for ``cross_*``): what ``clocks.run_clock`` names."""

    status: np.ndarray  # int8 status code
    has_verdict: np.ndarray  # int8
    open_at_end: np.ndarray  # int8
    started_at: np.ndarray  # int64 µs, NO_TIME = never
    stopped_at: np.ndarray  # int64 µs, NO_TIME = not stopped
    cycles: np.ndarray  # int64
    left: np.ndarray  # int64 µs left on a running clock with a target, else -1
    wall_s: np.ndarray  # float64 ...
    business_s: np.ndarray
    paused_s: np.ndarray
    paused_business_s: np.ndarray
    target_s: np.ndarray
    elapsed_fraction: np.ndarray
    time_left_s: np.ndarray
    calendar: np.ndarray  # int32 calendar of the last segment
    cross_row: np.ndarray  # int64 [threshold, ticket]: segment where first passed, -1 = never
    cross_reach: np.ndarray  # int64: cumulative working µs the calendar must reach
    cross_immediate: np.ndarray  # int8: already passed at the segment's start
    cross_cal: np.ndarray  # int32: the segment's calendar


class LifeRules(NamedTuple):
    """The lifecycle tables over the policy's activity codes, and per-event data codes."""

    bits: np.ndarray  # uint32 per activity slot: CREATED | ... | wait bits
    kind: np.ndarray  # int8 per activity slot: RESOLVED / CLOSED / REOPENED, 0 = none
    tier: np.ndarray  # int8 per activity slot: tier escalated to, -1 = none
    has_leave: np.ndarray  # uint8 per wait: left only by its own activities
    priority: np.ndarray  # int32 per event: data codes, -1 = none
    category: np.ndarray
    department: np.ndarray
    holder: np.ndarray  # int32 per event: person code, -1 = nobody
    tiers: int  # rows of the escalations output (>= 1)
    people: int  # person codes 0 .. people - 1


class LifeOut(NamedTuple):
    instants: np.ndarray  # int64 [LIFE_INSTANTS, ticket]
    codes: np.ndarray  # int32 [LIFE_CODES, ticket]
    last_kind: np.ndarray  # int8 per ticket
    wait_us: np.ndarray  # int64 [wait, ticket]
    escalations: np.ndarray  # int64 [tier, ticket]
    votes: np.ndarray  # int64 [person, tier]
    assigned: np.ndarray  # uint8 per person


class HeldOut(NamedTuple):
    """One row per ticket and person who held it, then per-ticket columns."""

    tix: np.ndarray  # int32
    person: np.ndarray  # int32
    resolutions: np.ndarray  # int64
    resolutions_reopened: np.ndarray  # int64
    escalations_raised: np.ndarray  # int64
    assignees: np.ndarray  # int64 per ticket
    resolver: np.ndarray  # int64 per ticket, -1 = none
    handoffs: np.ndarray  # int64 per ticket


# --- validation -------------------------------------------------------------------------------


def _array(name: str, value: object, dtype: type, length: int | None = None,
           ndim: int = 1) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{name}: a numpy array expected, got {type(value).__name__}")
    if value.dtype != np.dtype(dtype):
        raise ValueError(f"{name}: {np.dtype(dtype).name} items expected, got {value.dtype}")
    if value.ndim != ndim or not value.flags.c_contiguous:
        raise ValueError(f"{name}: a C-contiguous {ndim}-d array expected")
    if length is not None and len(value) != length:
        raise ValueError(f"{name}: {length} items expected, got {len(value)}")
    return value


def _in_range(name: str, codes: np.ndarray, limit: int, lowest: int = -1) -> None:
    if len(codes) and (int(codes.min()) < lowest or int(codes.max()) >= limit):
        raise ValueError(f"{name}: code out of range (expected {lowest} .. {limit - 1})")


def check_runs(runs: Runs) -> int:
    """Validate ``runs``; the number of events."""
    tickets = len(_array("first", runs.first, np.int64))
    _array("count", runs.count, np.int64, tickets)
    n = len(_array("ts", runs.ts, np.int64))
    _array("act", runs.act, np.int32, n)
    if len(_array("as_of", runs.as_of, np.int64)) not in (1, tickets):
        raise ValueError(f"as_of: 1 or {tickets} items expected, got {len(runs.as_of)}")
    first, count = runs.first, runs.count
    if tickets and (first.min() < 0 or count.min() < 1 or int((first + count).max()) > n):
        raise ValueError("first/count: a ticket's run leaves the events")
    return n


def check_clock(runs: Runs, rules: ClockRules) -> None:
    n = check_runs(runs)
    activity_slots = len(_array("bits", rules.bits, np.uint8))
    _in_range("act", runs.act, activity_slots - 1)
    _array("prio", rules.prio, np.int32, n)
    slots = len(_array("target", rules.target, np.int64))
    _in_range("prio", rules.prio, slots - 1)
    _array("cal_of", rules.cal_of, np.int32, slots)
    if rules.thresholds.ndim != 2 or rules.thresholds.shape[1:] != (slots,):
        raise ValueError(f"thresholds: [threshold, {slots}] expected")
    _array("thresholds", rules.thresholds, np.int64, None, 2)
    calendars = len(_array("offsets", rules.offsets, np.int64))
    if calendars < 1:
        raise ValueError("offsets: at least one calendar expected")
    _in_range("cal_of", rules.cal_of, calendars, 0)
    _array("cums", rules.cums, np.int64, None, 2)
    if rules.cums.shape[1] != n:
        raise ValueError(f"cums: [row, {n} events] expected, got {rules.cums.shape}")
    _array("cum_row", rules.cum_row, np.int32, calendars)
    _in_range("cum_row", rules.cum_row, len(rules.cums))
    _array("now", rules.now, np.int64, calendars, 2)
    if rules.now.shape[1] != len(runs.as_of):
        raise ValueError(f"now: one column per as_of instant expected, got {rules.now.shape}")
    if rules.on_reopen not in ON_REOPEN.values():
        raise ValueError(f"on_reopen: unknown code {rules.on_reopen}")
    if rules.on_priority_change not in ON_PRIORITY_CHANGE.values():
        raise ValueError(f"on_priority_change: unknown code {rules.on_priority_change}")


def check_life(runs: Runs, rules: LifeRules, max_waits: int) -> None:
    n = check_runs(runs)
    activity_slots = len(_array("bits", rules.bits, np.uint32))
    _in_range("act", runs.act, activity_slots - 1)
    _array("kind", rules.kind, np.int8, activity_slots)
    _array("tier", rules.tier, np.int8, activity_slots)
    if len(_array("has_leave", rules.has_leave, np.uint8)) > max_waits:
        raise ValueError(f"has_leave: at most {max_waits} waits")
    for name in ("priority", "category", "department", "holder"):
        _array(name, getattr(rules, name), np.int32, n)
    if rules.tiers < 1:
        raise ValueError("tiers: at least 1 expected")
    _in_range("tier", rules.tier, rules.tiers)
    _in_range("holder", rules.holder, rules.people)


def check_held(runs: Runs, bits: np.ndarray, holder: np.ndarray) -> None:
    n = check_runs(runs)
    activity_slots = len(_array("bits", bits, np.uint32))
    _in_range("act", runs.act, activity_slots - 1)
    _array("holder", holder, np.int32, n)
