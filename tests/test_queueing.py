"""The queueing engine validated as a queueing library is: M/M/c against Erlang C, M/M/1 with
non-preemptive priorities against Cobham's formula, exactly the same starts as SimPy on one
instance, and the shift rules (no start off duty, no server idle while its group waits)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from queue_support import (
    SECOND,
    batch_means,
    cobham,
    erlang_c,
    mmc,
    reference_queue,
    simpy_queue,
)
from ticketlens.clock.layout import NO_TIME
from ticketlens.queueing import Outcome, Servers, Tickets, run

MEAN_SERVICE = 600.0  # s
WARM_UP = 0.05  # share of the first tickets dropped: the desk starts empty


@pytest.mark.parametrize("c", [1, 2, 5, 20])
@pytest.mark.parametrize("rho", [0.5, 0.7, 0.9])
def test_mmc_matches_erlang_c(c: int, rho: float) -> None:
    n = 1_000_000
    _, outcome = mmc(n, c, rho, seed=100 * c + round(10 * rho), mean_service_s=MEAN_SERVICE)
    wait = outcome.wait[int(WARM_UP * n):] / SECOND
    p_wait = erlang_c(c, c * rho)
    wq = p_wait * MEAN_SERVICE / (c - c * rho)  # C / (cμ − λ)
    mean, se = batch_means(wait)
    share, share_se = batch_means((wait > 0).astype(float))
    slack = 0.001 * MEAN_SERVICE  # 0.6 s: where Wq itself is a fraction of a second (c = 20)
    assert abs(mean - wq) <= 4 * se + slack, (mean, wq, se)
    assert abs(mean - wq) <= 0.05 * wq + slack, (mean, wq)
    assert abs(share - p_wait) <= 4 * share_se + 0.001, (share, p_wait, share_se)
    assert abs(share - p_wait) <= 0.01, (share, p_wait)


def test_issue_15s_erlang_c_sanity_scenario() -> None:
    """100 tickets per 30 minutes, 3-minute mean handling time, 14 technicians (issue 15 §4):
    P(wait) 0.1741 within ±0.02 and a 95 % interval of the mean wait containing 7.84 s and
    narrower than ±10 %; 200,000 simulated tickets are enough."""
    n = 200_000
    _, outcome = mmc(n, 14, 10 / 14, seed=15, mean_service_s=180.0)
    wait = outcome.wait[int(WARM_UP * n):] / SECOND
    assert erlang_c(14, 10) == pytest.approx(0.1741, abs=5e-5)
    mean, se = batch_means(wait)
    assert abs(float((wait > 0).mean()) - 0.1741) <= 0.02
    assert mean - 1.96 * se <= 7.84 <= mean + 1.96 * se, (mean, se)
    assert 1.96 * se < 0.1 * 7.84, se


@pytest.mark.parametrize("rho", [0.6, 0.8])
def test_mm1_priorities_match_cobham(rho: float) -> None:
    shares = (0.1, 0.2, 0.4, 0.3)  # Critical, High, Medium, Low
    n = 1_000_000
    tickets, outcome = mmc(n, 1, rho, seed=1, shares=shares, mean_service_s=MEAN_SERVICE)
    rate = rho / MEAN_SERVICE
    expected = cobham([rate * s for s in shares], MEAN_SERVICE)
    kept = np.arange(n) >= WARM_UP * n
    wait = outcome.wait / SECOND
    for k, want in enumerate(expected):
        mean, se = batch_means(wait[kept & (tickets.priority == k)])
        assert abs(mean - want) <= 0.03 * want, (k, mean, want, se)
        assert abs(mean - want) <= 5 * se, (k, mean, want, se)


def test_priorities_are_worked_in_order_under_load() -> None:
    tickets, outcome = mmc(300_000, 5, 0.9, seed=5, shares=(0.1, 0.2, 0.4, 0.3))
    means = [outcome.wait[tickets.priority == k].mean() for k in range(4)]
    assert means == sorted(means) and means[3] > 5 * means[0], means


def test_same_starts_as_simpy() -> None:
    rng = np.random.default_rng(11)
    n, c = 5_000, 3
    arrival = np.cumsum(rng.exponential(200 * SECOND, n)).astype(np.int64)
    service = rng.exponential(3 * 0.9 * 200 * SECOND, n).astype(np.int64)
    priority = rng.integers(0, 4, n)
    vip = rng.random(n) < 0.1
    assert len(np.unique(arrival)) == n  # no two events at one instant: no tie rule compared
    outcome = run(Tickets(arrival, service, priority, vip=vip), Servers.always_on([0] * c))
    start, finish = simpy_queue(arrival, service, priority * 2 + (~vip), c)
    assert outcome.wait.mean() > 10 * SECOND * 60  # a real queue: minutes of waiting on average
    assert np.array_equal(start, outcome.start.astype(float))
    assert np.array_equal(finish, outcome.finish.astype(float))


# --- shifts -----------------------------------------------------------------------------------

HOUR = 3600 * SECOND


def _rostered_desk(seed: int = 3) -> tuple[Tickets, Servers]:
    """Two groups (4 and 2 technicians) on 8-hour shifts with gaps, ~30 days of busy tickets."""
    rng = np.random.default_rng(seed)
    who, begin, end = [], [], []
    for s in range(6):
        for day in range(32):
            offset = (day * 24 + (s % 3) * 8 + int(rng.integers(0, 3))) * HOUR
            who.append(s)
            begin.append(offset)
            end.append(offset + 8 * HOUR)
    servers = Servers(np.array([0, 0, 0, 0, 1, 1]), np.array(who), np.array(begin),
                      np.array(end))
    n = 1_500
    arrival = np.sort(rng.integers(0, 30 * 24 * HOUR, n))
    group = (rng.random(n) < 0.35).astype(np.int64)
    service = rng.exponential(0.6 * HOUR, n).astype(np.int64)
    tickets = Tickets(arrival, service, rng.integers(0, 4, n), group, rng.random(n) < 0.05)
    return tickets, servers


def _idle_on_duty(servers: Servers, outcome: Outcome, s: int) -> list[tuple[int, int]]:
    """Server s's on-duty intervals with no ticket in hand."""
    jobs = np.flatnonzero(outcome.server == s)
    busy = sorted(zip(outcome.start[jobs], outcome.finish[jobs], strict=True))
    idle = []
    for k in np.flatnonzero(servers.shift_server == s):
        t, end = int(servers.shift_start[k]), int(servers.shift_end[k])
        for b, f in busy:
            if f <= t or b >= end:
                continue
            if b > t:
                idle.append((t, int(b)))
            t = max(t, int(f))
        if t < end:
            idle.append((t, end))
    return idle


def test_shifts_are_kept_and_no_server_idles_while_its_group_waits() -> None:
    tickets, servers = _rostered_desk()
    outcome = run(tickets, servers)
    served = outcome.server >= 0
    assert outcome.unserved == int((~served).sum()) < 50
    assert (outcome.wait[served] > 0).mean() > 0.4  # queues do form
    s = outcome.server[served]
    assert np.array_equal(servers.group[s], tickets.group[served])
    # every start falls inside one of its server's on-duty intervals
    starts = outcome.start[served]
    keys = s.astype(np.int64) * (1 << 42) + starts
    shift_keys = servers.shift_server * (1 << 42) + servers.shift_start
    k = np.searchsorted(shift_keys, keys, side="right") - 1
    assert np.all(servers.shift_server[k] == s)
    assert np.all((servers.shift_start[k] <= starts) & (starts < servers.shift_end[k]))
    assert np.any(outcome.finish[served] > servers.shift_end[k])  # work runs past shift end
    # one ticket at a time per server
    order = np.lexsort((starts, s))
    same = s[order][1:] == s[order][:-1]
    assert np.all(starts[order][1:][same] >= outcome.finish[served][order][:-1][same])
    # work conservation: while a ticket waits, every on-duty server of its group is busy
    for g in (0, 1):
        idle = np.array([iv for srv in np.flatnonzero(servers.group == g)
                         for iv in _idle_on_duty(servers, outcome, srv)])
        mine = np.flatnonzero((tickets.group == g) & (outcome.wait != 0))
        came, left = tickets.arrival[mine][:, None], outcome.start[mine][:, None]
        overlap = (idle[:, 0][None, :] < left) & (idle[:, 1][None, :] > came)
        assert not overlap.any(), "a server idled on duty while a ticket of its group waited"


def test_a_free_server_takes_priority_then_vip_then_first_come() -> None:
    tickets, servers = _rostered_desk()
    outcome = run(tickets, servers)
    klass = tickets.priority * 2 + (1 - tickets.vip.astype(np.int64))
    for g in (0, 1):
        mine = np.flatnonzero((tickets.group == g) & (outcome.server >= 0))
        t = outcome.start[mine]
        # ticket i was waiting when j started, and should have gone before j
        waiting = (tickets.arrival[mine][:, None] < t[None, :]) & (outcome.start[mine][:, None] > t[None, :])
        better = (klass[mine][:, None] < klass[mine][None, :]) | (
            (klass[mine][:, None] == klass[mine][None, :]) & (mine[:, None] < mine[None, :]))
        assert not (waiting & better).any()


def test_a_group_nobody_staffs_is_never_served() -> None:
    arrival = np.array([0, 10, 20, 30]) * SECOND
    group = np.array([0, 1, 0, 0])
    servers = Servers(np.array([0]), np.array([0]), np.array([0]), np.array([25 * SECOND]))
    outcome = run(Tickets(arrival, np.full(4, 5 * SECOND), np.zeros(4, int), group), servers)
    assert outcome.unserved == 2  # group 1 has nobody; ticket 3 came after the only shift
    assert outcome.server.tolist() == [0, -1, 0, -1]
    assert outcome.start.tolist() == [0, NO_TIME, 20 * SECOND, NO_TIME]


def test_same_input_same_output() -> None:
    tickets, servers = _rostered_desk(seed=4)
    first, second = run(tickets, servers), run(tickets, servers)
    for name in ("start", "finish", "server", "wait"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name


def _tiny_desk(rng: np.random.Generator) -> tuple[Tickets, Servers, list]:
    """A few tickets and technicians on a coarse clock, so that arrivals, finishes, shift
    starts and shift ends often fall on the same instant; zero-length work and back-to-back
    shifts included."""
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    server_group = rng.integers(0, 2, m)
    shifts, who, begin, end = [], [], [], []
    for s in range(m):
        edges = np.sort(rng.choice(np.arange(0, 50), 2 * int(rng.integers(0, 4)), replace=False))
        mine = [(int(b), int(e)) for b, e in edges.reshape(-1, 2)]
        if rng.random() < 0.3 and mine:  # a shift starting as the last one ends
            mine.append((mine[-1][1], mine[-1][1] + int(rng.integers(1, 10))))
        shifts.append(mine)
        for b, e in mine:
            who.append(s)
            begin.append(b)
            end.append(e)
    tickets = Tickets(np.sort(rng.integers(0, 40, n)), rng.integers(0, 12, n),
                      rng.integers(0, 4, n), rng.integers(0, 2, n), rng.random(n) < 0.2)
    servers = Servers(server_group, np.array(who, dtype=np.int64), np.array(begin, dtype=np.int64),
                      np.array(end, dtype=np.int64))
    return tickets, servers, shifts


def test_same_as_the_rules_written_out_on_ties_and_shifts() -> None:
    rng = np.random.default_rng(2026)
    for case in range(3000):
        tickets, servers, shifts = _tiny_desk(rng)
        outcome = run(tickets, servers)
        klass = tickets.priority * 2 + (1 - tickets.vip.astype(np.int64))
        start, server = reference_queue(
            tickets.arrival.tolist(), klass.tolist(), tickets.group.tolist(),
            tickets.service.tolist(), servers.group.tolist(), shifts)
        ours = np.where(outcome.server >= 0, outcome.start, -1)
        assert ours.tolist() == start and outcome.server.tolist() == server, (case, tickets, servers)


def _in_chunks(tickets: Tickets, servers: Servers, cuts: list[int]) -> tuple[np.ndarray, ...]:
    """Run the tickets chunk by chunk as the generator will, carrying the servers' state and
    the tickets left waiting into the next chunk."""
    n = len(tickets.arrival)
    start, server = np.full(n, NO_TIME), np.full(n, -1, np.int32)
    state, carried = None, np.zeros(0, np.int64)
    bounds = [0, *cuts, n]
    for a, b in itertools.pairwise(bounds):
        ids = np.concatenate([carried, np.arange(a, b)])
        part = Tickets(tickets.arrival[ids], tickets.service[ids], tickets.priority[ids],
                       tickets.group[ids], tickets.vip[ids])
        outcome = run(part, servers, state=state, final=b == n)
        took = outcome.server >= 0
        start[ids[took]], server[ids[took]] = outcome.start[took], outcome.server[took]
        carried, state = ids[outcome.left], outcome.state
    return start, server, carried


def test_chunks_give_the_same_as_one_run() -> None:
    rng = np.random.default_rng(7)
    desks = [_tiny_desk(rng)[:2] for _ in range(500)] + [_rostered_desk(seed=5)]
    for tickets, servers in desks:
        n = len(tickets.arrival)
        whole = run(tickets, servers)
        cuts = sorted(rng.choice(np.arange(n + 1), int(rng.integers(1, 5))).tolist())
        start, server, never = _in_chunks(tickets, servers, cuts)
        assert np.array_equal(start, whole.start) and np.array_equal(server, whole.server)
        assert np.array_equal(never, whole.left)
    assert len(_in_chunks(*desks[-1], [300, 700, 1200])[2]) == whole.unserved


@pytest.mark.parametrize(("field", "tickets"), [
    ("arrival", Tickets(np.array([5, 1]), np.array([1, 1]), np.array([0, 0]))),
    ("priority", Tickets(np.array([1, 5]), np.array([1, 1]), np.array([0, 4]))),
    ("service", Tickets(np.array([1, 5]), np.array([1, -1]), np.array([0, 0]))),
    ("service", Tickets(np.array([1, 5]), np.array([1, NO_TIME - 3]), np.array([0, 0]))),
])
def test_a_callers_mistake_names_the_field(field: str, tickets: Tickets) -> None:
    with pytest.raises(ValueError, match=field):
        run(tickets, Servers.always_on([0]))


def test_a_state_from_other_servers_is_refused() -> None:
    tickets = Tickets(np.array([1]), np.array([1]), np.array([0]))
    state = run(tickets, Servers.always_on([0, 0]), final=False).state
    with pytest.raises(ValueError, match="state"):
        run(tickets, Servers.always_on([0, 0, 0]), state=state)


def test_overlapping_shifts_are_refused() -> None:
    servers = Servers(np.array([0]), np.array([0, 0]), np.array([0, 5]), np.array([10, 20]))
    with pytest.raises(ValueError, match="overlap"):
        run(Tickets(np.array([1]), np.array([1]), np.array([0])), servers)
