"""The queueing engine's event loop, compiled by numba: tickets queue for the servers of their
group who are on shift (docs/generate.md *Queueing*, "The engine", is the full account).

One loop, two kinds of event: the next arrival (already in time order) and each server's one
pending event, in an indexed binary min-heap keyed by (time, idle shift end first, server
index), so equal times resolve the same way on every run. A server is BUSY (its work finishes
at the key), IDLE (on duty, the key its shift's end; idle servers of a group wait in a FIFO
list), OFF (the key its next shift's start) or GONE (no shift left; not in the heap).

* Work counts on-duty time only (``_work_finish`` walks the server's shifts); an urgent
  ticket's runs on the wall clock.
* Each group keeps one FIFO queue per class; urgency is the outermost part of the class
  (class = priority × 2 + (0 if VIP else 1), plus 2 × priorities if not urgent), so a group's
  urgent tickets are its first ``urgent_keys`` queues and a server free off duty looks only
  there. At one instant: idle shifts end first, then arrivals are placed, then servers coming
  free take work, in server index order.
* An urgent ticket finding nobody idle calls in an OFF server (``_on_call``), else preempts
  non-urgent work (``_victim``, ``_cut``: back to the head of its class, owing the on-duty time
  left, ``_owed``). Urgent work is never preempted.
* Work outlives a call (in a server's hands, or preempted and waiting): ``engine.py`` keeps it
  in the state and ``_carry_in`` puts it back, so a run in chunks is the same as one. Calls out
  of time order: a server starts no earlier than it came free (FREE) or took its work (SINCE).

Same house style as ``clock/kernel.py`` (numba, ``nogil``, cached on disk, helpers in this one
module so the cache sees their changes); ``engine.py`` checks the inputs and gives the outputs
their meaning.
"""

from __future__ import annotations

import numpy as np

from ticketlens.clock.jit import jit, step
from ticketlens.clock.layout import NO_TIME

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
          server: np.ndarray, state: np.ndarray, key: np.ndarray, job: np.ndarray,
          since: np.ndarray) -> None:
    """Server ``s`` works ticket ``j`` from ``t`` to ``done``. (A resumed ticket's first start
    and server were put aside when it was first cut: ``_cut``; reading ``start[j]`` here to
    keep them would cost a cache miss per ticket.)"""
    start[j] = t
    server[j] = s
    finish[j] = done
    state[s] = BUSY
    key[s] = done
    job[s] = j
    since[s] = t


@step
def _traced(trace: np.ndarray, pieces: int, piece: np.ndarray, j: int, s: int, begin: int,
            end: int) -> int:
    """A piece of work into ``trace`` (the caller checks it was asked for); returns how many."""
    trace[0, pieces] = j
    trace[1, pieces] = s
    trace[2, pieces] = begin
    trace[3, pieces] = end
    piece[s] = pieces
    return pieces + 1


@step
def _owed(p: int, done: int, k: int, last: int, shift_start: np.ndarray,
          shift_end: np.ndarray) -> int:
    """The on-duty time from ``p`` to ``done`` (work's finish by ``_work_finish``) of a server
    whose shifts ``k`` to ``last`` (exclusive) are not all over at ``p``: what non-urgent work
    cut at ``p`` still owes (time past the last shift counts, as there work runs on)."""
    owed = 0
    while k < last and shift_start[k] < done:
        begin, end = max(p, shift_start[k]), min(done, shift_end[k])
        if end > begin:
            owed += end - begin
        k += 1
    tail = max(p, shift_end[last - 1])
    if k == last and done > tail:
        owed += done - tail
    return owed


@step
def _victim(g: int, t: int, by_group: np.ndarray, group_first: np.ndarray, state: np.ndarray,
            key: np.ndarray, job: np.ndarray, since: np.ndarray, klass: np.ndarray,
            urgent_keys: int, shift_lo: np.ndarray, shift_hi: np.ndarray, shift_end: np.ndarray) -> int:
    """The server of group ``g`` an urgent ticket arriving at ``t`` takes: of those working (or
    holding paused) non-urgent work with some of it left, a shift ahead, the lowest class
    (highest key), then the one that took its work last, then the highest index; -1 if none."""
    best = -1
    for x in range(group_first[g], group_first[g + 1]):
        s = by_group[x]  # by index within the group: a tie goes to the later one
        j = job[s]
        if state[s] != BUSY or j < 0 or klass[j] < urgent_keys:
            continue
        p = max(t, since[s])
        if key[s] <= p or shift_end[shift_hi[s] - 1] <= p:
            continue
        if best < 0 or klass[j] > klass[job[best]] or (
                klass[j] == klass[job[best]] and since[s] >= since[best]):
            best = s
    return best


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


# rows of the servers' state (``srv``, int64 [9, servers]), carried from one call to the next;
# FREE: the instant it last came free (finished a ticket, or went idle on duty); SINCE: the
# instant it took the work in its hands (the victim's tie, and no cut before it)
STATE, KEY, SHIFT, PREV, NEXT, HEAP, POS, FREE, SINCE = range(9)
NEVER = np.iinfo(np.int64).min  # FREE of a server that has not worked yet
# the tickets' table (``rows``, 7 int64 arrays, one value per ticket then per piece of carried
# work): the class, group and work still owed (the service, less what was done before a
# preemption) go in; the first start, first server, finish and times preempted come out
# (carried work: its first start and count go in too)
KLASS, GROUP, WORK, START, FINISH, SERVER, COUNT = range(7)


@jit
def first_shifts(shift_lo: np.ndarray, shift_hi: np.ndarray, shift_start: np.ndarray,
                 srv: np.ndarray) -> int:
    """A fresh desk: every server off duty until its first shift (or GONE: no shift); no
    server idle. Returns the heap's size."""
    state, key, heap, pos = srv[STATE], srv[KEY], srv[HEAP], srv[POS]
    size = 0
    for s in range(srv.shape[1]):
        srv[SHIFT, s] = shift_lo[s]
        srv[PREV, s] = -1
        srv[NEXT, s] = -1
        srv[FREE, s] = NEVER
        srv[SINCE, s] = NEVER
        pos[s] = -1
        state[s] = GONE
        if shift_lo[s] < shift_hi[s]:
            state[s] = OFF
            key[s] = shift_start[shift_lo[s]]
            heap[size] = s
            size += 1
            _sift(heap, pos, key, state, size - 1, size)
    return size


@jit
def _drain(q_head: np.ndarray, q_next: np.ndarray, start: np.ndarray, left: np.ndarray,
           suspended: np.ndarray) -> tuple[int, int]:
    """The tickets still queued, queue by queue: never started into ``left``, preempted (they
    have a start) into ``suspended`` in queue order; returns how many of each."""
    count, cut = 0, 0
    for k in range(len(q_head)):
        j = q_head[k]
        while j >= 0:
            if start[j] == NO_TIME:
                left[count] = j
                count += 1
            else:
                suspended[cut] = j
                cut += 1
            j = q_next[j]
    return count, cut


@step
def _carry_in(n: int, holder: np.ndarray, rows: tuple[np.ndarray, ...], keys: int, key: np.ndarray,
              job: np.ndarray, q_head: np.ndarray, q_tail: np.ndarray, q_next: np.ndarray,
              waiting: np.ndarray) -> int:
    """Work from earlier calls, rows ``n`` on: back in its server's hands (finishing at the
    server's key), or queued in the order it was carried (ahead of every arrival: it was
    preempted, so it heads its queue). Returns how many wait."""
    total = 0
    for r in range(len(holder)):
        x, s = n + r, holder[r]
        if s >= 0:
            job[s] = x
            rows[FINISH][x] = key[s]
        else:
            _enqueue(x, rows[GROUP][x] * keys + rows[KLASS][x], q_head, q_tail, q_next)
            waiting[rows[GROUP][x]] += 1
            total += 1
    return total


@step
def _cut(s: int, p: int, rows: tuple[np.ndarray, ...], keys: int, srv: np.ndarray, job: np.ndarray,
         shift_lo: np.ndarray, shift_hi: np.ndarray, shift_start: np.ndarray, shift_end: np.ndarray,
         q_head: np.ndarray, q_next: np.ndarray, q_tail: np.ndarray, first: np.ndarray,
         trace: np.ndarray, pieces: int, piece: np.ndarray) -> int:
    """Server ``s`` drops its work at ``p``: the ticket goes back to the head of its class's
    queue owing the on-duty time it had left (preempt-resume: no work lost), and its piece
    ends at ``p``; cut for the first time, its first start and server are put aside in
    ``first`` (its resumption overwrites them). Returns how many pieces are traced."""
    x = job[s]
    rows[WORK][x] = _owed(p, srv[KEY, s], srv[SHIFT, s], shift_hi[s], shift_start,
                          shift_end)
    if rows[COUNT][x] == 0:
        first[0, x] = rows[START][x]
        first[1, x] = rows[SERVER][x]
    rows[COUNT][x] += 1
    rows[FINISH][x] = NO_TIME
    q = rows[GROUP][x] * keys + rows[KLASS][x]
    q_next[x] = q_head[q]  # (a row popped earlier: its old link is overwritten here)
    q_head[q] = x
    if q_tail[q] < 0:
        q_tail[q] = x
    if trace.shape[1] == 0:
        return pieces
    if piece[s] >= 0:
        trace[3, piece[s]] = p
        return pieces
    # work an earlier call gave out: its piece again, cut
    return _traced(trace, pieces, piece, x, s, srv[SINCE, s], p)


@step
def _first_back(rows: tuple[np.ndarray, ...], first: np.ndarray, n: int) -> None:
    """The first start and server of this call's tickets that were preempted, back in place
    (work carried in: ``engine.py`` has them)."""
    count, start, server = rows[COUNT], rows[START], rows[SERVER]
    for x in range(n):
        if count[x] > 0:
            start[x] = first[0, x]
            server[x] = first[1, x]


@step
def _server_event(s: int, srv: np.ndarray, idle: np.ndarray, size: int,
                  rows: tuple[np.ndarray, ...], server_group: np.ndarray, shift_hi: np.ndarray,
                  shift_start: np.ndarray, shift_end: np.ndarray, waiting: np.ndarray,
                  keys: int, urgent_keys: int, q_head: np.ndarray, q_tail: np.ndarray,
                  q_next: np.ndarray, job: np.ndarray, trace: np.ndarray, pieces: int,
                  piece: np.ndarray) -> tuple[int, int, int]:
    """Server ``s``'s pending event at its key: a finish, an idle shift's end or a shift's
    start. It takes the best waiting ticket of its group (off duty: urgent ones only), else
    goes idle, off duty or, past its last shift, gone. Returns the heap's size, how many
    tickets it took off the queues (0 or 1) and the pieces traced."""
    state, key, shift, heap, pos = srv[STATE], srv[KEY], srv[SHIFT], srv[HEAP], srv[POS]
    free, since = srv[FREE], srv[SINCE]
    idle_prev, idle_next, idle_head, idle_tail = srv[PREV], srv[NEXT], idle[0], idle[1]
    t = key[s]
    g = server_group[s]
    if state[s] == IDLE:  # its shift ends with nothing to do
        _unlink_idle(s, g, idle_head, idle_tail, idle_prev, idle_next)
    elif state[s] == BUSY:
        free[s] = t
        job[s] = -1
    k, last = shift[s], shift_hi[s]
    while k < last and shift_end[k] <= t:
        k += 1
    shift[s] = k
    if k == last:
        state[s] = GONE
        return _remove(heap, pos, key, state, s, size), 0, pieces
    off = shift_start[k] > t  # off duty: only urgent work, else off until the shift
    j = -1
    if waiting[g] > 0:
        j = _pop_ticket(g * keys, g * keys + (urgent_keys if off else keys), q_head, q_tail,
                        q_next)
    if j >= 0:
        waiting[g] -= 1
        done = _work_finish(t, rows[WORK][j], rows[KLASS][j] < urgent_keys, k, last,
                            shift_start, shift_end)
        _give(j, s, t, done, rows[START], rows[FINISH], rows[SERVER], state, key, job, since)
        if trace.shape[1] > 0:
            pieces = _traced(trace, pieces, piece, j, s, t, done)
    elif off:
        state[s] = OFF
        key[s] = shift_start[k]
    else:
        state[s] = IDLE
        key[s] = shift_end[k]
        free[s] = t
        _idle(s, g, idle_head, idle_tail, idle_prev, idle_next)
    _sift(heap, pos, key, state, pos[s], size)
    return size, 1 if j >= 0 else 0, pieces


@jit
def run_queue(arrival: np.ndarray, klass: np.ndarray, group: np.ndarray, work: np.ndarray,
              start: np.ndarray, finish: np.ndarray, server: np.ndarray, count: np.ndarray,
              holder: np.ndarray,
              server_group: np.ndarray, by_group: np.ndarray, group_first: np.ndarray,
              shift_lo: np.ndarray, shift_hi: np.ndarray, shift_start: np.ndarray,
              shift_end: np.ndarray,
              groups: int, keys: int, urgent_keys: int, final: bool, preempt: bool,
              srv: np.ndarray, idle: np.ndarray, size: int, trace: np.ndarray,
              left: np.ndarray, suspended: np.ndarray, held: np.ndarray
              ) -> tuple[int, int, int, int]:
    """Place every ticket (the first ``len(arrival)`` of the table ``klass`` … ``count``; then
    the work ``holder`` says earlier calls left in a server's hands, or waiting), filling its
    start, finish, server and count, from the servers' state ``srv``, ``idle`` (rows: head,
    tail per server group) and heap ``size``, which it updates. Urgent: a class below
    ``urgent_keys``; it preempts (``preempt``) when nobody of its group is idle or off duty.
    ``by_group``: the servers by group, group g's from ``group_first[g]``. ``final``: go on
    until no ticket waits, else stop after the last arrival (the caller carries the never
    started ones into its next call, ahead of later arrivals). ``trace``, if not empty: each
    piece of work (row, server, begin, end). Returns the heap's size, how many tickets are
    ``left`` (never started), how many preempted ones wait (``suspended``, in queue order) and
    the pieces traced; ``held``: per server, the row of the non-urgent work in its hands,
    else -1."""
    n = len(arrival)
    rows = (klass, group, work, start, finish, server, count)  # for the steps (KLASS ...)
    state, key, shift, heap, pos = srv[STATE], srv[KEY], srv[SHIFT], srv[HEAP], srv[POS]
    free, since, idle_head = srv[FREE], srv[SINCE], idle[0]
    q_head, q_tail = np.full(groups * keys, -1, np.int64), np.full(groups * keys, -1, np.int64)
    q_next = np.full(len(rows[KLASS]), -1, np.int64)
    job = np.full(srv.shape[1], -1, np.int64)  # the row in each server's hands
    piece = np.full(srv.shape[1], -1, np.int64)  # and its piece in the trace
    waiting = np.zeros(groups, np.int64)
    total = _carry_in(n, holder, rows, keys, key, job, q_head, q_tail, q_next, waiting)
    first = np.empty((2, len(rows[KLASS])), np.int64)  # first start and server, once cut
    pieces = i = 0
    while (i < n or (final and total > 0)) and (size > 0 or i < n):
        s = heap[0] if size > 0 else -1
        if s >= 0 and (i >= n or key[s] < arrival[i]
                       or (key[s] == arrival[i] and state[s] == IDLE)):
            size, took, pieces = _server_event(s, srv, idle, size, rows, server_group, shift_hi,
                                               shift_start, shift_end, waiting, keys,
                                               urgent_keys, q_head, q_tail, q_next, job, trace,
                                               pieces, piece)
            total -= took
            continue
        t, g = arrival[i], group[i]
        urgent = klass[i] < urgent_keys
        s = idle_head[g] if g < len(idle_head) else -1
        if s >= 0:
            _unlink_idle(s, g, idle_head, idle[1], srv[PREV], srv[NEXT])
        elif urgent:  # the on-call: an off-duty server of the group comes in for it
            s = _on_call(g, by_group, group_first, state)
            if s < 0 and preempt:  # else one drops non-urgent work for it
                s = _victim(g, t, by_group, group_first, state, key, job, since, klass,
                            urgent_keys, shift_lo, shift_hi, shift_end)
                if s >= 0:
                    t = max(t, since[s])  # calls out of time order: not before it took it
                    pieces = _cut(s, t, rows, keys, srv, job, shift_lo, shift_hi, shift_start,
                                  shift_end, q_head, q_next, q_tail, first, trace, pieces,
                                  piece)
                    waiting[g] += 1
                    total += 1
        if s >= 0:  # it starts now, or once the server is free (calls out of time order)
            t = max(t, free[s])
            done = _work_finish(t, work[i], urgent, shift[s], shift_hi[s],
                                shift_start, shift_end)
            _give(i, s, t, done, start, finish, server, state, key, job, since)
            if trace.shape[1] > 0:
                pieces = _traced(trace, pieces, piece, i, s, t, done)
            _sift(heap, pos, key, state, pos[s], size)
        else:
            _enqueue(i, g * keys + klass[i], q_head, q_tail, q_next)
            waiting[g] += 1
            total += 1
        i += 1
    for s in range(len(held)):
        held[s] = job[s] if job[s] >= 0 and klass[job[s]] >= urgent_keys else -1
    left_count, cut = _drain(q_head, q_next, start, left, suspended)
    _first_back(rows, first, n)
    return size, left_count, cut, pieces
