"""Per-ticket facts that are not clocks: lifecycle instants, counts, people and tiers.

Same shape as ``clocks``: flat numpy arrays over all events in ticket order, reduced per ticket
with ``reduceat`` — no loop over tickets or events. Codes index ``Codes`` dictionaries (the
data's distinct values), -1 meaning "none". Events are time-ordered within a ticket, so the
earliest (latest) instant of some kind of event is the instant of the first (last) such event:
reductions run over int32 positions, not int64 instants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ticketlens.sla.clocks import (
    NO_TIME,
    EventArrays,
    ffill,
    first_where,
    flags,
    last_where,
    lookup,
    per_ticket_count,
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


def _first_known(ev: EventArrays, codes: np.ndarray) -> np.ndarray:
    at = first_where(ev, codes >= 0)
    return np.where(at < len(codes), codes[np.minimum(at, len(codes) - 1)], -1)


def _last_known(ev: EventArrays, codes: np.ndarray) -> np.ndarray:
    at = last_where(ev, codes >= 0)
    return np.where(at >= 0, codes[at], -1)


def _instant(ev: EventArrays, at: np.ndarray, none: int) -> np.ndarray:
    """Per ticket: the instant of event ``at`` (``none`` where ``at`` is out of range)."""
    valid = (at >= 0) & (at < len(ev.ts))
    return np.where(valid, ev.ts[np.where(valid, at, 0)], none)


def activity_counts(ev: EventArrays, policy: Policy,
                    groups: Sequence[frozenset[str]]) -> list[np.ndarray]:
    """Per ticket and group of activities: how many of its events are one of them.

    One ``bincount`` over (ticket, activity) for every group at once; a group's count is the
    sum of its activities' columns (groups may share activities).
    """
    names = sorted(set().union(*groups) & set(policy.activities)) if groups else []
    if not names:
        return [np.zeros(ev.n_tickets, np.int64) for _ in groups]
    column = np.full(len(policy.activities) + 1, -1, dtype=np.int64)
    for j, name in enumerate(names):
        column[policy.activities.index(name)] = j
    width = len(names)
    col = lookup(column, ev.act)
    counted = col >= 0
    keys = ev.tix[counted].astype(np.int64) * width + col[counted]
    table = np.bincount(keys, minlength=ev.n_tickets * width).reshape(ev.n_tickets, width)
    out = []
    for group in groups:
        cols = [names.index(a) for a in names if a in group]
        out.append(table[:, cols].sum(axis=1) if cols else np.zeros(ev.n_tickets, np.int64))
    return out


def key_instants(ev: EventArrays, policy: Policy, raw: RawCodes) -> dict[str, np.ndarray]:
    """Creation, first response and last resolution (µs; NO_TIME or -1 for none) and the
    last known priority: the part of ``lifecycle`` a clock's report needs."""
    life = policy.lifecycle
    return {
        "created_us": _instant(ev, first_where(ev, flags(ev, policy, life.created)), NO_TIME),
        "first_response_us": _instant(
            ev, first_where(ev, flags(ev, policy, life.first_response)), NO_TIME),
        "resolved_us": _instant(ev, last_where(ev, flags(ev, policy, life.resolved)), -1),
        "priority": _last_known(ev, raw.priority),
    }


def lifecycle(ev: EventArrays, policy: Policy, raw: RawCodes) -> dict[str, np.ndarray]:
    """Instants (µs; NO_TIME or -1 for none), status kind, counts and last known values."""
    life = policy.lifecycle
    resolved = flags(ev, policy, life.resolved)
    closed = flags(ev, policy, life.closed)
    reopened = flags(ev, policy, life.reopened)
    kind_table = np.zeros(len(policy.activities) + 1, dtype=np.int8)
    for i, name in enumerate(policy.activities):
        kind_table[i] = (CLOSED if name in life.closed else RESOLVED if name in life.resolved
                         else REOPENED if name in life.reopened else 0)
    kind = lookup(kind_table, ev.act)
    has_kind = kind > 0
    done = ffill(ev, has_kind, resolved | closed, False)
    last_kind_at = last_where(ev, has_kind)
    assignments, reassignments, escalations, de_escalations, holds = activity_counts(
        ev, policy, [life.assigned, life.reassigned, frozenset(life.escalated),
                     life.de_escalated, life.hold])
    return {
        **key_instants(ev, policy, raw),
        "first_resolved_us": _instant(ev, first_where(ev, resolved), NO_TIME),
        "closed_us": _instant(ev, last_where(ev, closed), -1),
        "last_event_us": ev.ts[ev.last],
        "last_kind": np.where(last_kind_at >= 0, kind[last_kind_at], 0),
        "events": ev.counts.astype(np.int64),
        "assignments": assignments,
        "reassignments": reassignments,
        "escalations": escalations,
        "de_escalations": de_escalations,
        # a reopen counts only when it finds the ticket resolved or closed (ServiceNow's
        # "Active" on an active incident is no reopen)
        "reopens": per_ticket_count(ev, reopened & previous(ev, done, False)),
        "priority_changes": priority_changes(ev, raw.priority),
        "holds": holds,
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
    return per_ticket_count(ev, (carried >= 0) & (before >= 0) & (carried != before))


def escalation_counts(ev: EventArrays, policy: Policy) -> dict[str, np.ndarray]:
    """Per ticket and tier: escalations that moved the ticket to that tier."""
    life = policy.lifecycle
    tiers = [t for t in life.tiers if t in life.escalated.values()]
    groups = [frozenset(a for a, t in life.escalated.items() if t == tier) for tier in tiers]
    return dict(zip(tiers, activity_counts(ev, policy, groups), strict=True))


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
        assigned = flags(ev, policy, life.assigned) & (ev.holder >= 0)
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
    keys = ev.tix[named].astype(np.int64) * span + ev.holder[named]
    # the same holder on consecutive named events is one pair: drop repeats before sorting
    if len(keys):
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    # keys come grouped by ticket: a stable sort (timsort) finds the runs and merges little
    keys = np.sort(keys, kind="stable")
    pairs = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys

    def per_pair(mask: np.ndarray, who: np.ndarray) -> np.ndarray:
        keep = mask & (who >= 0)
        keys = ev.tix[keep].astype(np.int64) * span + who[keep]
        return np.bincount(np.searchsorted(pairs, keys), minlength=len(pairs))

    resolved = flags(ev, policy, life.resolved)
    reopened = flags(ev, policy, life.reopened)
    last_reopen = ev.per_event(last_where(ev, reopened))
    escalated = flags(ev, policy, frozenset(life.escalated))
    last_resolution = last_where(ev, resolved)
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
        handoffs=per_ticket_count(ev, handoff),
    )
