"""The queueing engine's event loop, compiled by numba: tickets queue for the servers of their
group (technicians of one tier and skill) who are on shift.

One loop, two kinds of event: the next arrival (the arrival array is already in time order, so
it needs no heap) and each server's one pending event, kept in an indexed binary min-heap of at
most one entry per server, keyed by (time, idle shift end first, server index) so equal times
resolve the same way on every run. A server is in one of four states, and its pending event
says what happens next:

* BUSY: its ticket finishes at the key; then, on duty, it takes the next ticket of its group or
  idles; off duty, it takes the next *urgent* ticket of its group or goes off duty.
* IDLE: on duty with nothing to do; the key is its shift's end, when it goes off duty. Idle
  servers of a group wait in a FIFO list, so an arriving ticket goes to the one idle longest.
* OFF: off duty; the key is its next shift's start. An urgent ticket finding nobody of its
  group idle calls in the OFF server of its group with the lowest index (the on-call).
* GONE: no shift left; not in the heap, never called in.

Work is on the server's clock: a ticket's service counts on-duty time only, paused from one
shift's end to the next shift's start (past the last shift it runs on continuously), so its
finish is found once, when it starts, by walking the server's shifts (``_work_finish``). An
urgent ticket's service runs on the wall clock. A server holding paused work is BUSY, never
called in.

Each group keeps one FIFO queue per class: a free server takes the head of the lowest non-empty
class, so tickets are worked urgent first, then by priority, then VIP, then in arrival order,
and work once started is never interrupted (non-preemptive). Urgency is the outermost part of
the class (class = priority × 2 + (0 if VIP else 1), plus 2 × priorities if not urgent; a call
with no urgent ticket has no urgent classes), so the urgent tickets of a group are its first
``urgent_keys`` queues: a server free off duty looks only there, and no count of waiting urgent
tickets is needed. At one instant: idle servers whose shift ends then go off duty first (shifts
are half-open [start, end)), then the tickets arriving then are placed (so every ticket present
competes by class), then servers coming free then (a finish, a shift start) take work, in server
index order.

Calls need not be in time order with each other (the generator's later chunks hold
escalations earlier than events a previous call processed): each server keeps the instant it
last came free (FREE), and a ticket given to an idle or called-in server starts no earlier, so
no server works two tickets at once. Across calls, the order of service is the calls' order
(docs/generate.md *Queueing* says what that approximates).

Same house style as ``clock/kernel.py`` (numba, ``nogil``, cached on disk, helpers in this one
module so the cache sees their changes); ``engine.py`` checks the inputs and gives the outputs
their meaning.
"""

from __future__ import annotations

import numpy as np

from ticketlens.clock.jit import jit, step

IDLE, BUSY, OFF, GONE = 0, 1, 2, 3


# --- the indexed heap of servers' next events -------------------------------------------------


@step
def _before(key: np.ndarray, state: np.ndarray, a: int, b: int) -> bool:
    """Heap order: time, then idle servers' shift ends first (so that a shift ending at an
    instant ends before anything else happens then), then server index."""
    if key[a] != key[b]:
        return key[a] < key[b]
    idle_a, idle_b = state[a] == IDLE, state[b] == IDLE
    if idle_a != idle_b:
        return idle_a
    return a < b


@jit
def _sift(heap: np.ndarray, pos: np.ndarray, key: np.ndarray, state: np.ndarray, i: int,
          size: int) -> None:
    """Restore the heap order around slot ``i`` after its server's key changed."""
    s = heap[i]
    while i > 0:  # up
        parent = (i - 1) >> 1
        p = heap[parent]
        if not _before(key, state, s, p):
            break
        heap[i] = p
        pos[p] = i
        i = parent
    while True:  # down
        child = 2 * i + 1
        if child >= size:
            break
        c = heap[child]
        if child + 1 < size and _before(key, state, heap[child + 1], c):
            child += 1
            c = heap[child]
        if not _before(key, state, c, s):
            break
        heap[i] = c
        pos[c] = i
        i = child
    heap[i] = s
    pos[s] = i


@jit
def _remove(heap: np.ndarray, pos: np.ndarray, key: np.ndarray, state: np.ndarray, s: int,
            size: int) -> int:
    """Take server ``s`` out of the heap; returns the new size."""
    i = pos[s]
    size -= 1
    last = heap[size]
    pos[s] = -1
    if i < size:
        heap[i] = last
        pos[last] = i
        _sift(heap, pos, key, state, i, size)
    return size


# --- the loop ---------------------------------------------------------------------------------


@step
def _unlink_idle(s: int, g: int, head: np.ndarray, tail: np.ndarray, prev: np.ndarray,
                 nxt: np.ndarray) -> None:
    p, q = prev[s], nxt[s]
    if p >= 0:
        nxt[p] = q
    else:
        head[g] = q
    if q >= 0:
        prev[q] = p
    else:
        tail[g] = p
    prev[s] = -1
    nxt[s] = -1


@step
def _pop_ticket(lo: int, hi: int, q_head: np.ndarray, q_tail: np.ndarray,
                q_next: np.ndarray) -> int:
    """The best waiting ticket of queues [lo, hi) (lowest class, then first in), taken off its
    queue; -1 if none waits."""
    for k in range(lo, hi):
        j = q_head[k]
        if j >= 0:
            q_head[k] = q_next[j]
            if q_next[j] < 0:
                q_tail[k] = -1
            return j
    return -1


@step
def _work_finish(t: int, work: int, urgent: bool, k: int, last: int, shift_start: np.ndarray,
                 shift_end: np.ndarray) -> int:
    """When work of ``work`` µs started at ``t`` in shift ``k`` is done: urgent work on the wall
    clock; other work on duty only, paused between shifts, and on past the last shift's end
    (``last``: the server's first shift not its own)."""
    if urgent:
        return t + work
    while k < last:
        begin = max(t, shift_start[k])
        done = begin + work  # never past int64 (engine.py), while end − begin may be
        if done <= shift_end[k]:
            return done
        work = done - shift_end[k]  # left at the shift's end
        t = shift_end[k]
        k += 1
    return t + work


@step
def _on_call(g: int, by_group: np.ndarray, group_first: np.ndarray, state: np.ndarray) -> int:
    """The off-duty server of group ``g`` with the lowest index (groups are small: a scan)."""
    for x in range(group_first[g], group_first[g + 1]):
        s = by_group[x]
        if state[s] == OFF:
            return s
    return -1


@step
def _give(j: int, s: int, t: int, done: int, start: np.ndarray, finish: np.ndarray,
          server: np.ndarray, state: np.ndarray, key: np.ndarray) -> None:
    """Server ``s`` works ticket ``j`` from ``t`` to ``done``."""
    start[j] = t
    finish[j] = done
    server[j] = s
    state[s] = BUSY
    key[s] = done


@step
def _idle(s: int, g: int, head: np.ndarray, tail: np.ndarray, prev: np.ndarray,
          nxt: np.ndarray) -> None:
    """Server ``s`` joins the back of its group's idle list."""
    p = tail[g]
    prev[s] = p
    if p >= 0:
        nxt[p] = s
    else:
        head[g] = s
    tail[g] = s


@step
def _enqueue(i: int, k: int, q_head: np.ndarray, q_tail: np.ndarray, q_next: np.ndarray) -> None:
    if q_tail[k] >= 0:
        q_next[q_tail[k]] = i
    else:
        q_head[k] = i
    q_tail[k] = i


# rows of the servers' state (``srv``, int64 [8, servers]), carried from one call to the next;
# FREE: the instant it last came free (finished a ticket, or went idle on duty)
STATE, KEY, SHIFT, PREV, NEXT, HEAP, POS, FREE = range(8)
NEVER = np.iinfo(np.int64).min  # FREE of a server that has not worked yet


@jit
def first_shifts(shift_first: np.ndarray, shift_start: np.ndarray, srv: np.ndarray) -> int:
    """A fresh desk: every server off duty until its first shift (or GONE: no shift); no
    server idle. Returns the heap's size."""
    state, key, heap, pos = srv[STATE], srv[KEY], srv[HEAP], srv[POS]
    size = 0
    for s in range(srv.shape[1]):
        srv[SHIFT, s] = shift_first[s]
        srv[PREV, s] = -1
        srv[NEXT, s] = -1
        srv[FREE, s] = NEVER
        pos[s] = -1
        state[s] = GONE
        if shift_first[s] < shift_first[s + 1]:
            state[s] = OFF
            key[s] = shift_start[shift_first[s]]
            heap[size] = s
            size += 1
            _sift(heap, pos, key, state, size - 1, size)
    return size


@jit
def _left(q_head: np.ndarray, q_next: np.ndarray, left: np.ndarray) -> int:
    """The tickets still queued, into ``left`` (queue by queue); returns how many."""
    count = 0
    for k in range(len(q_head)):
        j = q_head[k]
        while j >= 0:
            left[count] = j
            count += 1
            j = q_next[j]
    return count


@jit
def run_queue(arrival: np.ndarray, klass: np.ndarray, group: np.ndarray, service: np.ndarray,
              server_group: np.ndarray, by_group: np.ndarray, group_first: np.ndarray,
              shift_first: np.ndarray, shift_start: np.ndarray, shift_end: np.ndarray,
              groups: int, keys: int, urgent_keys: int, final: bool, srv: np.ndarray,
              idle: np.ndarray, size: int, start: np.ndarray, finish: np.ndarray,
              server: np.ndarray, left: np.ndarray) -> tuple[int, int]:
    """Place every ticket, filling ``start``, ``finish`` and ``server`` of those a server takes,
    from the servers' state ``srv``, ``idle`` (rows: head, tail per server group) and heap
    ``size``, which it updates. Urgent: a class below ``urgent_keys``; ``by_group``: the servers
    by group, group g's from ``group_first[g]``. ``final``: go on until no ticket waits, else
    stop after the last arrival (the caller carries the waiting ones into its next call, ahead
    of later arrivals). Returns the heap's size and how many tickets are ``left``, not started."""
    n = len(arrival)
    state, key, shift, heap, pos = srv[STATE], srv[KEY], srv[SHIFT], srv[HEAP], srv[POS]
    free = srv[FREE]
    idle_prev, idle_next, idle_head, idle_tail = srv[PREV], srv[NEXT], idle[0], idle[1]
    q_head = np.full(groups * keys, -1, np.int64)
    q_tail = np.full(groups * keys, -1, np.int64)
    q_next = np.full(n, -1, np.int64)
    waiting = np.zeros(groups, np.int64)
    total = 0  # tickets waiting, all groups
    i = 0
    while (i < n or (final and total > 0)) and (size > 0 or i < n):
        s = heap[0] if size > 0 else -1
        if s >= 0 and (i >= n or key[s] < arrival[i]
                       or (key[s] == arrival[i] and state[s] == IDLE)):
            t = key[s]
            g = server_group[s]
            if state[s] == IDLE:  # its shift ends with nothing to do
                _unlink_idle(s, g, idle_head, idle_tail, idle_prev, idle_next)
            elif state[s] == BUSY:
                free[s] = t
            k, last = shift[s], shift_first[s + 1]
            while k < last and shift_end[k] <= t:
                k += 1
            shift[s] = k
            if k == last:
                state[s] = GONE
                size = _remove(heap, pos, key, state, s, size)
                continue
            off = shift_start[k] > t  # off duty: only urgent work, else off until the shift
            j = -1
            if waiting[g] > 0:
                j = _pop_ticket(g * keys, g * keys + (urgent_keys if off else keys), q_head,
                                q_tail, q_next)
            if j >= 0:
                waiting[g] -= 1
                total -= 1
                done = _work_finish(t, service[j], klass[j] < urgent_keys, k, last,
                                    shift_start, shift_end)
                _give(j, s, t, done, start, finish, server, state, key)
            elif off:
                state[s] = OFF
                key[s] = shift_start[k]
            else:
                state[s] = IDLE
                key[s] = shift_end[k]
                free[s] = t
                _idle(s, g, idle_head, idle_tail, idle_prev, idle_next)
            _sift(heap, pos, key, state, pos[s], size)
            continue
        t, g = arrival[i], group[i]
        urgent = klass[i] < urgent_keys
        s = idle_head[g] if g < len(idle_head) else -1
        if s >= 0:
            _unlink_idle(s, g, idle_head, idle_tail, idle_prev, idle_next)
        elif urgent:  # the on-call: an off-duty server of the group comes in for it
            s = _on_call(g, by_group, group_first, state)
        if s >= 0:  # it starts now, or once the server is free (calls out of time order)
            t = max(t, free[s])
            done = _work_finish(t, service[i], urgent, shift[s], shift_first[s + 1],
                                shift_start, shift_end)
            _give(i, s, t, done, start, finish, server, state, key)
            _sift(heap, pos, key, state, pos[s], size)
        else:
            _enqueue(i, g * keys + klass[i], q_head, q_tail, q_next)
            waiting[g] += 1
            total += 1
        i += 1
    return size, _left(q_head, q_next, left)
