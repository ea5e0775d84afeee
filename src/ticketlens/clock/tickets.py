"""Per-ticket facts that are not clocks: lifecycle instants, counts, people, tiers and waits.

Same shape as ``clocks``: flat arrays over all events in ticket order; the per-event walk runs
compiled by numba (``kernel.py``), one pass over each ticket's events, and this module builds its inputs
(bit tables over the policy's activity codes) and names its outputs. Codes index
``Dictionaries`` (the data's distinct values), -1 meaning "none".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.clock import layout
from ticketlens.clock.clocks import EventArrays, activity_table
from ticketlens.clock.layout import CLOSED, LIFE_CODES, LIFE_INSTANTS, REOPENED, RESOLVED
from ticketlens.clock.policy import Policy


@dataclass
class RawCodes:
    """Per event: data codes of the text columns (not the policy's vocabulary)."""

    priority: np.ndarray
    category: np.ndarray
    department: np.ndarray


@dataclass
class Lifecycle:
    """What the lifecycle walk found: per-ticket columns, waits, escalations by tier, and per
    person the tiers their escalated tickets reached (for ``technician_tiers``)."""

    columns: dict[str, np.ndarray]
    waits: dict[str, np.ndarray]  # wait name -> seconds per ticket
    escalations: dict[str, np.ndarray]  # tier -> escalations per ticket that reached it
    tier_votes: np.ndarray  # [person, tier]: escalations to the tier while they held it
    assigned: np.ndarray  # per person: ever given a ticket by an `assigned` activity


def _life_bits(policy: Policy) -> np.ndarray:
    life = policy.lifecycle
    groups = {layout.CREATED: life.created, layout.RESPONSE: life.first_response,
              layout.RESOLVED_BIT: life.resolved, layout.CLOSED_BIT: life.closed,
              layout.REOPENED_BIT: life.reopened, layout.ASSIGNED: life.assigned,
              layout.REASSIGNED: life.reassigned, layout.ESCALATED: frozenset(life.escalated),
              layout.DE_ESCALATED: life.de_escalated, layout.HOLD: life.hold}
    for w, wait in enumerate(policy.waits):
        enter, leave = layout.wait_bits(w)
        groups[enter] = wait.enter
        if wait.leave is not None:
            groups[leave] = wait.leave
    return activity_table(policy, groups, np.uint32)


def _kinds(policy: Policy) -> np.ndarray:
    life = policy.lifecycle
    kind = np.zeros(len(policy.activities) + 1, dtype=np.int8)
    for i, name in enumerate(policy.activities):
        kind[i] = (CLOSED if name in life.closed else RESOLVED if name in life.resolved
                   else REOPENED if name in life.reopened else 0)
    return kind


def _tier_of_activity(policy: Policy) -> np.ndarray:
    table = np.full(len(policy.activities) + 1, -1, dtype=np.int8)
    for i, name in enumerate(policy.activities):
        tier = policy.lifecycle.escalated.get(name)
        if tier is not None:
            table[i] = policy.lifecycle.tiers.index(tier)
    return table


def lifecycle(ev: EventArrays, policy: Policy, raw: RawCodes, people: int,
              as_of_us: int | np.ndarray) -> Lifecycle:
    """Instants (µs; NO_TIME for none), status kind, counts, last known values, waits.

    A reopen counts only when it finds the ticket resolved or closed (ServiceNow's "Active" on
    an active incident is no reopen); a priority change is a change of value between events
    that carry one; a wait left on "any" other activity lasts until the next event.
    ``as_of_us``: one instant, or one per ticket (see ``clocks.Timeline.as_of_each``).
    """
    from ticketlens.clock import kernel  # numba: imported only where clocks run

    has_leave = np.array([w.leave is not None for w in policy.waits], dtype=np.uint8)
    rules = layout.LifeRules(_life_bits(policy), _kinds(policy), _tier_of_activity(policy),
                             has_leave, raw.priority, raw.category, raw.department, ev.holder,
                             max(len(policy.lifecycle.tiers), 1), people)
    out = kernel.lifecycle(ev.runs(as_of_us), rules)
    columns = (dict(zip(LIFE_INSTANTS, out.instants, strict=True))
               | dict(zip(LIFE_CODES, out.codes, strict=True)))
    columns["last_kind"] = out.last_kind
    columns["events"] = ev.counts.astype(np.int64)
    life = policy.lifecycle
    reached = [t for t in life.tiers if t in life.escalated.values()]
    return Lifecycle(
        columns=columns,
        waits={w.name: out.wait_us[i] / 1e6 for i, w in enumerate(policy.waits)},
        escalations={tier: out.escalations[life.tiers.index(tier)] for tier in reached},
        tier_votes=out.votes,
        assigned=out.assigned.astype(bool),
    )


def key_instants(ev: EventArrays, policy: Policy, raw: RawCodes, people: int,
                 as_of_us: int | np.ndarray) -> dict[str, np.ndarray]:
    """Creation, first response and last resolution (µs; NO_TIME for none) and the
    last known priority: the part of ``lifecycle`` a clock's report needs."""
    columns = lifecycle(ev, policy, raw, people, as_of_us).columns
    return {k: columns[k] for k in ("created_us", "first_response_us", "resolved_us",
                                    "priority")}


def technician_tiers(found: Lifecycle, policy: Policy) -> np.ndarray:
    """Per person code: the index of the tier the log shows them at (-1: unknown).

    A person handed tickets by escalations to tier T works at T (the most frequent such tier;
    ties go to the higher tier); a person only ever given tickets by an ``assigned`` activity
    works at the policy's entry tier.
    """
    life = policy.lifecycle
    votes = found.tier_votes
    tiers = votes.shape[1]
    best = np.argmax(votes * tiers + np.arange(tiers), axis=1)
    tier = np.where(votes.max(axis=1, initial=0) > 0, best, -1)
    if life.entry_tier is not None:
        tier = np.where((tier < 0) & found.assigned, life.tiers.index(life.entry_tier), tier)
    return tier


@dataclass
class TicketTechnicians:
    """One row per ticket and person who held it: what they did on it."""

    tix: np.ndarray
    person: np.ndarray
    resolutions: np.ndarray
    resolutions_reopened: np.ndarray
    escalations_raised: np.ndarray
    assignees: np.ndarray  # per ticket: distinct people who held it
    resolver: np.ndarray  # per ticket: who held it at its last resolution (-1: none)
    handoffs: np.ndarray  # per ticket: changes of holder


def ticket_technicians(ev: EventArrays, policy: Policy) -> TicketTechnicians:
    """Who held each ticket, who resolved it (and whether that resolution was later reopened),
    who escalated it; the holder at an event is the last named one (events may omit it)."""
    from ticketlens.clock import kernel  # numba: imported only where clocks run

    out = kernel.held(ev.runs(layout.NO_TIME), _life_bits(policy), ev.holder)  # every event
    return TicketTechnicians(*out)
