"""Per-ticket facts that are not clocks: lifecycle instants, counts, people, tiers and waits.

Same shape as ``clocks``: flat arrays over all events in ticket order; the per-event walk runs
in C (``_kernel.c``), one pass over each ticket's events, and this module builds its inputs
(bit tables over the policy's activity codes) and names its outputs. Codes index
``Dictionaries`` (the data's distinct values), -1 meaning "none".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.clock import _kernel
from ticketlens.clock.clocks import EventArrays, activity_table
from ticketlens.clock.policy import MAX_WAITS, Policy

# lifecycle kinds, in the order roles_table() gives them precedence
RESOLVED, CLOSED, REOPENED = 1, 2, 3

# activity bits of the lifecycle table (_kernel.c: L_CREATED ...)
_CREATED, _RESPONSE, _RESOLVED, _CLOSED, _REOPENED = 1, 2, 4, 8, 16
_ASSIGNED, _REASSIGNED, _ESCALATED, _DE_ESCALATED, _HOLD = 32, 64, 128, 256, 512
_WAIT_SHIFT = 10  # wait w: enter bit 10 + 2w, leave bit 11 + 2w: room for MAX_WAITS

_INSTANTS = ("created_us", "first_response_us", "resolved_us", "first_resolved_us",
             "closed_us", "last_event_us", "assignments", "reassignments", "escalations",
             "de_escalations", "holds", "reopens", "priority_changes")
_CODES = ("priority", "initial_priority", "category", "department", "first_assignee",
          "final_assignee")


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
    groups = {_CREATED: life.created, _RESPONSE: life.first_response, _RESOLVED: life.resolved,
              _CLOSED: life.closed, _REOPENED: life.reopened, _ASSIGNED: life.assigned,
              _REASSIGNED: life.reassigned, _ESCALATED: frozenset(life.escalated),
              _DE_ESCALATED: life.de_escalated, _HOLD: life.hold}
    for w, wait in enumerate(policy.waits):
        groups[1 << (_WAIT_SHIFT + 2 * w)] = wait.enter
        if wait.leave is not None:
            groups[1 << (_WAIT_SHIFT + 2 * w + 1)] = wait.leave
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
              as_of_us: int) -> Lifecycle:
    """Instants (µs; NO_TIME or -1 for none), status kind, counts, last known values, waits.

    A reopen counts only when it finds the ticket resolved or closed (ServiceNow's "Active" on
    an active incident is no reopen); a priority change is a change of value between events
    that carry one; a wait left on "any" other activity lasts until the next event.
    """
    assert len(policy.waits) <= MAX_WAITS  # parse_policy refuses more
    t, tiers = ev.n_tickets, max(len(policy.lifecycle.tiers), 1)
    o64 = np.empty((len(_INSTANTS), t), dtype=np.int64)
    o32 = np.empty((len(_CODES), t), dtype=np.int32)
    last_kind = np.empty(t, dtype=np.int8)
    wait_us = np.empty((len(policy.waits), t), dtype=np.int64)
    escalations = np.zeros((tiers, t), dtype=np.int64)
    votes = np.zeros((people, tiers), dtype=np.int64)
    assigned = np.zeros(people, dtype=np.uint8)
    has_leave = np.array([w.leave is not None for w in policy.waits], dtype=np.uint8)
    _kernel.lifecycle(ev.first, ev.counts, ev.ts, ev.act, raw.priority, raw.category,
                      raw.department, ev.holder, _life_bits(policy), _kinds(policy),
                      _tier_of_activity(policy), has_leave, as_of_us, o64, o32, last_kind,
                      wait_us, escalations, votes, assigned)
    columns = dict(zip(_INSTANTS, o64, strict=True)) | dict(zip(_CODES, o32, strict=True))
    columns["last_kind"] = last_kind
    columns["events"] = ev.counts.astype(np.int64)
    life = policy.lifecycle
    reached = [t for t in life.tiers if t in life.escalated.values()]
    return Lifecycle(
        columns=columns,
        waits={w.name: wait_us[i] / 1e6 for i, w in enumerate(policy.waits)},
        escalations={tier: escalations[life.tiers.index(tier)] for tier in reached},
        tier_votes=votes,
        assigned=assigned.astype(bool),
    )


def key_instants(ev: EventArrays, policy: Policy, raw: RawCodes, people: int,
                 as_of_us: int) -> dict[str, np.ndarray]:
    """Creation, first response and last resolution (µs; NO_TIME or -1 for none) and the
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
    # at most one pair per named event; np.empty leaves the unused tail untouched
    capacity = len(ev.holder)
    pairs = np.empty((2, capacity), dtype=np.int32)
    counts = np.empty((3, capacity), dtype=np.int64)
    per_ticket = np.empty((3, ev.n_tickets), dtype=np.int64)
    n = _kernel.technicians(ev.first, ev.counts, ev.act, ev.holder, _life_bits(policy), pairs,
                            counts, per_ticket)
    return TicketTechnicians(
        tix=pairs[0, :n],
        person=pairs[1, :n],
        resolutions=counts[0, :n],
        resolutions_reopened=counts[1, :n],
        escalations_raised=counts[2, :n],
        assignees=per_ticket[0],
        resolver=per_ticket[1],
        handoffs=per_ticket[2],
    )
