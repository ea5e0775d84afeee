"""Ticket journeys, laid out for a whole chunk of tickets at once.

Every journey is a path through one fixed template of *slots* (``SLOTS``), in time order. A
ticket takes a slot or skips it (``present``); the decisions are drawn as arrays, one uniform
per ticket and decision, all drawn before any layout so a re-layout (after a workload
reassignment changed who holds a ticket) reuses the same randomness. Times are then laid out
slot by slot with vectorised clock arithmetic; who holds the ticket is the last assignment
change so far (forward fill along the slots).

Because the template is ordered and every taken slot adds at least a minute, the journey
grammar holds by construction: Ticket Created first and unassigned, strictly increasing times,
work only after assignment, Parts Received only after Awaiting Parts, Hold Released only after
On Hold, Reopened only after Closed, escalations hand the ticket to someone of that tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ticketlens.core.schema import CATEGORIES
from ticketlens.sources.generate.clock import DAY, HOUR, BusinessClock, next_weekend_morning
from ticketlens.sources.generate.config import DeskConfig, Patterns, Span, Timing
from ticketlens.sources.generate.roster import Roster
from ticketlens.sources.generate.slots import (
    CHANGES,
    N_SLOTS,
    PACED_SLOTS,
    SLOT_CLOCK,
    Clock,
    S,
)

# The decisions each ticket draws a uniform for, once per chunk.
DECISIONS = (
    "vip", "creep", "creep_step", "await", "never", "esc1", "misroute", "misroute_pick", "esc3",
    "esc3b", "ping", "manager", "parts", "backorder", "hold", "weekend", "reopen", "zombie",
    "extra", "gap1", "gap2", "balance1", "balance2", "workaround",
)
_D = {name: i for i, name in enumerate(DECISIONS)}
HARDWARE = CATEGORIES.index("Hardware")
CRITICAL = 0
COMPLEX = 2


@dataclass(frozen=True)
class TicketDraws:
    """What one chunk of tickets is, before anyone works on it."""

    created: np.ndarray      # int64 seconds (naive wall clock)
    priority: np.ndarray     # int8 index into PRIORITIES, at creation
    category: np.ndarray     # int8 index into CATEGORIES
    complexity: np.ndarray   # int8 index into COMPLEXITIES
    team: np.ndarray         # int32 desk team the ticket is routed to
    l1_member: np.ndarray    # int32 roster member of the first L1 pick
    decisions: np.ndarray    # (n, len(DECISIONS)) uniforms
    durations: np.ndarray    # (n, N_SLOTS) uniforms for each slot's duration

    @property
    def n(self) -> int:
        return len(self.created)

    def u(self, name: str) -> np.ndarray:
        return self.decisions[:, _D[name]]


@dataclass(frozen=True)
class Journey:
    present: np.ndarray   # (n, slots) bool
    time: np.ndarray      # (n, slots) int64 seconds; absent slots carry the previous time
    holder: np.ndarray    # (n, slots) int32 global technician id, -1 = Unassigned
    priority: np.ndarray  # (n, slots) int8 priority in force
    never_responds: np.ndarray  # (n,) bool: auto-closed after ghosting
    vip: np.ndarray       # (n,) bool
    workaround: np.ndarray  # (n,) bool: service restored by a workaround


def draw_span(span: Span, u: np.ndarray) -> np.ndarray:
    """Values in [low, high]: log-uniform when the span covers more than a factor of four
    (short waits common, long ones rare), uniform otherwise."""
    if span.low > 0 and span.high / span.low > 4:
        return span.low * np.exp(u * np.log(span.high / span.low))
    return span.low + u * (span.high - span.low)


@dataclass(frozen=True)
class _Layout:
    """One chunk being laid out: the per-ticket facts every phase reads, and the slot matrices
    the phases fill in (each phase writes its own slots)."""

    d: TicketDraws
    cat: np.ndarray        # int64 category index (for fancy indexing into the roster)
    cx: np.ndarray         # int64 complexity index
    critical: np.ndarray   # (n,) bool
    team_base: np.ndarray  # int64 first global technician id of the ticket's team
    present: np.ndarray    # (n, slots) bool
    change: np.ndarray     # (n, slots) int64 technician the slot hands the ticket to, -1 = none

    @classmethod
    def start(cls, d: TicketDraws, roster: Roster) -> _Layout:
        return cls(d, d.category.astype(np.int64), d.complexity.astype(np.int64),
                   d.priority == CRITICAL, d.team.astype(np.int64) * roster.size,
                   np.zeros((d.n, N_SLOTS), dtype=bool),
                   np.full((d.n, N_SLOTS), -1, dtype=np.int64))

    def take(self, slot: str, mask: np.ndarray, to: np.ndarray | None = None) -> None:
        self.present[:, S[slot]] = mask
        if to is not None:
            self.change[:, S[slot]] = np.where(mask, to, -1)


class _Outcome(NamedTuple):
    """What the routing decided per ticket, as far as the durations depend on it."""

    vip: np.ndarray
    never: np.ndarray        # ghosted: auto-closed after waiting on the user
    escalated: np.ndarray    # to L2 or L3 (more work)
    backorder: np.ndarray    # parts on backorder (longer wait)
    weekend: np.ndarray      # weekend warrior: half the work in a weekend session
    resolver: np.ndarray     # roster member holding the ticket at Resolution Proposed
    proficiency: np.ndarray  # the resolver's proficiency in the ticket's category
    workaround: np.ndarray   # service restored by a workaround (a share of the work)
    in_force: np.ndarray     # (n, slots) priority in force after each slot


@dataclass(frozen=True)
class Plan:
    """One chunk's journeys before their times: which slots each ticket takes, who holds it
    after each slot, and how long each slot takes on the ticket's clock. The queues
    (``queues.py``) lengthen the slots where a ticket waits for a technician, then ``timed``
    lays the times out."""

    lay: _Layout
    outcome: _Outcome
    holder: np.ndarray    # (n, slots) int64 technician holding the ticket after each slot
    seconds: np.ndarray   # (n, slots) int64 duration of each slot on the ticket's clock

    @property
    def critical(self) -> np.ndarray:
        return self.lay.critical

    def priorities(self) -> np.ndarray:
        """(n, slots) the priority in force after each slot."""
        return self.outcome.in_force

    def escalated_l2(self) -> np.ndarray:
        return self.lay.present[:, S["escalated_l2"]]

    def escalated_l3(self) -> np.ndarray:
        return self.lay.present[:, S["escalated_l3"]]


def plan(d: TicketDraws, config: DeskConfig, roster: Roster, clock: BusinessClock,
         workload_l1: np.ndarray, workload_l2: np.ndarray) -> Plan:
    """The journeys of one chunk, without their times. ``workload_l1``/``workload_l2`` hold
    the technician a ticket is rebalanced to at the L1 assignment / L2 escalation, or -1."""
    p = config.patterns
    lay = _Layout.start(d, roster)
    vip, holder1, creep, never = _first_line(lay, p, roster, workload_l1)
    alive = ~never  # a ghosted ticket is auto-closed: no further work
    escalated = _escalations(lay, p, roster, vip, alive, holder1, workload_l2)
    manager, backorder, weekend = _detours(lay, p, roster, alive)
    lay.take("proposed", alive)
    lay.take("resolved", alive)
    lay.take("closed", np.ones(d.n, dtype=bool))  # a ghosted ticket is auto-closed
    holder = _holders(lay, manager)
    resolver = roster.member(holder[:, S["proposed"]])
    proficiency = roster.proficiency[resolver, lay.cat]
    _rework(lay, p, roster, alive, resolver, proficiency)

    # Decided by the priority the ticket is worked at: one raised mid-flight is hurried too.
    in_force = _priorities(d, creep, p.priority_creep_cap)
    workaround = d.u("workaround") < np.asarray(p.workaround_rate)[in_force[:, S["proposed"]]]
    outcome = _Outcome(vip, never, escalated, backorder, weekend, resolver, proficiency,
                       workaround, in_force)
    seconds = _slot_seconds(lay, outcome, config, roster, clock)
    return Plan(lay, outcome, holder, seconds)


def timed(plan: Plan, clock: BusinessClock, seconds: np.ndarray | None = None,
          rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Slot times of ``plan``'s tickets ``rows`` with slot durations ``seconds`` (default:
    the plan's own)."""
    lay = plan.lay
    seconds = plan.seconds if seconds is None else seconds
    return _times(lay.d.created[rows], lay.present[rows], seconds[rows], lay.critical[rows],
                  clock)


def journey(plan: Plan, clock: BusinessClock, time: np.ndarray | None = None) -> Journey:
    """The laid-out journeys, at slot times ``time`` (default: from the plan's durations)."""
    lay = plan.lay
    time = timed(plan, clock) if time is None else time
    _place_workload_reassignments(lay, time, clock)
    return Journey(lay.present, time, plan.holder.astype(np.int32), plan.priorities(),
                   plan.outcome.never, plan.outcome.vip, plan.outcome.workaround)


def lay_out(d: TicketDraws, config: DeskConfig, roster: Roster, clock: BusinessClock,
            workload_l1: np.ndarray, workload_l2: np.ndarray) -> Journey:
    """The journeys of one chunk as the tickets would go with nobody queueing."""
    return journey(plan(d, config, roster, clock, workload_l1, workload_l2), clock)


def _first_line(lay: _Layout, p: Patterns, roster: Roster, workload_l1: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Creation, the first assignment (a VIP goes straight to the best L2), the workload
    rebalance, priority creep and the wait on the user. Returns vip, the L1 holder, creep and
    never-responds."""
    d = lay.d
    vip = d.u("vip") < p.vip_rate
    first = np.where(vip, lay.team_base + roster.best_l2[lay.cat], lay.team_base + d.l1_member)
    rebalanced_l1 = workload_l1 >= 0
    holder1 = np.where(rebalanced_l1, workload_l1, first)
    everyone = np.ones(d.n, dtype=bool)
    lay.take("created", everyone)
    lay.take("assigned", everyone, first)
    lay.take("workload_l1", rebalanced_l1, workload_l1)
    lay.take("work_started", everyone)

    creep = (d.priority > p.priority_creep_cap) & (d.u("creep") < p.priority_creep_rate)
    lay.take("priority_creep", creep)
    waits = d.u("await") < p.awaiting_user_rate
    never = waits & (d.u("never") < p.never_respond_rate)
    lay.take("await_user", waits)
    lay.take("user_responded", waits & ~never)
    lay.take("resume_user", waits & ~never)
    return vip, holder1, creep, never


def _escalations(lay: _Layout, p: Patterns, roster: Roster, vip: np.ndarray, alive: np.ndarray,
                 holder1: np.ndarray, workload_l2: np.ndarray) -> np.ndarray:
    """L1 -> L2 (possibly misrouted, possibly rebalanced), the L2 reroute or ping-pong, and
    L2 -> L3. Returns which tickets were escalated to L2 or L3."""
    d, cat, cx, team_base = lay.d, lay.cat, lay.cx, lay.team_base
    # L1 -> L2: personality times the complexity's base chance, boosted outside one's skills.
    member1 = roster.member(holder1)
    skilled1 = roster.skilled[member1, cat]
    chance = (np.asarray(p.l1_escalation)[cx] * roster.escalation_factor[member1]
              * np.where(skilled1, 1.0, p.mismatch_escalation_boost))
    esc1 = alive & ~vip & (d.u("esc1") < np.minimum(chance, 0.95))
    misroute = d.u("misroute") < p.misroute_rate
    pick = roster.unskilled_l2[cat, (d.u("misroute_pick") * roster.unskilled_l2_count[cat])
                               .astype(np.int64).clip(0, roster.unskilled_l2.shape[1] - 1)]
    misrouted = misroute & (roster.unskilled_l2_count[cat] > 0)
    l2_target = team_base + np.where(misrouted, pick, roster.best_l2[cat])
    lay.take("escalated_l2", esc1, l2_target)
    rebalanced_l2 = esc1 & (workload_l2 >= 0)
    lay.take("workload_l2", rebalanced_l2, workload_l2)
    lay.take("resume_l2", esc1)

    # At L2, outside one's skills: straight on to L3, or rerouted to the best L2; inside
    # them, a ping-pong with a colleague.
    at_l2 = esc1 | (vip & alive)
    holder2 = np.where(esc1, np.where(rebalanced_l2, workload_l2, l2_target), holder1)
    member2 = roster.member(holder2)
    mismatch2 = at_l2 & ~roster.skilled[member2, cat]
    l3_boost = np.where(lay.critical, 2.0, 1.0)
    direct_l3 = mismatch2 & (d.u("esc3") < np.minimum(
        np.asarray(p.l2_escalation)[cx] * p.mismatch_escalation_boost * l3_boost, 0.95))
    reroute = mismatch2 & ~direct_l3
    pingpong = at_l2 & ~mismatch2 & (d.u("ping") < p.ping_pong_rate)
    best = team_base + roster.best_l2[cat]
    partner = team_base + np.where(roster.best_l2[cat] == member2, roster.second_l2[cat],
                                   roster.best_l2[cat])
    moved_to = np.where(reroute, best, partner)
    lay.take("reroute", reroute | pingpong, moved_to)
    lay.take("ping", pingpong, holder2)
    lay.take("pong", pingpong, moved_to)
    final_l2 = np.where(reroute | pingpong, moved_to, holder2)
    member2f = roster.member(final_l2)
    chance3 = (np.asarray(p.l2_escalation)[cx] * roster.escalation_factor[member2f] * l3_boost)
    esc3 = direct_l3 | (at_l2 & ~direct_l3 & (d.u("esc3b") < np.minimum(chance3, 0.95)))
    lay.take("escalated_l3", esc3, team_base + roster.best_l3[cat])
    lay.take("resume_l3", esc3)
    return esc1 | esc3


def _detours(lay: _Layout, p: Patterns, roster: Roster, alive: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The manager escalation, the waits on parts and on hold, and the weekend session.
    Returns manager, backorder and weekend."""
    d = lay.d
    manager = alive & (d.u("manager") < p.manager_rate)
    lay.take("escalated_manager", manager, lay.team_base + roster.members_by_tier[3][0])
    lay.take("de_escalated", manager)
    parts = alive & (lay.cat == HARDWARE) & (d.u("parts") < p.parts_rate)
    backorder = parts & (d.u("backorder") < p.parts_backorder_rate)
    for slot in ("await_parts", "parts_received", "resume_parts"):
        lay.take(slot, parts)
    hold = alive & (d.u("hold") < p.on_hold_rate)
    for slot in ("on_hold", "hold_released", "resume_hold"):
        lay.take(slot, hold)
    weekend = (alive & ~lay.critical & (lay.cx == COMPLEX)
               & (d.u("weekend") < p.weekend_warrior_rate))
    lay.take("weekend", weekend)
    return manager, backorder, weekend


def _holders(lay: _Layout, manager: np.ndarray) -> np.ndarray:
    """Who holds the ticket after each slot: forward fill of the assignment changes;
    De-escalated hands the ticket back to whoever held it before the manager."""
    holder = _forward_fill(lay.change)
    lay.change[:, S["de_escalated"]] = np.where(manager, holder[:, S["escalated_manager"] - 1],
                                                -1)
    return _forward_fill(lay.change)


def _rework(lay: _Layout, p: Patterns, roster: Roster, alive: np.ndarray, resolver: np.ndarray,
            proficiency: np.ndarray) -> None:
    """False closures (more likely from a careless or unskilled resolver) and zombies."""
    reopen_chance = p.false_closure_rate * roster.mistake_factor[resolver] * (2.0 - proficiency)
    reopen = alive & (lay.d.u("reopen") < np.minimum(reopen_chance, 0.95))
    for slot in ("reopened", "resume_reopen", "resolved_again", "closed_again"):
        lay.take(slot, reopen)
    zombie = alive & (lay.d.u("zombie") < p.zombie_rate)
    for slot in ("zombie", "resume_zombie", "resolved_zombie", "closed_zombie"):
        lay.take(slot, zombie)


def _slot_seconds(lay: _Layout, o: _Outcome, config: DeskConfig, roster: Roster,
                  clock: BusinessClock) -> np.ndarray:
    """How long each slot takes, in whole seconds (business seconds on the business clock)."""
    d, critical, p, t = lay.d, lay.critical, config.patterns, config.timing
    # Critical tickets wait towards the short end of every range (u**2); their hands-on work
    # is not shortened.
    u = np.where(critical[:, None], d.durations ** 2, d.durations)
    u[:, S["proposed"]] = d.durations[:, S["proposed"]]
    dur = np.zeros((d.n, N_SLOTS))

    def minutes(slot: str, span: Span, scale: float = 60.0) -> None:
        dur[:, S[slot]] = draw_span(span, u[:, S[slot]]) * scale

    dur[:, S["assigned"]] = np.where(o.vip, draw_span(p.vip_assign_minutes, u[:, S["assigned"]]),
                                     draw_span(t.assign_minutes, u[:, S["assigned"]])) * 60
    minutes("work_started", t.work_start_minutes)
    minutes("priority_creep", Span(0.5, 8), HOUR)
    minutes("await_user", t.work_start_minutes)
    minutes("user_responded", t.user_response_hours, HOUR)
    minutes("resume_user", t.work_start_minutes)
    minutes("escalated_l2", t.l1_to_l2_hours, HOUR)
    minutes("escalated_l3", t.l2_to_l3_hours, HOUR)
    for slot in ("resume_l2", "reroute", "ping", "pong", "resume_l3", "escalated_manager",
                 "await_parts", "resume_parts", "on_hold", "resume_hold"):
        minutes(slot, t.handover_minutes)
    minutes("de_escalated", t.manager_hours, HOUR)
    day = np.where(critical, DAY, clock.day_seconds)
    dur[:, S["parts_received"]] = np.where(
        o.backorder, draw_span(p.parts_backorder_business_days, u[:, S["parts_received"]]),
        draw_span(t.parts_business_days, u[:, S["parts_received"]])) * day
    dur[:, S["hold_released"]] = draw_span(t.hold_business_days, u[:, S["hold_released"]]) * day
    dur[:, S["weekend"]] = u[:, S["weekend"]] * 6 * HOUR
    # A weekend warrior does half the remaining work in the weekend session.
    work = _work_hours(lay, o, t, p, roster, u[:, S["proposed"]])
    dur[:, S["proposed"]] = np.where(o.weekend, 0.5, 1.0) * work * HOUR
    minutes("resolved", t.confirm_hours, HOUR)
    dur[:, S["closed"]] = np.where(
        o.never, draw_span(t.auto_close_business_days, u[:, S["closed"]]),
        draw_span(t.close_business_days, u[:, S["closed"]])) * day
    minutes("reopened", Span(2, 40), HOUR)
    minutes("resume_reopen", t.work_start_minutes)
    minutes("resolved_again", t.resolution_simple_hours, HOUR)
    dur[:, S["closed_again"]] = draw_span(t.close_business_days, u[:, S["closed_again"]]) * day
    minutes("zombie", p.zombie_weeks, 7 * DAY)
    minutes("resume_zombie", t.work_start_minutes)
    minutes("resolved_zombie", t.resolution_simple_hours, HOUR)
    dur[:, S["closed_zombie"]] = draw_span(t.close_business_days, u[:, S["closed_zombie"]]) * day
    pace = np.asarray(p.urgency_pace)[o.in_force]  # the desk hurries an urgent ticket along
    for slot in PACED_SLOTS:
        dur[:, S[slot]] *= np.where(o.vip & (slot == "assigned"), 1.0, pace[:, S[slot]])
    # Every step takes at least a minute: times strictly increase within a ticket.
    return np.maximum(np.rint(dur), 60).astype(np.int64)


def _work_hours(lay: _Layout, o: _Outcome, t: Timing, p: Patterns, roster: Roster,
                u: np.ndarray) -> np.ndarray:
    """Hands-on hours to resolve: by complexity, more after an escalation, slower for a new
    hire or outside the resolver's skills. A workaround restores the service with a share of
    the work, escalated or not (the harder permanent fix follows as problem management)."""
    cx = lay.cx
    base = np.select([cx == 0, cx == 1], [
        draw_span(t.resolution_simple_hours, u),
        draw_span(t.resolution_medium_hours, u)],
        draw_span(t.resolution_complex_hours, u))
    extra = np.where(o.escalated, 1.0 + draw_span(t.escalation_extra, lay.d.u("extra")), 1.0)
    share = np.where(o.workaround, p.workaround_work, extra)
    return base * share * roster.ramp_up[o.resolver] / o.proficiency


def _place_workload_reassignments(lay: _Layout, time: np.ndarray, clock: BusinessClock) -> None:
    """Put the workload reassignments (GAP slots) inside the gap they fall in."""
    critical = lay.critical
    for gap_slot, before, after, draw in (("workload_l1", "assigned", "work_started", "gap1"),
                                          ("workload_l2", "escalated_l2", "resume_l2", "gap2")):
        # Inside the gap on the ticket's clock: a non-critical reassignment happens in office
        # hours even when the hand-over before it came at night.
        t0, t1 = time[:, S[before]], time[:, S[after]]
        share = 0.2 + 0.6 * lay.d.u(draw)
        wall = t0 + np.maximum(1, ((t1 - t0) * share).astype(np.int64))
        b0, b1 = clock.to_business(t0), clock.to_business(t1)
        office = clock.from_business(b0 + np.maximum(1, ((b1 - b0) * share).astype(np.int64)))
        inside = np.where(critical, wall, np.maximum(office, t0 + 1))
        time[:, S[gap_slot]] = np.where(lay.present[:, S[gap_slot]], inside, t0)


def _priorities(d: TicketDraws, creep: np.ndarray, cap: int) -> np.ndarray:
    """Priority in force at each slot: raised by one step (a quarter of the time two), not
    above ``cap``, from the priority-creep slot on."""
    priority = np.repeat(d.priority[:, None], N_SLOTS, axis=1).astype(np.int8)
    step = np.where(d.u("creep_step") < 0.25, 2, 1)
    raised = np.maximum(d.priority.astype(np.int64) - step, cap).astype(np.int8)
    after_creep = creep[:, None] & (np.arange(N_SLOTS) >= S["priority_creep"])[None, :]
    return np.where(after_creep, raised[:, None], priority)


def _forward_fill(change: np.ndarray) -> np.ndarray:
    """Holder after each slot: the latest assignment change so far (-1 before any)."""
    holder = np.empty_like(change)
    current = np.full(change.shape[0], -1, dtype=change.dtype)
    for s in range(change.shape[1]):
        if CHANGES[s]:
            current = np.where(change[:, s] >= 0, change[:, s], current)
        holder[:, s] = current
    return holder


def _times(created: np.ndarray, present: np.ndarray, seconds: np.ndarray,
           critical: np.ndarray, clock: BusinessClock) -> np.ndarray:
    """Slot times: each taken slot advances from the previous taken one on its clock."""
    n = len(created)
    time = np.empty((n, N_SLOTS), dtype=np.int64)
    time[:, 0] = created
    previous = created
    for s in range(1, N_SLOTS):
        kind = SLOT_CLOCK[s]
        d = seconds[:, s]
        if kind == Clock.GAP:
            time[:, s] = previous
            continue
        if kind == Clock.WALL:
            candidate = previous + d
        elif kind == Clock.BUSINESS:
            candidate = np.where(critical, previous + d, clock.add_business(previous, d))
        elif kind == Clock.SNAP:
            wall = previous + d
            candidate = np.where(critical, wall, clock.from_business(clock.to_business(wall)))
        else:  # WEEKEND
            candidate = next_weekend_morning(previous, d)
        previous = np.where(present[:, s], candidate, previous)
        time[:, s] = previous
    return time
