"""The queueing engine validated as a queueing library is: M/M/c against Erlang C, M/M/1 with
non-preemptive priorities against Cobham's formula, urgent tickets under preemptive priority
against Erlang C of their own load, exactly the same starts as SimPy on one instance (and as
SimPy's PreemptiveResource on another), and the shift rules (no start off duty, no server idle
while its group waits, work on the server's clock, urgent tickets, the on-call and preemption,
work carried across calls, calls out of time order)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import pytest

from queue_support import (
    SECOND,
    batch_means,
    cobham,
    erlang_c,
    mmc,
    on_duty_time,
    reference_desk,
    reference_queue,
    simpy_preemptive,
    simpy_queue,
)
from ticketlens.clock.layout import NO_TIME
from ticketlens.queueing import Outcome, Pieces, QueueState, Servers, Tickets, run
from ticketlens.queueing.engine import HOLDER, OWED, REF
from ticketlens.sources.generate.clock import DAY, BusinessClock

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


def _in_chunks(tickets: Tickets, servers: Servers, cuts: list[int], preempt: bool = True
               ) -> tuple[Any, ...]:
    """Run the tickets chunk by chunk as the generator will, carrying the servers' state and
    the tickets left waiting into the next chunk; work that outlives a chunk is reported by a
    later one (``Outcome.carried``, by ``Tickets.ref``). Returns start, server, the tickets
    never started, finish, times preempted, and how often work crossed a chunk's end: carried
    in a server's hands and preempted by a later chunk, or preempted and resumed later."""
    n = len(tickets.arrival)
    start, server = np.full(n, NO_TIME), np.full(n, -1, np.int32)
    finish, preempted = np.full(n, NO_TIME), np.zeros(n, np.int32)
    state, carried = None, np.zeros(0, np.int64)
    crossing = 0
    bounds = [0, *cuts, n]
    for a, b in itertools.pairwise(bounds):
        if state is not None:
            crossing += int((state.jobs[HOLDER] < 0).sum())
        ids = np.concatenate([carried, np.arange(a, b)])
        part = Tickets(tickets.arrival[ids], tickets.service[ids], tickets.priority[ids],
                       tickets.group[ids], tickets.vip[ids],
                       None if tickets.urgent is None else tickets.urgent[ids], ref=ids)
        outcome = run(part, servers, state=state, final=b == n, preempt_urgent=preempt)
        took = outcome.server >= 0
        start[ids[took]], server[ids[took]] = outcome.start[took], outcome.server[took]
        finish[ids[took]], preempted[ids] = outcome.finish[took], outcome.preempted
        finish[outcome.carried.ref] = outcome.carried.finish
        crossing += int((outcome.carried.preempted - preempted[outcome.carried.ref]).sum())
        preempted[outcome.carried.ref] = outcome.carried.preempted
        carried, state = ids[outcome.left], outcome.state
    return start, server, carried, finish, preempted, crossing


def test_chunks_give_the_same_as_one_run() -> None:
    rng = np.random.default_rng(7)
    desks = [_tiny_desk(rng)[:2] for _ in range(500)] + [_rostered_desk(seed=5)]
    for tickets, servers in desks:
        n = len(tickets.arrival)
        whole = run(tickets, servers)
        cuts = sorted(rng.choice(np.arange(n + 1), int(rng.integers(1, 5))).tolist())
        start, server, never, finish, _, _ = _in_chunks(tickets, servers, cuts)
        assert np.array_equal(start, whole.start) and np.array_equal(server, whole.server)
        assert np.array_equal(never, whole.left) and np.array_equal(finish, whole.finish)
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


# --- work on the server's clock, urgent tickets and the on-call, calls out of time order -------

MONDAY = 1_767_571_200  # 2026-01-05 00:00, a Monday (s since the epoch, naive wall clock)
OFFICE = BusinessClock(9, 17)


def _office_hours(servers: int, days: int) -> Servers:
    """``servers`` technicians (one per group) on Mon–Fri 09:00–17:00 shifts, µs."""
    day = np.arange(days)
    weekdays = day[(day % 7) < 5]
    begin = (MONDAY + weekdays * DAY + 9 * 3600) * SECOND
    who = np.repeat(np.arange(servers), len(weekdays))
    return Servers(np.arange(servers), who, np.tile(begin, servers),
                   np.tile(begin + 8 * HOUR, servers))


def _hours(day: int, hour: float) -> int:
    """µs at ``hour`` o'clock on day ``day`` after MONDAY (hours past 24 roll over)."""
    return (MONDAY + day * DAY) * SECOND + round(hour * HOUR)


def test_office_hours_desk_is_an_always_on_desk_on_the_business_clock() -> None:
    """Servers on Mon–Fri 09:00–17:00 work exactly as always-on servers do in business
    seconds (``BusinessClock``): non-urgent work pauses at 17:00 and on weekends. One class
    only: the business clock maps a whole night's arrivals onto the next opening, where an idle
    always-on server takes them in arrival order, while a server coming on duty takes them by
    class; first come is the same in both."""
    rng = np.random.default_rng(42)
    groups, n = 4, 2_000
    arrival = np.sort(rng.integers(MONDAY, MONDAY + 91 * DAY, n))  # seconds, any hour
    service = rng.exponential(1_500, n).astype(np.int64)
    long = rng.random(n) < 0.03  # a few jobs of 4 to 24 business hours: overnight, weekends
    service[long] = rng.integers(4 * 3600, 24 * 3600, int(long.sum()))
    service[rng.random(n) < 0.02] = 0
    group = rng.integers(0, groups, n)
    no_class = np.zeros(n, np.int64)
    servers = _office_hours(groups, 140)
    wall = run(Tickets(arrival * SECOND, service * SECOND, no_class, group), servers)
    business = OFFICE.to_business(arrival)
    ideal = run(Tickets(business * SECOND, service * SECOND, no_class, group),
                Servers.always_on(np.arange(groups)))
    assert wall.unserved == ideal.unserved == 0
    assert int(wall.finish.max()) < int(servers.shift_end.max())  # the shifts never run out
    assert np.array_equal(wall.server, ideal.server)
    assert not np.any(wall.start % SECOND) and not np.any(wall.finish % SECOND)
    b_start, b_finish = ideal.start // SECOND, ideal.finish // SECOND
    # back onto the wall clock: a start at its instant, a finish at the end of its last second
    start = OFFICE.from_business(b_start)
    finish = np.where(service > 0, OFFICE.from_business(b_finish - 1) + 1, start)
    assert np.array_equal(wall.start // SECOND, start)
    assert np.array_equal(wall.finish // SECOND, finish)
    # and the comparison covers what it should: nights, weekends, queues, paused work
    assert (~OFFICE.in_business_hours(arrival)).mean() > 0.5
    assert (wall.wait > 0).mean() > 0.5 and (ideal.wait > 0).mean() > 0.2
    paused = wall.finish - wall.start > service * SECOND
    assert paused.sum() > 100
    assert np.sum((wall.finish - wall.start) // (DAY * SECOND) >= 2) > 20  # over weekends


def test_work_pauses_over_the_weekend_and_runs_on_after_the_last_shift() -> None:
    servers = _office_hours(1, 14)
    friday = Tickets(np.array([_hours(4, 15), _hours(4, 16)]), np.array([5 * HOUR, HOUR]),
                     np.array([0, 0]))
    outcome = run(friday, servers)
    # 2 h on Friday (15:00–17:00), 3 h on Monday (09:00–12:00); the next one waits for it
    assert outcome.start.tolist() == [_hours(4, 15), _hours(7, 12)]
    assert outcome.finish.tolist() == [_hours(7, 12), _hours(7, 13)]
    assert outcome.wait.tolist() == [0, _hours(7, 12) - _hours(4, 16)]
    # one shift only: the 2 h left at its end run on continuously from 17:00
    one = Servers(np.array([0]), np.array([0]), np.array([_hours(0, 9)]),
                  np.array([_hours(0, 17)]))
    outcome = run(Tickets(np.array([_hours(0, 9)]), np.array([10 * HOUR]), np.array([0])), one)
    assert outcome.finish.tolist() == [_hours(0, 19)]


def test_urgent_at_night_calls_in_the_on_call() -> None:
    """Group 0 has technicians 1 and 2 (0 is another group's), all off at night. Urgent
    tickets start on arrival and run on the wall clock, on the lowest-index technician off
    duty; one arriving while both are on a call waits for the first of them to come free;
    non-urgent tickets wait for the morning shift although technicians were up at night."""
    days = np.arange(3)
    begin = np.tile(_hours(0, 9) + days * DAY * SECOND, 3)
    servers = Servers(np.array([1, 0, 0]), np.repeat(np.arange(3), 3), begin, begin + 8 * HOUR)
    arrival = [_hours(0, h) for h in (20, 22, 23.5, 23.75, 24.75, 24.8333)]
    service = [HOUR, 3 * HOUR, HOUR, HOUR // 2, 2 * HOUR, HOUR]
    urgent = np.array([False, True, True, False, True, True])
    tickets = Tickets(np.array(arrival), np.array(service), np.array([2, 3, 3, 0, 3, 3]),
                      np.zeros(6, np.int64), urgent=urgent)
    outcome = run(tickets, servers)
    # at 09:00 technician 1 (lower index) takes B (Critical), 2 takes A
    assert outcome.server.tolist() == [2, 1, 2, 1, 2, 1]
    assert outcome.start.tolist() == [_hours(1, 9), _hours(0, 22), _hours(0, 23.5),
                                      _hours(1, 9), _hours(0, 24.75), _hours(0, 25)]
    assert outcome.finish.tolist() == [_hours(1, 10), _hours(0, 25), _hours(0, 24.5),
                                       _hours(1, 9.5), _hours(0, 26.75), _hours(0, 26)]
    # without urgency the same tickets all wait for the morning
    calm = run(dataclasses.replace(tickets, urgent=None), servers)
    assert np.all(calm.start >= _hours(1, 9))


def _busy_technician_desk() -> tuple[Servers, Tickets]:
    """Two office-hours technicians; four tickets for the first one's group on Monday morning:
    Medium, Critical VIP, Medium, and an urgent Low one."""
    servers = _office_hours(2, 7)
    arrival = np.array([_hours(0, h) for h in (9, 9 + 1 / 6, 9 + 2 / 6, 9.5)])
    return servers, Tickets(arrival, np.array([2 * HOUR, HOUR, HOUR, 7 * HOUR]),
                            np.array([2, 0, 2, 3]), np.zeros(4, np.int64),
                            vip=np.array([False, True, False, False]),
                            urgent=np.array([False, False, False, True]))


def test_urgent_waits_for_its_busy_technician_then_goes_first() -> None:
    """The group's only technician is busy: the urgent ticket (Low) waits, then goes before
    the non-urgent ones that came earlier (even a Critical VIP) and runs past 17:00; the other
    group's idle technician is not called. The rest wait for the next shift."""
    servers, tickets = _busy_technician_desk()
    outcome = run(tickets, servers, preempt_urgent=False)
    assert outcome.server.tolist() == [0, 0, 0, 0]
    assert outcome.start.tolist() == [_hours(0, 9), _hours(1, 9), _hours(1, 10), _hours(0, 11)]
    assert outcome.finish.tolist() == [_hours(0, 11), _hours(1, 10), _hours(1, 11),
                                       _hours(0, 18)]


# --- preemptive priority for urgent tickets ----------------------------------------------------


def test_urgent_preempts_and_the_low_ticket_finishes_later_by_its_service() -> None:
    tickets = Tickets(np.array([0, 2 * HOUR]), np.array([10 * HOUR, 3 * HOUR]),
                      np.array([3, 0]), urgent=np.array([False, True]))
    outcome = run(tickets, Servers.always_on([0]), trace=True)
    assert outcome.start.tolist() == [0, 2 * HOUR]
    assert outcome.finish.tolist() == [13 * HOUR, 5 * HOUR]  # 10 h of work + the 3 h urgent
    assert outcome.wait.tolist() == [0, 0] and outcome.server.tolist() == [0, 0]
    assert outcome.preempted.tolist() == [1, 0]
    assert outcome.pieces is not None
    assert list(zip(outcome.pieces.ref.tolist(), outcome.pieces.begin.tolist(),
                    outcome.pieces.end.tolist(), strict=True)) == [
        (0, 0, 2 * HOUR), (1, 2 * HOUR, 5 * HOUR), (0, 5 * HOUR, 13 * HOUR)]
    calm = run(tickets, Servers.always_on([0]), preempt_urgent=False)
    assert calm.start.tolist() == [0, 10 * HOUR] and calm.preempted.tolist() == [0, 0]


def test_preempted_work_owes_its_on_duty_time_across_a_shift_end() -> None:
    """Office hours: a Low job of 5 h started Monday 15:00. An urgent ticket at 16:00 (2 h, to
    18:00) cuts it after 1 h: it owes 4 h, resumed Tuesday 09:00, done 13:00. One at 22:00
    finds it paused (2 h done, 3 h owed): the technician holding it is called in, and the job
    still finishes Tuesday 12:00, as it would have."""
    servers = _office_hours(1, 14)
    for urgent_at, urgent_done, low_done, worked in [(16, 18, 13, 1), (22, 24, 12, 2)]:
        tickets = Tickets(np.array([_hours(0, 15), _hours(0, urgent_at)]),
                          np.array([5 * HOUR, 2 * HOUR]), np.array([3, 0]),
                          urgent=np.array([False, True]))
        outcome = run(tickets, servers, trace=True)
        assert outcome.start.tolist() == [_hours(0, 15), _hours(0, urgent_at)]
        assert outcome.finish.tolist() == [_hours(1, low_done), _hours(0, urgent_done)]
        assert outcome.preempted.tolist() == [1, 0]
        pieces = outcome.pieces
        assert pieces is not None
        assert pieces.begin.tolist() == [_hours(0, 15), _hours(0, urgent_at), _hours(1, 9)]
        assert pieces.end.tolist() == [_hours(0, urgent_at), _hours(0, urgent_done),
                                       _hours(1, low_done)]
        assert _hours(1, low_done) - _hours(1, 9) == (5 - worked) * HOUR


def test_urgent_preempts_its_busy_technician_then_the_rest_go_in_order() -> None:
    """``test_urgent_waits_for_its_busy_technician_then_goes_first`` with preemption: the urgent
    Low ticket takes the technician at once from the Medium one (½ h done, 1½ h owed); at 16:30
    the Critical VIP goes first (½ h, then ½ h on Tuesday), then the Medium one resumes (head
    of its class, ahead of the later Medium one), then that one."""
    servers, tickets = _busy_technician_desk()
    outcome = run(tickets, servers)
    assert outcome.server.tolist() == [0, 0, 0, 0]
    assert outcome.start.tolist() == [_hours(0, 9), _hours(0, 16.5), _hours(1, 11),
                                      _hours(0, 9.5)]
    assert outcome.finish.tolist() == [_hours(1, 11), _hours(1, 9.5), _hours(1, 12),
                                       _hours(0, 16.5)]
    assert outcome.preempted.tolist() == [1, 0, 0, 0]
    arrival = tickets.arrival
    assert outcome.wait.tolist() == [0, _hours(0, 16.5) - arrival[1],
                                     _hours(1, 11) - arrival[2], 0]


def test_the_lowest_class_taken_last_is_preempted_and_resumes_first() -> None:
    """Three technicians on a Medium job (A) and two Low ones (B from 0:00, C from 1:00), a Low
    one waiting (W); four urgent tickets of 1 h from 2:00. The first takes C (Low, taken
    last), the second B, the third A; the fourth waits (urgent work is never preempted) and
    goes first when the first ends. Then A resumes (Medium), then B (preempted last: the head
    of the Low queue), then C, each owing what it had left; W waits behind them. Same instant,
    same class: the higher server index gives way."""
    e = HOUR // 8  # times in eighths of an hour
    tickets = Tickets(np.array([0, 0, 8, 12, 16, 20, 22, 23]) * e,
                      np.array([80, 80, 80, 8, 8, 8, 8, 8]) * e,
                      np.array([2, 3, 3, 3, 0, 0, 0, 0]),
                      urgent=np.array([False] * 4 + [True] * 4))
    outcome = run(tickets, Servers.always_on([0, 0, 0]))
    assert outcome.server.tolist() == [0, 1, 2, 1, 2, 1, 0, 2]
    assert (outcome.start // e).tolist() == [0, 0, 8, 86, 16, 20, 22, 24]
    assert outcome.preempted.tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    # A owes 58 from 28, B 60 from 30, C 72 from 32; W gets A's technician at 86
    assert (outcome.finish // e).tolist() == [86, 90, 104, 94, 24, 28, 30, 32]
    tie = run(Tickets(np.array([0, 0, HOUR]), np.full(3, 2 * HOUR), np.array([3, 3, 0]),
                      urgent=np.array([False, False, True])), Servers.always_on([0, 0]))
    assert tie.server.tolist() == [0, 1, 1] and tie.preempted.tolist() == [0, 1, 0]
    assert tie.finish.tolist() == [2 * HOUR, 3 * HOUR, 3 * HOUR]  # resumed on server 0 at 2:00


def test_work_that_outlives_a_call_is_carried_and_reported_later() -> None:
    """A Low job of 10 h from 0:00 (chunk 1). In hand when chunk 1 returns, an urgent ticket
    of chunk 2 preempts it at 2:00; or, the urgent ticket in chunk 1, it is preempted and
    waiting when chunk 1 returns. Either way it resumes at 5:00 ahead of a later Low one and
    is done at 13:00, which the later call reports (``carried``, by the earlier call's ref or
    row), as one call would give."""
    one = Servers.always_on([0])
    low = Tickets(np.array([0]), np.array([10 * HOUR]), np.array([3]))
    later = Tickets(np.array([3 * HOUR]), np.array([HOUR]), np.array([3]))
    both = Tickets(np.array([0, 2 * HOUR]), np.array([10 * HOUR, 3 * HOUR]), np.array([3, 0]),
                   urgent=np.array([False, True]))
    for ref in (None, np.array([100])):
        first = run(dataclasses.replace(low, ref=ref), one, final=False)
        assert first.finish.tolist() == [10 * HOUR] and first.unserved == 0  # as planned
        assert first.state.jobs[HOLDER].tolist() == [0]
        cut = Tickets(np.array([2 * HOUR, 3 * HOUR]), np.array([3 * HOUR, HOUR]),
                      np.array([0, 3]), urgent=np.array([True, False]))
        second = run(cut, one, state=first.state, trace=True)
        assert second.start.tolist() == [2 * HOUR, 13 * HOUR]
        name = 0 if ref is None else 100
        assert second.carried.ref.tolist() == [name]
        assert second.carried.finish.tolist() == [13 * HOUR]
        assert second.carried.preempted.tolist() == [1]
        assert second.pieces is not None  # the cut piece again, then the urgent, A, B
        assert list(zip(second.pieces.ref.tolist(), second.pieces.begin.tolist(),
                        second.pieces.end.tolist(), strict=True)) == [
            (name, 0, 2 * HOUR), (0, 2 * HOUR, 5 * HOUR), (name, 5 * HOUR, 13 * HOUR),
            (1, 13 * HOUR, 14 * HOUR)]
    first = run(both, one, final=False)
    assert first.finish.tolist() == [NO_TIME, 5 * HOUR] and first.unserved == 0
    assert first.start.tolist() == [0, 2 * HOUR] and first.preempted.tolist() == [1, 0]
    assert first.state.jobs[HOLDER].tolist() == [-1]
    assert first.state.jobs[OWED].tolist() == [8 * HOUR]
    second = run(later, one, state=first.state)
    assert second.carried.finish.tolist() == [13 * HOUR] and second.start.tolist() == [13 * HOUR]
    whole = run(Tickets(np.array([0, 2 * HOUR, 3 * HOUR]), np.array([10, 3, 1]) * HOUR,
                        np.array([3, 0, 3]), urgent=np.array([False, True, False])), one)
    assert whole.finish.tolist() == [13 * HOUR, 5 * HOUR, 14 * HOUR]


@pytest.mark.parametrize(("c", "rho", "share"), [(1, 0.8, 0.3), (4, 0.9, 0.4)])
def test_urgent_tickets_see_an_mmc_queue_of_their_own(c: int, rho: float, share: float) -> None:
    """Preemptive priority: the urgent tickets never wait for other work, so they see an M/M/c
    queue of their own load (Erlang C), while the others wait longer than with no urgent
    ticket at all. The pieces of work add up to each ticket's service and no server works two
    at once (preempt-resume: no work lost or duplicated)."""
    n = 1_000_000
    rng = np.random.default_rng(40 + c)
    arrival = np.cumsum(rng.exponential(MEAN_SERVICE / (c * rho) * SECOND, n)).astype(np.int64)
    service = rng.exponential(MEAN_SERVICE * SECOND, n).astype(np.int64)
    priority = rng.choice(4, n, p=(0.1, 0.2, 0.4, 0.3))
    urgent = rng.random(n) < share
    servers = Servers.always_on([0] * c)
    outcome = run(Tickets(arrival, service, priority, urgent=urgent), servers, trace=True)
    kept = np.arange(n) >= WARM_UP * n
    wait = outcome.wait / SECOND
    load = c * rho * share  # the urgent tickets' offered load alone
    wq = erlang_c(c, load) * MEAN_SERVICE / (c - load)
    mean, se = batch_means(wait[kept & urgent])
    slack = 0.001 * MEAN_SERVICE
    assert abs(mean - wq) <= 4 * se + slack, (mean, wq, se)
    assert abs(mean - wq) <= 0.05 * wq + slack, (mean, wq)
    calm = run(Tickets(arrival, service, priority, urgent=urgent), servers, preempt_urgent=False)
    assert calm.wait[kept & urgent].mean() / SECOND > 1.2 * wq  # without preemption: longer
    alone = run(Tickets(arrival[~urgent], service[~urgent], priority[~urgent]), servers)
    for k in range(4):
        mine = kept & ~urgent & (priority == k)
        by_itself = alone.wait[(kept[~urgent]) & (priority[~urgent] == k)].mean()
        assert wait[mine].mean() > 1.5 * by_itself / SECOND, k
    pieces = outcome.pieces
    assert pieces is not None and int(outcome.preempted.sum()) > 10_000
    worked = np.zeros(n, np.int64)
    np.add.at(worked, pieces.ref, pieces.end - pieces.begin)
    assert np.array_equal(worked, service)  # all finished: the servers are always on
    assert len(pieces.ref) == n + int(outcome.preempted.sum())  # one more piece per preemption
    assert _busy_overlaps(pieces.server, pieces.begin, pieces.end) == 0
    assert np.all(outcome.finish - outcome.start >= service)
    assert np.array_equal(outcome.finish - outcome.start == service, outcome.preempted == 0)


def test_same_as_simpys_preemptive_resource() -> None:
    """Three groups of one always-on technician, 4 classes + VIP, 15 % urgent, utilisation
    0.85: the same first start, finish and preemption count for every ticket as SimPy's
    PreemptiveResource (``simpy_preemptive`` says how its requests are keyed to match)."""
    rng = np.random.default_rng(12)
    n, groups = 6_000, 3
    arrival = np.cumsum(rng.exponential(100 * SECOND, n)).astype(np.int64)
    service = rng.exponential(groups * 0.85 * 100 * SECOND, n).astype(np.int64)
    priority, vip = rng.integers(0, 4, n), rng.random(n) < 0.1
    urgent, group = rng.random(n) < 0.15, rng.integers(0, groups, n)
    assert len(np.unique(arrival)) == n
    outcome = run(Tickets(arrival, service, priority, group, vip, urgent),
                  Servers.always_on(np.arange(groups)))
    start, finish, count = simpy_preemptive(arrival, service, priority * 2 + (~vip), urgent,
                                            group)
    assert int(outcome.preempted.sum()) > 300 and outcome.wait.mean() > 10 * 60 * SECOND
    assert np.array_equal(start, outcome.start.astype(float))
    assert np.array_equal(finish, outcome.finish.astype(float))
    assert np.array_equal(count, outcome.preempted)


@pytest.mark.parametrize("preempt", [False, True])
def test_urgent_tickets_same_as_the_rules_written_out(preempt: bool) -> None:
    rng = np.random.default_rng(1604)
    called_in = cuts = 0
    for case in range(3000):
        tickets, servers, shifts = _tiny_desk(rng)
        urgent = rng.random(len(tickets.arrival)) < 0.3
        tickets = dataclasses.replace(tickets, urgent=urgent)
        outcome = run(tickets, servers, preempt_urgent=preempt, trace=True)
        klass = tickets.priority * 2 + (1 - tickets.vip.astype(np.int64))
        desk = reference_desk(
            tickets.arrival.tolist(), klass.tolist(), tickets.group.tolist(),
            tickets.service.tolist(), servers.group.tolist(), shifts, urgent.tolist(), preempt)
        took = outcome.server >= 0
        assert np.where(took, outcome.start, -1).tolist() == desk.start, (case, tickets, servers)
        assert outcome.server.tolist() == desk.server, (case, tickets, servers)
        assert np.where(outcome.finish < NO_TIME, outcome.finish, -1).tolist() == desk.finish, \
            (case, tickets, servers)
        assert outcome.preempted.tolist() == desk.preempted, (case, tickets, servers)
        pieces = outcome.pieces
        assert pieces is not None
        assert list(zip(pieces.ref.tolist(), pieces.server.tolist(), pieces.begin.tolist(),
                        pieces.end.tolist(), strict=True)) == desk.pieces, case
        _check_pieces(tickets, servers, pieces, outcome.state)
        on = [any(b <= t < e for b, e in shifts[s]) for s, t in
              zip(outcome.server[took], outcome.start[took], strict=True)]
        called_in += on.count(False)
        cuts += int(outcome.preempted.sum())
    assert called_in > 4_000  # the on-call did come in
    assert (cuts > 2_000) == preempt, cuts  # and urgent tickets did preempt others


@pytest.mark.parametrize("preempt", [False, True])
def test_chunks_with_urgent_tickets_give_the_same_as_one_run(preempt: bool) -> None:
    """With preemption, work a chunk left in a server's hands is preempted by a later chunk's
    urgent ticket, and work preempted and waiting at a chunk's end resumes in a later one."""
    rng = np.random.default_rng(8)
    crossing = 0  # work carried over a chunk's end and preempted, or resumed, later
    for _ in range(500):
        tickets, servers, _ = _tiny_desk(rng)
        n = len(tickets.arrival)
        tickets = dataclasses.replace(tickets, urgent=rng.random(n) < 0.3)
        whole = run(tickets, servers, preempt_urgent=preempt)
        cuts = sorted(rng.choice(np.arange(n + 1), int(rng.integers(1, 5))).tolist())
        start, server, never, finish, preempted, crossed = _in_chunks(tickets, servers, cuts,
                                                                      preempt)
        assert np.array_equal(start, whole.start) and np.array_equal(server, whole.server)
        assert np.array_equal(never, whole.left) and np.array_equal(finish, whole.finish)
        assert np.array_equal(preempted, whole.preempted)
        crossing += crossed
    assert (crossing > 50) == preempt, crossing


def _check_pieces(tickets: Tickets, servers: Servers, pieces: Pieces, state: QueueState) -> None:
    """No work lost or duplicated: the pieces of each ticket that started add up to its
    service (on its servers' on-duty time unless urgent), less what a preempted one waiting to
    resume still owes (``state.jobs``); and no server works two pieces at once."""
    shifts = [list(zip(servers.shift_start[servers.shift_server == s].tolist(),
                       servers.shift_end[servers.shift_server == s].tolist(), strict=True))
              for s in range(len(servers.group))]
    urgent = np.zeros(len(tickets.arrival), bool) if tickets.urgent is None else tickets.urgent
    worked = np.zeros(len(tickets.arrival), np.int64)
    for j, s, b, e in zip(pieces.ref.tolist(), pieces.server.tolist(), pieces.begin.tolist(),
                          pieces.end.tolist(), strict=True):
        assert b <= e
        worked[j] += e - b if urgent[j] else on_duty_time(shifts[s], b, e)
    waiting = state.jobs[HOLDER] < 0
    worked[state.jobs[REF][waiting]] += state.jobs[OWED][waiting]
    started = np.isin(np.arange(len(worked)), pieces.ref)
    assert np.array_equal(worked[started], tickets.service[started])
    assert _busy_overlaps(pieces.server, pieces.begin, pieces.end) == 0


def _busy_overlaps(server: np.ndarray, start: np.ndarray, finish: np.ndarray) -> int:
    """How many tickets a server started before finishing its previous one."""
    took = server >= 0
    s, b, f = server[took], start[took], finish[took]
    order = np.lexsort((f, b, s))  # zero-length work first at its instant
    same = s[order][1:] == s[order][:-1]
    return int((b[order][1:][same] < f[order][:-1][same]).sum())


def _on_duty(servers: Servers, server: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per ticket: its start falls in one of its server's shifts."""
    keys = server.astype(np.int64) * (1 << 42) + start
    k = np.searchsorted(servers.shift_server * (1 << 42) + servers.shift_start, keys,
                        side="right") - 1
    k = np.maximum(k, 0)
    return (servers.shift_server[k] == server) & (servers.shift_start[k] <= start) & (
        start < servers.shift_end[k])


def test_calls_out_of_time_order_never_give_a_server_two_tickets_at_once() -> None:
    """The generator's later calls hold arrivals (escalations) earlier than what a previous
    call already worked: every call final, each from the previous call's state (no
    preemption: a ticket's [start, finish) is its one piece of work)."""
    rng = np.random.default_rng(31)
    late = 0
    for case in range(300):
        tickets, servers = _rostered_desk(seed=1000 + case) if case % 10 == 0 else \
            _tiny_desk(rng)[:2]
        n = len(tickets.arrival)
        urgent = rng.random(n) < rng.choice([0.0, 0.2, 0.6])
        calls = int(rng.integers(2, 5))
        part = rng.integers(0, calls, n)  # which call a ticket is in: any instant in any call
        server, start, finish = np.full(n, -1), np.zeros(n, np.int64), np.zeros(n, np.int64)
        state: QueueState | None = None
        done_by = np.iinfo(np.int64).min  # the latest finish of the calls so far
        for c in range(calls):
            ids = np.flatnonzero(part == c)
            outcome = run(Tickets(tickets.arrival[ids], tickets.service[ids],
                                  tickets.priority[ids], tickets.group[ids], tickets.vip[ids],
                                  urgent[ids]), servers, state=state, preempt_urgent=False)
            state = outcome.state
            server[ids], start[ids], finish[ids] = outcome.server, outcome.start, outcome.finish
            took = outcome.server >= 0
            late += int((tickets.arrival[ids] < done_by).sum())
            assert np.all(outcome.start[took] >= tickets.arrival[ids][took])
            done_by = max(done_by, int(outcome.finish[took].max(initial=done_by)))
        assert _busy_overlaps(server, start, finish) == 0, case
        calm = (server >= 0) & ~urgent  # non-urgent work still starts on duty only
        assert np.all(_on_duty(servers, server[calm], start[calm])), case
    assert late > 20_000  # the calls did go back in time


def test_calls_out_of_time_order_with_preemption() -> None:
    """As above with urgent tickets preempting, work of earlier calls included: every call's
    pieces of work (a piece an earlier call gave out and a later one cut, at its new end) add
    up to each ticket's service, no server works two at once, non-urgent work runs on duty."""
    rng = np.random.default_rng(32)
    across = 0  # an urgent ticket took a server from an earlier call's work
    for case in range(300):
        tickets, servers = _rostered_desk(seed=2000 + case) if case % 10 == 0 else \
            _tiny_desk(rng)[:2]
        n = len(tickets.arrival)
        urgent = rng.random(n) < rng.choice([0.1, 0.3, 0.6])
        tickets = dataclasses.replace(tickets, urgent=urgent, ref=np.arange(n))
        calls = int(rng.integers(2, 5))
        part = rng.integers(0, calls, n)
        start, finish = np.zeros(n, np.int64), np.zeros(n, np.int64)
        pieces: dict[tuple[int, int, int], int] = {}
        state: QueueState | None = None
        for c in range(calls):
            ids = np.flatnonzero(part == c)
            outcome = run(Tickets(*(getattr(tickets, f)[ids] for f in FIELDS)), servers,
                          state=state, trace=True)
            assert outcome.pieces is not None
            state = outcome.state
            start[ids], finish[ids] = outcome.start, outcome.finish
            finish[outcome.carried.ref] = outcome.carried.finish
            across += int((outcome.pieces.ref[:, None] == outcome.carried.ref[None, :]).sum())
            took = outcome.server >= 0
            assert np.all(outcome.start[took] >= tickets.arrival[ids][took])
            for j, s, b, e in zip(*(getattr(outcome.pieces, f).tolist() for f in PIECE_FIELDS),
                                  strict=True):
                pieces[j, s, b] = e  # a later call's cut replaces the piece as planned
        assert state is not None
        table = np.array([(*k, e) for k, e in pieces.items()], np.int64).reshape(-1, 4)
        trace = Pieces(*table.T)
        _check_pieces(tickets, servers, trace, state)
        calm = ~urgent[trace.ref]
        assert np.all(_on_duty(servers, trace.server[calm], trace.begin[calm])), case
    assert across > 50, across


FIELDS = ("arrival", "service", "priority", "group", "vip", "urgent", "ref")
PIECE_FIELDS = ("ref", "server", "begin", "end")


def test_work_before_1970_on_always_on_servers() -> None:
    """Negative instants are ordinary instants, though the room left in an always-on shift
    (it ends at int64's max) from one does not fit int64."""
    arrival = np.array([-10**15, -10**15 + 1])
    outcome = run(Tickets(arrival, np.array([50, 7]), np.array([0, 0])), Servers.always_on([0]))
    assert outcome.start.tolist() == [-10**15, -10**15 + 50]
    assert outcome.finish.tolist() == [-10**15 + 50, -10**15 + 57]


def test_shared_shifts_work_as_a_copy_per_server() -> None:
    """``Servers.on_shifts`` (one calendar held once) gives exactly what the same shifts copied
    for every server give, urgent tickets, preemption and chunked calls included."""
    rng = np.random.default_rng(17)
    copied = _office_hours(6, 70)
    days = np.flatnonzero(copied.shift_server == 0)
    shared = Servers.on_shifts(np.arange(6) // 2, copied.shift_start[days],
                               copied.shift_end[days])
    copied = dataclasses.replace(copied, group=np.arange(6) // 2)
    n = 800
    tickets = Tickets(
        arrival=np.sort(rng.integers(MONDAY * SECOND, (MONDAY + 60 * DAY) * SECOND, n)),
        service=rng.integers(1, 4 * HOUR, n), priority=rng.integers(0, 4, n),
        group=rng.integers(0, 3, n), vip=rng.random(n) < 0.05, urgent=rng.random(n) < 0.1)
    for cut in (None, n // 3):
        outcomes = []
        for servers in (copied, shared):
            if cut is None:
                outcomes.append(run(tickets, servers))
                continue
            first = run(tickets.take(slice(0, cut)), servers)
            outcomes.append(run(tickets.take(slice(cut, n)), servers, state=first.state))
        a, b = outcomes
        for field in ("start", "finish", "server", "preempted"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), (cut, field)
        if cut is None:  # the case exercises preemption and on-call
            assert (a.preempted > 0).any() and (a.start < NO_TIME).all()

