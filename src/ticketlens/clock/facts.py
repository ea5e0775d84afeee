"""Staged events in, facts out: what every clock of a run shares, and one metric's facts.

Arrays only (no workspace): ``ticketlens.workspace.events`` stages a workspace's events into
a ``StagedEvents``; the SLA engine (``analyses/sla``) and the generator's ``sla_metrics`` both
run the clocks on it here, so a breach has one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ticketlens.clock import clocks, tickets
from ticketlens.clock.assemble import Dictionaries, metric_table
from ticketlens.clock.clocks import Calendars, EventArrays
from ticketlens.clock.policy import Metric, Policy
from ticketlens.clock.tickets import RawCodes
from ticketlens.core.errors import AnalysisError


@dataclass
class StagedEvents:
    """The events of every ticket with an event, ticket-ordered, and the data's values."""

    ev: EventArrays
    raw: RawCodes
    dictionaries: Dictionaries
    n_total: int  # tickets, also those known only from case attributes (they come last)
    activity_counts: np.ndarray  # events per data activity code


def timeline(staged: StagedEvents, policy: Policy, as_of_us: int) -> clocks.Timeline:
    """What every clock shares: calendars over the events' span, priority in force."""
    ev = staged.ev
    calendars = Calendars.build(policy, int(ev.ts.min()), max(as_of_us, int(ev.ts.max())))
    found = clocks.Timeline(ev, calendars, as_of_us)
    found.prepare(policy)
    return found


def require_metric(policy: Policy, name: str) -> Metric:
    """The policy's metric ``name``; an error naming the ones it has when there is none."""
    chosen = policy.metric(name)
    if chosen is None:
        raise AnalysisError(f"policy {policy.name!r} has no metric {name!r}; it has "
                            f"{', '.join(m.name for m in policy.metrics) or 'none'}")
    return chosen


def metric_facts(staged: StagedEvents, ticket_ids: pa.Array, policy: Policy, metric: str,
                 as_of_us: int) -> pa.Table:
    """One row per ticket: the ``sla_facts`` columns of one metric (``<metric>_*``) with
    ``ticket_id``, ``has_creation``, ``priority``, ``created_at``, ``first_response_at`` and
    ``resolved_at`` — the full facts' clock and values without the other metrics, waits and
    people."""
    chosen = require_metric(policy, metric)
    shared = timeline(staged, policy, as_of_us)
    clock = clocks.run_clock(shared, policy, chosen)
    life = tickets.key_instants(staged.ev, policy, staged.raw,
                                len(staged.dictionaries.people), shared.as_of_us)
    return metric_table(staged.n_total, ticket_ids, life, chosen.name, clock,
                        shared.calendars.names, staged.dictionaries)
