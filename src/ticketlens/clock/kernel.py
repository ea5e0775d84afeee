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
(``__pycache__/kernel.*.nbi|nbc`` or ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

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

_jit = njit(nogil=True, cache=True)


# --- shared by every walk ---------------------------------------------------------------------


@_jit
def _run_of(runs: Runs, t: int) -> tuple[int, int, int]:
    """Ticket ``t``'s first and last event rows (last < first: no event by its as-of) and the
    column of its as-of instant (and of ``ClockRules.now``)."""
    column = t if len(runs.as_of) > 1 else 0
    f = runs.first[t]
    last = f + runs.count[t] - 1
    as_of = runs.as_of[column]
    while last >= f and runs.ts[last] > as_of:  # events after the as-of are not known yet
        last -= 1
    return f, last, column


@_jit
def _slot(codes: np.ndarray, i: int, slots: int) -> int:
    """Index of a per-code table whose last slot is code -1's."""
    code = codes[i]
    return slots - 1 if code < 0 else code


@_jit
def _longest(count: np.ndarray) -> int:
    longest = 1
    for c in count:
        longest = max(longest, c)
    return longest


# --- clocks -----------------------------------------------------------------------------------


@_jit
def _clock_states(runs: Runs, bits: np.ndarray, f: int, last: int,
                  state_of: np.ndarray) -> tuple[int, int, int, int]:
    """The clock's state after each event (``state_of[i - f]``: status + 8 if it reopened the
    clock); the first start's row (-1: none), the last reopen's row, the reopens and the
    first stop's instant."""
    slots = len(bits)
    start_at = -1
    for i in range(f, last + 1):
        if bits[_slot(runs.act, i, slots)] & START:
            start_at = i
            break
    started = stopped_flag = paused_flag = stopped_before = False
    last_reopen, reopens, last_stop = -1, 0, -1
    for i in range(f, last + 1):
        b = bits[_slot(runs.act, i, slots)]
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
            last_stop = runs.ts[i]
        state_of[i - f] = int(started) + 2 * int(stopped) + int(paused) + (8 if reopened else 0)
        stopped_before = stopped
    return start_at, last_reopen, reopens, last_stop


@_jit
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


@_jit
def _cross(rules: ClockRules, out: ClockOut, t: int, i: int, slot: int, cal: int,
           at_start: int, before: int, after: int) -> None:
    """Record each threshold first passed in this segment (row 0, the target, is passed when
    exceeded; warnings when reached)."""
    for q in range(rules.thresholds.shape[0]):
        if out.cross_row[q, t] >= 0:
            continue
        limit = rules.thresholds[q, slot]
        passed = after > limit if q == 0 else after >= limit
        if passed:
            out.cross_row[q, t] = i
            out.cross_immediate[q, t] = (before > limit) if q == 0 else (before >= limit)
            out.cross_reach[q, t] = at_start + (limit - before)
            out.cross_cal[q, t] = cal


@_jit
def _cumulative(rules: ClockRules, ts: np.ndarray, row: int, i: int) -> int:
    """A calendar's cumulative working µs at event ``i`` (before its offset): its row of
    ``cums``, or for a round-the-clock calendar (row -1) the instant itself."""
    return ts[i] if row < 0 else rules.cums[row, i]


@_jit
def _clock_ticket(runs: Runs, rules: ClockRules, out: ClockOut, t: int,
                  state_of: np.ndarray) -> None:
    f, last, column = _run_of(runs, t)
    as_of, slots = runs.as_of[column], len(rules.target)
    start_at, last_reopen, reopens, last_stop = _clock_states(runs, rules.bits, f, last,
                                                              state_of)
    in_force, fixed = _fixed_priority(rules.prio, rules.on_priority_change, f, last, start_at)
    retarget = rules.on_priority_change == RETARGET
    wall = business_total = wall_paused = business_paused = cycle = 0
    has_verdict, seg_prio, seg_cal, state = False, -1, 0, 0
    out.cross_row[:, t] = -1
    for i in range(f, last + 1):
        raw = state_of[i - f]
        state = raw & 7
        if rules.on_reopen == FULL and state == STOPPED and i < last_reopen:
            state = RUNNING
        running, pausing = state == RUNNING, state == PAUSED
        if rules.prio[i] >= 0:
            in_force = rules.prio[i]
        seg_prio = in_force if retarget else fixed
        slot = slots - 1 if seg_prio < 0 else seg_prio
        target, seg_cal = rules.target[slot], rules.cal_of[slot]
        row, offset = rules.cum_row[seg_cal], rules.offsets[seg_cal]
        at_start = _cumulative(rules, runs.ts, row, i) - offset
        business = 0
        if running or pausing:
            at_end = rules.now[seg_cal, column] if i == last else \
                _cumulative(rules, runs.ts, row, i + 1)
            business = at_end - offset - at_start
        run_business = business if running else 0
        if rules.on_reopen == NEW_CYCLE and (i == f or (raw & 8)):
            cycle = 0
        if (running or pausing) and target >= 0:
            _cross(rules, out, t, i, slot, seg_cal, at_start, cycle, cycle + run_business)
        if target >= 0 and state != 0:
            has_verdict = True
        cycle += run_business
        step = runs.ts[i + 1] - runs.ts[i] if i < last else 0
        if i == last and (running or pausing):
            step = as_of - runs.ts[i]
        if running:
            wall += step
        if pausing:
            wall_paused += step
            business_paused += business
        business_total += run_business
    _clock_result(rules, out, t, state, has_verdict, seg_prio, seg_cal, cycle,
                  runs.ts[start_at] if start_at >= 0 else NO_TIME,
                  last_stop, reopens if start_at >= 0 else -1)
    # seconds as numpy computes them: int64 microseconds to double, then / 1e6
    out.wall_s[t] = wall / 1e6
    out.business_s[t] = business_total / 1e6
    out.paused_s[t] = wall_paused / 1e6
    out.paused_business_s[t] = business_paused / 1e6


@_jit
def _clock_result(rules: ClockRules, out: ClockOut, t: int, state: int, has_verdict: bool,
                  seg_prio: int, seg_cal: int, cycle: int, started_at: int, last_stop: int,
                  reopens: int) -> None:
    """The per-ticket values after the last segment (``reopens`` -1: never started)."""
    is_open = RUNNING <= state <= PAUSED  # running or paused
    last_target = rules.target[len(rules.target) - 1 if seg_prio < 0 else seg_prio]
    left = last_target - cycle if last_target >= 0 else 0
    out.status[t] = state
    out.has_verdict[t] = has_verdict
    out.open_at_end[t] = is_open
    out.started_at[t] = started_at
    out.stopped_at[t] = last_stop if state == STOPPED else NO_TIME
    out.cycles[t] = 0 if reopens < 0 else 1 + reopens if rules.on_reopen == NEW_CYCLE else 1
    # time still left on a running clock: where its due instant is to be projected
    out.left[t] = left if state == RUNNING and last_target >= 0 and left > 0 else -1
    out.target_s[t] = last_target / 1e6 if last_target >= 0 else np.nan
    out.elapsed_fraction[t] = cycle / max(last_target, 1) if last_target > 0 else np.nan
    out.time_left_s[t] = left / 1e6 if is_open and last_target >= 0 else np.nan
    out.calendar[t] = seg_cal


@_jit
def _clock_all(runs: Runs, rules: ClockRules) -> ClockOut:
    tickets, thresholds = len(runs.first), rules.thresholds.shape[0]
    out = ClockOut(
        np.empty(tickets, np.int8), np.empty(tickets, np.int8), np.empty(tickets, np.int8),
        np.empty(tickets, np.int64), np.empty(tickets, np.int64), np.empty(tickets, np.int64),
        np.empty(tickets, np.int64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64), np.empty(tickets, np.float64),
        np.empty(tickets, np.float64),
        np.empty(tickets, np.int32),
        np.empty((thresholds, tickets), np.int64), np.empty((thresholds, tickets), np.int64),
        np.zeros((thresholds, tickets), np.int8), np.zeros((thresholds, tickets), np.int32))
    state_of = np.empty(_longest(runs.count), np.int8)
    for t in range(tickets):
        _clock_ticket(runs, rules, out, t, state_of)
    return out


def clock(runs: Runs, rules: ClockRules) -> ClockOut:
    """One SLA clock over every ticket (``clocks.run_clock`` names the results)."""
    check_clock(runs, rules)
    return _clock_all(runs, rules)


# --- lifecycle --------------------------------------------------------------------------------


@_jit
def _waits(rules: LifeRules, b: int, step: int, waiting: np.ndarray,
           wait_us: np.ndarray) -> None:
    """Advance each wait over one segment: a wait without its own leave activities is left by
    any other activity."""
    for w in range(len(rules.has_leave)):
        enter = b & (1 << (WAIT_SHIFT + 2 * w))
        leave = b & (1 << (WAIT_SHIFT + 2 * w + 1))
        if not rules.has_leave[w] or enter or leave:
            waiting[w] = enter != 0
        if waiting[w]:
            wait_us[w] += step


@_jit
def _life_ticket(runs: Runs, rules: LifeRules, out: LifeOut, t: int, waiting: np.ndarray,
                 wait_us: np.ndarray) -> None:
    f, last, column = _run_of(runs, t)
    slots, o, c = len(rules.bits), out.instants, out.codes
    o[0, t] = o[1, t] = o[3, t] = NO_TIME  # created, first response, first resolution
    o[2, t] = o[4, t] = -1  # last resolution, last closure
    o[5, t] = runs.ts[last] if last >= f else NO_TIME
    o[6:, t] = 0  # the counts
    c[:, t] = -1
    kind, done, carried = 0, False, -1
    waiting[:] = False
    wait_us[:] = 0
    for i in range(f, last + 1):
        slot = _slot(runs.act, i, slots)
        b, ts = rules.bits[slot], runs.ts[i]
        if (b & CREATED) and o[0, t] == NO_TIME:
            o[0, t] = ts
        if (b & RESPONSE) and o[1, t] == NO_TIME:
            o[1, t] = ts
        if b & RESOLVED_BIT:
            o[2, t] = ts
            if o[3, t] == NO_TIME:
                o[3, t] = ts
        if b & CLOSED_BIT:
            o[4, t] = ts
        o[6, t] += (b & ASSIGNED) != 0
        o[7, t] += (b & REASSIGNED) != 0
        o[8, t] += (b & ESCALATED) != 0
        o[9, t] += (b & DE_ESCALATED) != 0
        o[10, t] += (b & HOLD) != 0
        # a reopen counts only when it finds the ticket resolved or closed
        if (b & REOPENED_BIT) and done:
            o[11, t] += 1
        if rules.kind[slot] > 0:
            kind = rules.kind[slot]
            done = (b & (RESOLVED_BIT | CLOSED_BIT)) != 0
        p = rules.priority[i]
        if p >= 0:
            if carried >= 0 and carried != p:
                o[12, t] += 1
            carried = p
            c[0, t] = p
            if c[1, t] < 0:
                c[1, t] = p
        if rules.category[i] >= 0:
            c[2, t] = rules.category[i]
        if rules.department[i] >= 0:
            c[3, t] = rules.department[i]
        h = rules.holder[i]
        if h >= 0:
            c[5, t] = h
            if c[4, t] < 0:
                c[4, t] = h
        tier = rules.tier[slot]
        if tier >= 0:
            out.escalations[tier, t] += 1
            if h >= 0:
                out.votes[h, tier] += 1
        if (b & ASSIGNED) and h >= 0:
            out.assigned[h] = 1
        step = runs.ts[i + 1] - ts if i < last else runs.as_of[column] - ts
        _waits(rules, b, step, waiting, wait_us)
    out.last_kind[t] = kind
    out.wait_us[:, t] = wait_us


@_jit
def _life_all(runs: Runs, rules: LifeRules, instants: int, codes: int) -> LifeOut:
    tickets, waits = len(runs.first), len(rules.has_leave)
    out = LifeOut(np.empty((instants, tickets), np.int64), np.empty((codes, tickets), np.int32),
                  np.empty(tickets, np.int8), np.empty((waits, tickets), np.int64),
                  np.zeros((rules.tiers, tickets), np.int64),
                  np.zeros((rules.people, rules.tiers), np.int64),
                  np.zeros(rules.people, np.uint8))
    waiting, wait_us = np.zeros(waits, np.bool_), np.zeros(waits, np.int64)
    for t in range(tickets):
        _life_ticket(runs, rules, out, t, waiting, wait_us)
    return out


def lifecycle(runs: Runs, rules: LifeRules) -> LifeOut:
    """Lifecycle instants, counts, last known values and waits (see ``tickets.lifecycle``)."""
    check_life(runs, rules, MAX_WAITS)
    return _life_all(runs, rules, len(LIFE_INSTANTS), len(LIFE_CODES))


# --- who held each ticket ---------------------------------------------------------------------


@_jit
def _held_people(runs: Runs, holder: np.ndarray, bits: np.ndarray, f: int, last: int,
                 people: np.ndarray) -> tuple[int, int]:
    """The ticket's distinct people, sorted, into ``people``: how many, and its last reopen's
    row (-1: none)."""
    m, last_reopen = 0, -1
    for i in range(f, last + 1):
        if holder[i] >= 0 and (m == 0 or people[m - 1] != holder[i]):
            people[m] = holder[i]
            m += 1
        if bits[_slot(runs.act, i, len(bits))] & REOPENED_BIT:
            last_reopen = i
    people[:m].sort()
    unique = 0
    for j in range(m):
        if unique == 0 or people[unique - 1] != people[j]:
            people[unique] = people[j]
            unique += 1
    return unique, last_reopen


@_jit
def _held_all(runs: Runs, bits: np.ndarray, holder: np.ndarray) -> HeldOut:
    tickets, capacity = len(runs.first), 0
    for h in holder:  # at most one pair per named event
        capacity += h >= 0
    out = HeldOut(np.empty(capacity, np.int32), np.empty(capacity, np.int32),
                  np.zeros(capacity, np.int64), np.zeros(capacity, np.int64),
                  np.zeros(capacity, np.int64), np.empty(tickets, np.int64),
                  np.empty(tickets, np.int64), np.empty(tickets, np.int64))
    people = np.empty(_longest(runs.count), np.int32)
    emitted = 0
    for t in range(tickets):
        f, last, _ = _run_of(runs, t)
        unique, last_reopen = _held_people(runs, holder, bits, f, last, people)
        known = people[:unique]
        out.tix[emitted:emitted + unique] = t
        out.person[emitted:emitted + unique] = known
        held, resolver, handoffs = -1, -1, 0
        for i in range(f, last + 1):
            before = held
            if holder[i] >= 0:
                held = holder[i]
            b = bits[_slot(runs.act, i, len(bits))]
            if held >= 0 and before >= 0 and held != before:
                handoffs += 1
            if b & RESOLVED_BIT:
                resolver = held
                if held >= 0:
                    j = emitted + np.searchsorted(known, held)
                    out.resolutions[j] += 1
                    if i < last_reopen:
                        out.resolutions_reopened[j] += 1
            if (b & ESCALATED) and before >= 0:
                out.escalations_raised[emitted + np.searchsorted(known, before)] += 1
        out.assignees[t], out.resolver[t], out.handoffs[t] = unique, resolver, handoffs
        emitted += unique
    return HeldOut(out.tix[:emitted], out.person[:emitted], out.resolutions[:emitted],
                   out.resolutions_reopened[:emitted], out.escalations_raised[:emitted],
                   out.assignees, out.resolver, out.handoffs)


def held(runs: Runs, bits: np.ndarray, holder: np.ndarray) -> HeldOut:
    """Who held each ticket and what they did on it (see ``tickets.ticket_technicians``)."""
    check_held(runs, bits, holder)
    return _held_all(runs, bits, holder)
