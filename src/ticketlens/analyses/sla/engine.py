"""The SLA engine: per-ticket facts from a connection holding the workspace ``events`` table.

``compute_facts(con, policy, as_of)`` works on any DuckDB connection with the workspace
schema — a workspace file or ``ticketlens.workspace.connection.connect_memory()`` — and writes nothing
permanent, so the generator's ``sla_metrics`` and ``ticketlens sla`` share one definition of
a breach. Staging is DuckDB SQL (``stage.py`` and the SQL files beside it); clocks, waits and
hand-offs are one walk over each ticket's staged events compiled by numba
(``clock/kernel.py``, driven by ``clocks.py`` and ``tickets.py``).

On two cores the work overlaps: while one thread puts the events in order, DuckDB reads the
tickets' attributes; then the clocks, lifecycle and people run side by side in a small thread
pool (the kernel releases the GIL). Every part is a pure function of its inputs, so the facts
never depend on the threads' timing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ticketlens.analyses.sla.stage import (
    EventRows,
    StagedEvents,
    drop_staging,
    order_events,
    read_events,
    ticket_attributes,
    ticket_ids,
)
from ticketlens.clock import clocks, tickets
from ticketlens.clock.assemble import (
    Dictionaries,
    facts_table,
    metric_counts,
    metric_table,
    technicians_table,
    ticket_technicians_table,
    to_pandas,
)
from ticketlens.clock.clocks import Calendars
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.core.errors import AnalysisError
from ticketlens.workspace.roles import read_roles
from ticketlens.workspace.roster import roster as workspace_roster

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
    _frame: pd.DataFrame | None = None

    @property
    def facts(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = to_pandas(self.table)
        return self._frame


def default_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The log's last event, the default as-of instant."""
    last = con.execute('SELECT max("timestamp") FROM events').fetchall()[0][0]
    return None if last is None else last.astimezone(UTC)


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
    as_of = _aware(as_of) if as_of is not None else default_as_of(con)
    if as_of is None:
        raise AnalysisError("no events to compute SLA facts from: the events table is empty")
    try:
        note("staging events")
        rows = read_events(con, policy, as_of)
        note("running clocks")
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            preparing = pool.submit(_timeline, rows, policy, _to_us(as_of))
            # meanwhile, on this thread, DuckDB reads the tickets' ids and case attributes
            # (measured: overlapping them with the kernels instead is slower on two cores)
            ids = ticket_ids(con, rows.indexed)
            attributes = ticket_attributes(con, rows.n_total, rows.indexed)
            staged, timeline = preparing.result()
            del rows, preparing
            parts = _start_clocks(pool, staged, timeline, policy)
            done = {name: part.result() for name, part in parts.items()}
        found = done["life"]
        roster = _roster_tiers(con, staged.dictionaries.people, policy)
        done["tiers"] = np.where(roster >= 0, roster, tickets.technician_tiers(found, policy))
        done.update(life=found.columns, escalations=found.escalations, waits=found.waits)
        return _facts(staged, policy, as_of, done, timeline.calendars.names, ids, attributes)
    finally:
        drop_staging(con)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def bound_policy(con: duckdb.DuckDBPyConnection,
                 policy: str | Path | Policy | None) -> Policy:
    """``policy`` bound to the lifecycle roles in force in ``con``'s workspace (the ticketlens
    vocabulary where none are stored): its role lists become the data's activities."""
    return load_policy(policy, read_roles(con))


def roles_table(policy: Policy) -> pa.Table:
    """One row per policy activity: what it means to a ticket (read by SQL, e.g. the KPIs)."""
    life = policy.lifecycle
    names = list(policy.activities)

    def member(group: frozenset[str]) -> list[bool]:
        return [a in group for a in names]

    kinds = []
    for a in names:
        if a in life.closed:
            kinds.append("closed")
        elif a in life.resolved:
            kinds.append("resolved")
        elif a in life.reopened:
            kinds.append("reopened")
        else:
            kinds.append(None)
    tiers = [life.escalated.get(a) for a in names]
    return pa.table({
        "activity": pa.array(names, pa.string()),
        "is_created": member(life.created),
        "is_resolved": member(life.resolved),
        "is_closed": member(life.closed),
        "is_reopened": member(life.reopened),
        "escalation_tier": pa.array(tiers, pa.string()),
        "lifecycle_kind": pa.array(kinds, pa.string()),
    })


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def metric_facts(
    con: duckdb.DuckDBPyConnection,
    policy: str | Path | Policy | None,
    metric: str,
    as_of: datetime | None = None,
) -> pa.Table:
    """One row per ticket of ``events``: the ``sla_facts`` columns of one metric (``<metric>_*``)
    with ``ticket_id``, ``has_creation``, ``priority``, ``created_at``, ``first_response_at`` and
    ``resolved_at`` — the same engine as ``compute_facts`` (same staging, clock and values),
    without the other metrics, waits and people. The generator's ``sla_metrics`` uses it.
    """
    policy = bound_policy(con, policy)
    chosen = policy.metric(metric)
    if chosen is None:
        raise AnalysisError(f"policy {policy.name!r} has no metric {metric!r}; it has "
                            f"{', '.join(m.name for m in policy.metrics) or 'none'}")
    as_of = _aware(as_of) if as_of is not None else default_as_of(con)
    if as_of is None:
        raise AnalysisError("no events to compute SLA facts from: the events table is empty")
    try:
        rows = read_events(con, policy, as_of)
        ids = ticket_ids(con, rows.indexed)
        staged, timeline = _timeline(rows, policy, _to_us(as_of))
        del rows
        clock = clocks.run_clock(timeline, policy, chosen)
        life = tickets.key_instants(staged.ev, policy, staged.raw,
                                    len(staged.dictionaries.people), timeline.as_of_us)
        return metric_table(staged.n_total, ids, life, chosen.name, clock,
                            timeline.calendars.names, staged.dictionaries)
    finally:
        drop_staging(con)


def _timeline(rows: EventRows, policy: Policy,
              as_of_us: int) -> tuple[StagedEvents, clocks.Timeline]:
    """The ordered events and what every clock shares (calendars, priority in force)."""
    staged = order_events(rows, policy)
    ev = staged.ev
    calendars = Calendars.build(policy, int(ev.ts.min()), max(as_of_us, int(ev.ts.max())))
    timeline = clocks.Timeline(ev, calendars, as_of_us)
    timeline.prepare(policy)
    return staged, timeline


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
    table = facts_table(policy, staged.n_total, ids, attributes, life, held, tiers,
                        done["escalations"], done["waits"], metrics, calendar_names, d)
    has_creation = table.column("has_creation").to_numpy(zero_copy_only=False)
    made = table.column("source_made_sla")
    source = np.where(made.is_null().to_numpy(zero_copy_only=False), -1,
                      made.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int64))
    counts = {name: metric_counts(clock, staged.n_total, has_creation,
                                  source if name == "resolution" else None)
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


def insert_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame | pa.Table,
                  source_id: int = 0) -> int:
    """Append events to ``con``'s ``events`` table (e.g. an in-memory workspace).

    ``events`` needs ``ticket_id``, ``timestamp`` (tz-aware, or naive meaning UTC) and
    ``activity``; ``assigned_to``, ``priority``, ``category``, ``department``, ``notes`` and
    ``event_id`` are optional. ``event_seq`` is assigned per ticket by timestamp, stable on the
    given row order, as ingest does. Returns the number of rows inserted.
    """
    table = events if isinstance(events, pa.Table) else pa.Table.from_pandas(
        events, preserve_index=False)
    missing = {"ticket_id", "timestamp", "activity"} - set(table.column_names)
    if missing:
        raise AnalysisError(f"events to insert lack column(s) {', '.join(sorted(missing))}")
    optional = ("assigned_to", "priority", "category", "department", "notes", "event_id")
    present = {c: c if c in table.column_names else "NULL" for c in optional}
    table = table.append_column("_row", pa.array(np.arange(1, table.num_rows + 1)))
    seq = _event_seq(table)
    if seq is None:
        seq_sql = "(row_number() OVER (PARTITION BY ticket_id ORDER BY ts, _row) - 1)::INTEGER"
    else:
        table = table.append_column("_seq", pa.array(seq, pa.int32()))
        seq_sql = "_seq"
    con.register("_sla_insert", table)
    try:
        select = ", ".join(f"CAST({present[c]} AS VARCHAR)" for c in optional)
        con.execute(
            f"""
            INSERT INTO events (ticket_id, event_seq, "timestamp", activity, assigned_to,
                                priority, category, department, notes, event_id, source_id,
                                source_row)
            SELECT ticket_id, {seq_sql}, ts, activity, {select}, $source_id, _row
            FROM (SELECT *, CAST("timestamp" AS TIMESTAMPTZ) AS ts FROM _sla_insert)
            """,
            {"source_id": source_id},
        )
    finally:
        con.unregister("_sla_insert")
    return table.num_rows


def _event_seq(table: pa.Table) -> np.ndarray | None:
    """``event_seq`` without a window sort when each ticket's rows already come together and
    in time order (as a generator writes them): the row's place in its run. None otherwise."""
    stamps, ids = table.column("timestamp"), table.column("ticket_id")
    if (not pa.types.is_timestamp(stamps.type) or stamps.null_count or ids.null_count
            or not len(ids)):
        return None
    ids = ids.combine_chunks()
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    changes = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(
        zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, changes])
    if len(starts) != pc.count_distinct(ids).as_py():
        return None  # some ticket's rows are split
    ts = stamps.combine_chunks().cast(pa.int64()).to_numpy()
    if ((np.diff(ts) < 0) & ~changes).any():
        return None  # out of time order within a ticket
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(ids)]))
    return np.arange(len(ids)) - run_start
