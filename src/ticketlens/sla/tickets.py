"""Per-ticket facts that are not clocks: lifecycle instants, counts, people and tiers.

Same shape as ``clocks``: flat numpy arrays over all events in ticket order, reduced per ticket
with ``reduceat`` — no loop over tickets or events. Codes index ``Codes`` dictionaries (the
data's distinct values), -1 meaning "none".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ticketlens.sla.clocks import (
    NO_TIME,
    EventArrays,
    activity_flags,
    ffill,
    lookup,
    per_ticket_max,
    per_ticket_min,
    per_ticket_sum,
    previous,
)
from ticketlens.sla.policy import Policy

# lifecycle kinds, in the order roles_table() gives them precedence
RESOLVED, CLOSED, REOPENED = 1, 2, 3


@dataclass
class RawCodes:
    """Per event: data codes of the text columns (not the policy's vocabulary)."""

    priority: np.ndarray
    category: np.ndarray
    department: np.ndarray


def _flags(ev: EventArrays, policy: Policy, names: frozenset[str]) -> np.ndarray:
    return lookup(activity_flags(policy, names), ev.act)


def _count(ev: EventArrays, mask: np.ndarray) -> np.ndarray:
    return per_ticket_sum(ev, mask.astype(np.int64))


def _first_known(ev: EventArrays, codes: np.ndarray) -> np.ndarray:
    at = per_ticket_min(ev, np.where(codes >= 0, ev.index, len(codes)))
    return np.where(at < len(codes), codes[np.minimum(at, len(codes) - 1)], -1)


def _last_known(ev: EventArrays, codes: np.ndarray) -> np.ndarray:
    return ffill(ev, codes >= 0, codes, -1)[ev.last]


def lifecycle(ev: EventArrays, policy: Policy, raw: RawCodes) -> dict[str, np.ndarray]:
    """Instants (µs; NO_TIME or -1 for none), status kind, counts and last known values."""
    life = policy.lifecycle
    created = _flags(ev, policy, life.created)
    resolved = _flags(ev, policy, life.resolved)
    closed = _flags(ev, policy, life.closed)
    reopened = _flags(ev, policy, life.reopened)
    escalated = _flags(ev, policy, frozenset(life.escalated))
    kind = np.where(closed, CLOSED, np.where(resolved, RESOLVED, np.where(reopened, REOPENED, 0)))
    done = ffill(ev, kind > 0, (kind == RESOLVED) | (kind == CLOSED), False)
    return {
        "created_us": per_ticket_min(ev, np.where(created, ev.ts, NO_TIME)),
        "first_response_us": per_ticket_min(
            ev, np.where(_flags(ev, policy, life.first_response), ev.ts, NO_TIME)),
        "first_resolved_us": per_ticket_min(ev, np.where(resolved, ev.ts, NO_TIME)),
        "resolved_us": per_ticket_max(ev, np.where(resolved, ev.ts, -1)),
        "closed_us": per_ticket_max(ev, np.where(closed, ev.ts, -1)),
        "last_event_us": ev.ts[ev.last],
        "last_kind": ffill(ev, kind > 0, kind, 0)[ev.last],
        "events": ev.last - ev.first + 1,
        "assignments": _count(ev, _flags(ev, policy, life.assigned)),
        "reassignments": _count(ev, _flags(ev, policy, life.reassigned)),
        "escalations": _count(ev, escalated),
        "de_escalations": _count(ev, _flags(ev, policy, life.de_escalated)),
        # a reopen counts only when it finds the ticket resolved or closed (ServiceNow's
        # "Active" on an active incident is no reopen)
        "reopens": _count(ev, reopened & previous(ev, done, False)),
        "priority_changes": priority_changes(ev, raw.priority),
        "holds": _count(ev, _flags(ev, policy, life.hold)),
        "priority": _last_known(ev, raw.priority),
        "initial_priority": _first_known(ev, raw.priority),
        "category": _last_known(ev, raw.category),
        "department": _last_known(ev, raw.department),
        "first_assignee": _first_known(ev, ev.holder),
        "final_assignee": _last_known(ev, ev.holder),
    }


def priority_changes(ev: EventArrays, raw_priority: np.ndarray) -> np.ndarray:
    """Per ticket: how often the priority value changed between events that carry one."""
    carried = ffill(ev, raw_priority >= 0, raw_priority, -1)
    before = previous(ev, carried, -1)
    return _count(ev, (carried >= 0) & (before >= 0) & (carried != before))


def escalation_counts(ev: EventArrays, policy: Policy) -> dict[str, np.ndarray]:
    """Per ticket and tier: escalations that moved the ticket to that tier."""
    tiers = policy.lifecycle.tiers
    reached = lookup(_tier_of_activity(policy), ev.act)
    return {tier: _count(ev, reached == k) for k, tier in enumerate(tiers)
            if tier in policy.lifecycle.escalated.values()}


def _tier_of_activity(policy: Policy) -> np.ndarray:
    table = np.full(len(policy.activities) + 1, -1, dtype=np.int64)
    for i, name in enumerate(policy.activities):
        tier = policy.lifecycle.escalated.get(name)
        if tier is not None:
            table[i] = policy.lifecycle.tiers.index(tier)
    return table


def technician_tiers(ev: EventArrays, policy: Policy, people: int) -> np.ndarray:
    """Per person code: the index of the tier the log shows them at (-1: unknown).

    A person handed tickets by escalations to tier T works at T (the most frequent such tier;
    ties go to the higher tier); a person only ever given tickets by an ``assigned`` activity
    works at the policy's entry tier.
    """
    life = policy.lifecycle
    tiers = max(len(life.tiers), 1)
    reached = lookup(_tier_of_activity(policy), ev.act)
    voted = (reached >= 0) & (ev.holder >= 0)
    votes = np.bincount(ev.holder[voted] * tiers + reached[voted],
                        minlength=people * tiers).reshape(people, tiers)
    best = np.argmax(votes * tiers + np.arange(tiers), axis=1)
    tier = np.where(votes.max(axis=1, initial=0) > 0, best, -1)
    if life.entry_tier is not None:
        assigned = _flags(ev, policy, life.assigned) & (ev.holder >= 0)
        ever = np.bincount(ev.holder[assigned], minlength=people) > 0
        tier = np.where((tier < 0) & ever, life.tiers.index(life.entry_tier), tier)
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


def ticket_technicians(ev: EventArrays, policy: Policy, people: int) -> TicketTechnicians:
    """Who held each ticket, who resolved it (and whether that resolution was later reopened),
    who escalated it; the holder at an event is the last named one (events may omit it)."""
    life = policy.lifecycle
    span = max(people, 1)
    held = ffill(ev, ev.holder >= 0, ev.holder, -1)
    before = previous(ev, held, -1)
    named = ev.holder >= 0
    # events come grouped by ticket, so a stable sort of the keys is nearly free (timsort)
    keys = np.sort(ev.tix[named].astype(np.int64) * span + ev.holder[named], kind="stable")
    pairs = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys

    def per_pair(mask: np.ndarray, who: np.ndarray) -> np.ndarray:
        keep = mask & (who >= 0)
        keys = ev.tix[keep].astype(np.int64) * span + who[keep]
        return np.bincount(np.searchsorted(pairs, keys), minlength=len(pairs))

    resolved = _flags(ev, policy, life.resolved)
    reopened = _flags(ev, policy, life.reopened)
    last_reopen = per_ticket_max(ev, np.where(reopened, ev.index, -1))[ev.tix]
    escalated = _flags(ev, policy, frozenset(life.escalated))
    last_resolution = per_ticket_max(ev, np.where(resolved, ev.index, -1))
    handoff = (held >= 0) & (before >= 0) & (held != before)
    pair_tix = pairs // span
    return TicketTechnicians(
        tix=pair_tix,
        person=pairs % span,
        resolutions=per_pair(resolved, held),
        resolutions_reopened=per_pair(resolved & (ev.index < last_reopen), held),
        escalations_raised=per_pair(escalated, before),
        assignees=np.bincount(pair_tix, minlength=ev.n_tickets),
        resolver=np.where(last_resolution >= 0, held[np.maximum(last_resolution, 0)], -1),
        handoffs=_count(ev, handoff),
    )
