"""The SLA engine's per-event walks, compiled by numba: one pass over each ticket's events.

``clock``, ``lifecycle`` and ``held`` take the structures of ``layout.py`` (events in ticket
order, each ticket one contiguous, time-ordered run; codes index the policy's vocabulary, -1:
not in it), check them (a caller's mistake is a ValueError naming the field), then walk every
ticket once and return per-ticket arrays; ``clocks.py`` and ``tickets.py`` give every input and
output its meaning. Vectorised numpy needs dozens of whole-array passes and as many fresh
temporaries for the same state machines; a single pass touches each event once.

Why numba: the package stays pure Python (a ``py3-none-any`` wheel that installs wherever
numba does, no compiler), the walks release the GIL (``nogil``) so the clocks run side by side
on threads, and the machine code is cached on disk (``cache=True``): the first call on a
machine compiles (seconds), later processes load it. Only this module imports numba, and only
the functions that run clocks import this module, so verbs without clocks never pay for it.
The codes of ``layout.py`` are compile-time constants here: change them, and clear the cache
(``__pycache__/kernel.*.nbi|nbc`` or ``NUMBA_CACHE_DIR``). The walks share their helpers in
this one module on purpose: numba's cache checks only the file a function is defined in, so a
helper in another module could change without the cached walks noticing.
"""

from __future__ import annotations

import numpy as np

from ticketlens.clock.jit import jit, step
from ticketlens.clock.layout import (
    ASSIGNED,
    CLOSED_BIT,
    CREATED,
    DE_ESCALATED,
    ESCALATED,
    FINAL,
    FULL,
    HOLD,
    INITIAL,
    LIFE_CODES,
    LIFE_INSTANTS,
    NEW_CYCLE,
    NO_TIME,
    PAUSE,
    PAUSED,
    REASSIGNED,
    REOPEN,
    REOPENED_BIT,
    RESOLVED_BIT,
    RESPONSE,
    RESUME,
    RETARGET,
    RUNNING,
    START,
    STOP,
    STOPPED,
    WAIT_SHIFT,
    ClockOut,
    ClockRules,
    HeldOut,
    LifeOut,
    LifeRules,
    Runs,
    check_clock,
    check_held,
    check_life,
)
from ticketlens.clock.policy import MAX_WAITS

# --- shared by every walk ---------------------------------------------------------------------


@step
def _run_of(first: np.ndarray, count: np.ndarray, ts: np.ndarray, as_of: np.ndarray,
            t: int) -> tuple[int, int, int]:
    """Ticket ``t``'s first and last event rows (last < first: no event by its as-of) and the
    column of its as-of instant (and of ``ClockRules.now``)."""
    column = t if len(as_of) > 1 else 0
    f = first[t]
    last = f + count[t] - 1
    while last >= f and ts[last] > as_of[column]:  # events after the as-of are not known yet
        last -= 1
    return f, last, column


@step
def _slot(codes: np.ndarray, i: int, slots: int) -> int:
    """Index of a per-code table whose last slot is code -1's."""
    code = codes[i]
    return slots - 1 if code < 0 else code


@jit
def _longest(count: np.ndarray) -> int:
    longest = 1
    for c in count:
        longest = max(longest, c)
    return longest


# --- clocks -----------------------------------------------------------------------------------
# The walks unpack their structures once and pass plain arrays on: handing a tuple of arrays
# to a function costs a reference count per array per call, which per ticket made the walk
# several times slower (measured: 4.9 s against 1.1 s for three clocks at 1 M tickets).


@step
def _clock_states(ts: np.ndarray, act: np.ndarray, bits: np.ndarray, f: int, last: int,
                  state_of: np.ndarray) -> tuple[int, int, int, int]:
    """The clock's state after each event (``state_of[i - f]``: status + 8 if it reopened the
    clock); the first start's row (-1: none), the last reopen's row, the reopens and the
    first stop's instant (NO_TIME: none)."""
    slots = len(bits)
    start_at = -1
    for i in range(f, last + 1):
        if bits[_slot(act, i, slots)] & START:
            start_at = i
            break
    started = stopped_flag = paused_flag = stopped_before = False
    last_reopen, reopens, last_stop = -1, 0, NO_TIME
    for i in range(f, last + 1):
        b = bits[_slot(act, i, slots)]
        first_start = i == start_at
        if first_start:
            started = True
        if started:
            if (b & (STOP | REOPEN)) or first_start:
                stopped_flag = (b & STOP) != 0
            if (b & (PAUSE | RESUME | REOPEN)) or first_start:
                paused_flag = (b & PAUSE) != 0
        stopped = started and stopped_flag
        paused = started and paused_flag and not stopped
        reopened = (b & REOPEN) != 0 and stopped_before
        if reopened:
            last_reopen = i
            reopens += 1
        if (b & STOP) and started and not stopped_before:
            last_stop = ts[i]
        state_of[i - f] = int(started) + 2 * int(stopped) + int(paused) + (8 if reopened else 0)
        stopped_before = stopped
    return start_at, last_reopen, reopens, last_stop


@step
def _fixed_priority(prio: np.ndarray, rule: int, f: int, last: int,
                    start_at: int) -> tuple[int, int]:
    """The first known priority (-1: none) and the one fixed for the whole clock by the
    ``initial`` / ``final`` rule (-1 under ``retarget``)."""
    known = -1
    for i in range(f, last + 1):
        if prio[i] >= 0:
            known = prio[i]
            break
    fixed = -1
    if rule == FINAL:
        for i in range(last, f - 1, -1):
            if prio[i] >= 0:
                fixed = prio[i]
                break
        if fixed < 0:
            fixed = known
    elif rule == INITIAL and start_at >= 0:
        fixed = known
        for i in range(f, start_at + 1):
            if prio[i] >= 0:
                fixed = prio[i]
    return known, fixed


@jit
def _clock_all(runs: Runs, rules: ClockRules) -> ClockOut:
    first, count, ts, act, as_of_at = runs
    bits, prio, target_of, cal_of, thresholds, cums, cum_row, offsets, now, on_reopen, rule = rules
    tickets, slots = len(first), len(target_of)
    out = _clock_outputs(tickets, thresholds.shape[0])
    (status, has_verdict_at, open_at_end, started_at, stopped_at, cycles, left_at, wall_s,
     business_s, paused_s, paused_business_s, target_s, elapsed_fraction, time_left_s,
     calendar, cross_row, cross_reach, cross_immediate, cross_cal) = out
    state_of = np.empty(_longest(count), np.int8)
    for t in range(tickets):
        f, last, column = _run_of(first, count, ts, as_of_at, t)
        as_of = as_of_at[column]
        start_at, last_reopen, reopens, last_stop = _clock_states(ts, act, bits, f, last,
                                                                  state_of)
        in_force, fixed = _fixed_priority(prio, rule, f, last, start_at)
        wall = business_total = wall_paused = business_paused = cycle = 0
        has_verdict, seg_prio, seg_cal, state = False, -1, 0, 0
        for i in range(f, last + 1):
            raw = state_of[i - f]
            state = raw & 7
            if on_reopen == FULL and state == STOPPED and i < last_reopen:
                state = RUNNING
            running, pausing = state == RUNNING, state == PAUSED
            if prio[i] >= 0:
                in_force = prio[i]
            seg_prio = in_force if rule == RETARGET else fixed
            slot = slots - 1 if seg_prio < 0 else seg_prio
            target, seg_cal = target_of[slot], cal_of[slot]
            row, offset = cum_row[seg_cal], offsets[seg_cal]
            # cumulative working µs: a business calendar's row, or the instant itself
            at_start = (ts[i] if row < 0 else cums[row, i]) - offset
            business = 0
            if running or pausing:
                at_end = now[seg_cal, column] if i == last else \
                    ts[i + 1] if row < 0 else cums[row, i + 1]
                business = at_end - offset - at_start
            run_business = business if running else 0
            if on_reopen == NEW_CYCLE and (i == f or (raw & 8)):
                cycle = 0
            if (running or pausing) and target >= 0:
                _cross(thresholds, slot, cycle, cycle + run_business, cross_row,
                       cross_immediate, cross_reach, cross_cal, t, i, at_start, seg_cal)
            has_verdict = has_verdict or (target >= 0 and state != 0)
            cycle += run_business
            step = ts[i + 1] - ts[i] if i < last else as_of - ts[i] if running or pausing else 0
            wall += step if running else 0
            wall_paused += step if pausing else 0
            business_paused += business if pausing else 0
            business_total += run_business
        # seconds as numpy computes them: int64 microseconds to double, then / 1e6
        wall_s[t], business_s[t] = wall / 1e6, business_total / 1e6
        paused_s[t], paused_business_s[t] = wall_paused / 1e6, business_paused / 1e6
        is_open = RUNNING <= state <= PAUSED  # running or paused
        last_target = target_of[slots - 1 if seg_prio < 0 else seg_prio]
        left = last_target - cycle if last_target >= 0 else 0
        status[t], has_verdict_at[t], open_at_end[t] = state, has_verdict, is_open
        started_at[t] = ts[start_at] if start_at >= 0 else NO_TIME
        stopped_at[t] = last_stop if state == STOPPED else NO_TIME
        cycles[t] = 0 if start_at < 0 else 1 + reopens if on_reopen == NEW_CYCLE else 1
        # time still left on a running clock: where its due instant is to be projected
        left_at[t] = left if state == RUNNING and last_target >= 0 and left > 0 else -1
        target_s[t] = last_target / 1e6 if last_target >= 0 else np.nan
        elapsed_fraction[t] = cycle / max(last_target, 1) if last_target > 0 else np.nan
        time_left_s[t] = left / 1e6 if is_open and last_target >= 0 else np.nan
        calendar[t] = seg_cal
    return out


@step
def _cross(thresholds: np.ndarray, slot: int, before: int, after: int, row: np.ndarray,
           immediate: np.ndarray, reach: np.ndarray, cal: np.ndarray, t: int, i: int,
           at_start: int, seg_cal: int) -> None:
    """Record each threshold first passed in this segment (row 0, the target, is passed when
    exceeded; warnings when reached): the segment, whether it was passed at its start, and
    the cumulative working time the calendar must reach."""
    for q in range(thresholds.shape[0]):
        if row[q, t] >= 0:
            continue
        limit = thresholds[q, slot]
        if (after > limit) if q == 0 else (after >= limit):
            row[q, t] = i
            immediate[q, t] = (before > limit) if q == 0 else (before >= limit)
            reach[q, t] = at_start + (limit - before)
            cal[q, t] = seg_cal


@jit
def _clock_outputs(tickets: int, thresholds: int) -> ClockOut:
    crossings = (thresholds, tickets)
    return ClockOut(
        np.empty(tickets, np.int8), np.empty(tickets, np.int8), np.empty(tickets, np.int8),
        np.empty(tickets, np.int64), np.empty(tickets, np.int64), np.empty(tickets, np.int64),
        np.empty(tickets, np.int64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64),
        np.empty(tickets, np.int32),
        np.full(crossings, -1, np.int64), np.empty(crossings, np.int64),
        np.zeros(crossings, np.int8), np.zeros(crossings, np.int32))


def clock(runs: Runs, rules: ClockRules) -> ClockOut:
    """One SLA clock over every ticket (``clocks.run_clock`` names the results)."""
    check_clock(runs, rules)
    return _clock_all(runs, rules)


# --- lifecycle --------------------------------------------------------------------------------


@step
def _waits(has_leave: np.ndarray, b: int, step: int, waiting: np.ndarray,
           wait_us: np.ndarray) -> None:
    """Advance each wait over one segment: a wait without its own leave activities is left by
    any other activity."""
    for w in range(len(has_leave)):
        enter = b & (1 << (WAIT_SHIFT + 2 * w))
        leave = b & (1 << (WAIT_SHIFT + 2 * w + 1))
        if not has_leave[w] or enter or leave:
            waiting[w] = enter != 0
        if waiting[w]:
            wait_us[w] += step


@jit
def _life_all(runs: Runs, rules: LifeRules, instants: int, codes: int) -> LifeOut:
    first, count, ts, act, as_of = runs
    bits, kind_of, tier_of, has_leave, priority, category, department, holder, tiers, people = \
        rules
    tickets, waits, slots = len(first), len(has_leave), len(bits)
    out = LifeOut(np.empty((instants, tickets), np.int64), np.empty((codes, tickets), np.int32),
                  np.empty(tickets, np.int8), np.empty((waits, tickets), np.int64),
                  np.zeros((tiers, tickets), np.int64), np.zeros((people, tiers), np.int64),
                  np.zeros(people, np.uint8))
    o, c, last_kind, wait_out, escalations, votes, assigned = out
    waiting, wait_us = np.zeros(waits, np.bool_), np.zeros(waits, np.int64)
    for t in range(tickets):
        f, last, column = _run_of(first, count, ts, as_of, t)
        # every instant starts as "none": NO_TIME, never a negative value (an instant before
        # 1970 is negative, and -1 µs is 1969-12-31T23:59:59.999999Z)
        for row in range(6):  # the six instants of LIFE_INSTANTS
            o[row, t] = NO_TIME
        if last >= f:
            o[5, t] = ts[last]
        for row in range(6, instants):  # the counts
            o[row, t] = 0
        for row in range(codes):
            c[row, t] = -1
        kind, done, carried = 0, False, -1
        for w in range(waits):
            waiting[w], wait_us[w] = False, 0
        for i in range(f, last + 1):
            slot = _slot(act, i, slots)
            b = bits[slot]
            if (b & CREATED) and o[0, t] == NO_TIME:
                o[0, t] = ts[i]
            if (b & RESPONSE) and o[1, t] == NO_TIME:
                o[1, t] = ts[i]
            if b & RESOLVED_BIT:
                o[2, t] = ts[i]
                o[3, t] = ts[i] if o[3, t] == NO_TIME else o[3, t]
            if b & CLOSED_BIT:
                o[4, t] = ts[i]
            for row, bit in ((6, ASSIGNED), (7, REASSIGNED), (8, ESCALATED),
                             (9, DE_ESCALATED), (10, HOLD)):
                o[row, t] += (b & bit) != 0
            # a reopen counts only when it finds the ticket resolved or closed
            o[11, t] += (b & REOPENED_BIT) != 0 and done
            if kind_of[slot] > 0:
                kind = kind_of[slot]
                done = (b & (RESOLVED_BIT | CLOSED_BIT)) != 0
            p = priority[i]
            if p >= 0:
                o[12, t] += carried >= 0 and carried != p
                carried = c[0, t] = p
                c[1, t] = p if c[1, t] < 0 else c[1, t]
            c[2, t] = category[i] if category[i] >= 0 else c[2, t]
            c[3, t] = department[i] if department[i] >= 0 else c[3, t]
            h = holder[i]
            if h >= 0:
                c[5, t] = h
                c[4, t] = h if c[4, t] < 0 else c[4, t]
            tier = tier_of[slot]
            if tier >= 0:
                escalations[tier, t] += 1
                if h >= 0:
                    votes[h, tier] += 1
            if (b & ASSIGNED) and h >= 0:
                assigned[h] = 1
            step = ts[i + 1] - ts[i] if i < last else as_of[column] - ts[i]
            _waits(has_leave, b, step, waiting, wait_us)
        last_kind[t] = kind
        for w in range(waits):
            wait_out[w, t] = wait_us[w]
    return out


def lifecycle(runs: Runs, rules: LifeRules) -> LifeOut:
    """Lifecycle instants, counts, last known values and waits (see ``tickets.lifecycle``)."""
    check_life(runs, rules, MAX_WAITS)
    return _life_all(runs, rules, len(LIFE_INSTANTS), len(LIFE_CODES))


# --- who held each ticket ---------------------------------------------------------------------


@step
def _held_people(act: np.ndarray, holder: np.ndarray, bits: np.ndarray, f: int, last: int,
                 people: np.ndarray) -> tuple[int, int]:
    """The ticket's distinct people, sorted, into ``people``: how many, and its last reopen's
    row (-1: none)."""
    m, last_reopen = 0, -1
    for i in range(f, last + 1):
        if holder[i] >= 0 and (m == 0 or people[m - 1] != holder[i]):
            people[m] = holder[i]
            m += 1
        if bits[_slot(act, i, len(bits))] & REOPENED_BIT:
            last_reopen = i
    if m > 32:
        people[:m].sort()
    for j in range(1, min(m, 33)):  # insertion sort: most tickets have few people
        person, k = people[j], j - 1
        while k >= 0 and people[k] > person:
            people[k + 1] = people[k]
            k -= 1
        people[k + 1] = person
    unique = 0
    for j in range(m):
        if unique == 0 or people[unique - 1] != people[j]:
            people[unique] = people[j]
            unique += 1
    return unique, last_reopen


@step
def _find(people: np.ndarray, unique: int, person: int) -> int:
    """Where ``person`` is among the ticket's first ``unique`` (sorted) people."""
    lo, hi = 0, unique
    while lo < hi:
        mid = (lo + hi) // 2
        if people[mid] < person:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def _held_all(runs: Runs, bits: np.ndarray, holder: np.ndarray) -> HeldOut:
    first, count, ts, act, as_of = runs
    tickets, capacity = len(first), 0
    for h in holder:  # at most one pair per named event
        capacity += h >= 0
    tix, person = np.empty(capacity, np.int32), np.empty(capacity, np.int32)
    resolutions, reopened = np.zeros(capacity, np.int64), np.zeros(capacity, np.int64)
    raised = np.zeros(capacity, np.int64)
    assignees, resolver_at = np.empty(tickets, np.int64), np.empty(tickets, np.int64)
    handoffs_at = np.empty(tickets, np.int64)
    people = np.empty(_longest(count), np.int32)
    emitted = 0
    for t in range(tickets):
        f, last, _ = _run_of(first, count, ts, as_of, t)
        unique, last_reopen = _held_people(act, holder, bits, f, last, people)
        for j in range(unique):
            tix[emitted + j], person[emitted + j] = t, people[j]
        held, resolver, handoffs = -1, -1, 0
        for i in range(f, last + 1):
            before = held
            if holder[i] >= 0:
                held = holder[i]
            b = bits[_slot(act, i, len(bits))]
            if held >= 0 and before >= 0 and held != before:
                handoffs += 1
            if b & RESOLVED_BIT:
                resolver = held
                if held >= 0:
                    j = emitted + _find(people, unique, held)
                    resolutions[j] += 1
                    if i < last_reopen:
                        reopened[j] += 1
            if (b & ESCALATED) and before >= 0:
                raised[emitted + _find(people, unique, before)] += 1
        assignees[t], resolver_at[t], handoffs_at[t] = unique, resolver, handoffs
        emitted += unique
    return HeldOut(tix[:emitted], person[:emitted], resolutions[:emitted], reopened[:emitted],
                   raised[:emitted], assignees, resolver_at, handoffs_at)


def held(runs: Runs, bits: np.ndarray, holder: np.ndarray) -> HeldOut:
    """Who held each ticket and what they did on it (see ``tickets.ticket_technicians``)."""
    check_held(runs, bits, holder)
    return _held_all(runs, bits, holder)
