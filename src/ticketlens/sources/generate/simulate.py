"""The simulation loop: chunk after chunk of tickets, journeys laid out and workload balanced.

Randomness: one ``numpy.random.Generator`` (PCG64) for the arrival plan, seeded from
``SeedSequence(seed, spawn_key=(0,))``, and one per chunk from ``spawn_key=(1, chunk)``. Each
chunk draws its arrays in a fixed order, so output depends only on seed and config.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ticketlens.core.schema import CATEGORIES, DEPARTMENTS, PRIORITIES
from ticketlens.sources.generate.arrivals import (
    CHUNK_TICKETS,
    ArrivalPlan,
    Arrivals,
    choose,
    draw_arrivals,
    epoch_day,
    plan_arrivals,
)
from ticketlens.sources.generate.clock import DAY, BusinessClock
from ticketlens.sources.generate.config import COMPLEXITIES, DeskConfig, Weights
from ticketlens.sources.generate.journey import (
    DECISIONS,
    Journey,
    TicketDraws,
    journey,
    lay_out,
    plan,
)
from ticketlens.sources.generate.queues import DeskQueues, desk_queues, queue
from ticketlens.sources.generate.roster import Roster, build_roster
from ticketlens.sources.generate.slots import N_SLOTS, SLOT_NOTE_GROUP, S
from ticketlens.sources.generate.texts import NOTE_POOL
from ticketlens.sources.generate.workload import Intervals, holding_intervals, rebalance

# Uniforms each ticket draws for its linked-table attributes (tables.py reads them by name).
TABLE_DRAWS = ("department", "channel", "system", "customer", "subject", "body", "root_cause",
               "fix_type", "transaction_failure", "failed_scale", "loss_rate", "region")
_NOTE_GROUPS = np.array([NOTE_POOL.group(g) for g in SLOT_NOTE_GROUP], dtype=np.int64)


@dataclass(frozen=True)
class Chunk:
    """One chunk of simulated tickets and their written events (window end applied)."""

    index: int
    arrivals: Arrivals
    draws: TicketDraws
    department: np.ndarray     # int8 index into DEPARTMENTS
    table_draws: np.ndarray    # (n, len(TABLE_DRAWS)) uniforms
    journey: Journey
    # events, ordered by ticket then time
    event_ticket: np.ndarray   # int64 row of the ticket in this chunk
    event_slot: np.ndarray     # int64 slot index (slots.SLOTS)
    event_time: np.ndarray     # int64 seconds
    event_holder: np.ndarray   # int32 technician id, -1 = Unassigned
    event_priority: np.ndarray  # int8
    event_note: np.ndarray     # int32 index into NOTE_POOL.strings

    @property
    def tickets(self) -> int:
        return len(self.arrivals.created)

    def table_u(self, name: str) -> np.ndarray:
        return self.table_draws[:, TABLE_DRAWS.index(name)]


@dataclass(frozen=True)
class Simulation:
    config: DeskConfig
    roster: Roster
    clock: BusinessClock
    plan: ArrivalPlan
    window_end: int  # seconds: midnight after the window's last day

    @property
    def chunks(self) -> int:
        return len(self.plan.chunks)


def prepare(config: DeskConfig, chunk_tickets: int = CHUNK_TICKETS) -> Simulation:
    clock = BusinessClock(*config.calendar.business_hours)
    rng = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(config.window.seed, spawn_key=(0,))))
    plan = plan_arrivals(config, clock, rng, chunk_tickets)
    window_end = (epoch_day(config.window.end) + 1) * DAY
    return Simulation(config, build_roster(config), clock, plan, window_end)


def run(sim: Simulation) -> Iterator[Chunk]:
    carried = Intervals()
    desk = desk_queues(sim.config, sim.roster, sim.clock, sim.plan.first_day,
                       sim.plan.first_day + sim.plan.days - 1)
    for index, days in enumerate(sim.plan.chunks):
        rng = np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(sim.config.window.seed, spawn_key=(1, index))))
        chunk, carried = _simulate_chunk(sim, index, days, rng, carried, desk)
        yield chunk


def _simulate_chunk(sim: Simulation, index: int, days: tuple[int, int],
                    rng: np.random.Generator, carried: Intervals, desk: DeskQueues
                    ) -> tuple[Chunk, Intervals]:
    config, roster = sim.config, sim.roster
    piece = sim.plan.slices.get(index)
    arrivals = draw_arrivals(sim.plan, days, sim.clock, rng, piece)
    n = len(arrivals.created)
    attributes = rng.random((n, 5))
    non_critical = _non_critical_mix(config)
    priority = np.where(arrivals.critical, 0,
                        choose(non_critical, PRIORITIES, attributes[:, 0])).astype(np.int8)
    l1 = roster.members_by_tier[0]
    draws = TicketDraws(
        created=arrivals.created,
        priority=priority,
        category=choose(config.mix.category, CATEGORIES, attributes[:, 1]),
        complexity=choose(config.mix.complexity, COMPLEXITIES, attributes[:, 2]),
        team=np.minimum((attributes[:, 3] * roster.teams).astype(np.int32), roster.teams - 1),
        l1_member=l1[np.minimum((attributes[:, 4] * len(l1)).astype(np.int64), len(l1) - 1)],
        decisions=rng.random((n, len(DECISIONS))),
        durations=rng.random((n, N_SLOTS)),
    )
    note_u = rng.random((n, N_SLOTS))
    table_draws = rng.random((n, len(TABLE_DRAWS)))
    department = choose(config.mix.department, DEPARTMENTS, table_draws[:, 0])

    # Workload balancing on the journeys as first laid out, then the final plan with the
    # moves (a moved ticket's later steps depend on who holds it), then the technicians'
    # queues, which lengthen the steps where a ticket waits for its technician.
    nobody = np.full(n, -1, dtype=np.int64)
    args = (draws, config, roster, sim.clock)
    first_pass = lay_out(*args, nobody, nobody)
    category = draws.category.astype(np.int64)
    to_l1 = rebalance(first_pass, S["assigned"], carried, roster, category, draws.u("balance1"))
    to_l2 = rebalance(first_pass, S["escalated_l2"], carried, roster, category,
                      draws.u("balance2"))
    next_start = (sim.plan.first_day + days[1]) * DAY
    if piece is not None:  # a slice of a dense day: the next chunk starts with the next slice
        next_start = (sim.plan.first_day + days[0]) * DAY + piece.end
    planned = plan(*args, to_l1, to_l2)
    laid = journey(planned, sim.clock, queue(planned, desk, next_start))

    carried = (carried + holding_intervals(laid)[0]).still_open(next_start)

    written = laid.present & (laid.time < sim.window_end)
    rows, cols = np.nonzero(written)
    group = _NOTE_GROUPS[cols]
    group = np.where((cols == S["closed"]) & laid.never_responds[rows],
                     NOTE_POOL.group("closed_auto"), group)
    group = np.where((cols == S["assigned"]) & laid.vip[rows],
                     NOTE_POOL.group("assigned_vip"), group)
    notes = NOTE_POOL.pick(group, draws.category[rows].astype(np.int64), note_u[rows, cols])
    chunk = Chunk(
        index=index,
        arrivals=arrivals,
        draws=draws,
        department=department,
        table_draws=table_draws,
        journey=laid,
        event_ticket=rows.astype(np.int64),
        event_slot=cols.astype(np.int64),
        event_time=laid.time[rows, cols],
        event_holder=laid.holder[rows, cols],
        event_priority=laid.priority[rows, cols],
        event_note=notes,
    )
    return chunk, carried


def _non_critical_mix(config: DeskConfig) -> Weights:
    w = config.mix.priority
    names = [n for n in w.names if n != "Critical"]
    probs = [w.of(n) for n in names]
    total = sum(probs)
    if total <= 0:  # every ticket is Critical: the choice is never used
        return Weights(("High",), (1.0,))
    return Weights(tuple(names), tuple(p / total for p in probs))
