"""Run tickets through the queueing engine: the inputs checked, the outputs given their meaning.

Times are int64 microseconds since the epoch (as everywhere in ticketlens). A caller's mistake
is a ValueError naming the field, as in ``clock/layout.py``: these functions are called by the
generator and the simulator, never straight from a user's file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ticketlens.clock.layout import NO_TIME

ALWAYS = (int(np.iinfo(np.int64).min), NO_TIME)  # the one shift of a server always on duty


@dataclass(frozen=True)
class Tickets:
    """One row per ticket, in arrival order."""

    arrival: np.ndarray  # int64 µs, non-decreasing
    service: np.ndarray  # int64 µs ≥ 0: the hands-on time a server spends once it starts
    priority: np.ndarray  # int, 0 (Critical) is worked first
    group: np.ndarray | None = None  # int, the server group (tier × skill) it needs; None: all 0
    vip: np.ndarray | None = None  # bool, fast-tracked within its priority; None: nobody
    # bool, worked round the clock: first in its group's queue, service on the wall clock, an
    # off-duty server called in for it (the on-call), else a server's non-urgent work dropped
    # for it (``run``'s ``preempt_urgent``); None: nobody
    urgent: np.ndarray | None = None
    # int64, the caller's name for each ticket, given back with work that outlives the call
    # (``Outcome.carried``) and in ``Outcome.pieces``; None: the row index
    ref: np.ndarray | None = None

    def take(self, rows: np.ndarray | slice) -> Tickets:
        """These tickets' ``rows`` (indices, a mask or a slice), in that order."""
        return Tickets(**{f.name: None if (value := getattr(self, f.name)) is None
                          else value[rows] for f in fields(self)})

    def then(self, later: Tickets) -> Tickets:
        """These tickets followed by ``later`` (a field given in one is given in both)."""
        return Tickets(**{f.name: None if (first := getattr(self, f.name)) is None
                          else np.concatenate([first, getattr(later, f.name)])
                          for f in fields(self)})


@dataclass(frozen=True)
class Servers:
    """One row per server (technician), and its on-duty intervals [start, end) µs.

    Shifts are given as flat arrays sorted by server, then start, not overlapping within a
    server; a server with no shift never works. ``Servers.always_on`` builds servers with one
    endless shift each; ``Servers.on_shifts`` servers who all work the same shifts, held once
    (``shift_server`` None), not once per server: a desk of thousands of technicians on a
    year of working days would otherwise hold millions of rows."""

    group: np.ndarray  # int per server
    shift_server: np.ndarray | None  # int per shift; None: every server works every shift
    shift_start: np.ndarray  # int64 µs per shift
    shift_end: np.ndarray  # int64 µs per shift

    @classmethod
    def always_on(cls, group: np.ndarray | list[int]) -> Servers:
        groups = np.asarray(group, dtype=np.int64)
        m = len(groups)
        return cls(groups, np.arange(m), np.full(m, ALWAYS[0]), np.full(m, ALWAYS[1]))

    @classmethod
    def on_shifts(cls, group: np.ndarray | list[int], start: np.ndarray,
                  end: np.ndarray) -> Servers:
        """Servers of ``group`` who all work the shifts [start, end) (sorted, not overlapping)."""
        return cls(np.asarray(group, dtype=np.int64), None, np.asarray(start),
                   np.asarray(end))


# rows of ``QueueState.jobs``: work started and not finished when a call returned, which a
# later call may still move (an urgent ticket may preempt it, or it waits to resume)
REF, HOLDER, JOB_GROUP, JOB_CLASS, FIRST, PREEMPTED, OWED = range(7)


@dataclass(frozen=True)
class QueueState:
    """The servers' state where one call of ``run`` stopped, for the next call (a generator
    chunk's desk carried into the next chunk): each server's state and next event, its current
    shift, the idle lists and the event heap (``kernel.py`` names the rows); and the
    non-urgent work started and not finished (``jobs``, rows named above: the caller's ref,
    the server holding it or -1 if preempted and waiting (those in their queue's order), its
    group, class (priority × 2 + not VIP), first start, times preempted, and the on-duty work a
    waiting one still owes)."""

    servers: np.ndarray  # int64 [9, servers]
    idle: np.ndarray  # int64 [2, server groups]: head, tail of each group's idle list
    heap_size: int
    jobs: np.ndarray  # int64 [7, pieces of work carried]


@dataclass(frozen=True)
class Carried:
    """Work from earlier calls (``QueueState.jobs`` as the call got it), as it stands when
    the call returns: its finish (NO_TIME: preempted, waiting to resume) and how many times it
    has been preempted in all."""

    ref: np.ndarray  # int64: ``Tickets.ref`` of the call that started it
    finish: np.ndarray  # int64 µs
    preempted: np.ndarray  # int32


@dataclass(frozen=True)
class Pieces:
    """Each stretch a server worked one ticket, from ``run(..., trace=True)``: ``begin`` to
    ``end`` as planned when the call returned. A piece of work an earlier call gave out that
    this call cut short (preempted) is listed again, with its new end."""

    ref: np.ndarray  # int64: the ticket's ``Tickets.ref``
    server: np.ndarray  # int64
    begin: np.ndarray  # int64 µs
    end: np.ndarray  # int64 µs


@dataclass(frozen=True)
class Outcome:
    """One row per ticket. A ticket not started when the call returned (``final``: never,
    its group had nobody on duty after it arrived; else still waiting, to be carried into the
    next call) has start = finish = wait = NO_TIME and server -1, and is listed in ``left``.
    A ticket preempted and not resumed when the call returned has its start, server and wait
    but finish NO_TIME; the state carries it (as it does work still in a server's hands, whose
    finish a later call's urgent ticket may still move): a later call reports its finish in
    ``carried``."""

    start: np.ndarray  # int64 µs: a server first began work on it
    # int64 µs: when servers have worked ``service`` on it: on duty only (paused between
    # shifts, continuous after the last one), or on the wall clock if urgent; after any
    # preemptions, when it was resumed and done
    finish: np.ndarray
    server: np.ndarray  # int32 index into Servers: the one that first began work on it
    wait: np.ndarray  # int64 µs in the queue before any work: start − arrival
    preempted: np.ndarray  # int32: times an urgent ticket took its server from it
    left: np.ndarray  # int64 indices of the tickets not started, in arrival order
    state: QueueState  # where the servers stand: pass it to the next call
    carried: Carried  # work from earlier calls, as it stands now
    pieces: Pieces | None = None  # the servers' work piece by piece (``trace``)

    @property
    def unserved(self) -> int:
        return len(self.left)


def _ints(name: str, values: np.ndarray, n: int | None, low: int, high: int | None,
          dtype: type = np.int64) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or (n is not None and len(array) != n):
        raise ValueError(f"{name}: one value per row expected ({n}), got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer) and array.dtype != np.bool_:
        raise ValueError(f"{name}: integers expected, got {array.dtype}")
    if array.size and (array.min() < low or (high is not None and array.max() > high)):
        raise ValueError(f"{name}: values in [{low}, {high}] expected, "
                         f"got [{array.min()}, {array.max()}]")
    return np.ascontiguousarray(array, dtype=dtype)


def _shifts(servers: Servers, m: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each server's shifts as [lo, hi) rows of the checked start and end arrays."""
    shared = servers.shift_server is None
    who = np.zeros(len(servers.shift_start), np.int64) if shared else \
        _ints("shift_server", servers.shift_server, None, 0, m - 1)
    k = len(who)
    begin = _ints("shift_start", servers.shift_start, k, ALWAYS[0], None)
    end = _ints("shift_end", servers.shift_end, k, ALWAYS[0], None)
    if np.any(begin >= end):
        raise ValueError("shift_start/shift_end: every shift must end after it starts")
    if np.any(np.diff(who) < 0):
        raise ValueError("shift_server: shifts must be sorted by server, then start")
    same = who[1:] == who[:-1]
    if np.any(same & (begin[1:] < end[:-1])):
        raise ValueError("shift_start: a server's shifts must be sorted and not overlap")
    if shared:
        return np.zeros(m, np.int64), np.full(m, k, np.int64), begin, end
    first = np.searchsorted(who, np.arange(m + 1), side="left").astype(np.int64)
    return first[:-1], first[1:], begin, end


def _fresh(server_group: np.ndarray, lo: np.ndarray, hi: np.ndarray, begin: np.ndarray
           ) -> QueueState:
    from ticketlens.queueing.kernel import first_shifts

    srv = np.zeros((9, len(server_group)), np.int64)
    size = int(first_shifts(lo, hi, begin, srv))
    groups = int(server_group.max(initial=-1)) + 1
    return QueueState(srv, np.full((2, groups), -1, np.int64), size, np.zeros((7, 0), np.int64))


def _check_state(state: QueueState, server_group: np.ndarray, classes: int) -> None:
    m = len(server_group)
    groups = int(server_group.max(initial=-1)) + 1
    jobs = state.jobs
    if state.servers.shape != (9, m) or state.idle.shape != (2, groups) or \
            jobs.ndim != 2 or jobs.shape[0] != 7:
        raise ValueError("state: from a run with other servers")
    if jobs.size and (jobs[HOLDER].min() < -1 or jobs[HOLDER].max() >= m
                      or jobs[JOB_GROUP].min() < 0 or jobs[JOB_GROUP].max() >= groups
                      or jobs[JOB_CLASS].min() < 0 or jobs[JOB_CLASS].max() >= classes):
        raise ValueError("state: from a run with other servers or priorities")


def run(tickets: Tickets, servers: Servers, priorities: int = 4, state: QueueState | None = None,
        final: bool = True, preempt_urgent: bool = True, trace: bool = False) -> Outcome:
    """Queue every ticket for an on-duty server of its group and work it (docs/generate.md
    *Queueing*): per group, urgent first, then lower priority, then VIP, then first come.
    Service counts on-duty time only (work pauses between shifts) unless the ticket is urgent;
    an urgent ticket finding nobody of its group idle calls in an off-duty one, else (with
    ``preempt_urgent``) takes a server from non-urgent work: of the lowest class, then the one
    taken last, then the highest server index. That ticket goes back to the head of its class's
    queue owing the on-duty work it had left, and resumes when a server of its group takes it
    (first start, first server and wait stay; finish is when it is done). Urgent tickets never
    preempt each other; non-urgent ones are never preempted but by an urgent one.

    In chunks: call with ``final=False`` for every chunk but the last, each time passing the
    previous outcome's ``state`` and putting the tickets it ``left`` (never started) waiting
    (in their order) ahead of the next chunk's arrivals; the result is the same as one call on
    all tickets. Work started and not finished (in a server's hands, or preempted and waiting)
    stays in the state, not in ``left``: a later call reports its finish in
    ``Outcome.carried``, by ``Tickets.ref``.
    Calls with ``final=True`` may also follow each other out of time order (a later call's
    arrivals earlier than the previous call's events): each is worked after what the servers
    already did, by the previous calls' state; a server never works two tickets at once.
    ``state`` is not changed (the outcome holds a new one). ``trace``: ``Outcome.pieces``."""
    arrival = _ints("arrival", tickets.arrival, None, ALWAYS[0] + 1, NO_TIME - 1)
    n = len(arrival)
    if np.any(np.diff(arrival) < 0):
        raise ValueError("arrival: tickets must be in arrival order (non-decreasing)")
    service = _ints("service", tickets.service, n, 0, None)
    priority = _ints("priority", tickets.priority, n, 0, priorities - 1)
    group = np.zeros(n, np.int64) if tickets.group is None else \
        _ints("group", tickets.group, n, 0, None)
    vip = np.zeros(n, np.int64) if tickets.vip is None else _ints("vip", tickets.vip, n, 0, 1)
    urgent = None if tickets.urgent is None else _ints("urgent", tickets.urgent, n, 0, 1)
    ref = None if tickets.ref is None else _ints("ref", tickets.ref, n, ALWAYS[0], None)
    server_group = _ints("server group", servers.group, None, 0, None)
    m = len(server_group)
    groups = int(max(group.max(initial=-1), server_group.max(initial=-1))) + 1
    lo, hi, begin, end = _shifts(servers, m)
    # the latest start, or the latest end non-urgent work runs on past
    latest = max(int(arrival.max(initial=0)), int(begin.max(initial=0)),
                 int(end[end < NO_TIME].max(initial=0)))
    if int(service.max(initial=0)) >= NO_TIME - latest:
        raise ValueError("service: a finish time would overflow int64 µs")
    keys = 2 * priorities  # VIP first within its priority ...
    if state is None:
        state = _fresh(server_group, lo, hi, begin)
    _check_state(state, server_group, keys)
    srv, idle, jobs = state.servers.copy(), state.idle.copy(), state.jobs
    klass = priority * 2 + (1 - vip)
    urgent_keys = 0  # ... and urgent before all (kernel.py); no urgent ticket, no such classes
    if urgent is not None and urgent.any():
        urgent_keys = keys
        klass += (1 - urgent) * urgent_keys
    by_group = np.argsort(server_group, kind="stable")  # the on-call: lowest index first
    group_first = np.searchsorted(server_group[by_group], np.arange(max(groups, 1) + 1))
    rows = _rows(klass, group, service, jobs, urgent_keys, preempt_urgent and urgent_keys > 0)
    total = len(rows[0])
    left, suspended = np.empty(total, np.int64), np.empty(total, np.int64)
    held = np.empty(m, np.int64)
    room = total + jobs.shape[1] + (0 if urgent is None else int(urgent.sum()))
    pieces = np.empty((4, room if trace else 0), np.int64)
    from ticketlens.queueing.kernel import run_queue  # numba loads only when queues run

    size, count, cut, traced = run_queue(
        arrival, *rows, np.ascontiguousarray(jobs[HOLDER]), server_group,
        by_group.astype(np.int64), group_first.astype(np.int64), lo, hi, begin, end,
        max(groups, 1), keys + urgent_keys, urgent_keys, final, preempt_urgent, srv, idle,
        state.heap_size, pieces, left, suspended, held)
    carried = _jobs(rows, held, suspended[:cut], urgent_keys)
    carried[REF] = _names(carried[REF], n, ref, jobs[REF])
    return _outcome(arrival, rows, jobs, left[:count], QueueState(srv, idle, int(size), carried),
                    _pieces(pieces[:, :traced], n, ref, jobs[REF]) if trace else None)


def _outcome(arrival: np.ndarray, rows: tuple[np.ndarray, ...], jobs: np.ndarray,
             left: np.ndarray, state: QueueState, pieces: Pieces | None) -> Outcome:
    from ticketlens.queueing.kernel import COUNT, FINISH, SERVER, START

    n = len(arrival)
    rows[START][n:] = jobs[FIRST]  # carried work: its first start (a resumption overwrote it)
    start, finish, server = rows[START][:n], rows[FINISH][:n], rows[SERVER][:n]
    wait = np.where(server >= 0, start - arrival, NO_TIME)
    return Outcome(start, finish, server.astype(np.int32), wait,
                   rows[COUNT][:n].astype(np.int32), np.sort(left), state,
                   Carried(jobs[REF].copy(), rows[FINISH][n:], rows[COUNT][n:].astype(np.int32)),
                   pieces)


def _names(x: np.ndarray, n: int, ref: np.ndarray | None, carried: np.ndarray) -> np.ndarray:
    """The caller's names (``Tickets.ref``) of rows ``x``: this call's ``n`` tickets, then the
    work carried in (few rows: the names of all are never built)."""
    names, mine = np.empty(len(x), np.int64), x < n
    names[mine] = x[mine] if ref is None else ref[x[mine]]
    names[~mine] = carried[x[~mine] - n]
    return names


def _rows(klass: np.ndarray, group: np.ndarray, service: np.ndarray, jobs: np.ndarray,
          urgent_keys: int, cuts: bool) -> tuple[np.ndarray, ...]:
    """The kernel's table of tickets (``kernel.py`` names the arrays): this call's, then the
    work carried from earlier calls (non-urgent: its class after the urgent ones). The
    caller's arrays go in as they are where nothing is carried and nothing can be cut (the
    work owed changes only then)."""
    n, carried = len(klass), jobs.shape[1]
    start, finish = np.full(n + carried, NO_TIME, np.int64), np.full(n + carried, NO_TIME)
    server = np.full(n + carried, -1, np.int64)  # carried work's first server: in the
    # outcome that started it
    if carried:
        start[n:] = jobs[FIRST]
        return (np.concatenate([klass, jobs[JOB_CLASS] + urgent_keys]),
                np.concatenate([group, jobs[JOB_GROUP]]), np.concatenate([service, jobs[OWED]]),
                start, finish, server, np.concatenate([np.zeros(n, np.int64), jobs[PREEMPTED]]))
    # (a read-only array would make numba compile the loop again for it, and refuse the write)
    work = service.copy() if cuts or not service.flags.writeable else service
    return (klass, group if group.flags.writeable else group.copy(), work, start, finish,
            server, np.zeros(n, np.int64))


def _jobs(rows: tuple[np.ndarray, ...], held: np.ndarray, suspended: np.ndarray,
          urgent_keys: int) -> np.ndarray:
    """``QueueState.jobs`` when the call returns (the rows' indices for their refs): the
    non-urgent work in servers' hands, then the preempted work waiting, in its queues'
    order."""
    from ticketlens.queueing.kernel import COUNT, GROUP, KLASS, START, WORK

    holders = np.flatnonzero(held >= 0)
    x = np.concatenate([held[holders], suspended])
    jobs = np.empty((7, len(x)), np.int64)
    jobs[REF] = x
    jobs[HOLDER] = np.concatenate([holders, np.full(len(suspended), -1)])
    jobs[JOB_GROUP] = rows[GROUP][x]
    jobs[JOB_CLASS] = rows[KLASS][x] - urgent_keys
    jobs[FIRST] = rows[START][x]
    jobs[PREEMPTED] = rows[COUNT][x]
    jobs[OWED] = np.where(jobs[HOLDER] >= 0, 0, rows[WORK][x])  # held: its server's key
    return jobs


def _pieces(trace: np.ndarray, n: int, ref: np.ndarray | None, carried: np.ndarray) -> Pieces:
    return Pieces(_names(trace[0], n, ref, carried), trace[1].copy(), trace[2].copy(),
                  trace[3].copy())
