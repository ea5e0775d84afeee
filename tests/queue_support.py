"""References the queueing engine is checked against: Erlang C (M/M/c), Cobham's formula (M/M/1
non-preemptive priority), a SimPy model of the same queue (also timed by
benchmarks/bench_queue.py), one with SimPy's PreemptiveResource, and the rules written out
plainly (``reference_desk``, preemption included)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ticketlens.queueing import Outcome, Servers, Tickets, run

SECOND = 1_000_000  # µs


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0) in M/M/c with offered load a = λ/μ (< c), summed in a stable recurrence."""
    term, total = 1.0, 1.0  # a^k/k! for k = 0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - a / c)  # a^c/c! · 1/(1−ρ)
    return last / (total + last)


def cobham(rates: list[float], mean_service: float) -> list[float]:
    """Mean queue wait per class of M/M/1 with non-preemptive priorities (class 0 first) and
    exponential service of the same mean for all: W_k = W0 / ((1 − σ_{k−1})(1 − σ_k))."""
    w0 = sum(r * 2 * mean_service**2 for r in rates) / 2  # Σ λ_i E[S_i²] / 2
    waits, sigma = [], 0.0
    for r in rates:
        before = sigma
        sigma += r * mean_service
        waits.append(w0 / ((1 - before) * (1 - sigma)))
    return waits


def mmc(n: int, c: int, rho: float, seed: int, shares: tuple[float, ...] = (1.0,),
        mean_service_s: float = 600.0) -> tuple[Tickets, Outcome]:
    """n Poisson arrivals to c always-on servers at utilisation rho, exponential service,
    priority classes drawn with the given shares."""
    rng = np.random.default_rng(seed)
    mean_gap = mean_service_s / (c * rho) * SECOND
    arrival = np.cumsum(rng.exponential(mean_gap, n)).astype(np.int64)
    service = rng.exponential(mean_service_s * SECOND, n).astype(np.int64)
    priority = rng.choice(len(shares), n, p=shares)
    tickets = Tickets(arrival, service, priority)
    return tickets, run(tickets, Servers.always_on([0] * c))


def batch_means(values: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and its standard error from consecutive batches (waits are autocorrelated, so the
    plain standard error would be far too small)."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return float(means.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def simpy_queue(arrival: np.ndarray, service: np.ndarray, klass: np.ndarray,
                c: int) -> tuple[np.ndarray, np.ndarray]:
    """The same queue in SimPy: c servers, PriorityResource (lower class first, then request
    time, non-preemptive); returns start and finish per ticket (µs as float)."""
    import simpy

    env = simpy.Environment()
    desk = simpy.PriorityResource(env, capacity=c)
    n = len(arrival)
    start, finish = np.zeros(n), np.zeros(n)
    arrivals, services, classes = arrival.tolist(), service.tolist(), klass.tolist()

    def ticket(i: int):  # type: ignore[no-untyped-def]
        with desk.request(priority=classes[i]) as request:
            yield request
            start[i] = env.now
            yield env.timeout(services[i])
            finish[i] = env.now

    _feed(env, arrivals, ticket)
    return start, finish


def _feed(env: Any, arrivals: Any, ticket: Any) -> None:
    """Start ``ticket(i)`` at each arrival, in order, and run the SimPy environment out."""
    def source():  # type: ignore[no-untyped-def]
        for i in range(len(arrivals)):
            yield env.timeout(arrivals[i] - env.now)
            env.process(ticket(i))

    env.process(source())
    env.run()


def simpy_preemptive(arrival: np.ndarray, service: np.ndarray, klass: np.ndarray,
                     urgent: np.ndarray, group: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same queue in SimPy with preemption: one server per group, a PreemptiveResource of
    capacity 1. A request's priority is (not urgent, class, place): place is the arrival index,
    or -1 for a preempted ticket asking again (the head of its class; SimPy would otherwise put
    it behind earlier requests of its priority, as a new request). An urgent request asks to
    preempt only while the server holds non-urgent work (SimPy preempts any user of a worse
    key; ours never preempts urgent work); the preempted ticket asks again for the service it
    had left. Returns first start, finish and times preempted per ticket (µs as float)."""
    import simpy

    env = simpy.Environment()
    desks = [simpy.PreemptiveResource(env, capacity=1) for _ in range(int(group.max()) + 1)]
    n = len(arrival)
    start, finish, count = np.full(n, -1.0), np.zeros(n), np.zeros(n, np.int64)
    arrivals, services, classes = arrival.tolist(), service.tolist(), klass.tolist()
    hurry, groups = urgent.tolist(), group.tolist()

    def ticket(i: int):  # type: ignore[no-untyped-def]
        desk, left, place = desks[groups[i]], services[i], i
        while True:
            preempt = hurry[i] and all(user.priority[0] for user in desk.users)
            with desk.request(priority=(not hurry[i], classes[i], place),
                              preempt=preempt) as request:
                yield request
                if start[i] < 0:
                    start[i] = env.now
                since = env.now
                try:
                    yield env.timeout(left)
                    finish[i] = env.now
                    return
                except simpy.Interrupt:
                    left -= env.now - since
                    count[i] += 1
                    place = -1

    _feed(env, arrivals, ticket)
    return start, finish, count


def reference_queue(arrival: list[int], klass: list[int], group: list[int], service: list[int],
                    server_group: list[int], shifts: list[list[tuple[int, int]]]
                    ) -> tuple[list[int], list[int]]:
    """``reference_desk`` with no urgent ticket: start (-1: never) and server (-1) per ticket."""
    desk = reference_desk(arrival, klass, group, service, server_group, shifts)
    return desk.start, desk.server


@dataclass
class Desk:
    """What ``reference_desk`` found: per ticket its first start, first server, finish (-1:
    never) and times preempted; each piece of work (ticket, server, begin, end)."""

    start: list[int]
    server: list[int]
    finish: list[int]
    preempted: list[int]
    pieces: list[tuple[int, int, int, int]]


def on_duty_time(shifts: list[tuple[int, int]], a: int, b: int) -> int:
    """A server's on-duty time in [a, b), the time past its last shift counting (work runs on
    there)."""
    total = sum(max(0, min(b, e) - max(a, s)) for s, e in shifts)
    return total + max(0, b - max(a, shifts[-1][1])) if shifts else b - a


def reference_desk(arrival: list[int], klass: list[int], group: list[int], service: list[int],
                   server_group: list[int], shifts: list[list[tuple[int, int]]],
                   urgent: list[bool] | None = None, preempt: bool = False) -> Desk:
    """The documented rules written out plainly, instant by instant (slow; small inputs): at
    each instant, first idle technicians whose shift ends then go off duty, then the tickets
    arriving then (in order; each to the technician of its group idle longest, else if urgent
    to its off-duty technician of lowest index, else if urgent and ``preempt`` to the one of
    its group working non-urgent work with some left and a shift ahead, of the lowest class,
    then taken last, then highest index, whose work goes back to the head of its class's queue
    owing its on-duty time left; else the queue), then technicians coming free then (finish or
    shift start), in index order: on duty each takes the best waiting ticket (urgent, class,
    then preempted last, then first come), off duty the best waiting urgent one or goes off
    until its next shift. Work counts on-duty time only (paused between shifts, continuous
    after the last), urgent work wall time."""
    n, m = len(arrival), len(server_group)
    hurry = urgent or [False] * n
    start, server, finish, count = [-1] * n, [-1] * n, [-1] * n, [0] * n
    owed = list(service)
    place = list(range(n))  # queue order within a class: preempted last first, then arrival
    pieces: list[list[int]] = []
    pending: dict[int, int] = {}  # server -> instant it comes free (finish or shift start)
    job: dict[int, int] = {}  # server -> its ticket and piece (index into pieces)
    piece: dict[int, int] = {}
    off: set[int] = set()  # off duty, not busy, a shift ahead: the on-call
    idle: list[int] = []  # on-duty idle servers, longest idle first
    idle_until: dict[int, int] = {}
    waiting: list[int] = []

    def on_duty(s: int, t: int) -> tuple[int, int] | None:
        return next(((b, e) for b, e in shifts[s] if b <= t < e), None)

    def done(s: int, t: int, j: int) -> int:
        work = owed[j]
        if hurry[j]:
            return t + work
        for b, e in shifts[s]:
            if e <= t:
                continue
            begin = max(t, b)
            if work <= e - begin:
                return begin + work
            work -= e - begin
            t = e
        return t + work

    def give(j: int, s: int, t: int) -> None:
        if start[j] < 0:
            start[j], server[j] = t, s
        finish[j] = pending[s] = done(s, t, j)
        job[s], piece[s] = j, len(pieces)
        pieces.append([j, s, t, finish[j]])

    def best(mine: list[int]) -> int:
        j = min(mine, key=lambda j: (not hurry[j], klass[j], place[j]))
        waiting.remove(j)
        return j

    def victim(g: int, t: int) -> int | None:
        mine = [s for s in job if server_group[s] == g and not hurry[job[s]]
                and pending[s] > t and shifts[s][-1][1] > t]
        return max(mine, key=lambda s: (klass[job[s]], pieces[piece[s]][2], s), default=None)

    def cut(s: int, t: int) -> None:
        j = job.pop(s)
        owed[j] = on_duty_time(shifts[s], t, pending[s])
        count[j] += 1
        finish[j] = -1
        place[j] = -1 - sum(count)  # ahead of its class, the last preempted first
        pieces[piece[s]][3] = t
        waiting.append(j)

    def free(s: int, t: int) -> None:
        job.pop(s, None)
        shift = on_duty(s, t)
        mine = [j for j in waiting if group[j] == server_group[s]]
        if shift is None:
            later = [b for b, _ in shifts[s] if b > t]
            if not later:
                return
            if any(hurry[j] for j in mine):
                give(best([j for j in mine if hurry[j]]), s, t)
            else:
                pending[s] = min(later)
                off.add(s)
        elif mine:
            give(best(mine), s, t)
        else:
            idle.append(s)
            idle_until[s] = shift[1]

    for s in range(m):
        if shifts[s]:
            pending[s] = shifts[s][0][0]
            off.add(s)
    i = 0
    while i < n or (waiting and (pending or idle)):
        t = min([*([arrival[i]] if i < n else []), *pending.values(),
                 *(idle_until[s] for s in idle)])
        for s in sorted(s for s in idle if idle_until[s] == t):
            idle.remove(s)
            free(s, t)
        while i < n and arrival[i] == t:
            s = next((s for s in idle if server_group[s] == group[i]), None)
            if s is not None:
                idle.remove(s)
                give(i, s, t)
            elif hurry[i] and any(server_group[s] == group[i] for s in off):
                s = min(s for s in off if server_group[s] == group[i])
                off.remove(s)
                give(i, s, t)
            elif hurry[i] and preempt and (s := victim(group[i], t)) is not None:
                cut(s, t)
                give(i, s, t)
            else:
                waiting.append(i)
            i += 1
        while any(v == t for v in pending.values()):
            s = min(s for s, v in pending.items() if v == t)
            del pending[s]
            off.discard(s)
            free(s, t)
    return Desk(start, server, finish, count, [(j, s, b, e) for j, s, b, e in pieces])
