"""The SLA engine: per-ticket facts from a connection holding the workspace ``events`` table.

``compute_facts(con, policy, as_of)`` works on any DuckDB connection with the workspace
schema — a workspace file or ``ticketlens.workspace.connection.connect_memory()`` — and writes nothing
permanent, so the generator's ``sla_metrics`` and ``ticketlens sla`` share one definition of
a breach. Staging reads the workspace's event index as of an instant
(``ticketlens.workspace.events``); clocks, waits and hand-offs are one walk over each ticket's
staged events compiled by numba (``clock/kernel.py``, driven by ``clocks.py`` and
``tickets.py``).

On two cores the work overlaps: while one thread puts the events in order, DuckDB reads the
tickets' attributes; then the clocks, lifecycle and people run side by side in a small thread
pool (the kernel releases the GIL). Every part is a pure function of its inputs, so the facts
never depend on the threads' timing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ticketlens.clock import clocks, tickets
from ticketlens.clock.assemble import (
    Dictionaries,
    facts_table,
    metric_counts,
    technicians_table,
    ticket_technicians_table,
    to_pandas,
)
from ticketlens.clock.facts import StagedEvents, require_metric, timeline
from ticketlens.clock.facts import metric_facts as staged_metric_facts
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.workspace.events import (
    EventRows,
    as_of_instant,
    default_as_of,
    insert_events,
    order_events,
    read_events,
    stage,
    ticket_attributes,
    ticket_ids,
    to_us,
)
from ticketlens.workspace.measurability import Measurability, measurability
from ticketlens.workspace.roles import read_roles
from ticketlens.workspace.roster import roster as workspace_roster

__all__ = ["FactsResult", "compute_facts", "default_as_of", "insert_events", "metric_facts"]

_WORKERS = 2  # the target machine's cores


@dataclass
class FactsResult:
    """The facts (one row per ticket) and what the run found about the data.

    ``table`` is the Arrow table stored as ``sla_facts``; ``facts`` the same as a pandas
    DataFrame (built on first use).
    """

    table: pa.Table
    policy: Policy
    as_of: datetime
    technicians: pa.Table  # one row per person: the tier the log shows them at
    ticket_technicians: pa.Table  # one row per ticket and person who held it
    unknown_activities: dict[str, int] = field(default_factory=dict)  # not in the policy
    unknown_priorities: dict[str, int] = field(default_factory=dict)  # tickets without target
    metric_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # for sla_summary
    measurability: Measurability | None = None  # what each source can measure
    _frame: pd.DataFrame | None = None

    @property
    def facts(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = to_pandas(self.table)
        return self._frame


def compute_facts(
    con: duckdb.DuckDBPyConnection,
    policy: str | Path | Policy | None = None,
    as_of: datetime | None = None,
    step: Callable[[str], None] | None = None,
) -> FactsResult:
    """One row per ticket of ``events`` (as of ``as_of``, default the last event): its facts.

    Works on any connection with the workspace schema (a workspace file, or
    ``connect_memory()`` filled with ``insert_events``); writes nothing permanent. Columns are
    documented in docs/sla.md.
    """
    policy = bound_policy(con, policy)
    note = step or (lambda _: None)
    as_of = as_of_instant(con, as_of)
    note("staging events")
    rows = read_events(con, policy, as_of)
    note("running clocks")
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        preparing = pool.submit(_timeline, rows, policy, to_us(as_of))
        # meanwhile, on this thread, DuckDB reads the tickets' ids and case attributes
        # (measured: overlapping them with the kernels instead is slower on two cores)
        ids = ticket_ids(con, rows)
        attributes = ticket_attributes(con, rows)
        staged, shared = preparing.result()
        del rows, preparing
        parts = _start_clocks(pool, staged, shared, policy)
        done = {name: part.result() for name, part in parts.items()}
    found = done["life"]
    roster = _roster_tiers(con, staged.dictionaries.people, policy)
    done["tiers"] = np.where(roster >= 0, roster, tickets.technician_tiers(found, policy))
    done.update(life=found.columns, escalations=found.escalations, waits=found.waits)
    measured = measurability(con, policy)
    done["unmeasured"] = measured.ticket_masks(con, ids)
    result = _facts(staged, policy, as_of, done, shared.calendars.names, ids, attributes)
    result.measurability = measured
    return result


def bound_policy(con: duckdb.DuckDBPyConnection,
                 policy: str | Path | Policy | None) -> Policy:
    """``policy`` bound to the lifecycle roles in force in ``con``'s workspace (the ticketlens
    vocabulary where none are stored): its role lists become the data's activities."""
    return load_policy(policy, read_roles(con))


def metric_facts(
    con: duckdb.DuckDBPyConnection,
    policy: str | Path | Policy | None,
    metric: str,
    as_of: datetime | None = None,
) -> pa.Table:
    """One row per ticket of ``events``: the ``sla_facts`` columns of one metric (``<metric>_*``)
    with ``ticket_id``, ``has_creation``, ``priority``, ``created_at``, ``first_response_at`` and
    ``resolved_at`` — the same engine as ``compute_facts`` (same staging, clock and values),
    without the other metrics, waits and people (``clock.facts.metric_facts``, which the
    generator's ``sla_metrics`` runs on the same staging).
    """
    policy = bound_policy(con, policy)
    require_metric(policy, metric)
    as_of = as_of_instant(con, as_of)
    staged, ids = stage(con, policy, as_of)
    return staged_metric_facts(staged, ids, policy, metric, to_us(as_of))


def _timeline(rows: EventRows, policy: Policy,
              as_of_us: int) -> tuple[StagedEvents, clocks.Timeline]:
    """The ordered events and what every clock shares (calendars, priority in force)."""
    staged = order_events(rows, policy)
    return staged, timeline(staged, policy, as_of_us)


def _roster_tiers(con: duckdb.DuckDBPyConnection, people: list[str],
                  policy: Policy) -> np.ndarray:
    """Per person code: the tier the workspace's roster states (a roster file, a manifest;
    not the tiers ingest inferred, which this engine infers itself under ``policy`` and the
    as-of instant), -1 if none. A roster states tiers; the log only suggests them."""
    tiers = np.full(len(people), -1, dtype=np.int64)
    if not people:
        return tiers
    index = {tier: i for i, tier in enumerate(policy.lifecycle.tiers)}
    roster = {row.name: index[row.tier] for row in workspace_roster(con, explicit=True)
              if row.tier in index}
    # One entry per distinct person (a roster's size), not per event.
    for code, person in enumerate(people):
        tiers[code] = roster.get(person, -1)
    return tiers


def _start_clocks(pool: ThreadPoolExecutor, staged: StagedEvents, timeline: clocks.Timeline,
                  policy: Policy) -> dict[str, Future[Any]]:
    """Submit every per-ticket walk over the events (each releases the GIL: numba nogil)."""
    ev, people = staged.ev, len(staged.dictionaries.people)
    parts: dict[str, Future[Any]] = {
        f"metric {m.name}": pool.submit(clocks.run_clock, timeline, policy, m)
        for m in policy.metrics}
    parts["life"] = pool.submit(tickets.lifecycle, ev, policy, staged.raw, people,
                                timeline.as_of_us)
    parts["held"] = pool.submit(tickets.ticket_technicians, ev, policy)
    return parts


def _facts(staged: StagedEvents, policy: Policy, as_of: datetime, done: dict[str, Any],
           calendar_names: tuple[str, ...], ids: pa.Array,
           attributes: dict[str, pa.Array]) -> FactsResult:
    d = staged.dictionaries
    metrics = {m.name: done[f"metric {m.name}"] for m in policy.metrics}
    life, held, tiers = done["life"], done["held"], done["tiers"]
    unmeasured = done.get("unmeasured", {})
    table = facts_table(policy, staged.n_total, ids, attributes, life, held, tiers,
                        done["escalations"], done["waits"], metrics, calendar_names, d,
                        unmeasured)
    has_creation = table.column("has_creation").to_numpy(zero_copy_only=False)
    made = table.column("source_made_sla")
    source = np.where(made.is_null().to_numpy(zero_copy_only=False), -1,
                      made.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int64))
    counts = {name: metric_counts(clock, staged.n_total, has_creation,
                                  source if name == "resolution" else None,
                                  unmeasured.get(name))
              for name, clock in metrics.items()}
    known = set(policy.activities)
    unknown_activities = {a: int(n) for a, n in zip(d.activities, staged.activity_counts,
                                                    strict=True) if a not in known and n}
    return FactsResult(
        table=table, policy=policy, as_of=as_of,
        technicians=technicians_table(d, tiers, policy),
        ticket_technicians=ticket_technicians_table(held, ids, d),
        unknown_activities=unknown_activities,
        unknown_priorities=_unknown_priorities(life, has_creation, policy, d),
        metric_counts=counts,
    )


def _unknown_priorities(life: dict[str, np.ndarray], has_creation: np.ndarray,
                        policy: Policy, d: Dictionaries) -> dict[str, int]:
    """Tickets measured (with a creation event) whose last priority has a target nowhere."""
    targeted = {p for m in policy.metrics for p in m.targets}
    codes = life["priority"][has_creation[: len(life["priority"])]]
    counts = np.bincount(codes + 1, minlength=len(d.priorities) + 1)  # slot 0: no priority
    names = ["(none)", *d.priorities]
    return {names[i]: int(n) for i, n in enumerate(counts) if n and names[i] not in targeted}
