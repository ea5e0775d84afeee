"""The technicians' queues of a generated desk: how long a ticket waits for its technician.

A ticket visits up to three technicians' queues (``VISITS``): its first holder's (an L1, or
the best L2 for a VIP), the L2's an escalation lands on, and the L3's. Each visit is one pass of
the queueing engine (``ticketlens.queueing``) over the chunk's tickets making it, in arrival
order; a pass's tiers hold nobody another pass serves, so each pass is its own desk state,
carried from chunk to chunk. Every technician is one engine *group* of ``[workload]
concurrent`` servers (the tickets they work at once) on the desk's business hours, Monday to
Friday. A ticket is worked Critical first, then High, Medium, Low (VIP first within its
priority), then first come first served; Critical tickets page the on-call when their
technician is off duty and are worked round the clock (the engine's *urgent* tickets); the
others wait for the technician's shift, and their work pauses at its end.

What a technician spends on a ticket (the engine's *service*) is the hands-on part of the
journey while they hold it: the work before Resolution Proposed for the one who resolves it,
the try before giving up for one who escalates it (the journey's escalation step), the question
to the user for a ticket that ends in ghosting. Waits on the user, parts or a hold do not keep
the technician: they work their next ticket meanwhile. The wait in the queue is added, on the
ticket's clock, to the step where work starts (Work Started, or the Work Resumed after an
escalation), and every later step moves with it.

Chunk by chunk, each pass carries the desk on from where the previous chunk left it, over the
arrivals before the next chunk begins, and stops there (``final=False``): its state, the
tickets still waiting then and the later arrivals (an escalation days after its ticket's chunk)
go into the next chunk's pass, so each pass sees its arrivals in time order and every chunk's
tickets compete with the backlog as it stands. From that state the pass is then served to the
end (``final=True``) for the starts of the tickets still waiting and of the later arrivals: by
the engine's chunk rule, exactly one run to the end over them all. The one approximation: a
ticket of this chunk still waiting when the next chunk begins gets its start without the next
chunk's tickets, some of which may go before it (only desks of more than one chunk, about
50,000 tickets; docs/generate.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ticketlens.clock.layout import NO_TIME
from ticketlens.queueing.engine import QueueState, Servers, Tickets, run
from ticketlens.sources.generate.clock import DAY, HOUR, BusinessClock, weekday
from ticketlens.sources.generate.config import DeskConfig
from ticketlens.sources.generate.journey import Plan, timed
from ticketlens.sources.generate.roster import Roster
from ticketlens.sources.generate.slots import S

# Shifts run this long after the window: tickets are still worked after its last day (their
# later events are simply not written). The last shift never ends, so the rare ticket reaching
# a queue later still finds its technician (on duty from then on).
SHIFT_MARGIN_DAYS = 366
# (visit, arrival slot, slot whose start waits for the technician)
VISITS = (("first", "assigned", "work_started"),
          ("l2", "escalated_l2", "resume_l2"),
          ("l3", "escalated_l3", "resume_l3"))


@dataclass
class DeskQueues:
    """Each visit's servers (its tier's technicians × tickets at once) and engine state,
    carried from chunk to chunk."""

    servers: dict[str, Servers]
    clock: BusinessClock
    states: dict[str, QueueState | None] = field(default_factory=dict)
    waiting: dict[str, Tickets] = field(default_factory=dict)  # in the state's queues
    later: dict[str, Tickets] = field(default_factory=dict)  # arriving after the state's end


def desk_queues(config: DeskConfig, roster: Roster, clock: BusinessClock, first_day: int,
                last_day: int) -> DeskQueues:
    """Servers for every technician of every team (group = global technician id), on shift in
    business hours from ``first_day`` to ``last_day`` (+ the margin), days since 1970-01-01."""
    days = np.arange(first_day, last_day + 1 + SHIFT_MARGIN_DAYS, dtype=np.int64)
    workdays = days[weekday(days * DAY) < 5]
    opens = workdays * DAY + clock.open_hour * HOUR
    closes = opens + clock.day_seconds
    closes[-1] = NO_TIME
    servers = {}
    for (name, *_), tier in zip(VISITS, (0, 1, 2), strict=True):
        members = roster.members_by_tier[tier]
        techs = (members[None, :] + roster.size * np.arange(roster.teams)[:, None]).ravel()
        group = np.repeat(techs, config.workload.concurrent[tier])
        servers[name] = Servers.on_shifts(group, opens, closes)  # one calendar for everyone
    return DeskQueues(servers, clock)


def queue(plan: Plan, desk: DeskQueues, until: int) -> np.ndarray:
    """The chunk's slot times with every queue wait added to the slot that waits for the
    technician (``plan.seconds`` is kept); ``until``: when the next chunk begins (seconds)."""
    seconds = plan.seconds.copy()
    priority = plan.priorities()
    time = timed(plan, desk.clock)
    holder, sec = plan.holder, plan.seconds
    vip, never = plan.outcome.vip, plan.outcome.never
    alive = ~never
    esc2, esc3 = plan.escalated_l2(), plan.escalated_l3()
    # hands-on time with the holder: resolved here, escalated onwards, or asked the user
    resolve = np.where(alive, sec[:, S["proposed"]], sec[:, S["await_user"]])
    visits = {
        "first": (~vip, np.where(esc2, sec[:, S["escalated_l2"]], resolve)),
        "l2": (vip | esc2, np.where(esc3, sec[:, S["escalated_l3"]], resolve)),
        "l3": (esc3, resolve),
    }
    for name, arrival_slot, start_slot in VISITS:
        mask, service = visits[name]
        # a VIP's first visit is to an L2: it joins the L2 pass at its assignment
        a_slot = np.where((name == "l2") & vip, S["assigned"], S[arrival_slot])
        w_slot = np.where((name == "l2") & vip, S["work_started"], S[start_slot])
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        arrival = time[rows, a_slot[rows]]
        order = np.lexsort((rows, arrival))  # arrival order; ties by ticket, deterministic
        rows, arrival = rows[order], arrival[order]
        start = _run(desk, name, Tickets(
            arrival=arrival,
            service=service[rows],
            priority=priority[rows, a_slot[rows]].astype(np.int64),
            group=holder[rows, w_slot[rows]],
            vip=vip[rows],
            urgent=plan.critical[rows]), until)
        seconds[rows, w_slot[rows]] += _wait_on_ticket_clock(
            arrival, start, plan.critical[rows], desk.clock)
        time[rows] = timed(plan, desk.clock, seconds, rows)  # only these tickets moved
    return time


def _run(desk: DeskQueues, name: str, tickets: Tickets, until: int) -> np.ndarray:
    """The start of each of ``tickets`` (one chunk's visits of pass ``name``, in arrival
    order), and the pass's desk carried on to ``until`` (module docstring)."""
    servers, state = desk.servers[name], desk.states.get(name)
    ahead = desk.waiting.get(name)
    later = desk.later.get(name)
    pool = tickets if later is None else later.then(tickets)
    order = np.lexsort((np.arange(len(pool.arrival)), pool.arrival))
    pool = pool.take(order)
    # The desk carried on to the next chunk's start (what it hands on), then from there served
    # to the end: by the engine's chunk rule, exactly one run to the end over them all.
    due = pool.arrival < until  # a prefix: the pool is in arrival order
    now = pool.take(due) if ahead is None else ahead.then(pool.take(due))
    carried = run(now, servers, state=state, final=False)
    waiting = now.take(carried.left)
    rest = waiting.then(pool.take(~due))
    served = run(rest, servers, state=carried.state, final=True)
    if served.unserved:  # every group served here has servers on shift: a bug if not
        raise AssertionError(f"{served.unserved} tickets never reached a technician")
    desk.states[name] = carried.state
    desk.waiting[name] = waiting
    desk.later[name] = pool.take(~due)
    start = carried.start.copy()  # of ``now``; the ones left waiting start in ``served``
    start[carried.left] = served.start[:len(carried.left)]
    start = np.concatenate([start, served.start[len(carried.left):]])  # now, then the rest
    mine = np.empty(len(tickets.arrival), np.int64)  # where each of tickets sits in ``start``
    offset = 0 if ahead is None else len(ahead.arrival)
    earlier = 0 if later is None else len(later.arrival)
    mine[order[order >= earlier] - earlier] = offset + np.flatnonzero(order >= earlier)
    return start[mine]


def _wait_on_ticket_clock(arrival: np.ndarray, start: np.ndarray, critical: np.ndarray,
                          clock: BusinessClock) -> np.ndarray:
    """Queue time as the journey counts it: wall clock for a Critical ticket, business time
    for the others (whose steps are laid out in business time)."""
    business = clock.to_business(start) - clock.to_business(arrival)
    return np.where(critical, start - arrival, business).astype(np.int64)
