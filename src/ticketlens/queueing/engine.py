"""Run tickets through the queueing engine: the inputs checked, the outputs given their meaning.

Times are int64 microseconds since the epoch (as everywhere in ticketlens). A caller's mistake
is a ValueError naming the field, as in ``clock/layout.py``: these functions are called by the
generator and the simulator, never straight from a user's file.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # off-duty server called in for it (the on-call); None: nobody
    urgent: np.ndarray | None = None


@dataclass(frozen=True)
class Servers:
    """One row per server (technician), and its on-duty intervals [start, end) µs.

    Shifts are given as flat arrays sorted by server, then start, not overlapping within a
    server; a server with no shift never works. ``Servers.always_on`` builds servers with one
    endless shift each."""

    group: np.ndarray  # int per server
    shift_server: np.ndarray  # int per shift
    shift_start: np.ndarray  # int64 µs per shift
    shift_end: np.ndarray  # int64 µs per shift

    @classmethod
    def always_on(cls, group: np.ndarray | list[int]) -> Servers:
        groups = np.asarray(group, dtype=np.int64)
        m = len(groups)
        return cls(groups, np.arange(m), np.full(m, ALWAYS[0]), np.full(m, ALWAYS[1]))


@dataclass(frozen=True)
class QueueState:
    """The servers' state where one call of ``run`` stopped, for the next call (a generator
    chunk's desk carried into the next chunk): each server's state and next event, its current
    shift, the idle lists and the event heap (``kernel.py`` names the rows)."""

    servers: np.ndarray  # int64 [8, servers]
    idle: np.ndarray  # int64 [2, server groups]: head, tail of each group's idle list
    heap_size: int


@dataclass(frozen=True)
class Outcome:
    """One row per ticket. A ticket not started when the call returned (``final``: never,
    its group had nobody on duty after it arrived; else still waiting, to be carried into the
    next call) has start = finish = wait = NO_TIME and server -1, and is listed in ``left``."""

    start: np.ndarray  # int64 µs: a server began work on it
    # int64 µs: when the server has worked ``service`` on it: on duty only (paused between
    # shifts, continuous after the last one), or start + service if urgent
    finish: np.ndarray
    server: np.ndarray  # int32 index into Servers
    wait: np.ndarray  # int64 µs in the queue: start − arrival
    left: np.ndarray  # int64 indices of the tickets not started, in arrival order
    state: QueueState  # where the servers stand: pass it to the next call

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


def _shifts(servers: Servers, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    who = _ints("shift_server", servers.shift_server, None, 0, m - 1)
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
    first = np.searchsorted(who, np.arange(m + 1), side="left").astype(np.int64)
    return first, begin, end


def _fresh(server_group: np.ndarray, first: np.ndarray, begin: np.ndarray) -> QueueState:
    from ticketlens.queueing.kernel import first_shifts

    srv = np.zeros((8, len(server_group)), np.int64)
    size = int(first_shifts(first, begin, srv))
    groups = int(server_group.max(initial=-1)) + 1
    return QueueState(srv, np.full((2, groups), -1, np.int64), size)


def _check_state(state: QueueState, server_group: np.ndarray) -> None:
    groups = int(server_group.max(initial=-1)) + 1
    if state.servers.shape != (8, len(server_group)) or state.idle.shape != (2, groups):
        raise ValueError("state: from a run with other servers")


def run(tickets: Tickets, servers: Servers, priorities: int = 4, state: QueueState | None = None,
        final: bool = True) -> Outcome:
    """Queue every ticket for an on-duty server of its group and work it (docs/generate.md
    *Queueing*): per group, urgent first, then lower priority, then VIP, then first come;
    non-preemptive. Service counts on-duty time only (work pauses between shifts) unless the
    ticket is urgent; an urgent ticket finding nobody of its group idle calls in an off-duty one.

    In chunks: call with ``final=False`` for every chunk but the last, each time passing the
    previous outcome's ``state`` and putting the tickets it ``left`` waiting (in their order)
    ahead of the next chunk's arrivals; the result is the same as one call on all tickets.
    Calls with ``final=True`` may also follow each other out of time order (a later call's
    arrivals earlier than the previous call's events): each is worked after what the servers
    already did, by the previous calls' state; a server never works two tickets at once.
    ``state`` is not changed (the outcome holds a new one)."""
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
    server_group = _ints("server group", servers.group, None, 0, None)
    m = len(server_group)
    groups = int(max(group.max(initial=-1), server_group.max(initial=-1))) + 1
    first, begin, end = _shifts(servers, m)
    # the latest start, or the latest end non-urgent work runs on past
    latest = max(int(arrival.max(initial=0)), int(begin.max(initial=0)),
                 int(end[end < NO_TIME].max(initial=0)))
    if int(service.max(initial=0)) >= NO_TIME - latest:
        raise ValueError("service: a finish time would overflow int64 µs")
    if state is None:
        state = _fresh(server_group, first, begin)
    _check_state(state, server_group)
    srv, idle = state.servers.copy(), state.idle.copy()
    keys = 2 * priorities  # VIP first within its priority ...
    klass = priority * 2 + (1 - vip)
    urgent_keys = 0  # ... and urgent before all (kernel.py); no urgent ticket, no such classes
    if urgent is not None and urgent.any():
        urgent_keys = keys
        klass += (1 - urgent) * urgent_keys
    by_group = np.argsort(server_group, kind="stable")  # the on-call: lowest index first
    group_first = np.searchsorted(server_group[by_group], np.arange(max(groups, 1) + 1))
    start = np.full(n, NO_TIME, np.int64)
    finish = np.full(n, NO_TIME, np.int64)
    server = np.full(n, -1, np.int64)
    left = np.empty(n, np.int64)
    from ticketlens.queueing.kernel import run_queue  # numba loads only when queues run

    size, count = run_queue(arrival, klass, group, service, server_group,
                            by_group.astype(np.int64), group_first.astype(np.int64), first,
                            begin, end, max(groups, 1), keys + urgent_keys, urgent_keys, final,
                            srv, idle, state.heap_size, start, finish, server, left)
    wait = np.where(server >= 0, start - arrival, NO_TIME)
    return Outcome(start, finish, server.astype(np.int32), wait, np.sort(left[:count]),
                   QueueState(srv, idle, int(size)))
