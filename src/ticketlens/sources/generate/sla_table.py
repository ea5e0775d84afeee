"""The ``sla_metrics`` table of a generated desk: one row per ticket.

This module is the one place the SLA clocks plug into the generator: ``sla_metrics`` loads the
generated events into an in-memory workspace, stages them as the SLA engine does
(``ticketlens.workspace.events``) and runs the resolution clock of the desk's SLA policy
(``sla_policy.desk_policy``: the shipped preset ``generated-desk`` on the desk's business hours
and zone, written beside the tables as ``sla-policy.toml``) with ``ticketlens.clock.facts.
metric_facts`` (the full facts restricted to one clock: same staging, clock and columns,
tested equal), since that is all this table reads. Ingest keeps that policy and records the
window's end, and ``ticketlens sla`` with no ``--policy`` and no ``--as-of`` measures an
ingested desk with the same policy as of the same instant, so each ticket's ``sla_breached``
is its ``resolution_breached`` there: one definition of a breach in the whole product. The
naive timestamps are read in the desk's zone exactly as ingest reads them. The table is
assembled with Arrow and numpy, never per row in Python. Definitions (see the preset's TOML
and docs/sla.md):

* ``sla_limit_hours``: the resolution target of the priority in force at the end (the policy
  retargets on a priority change): Critical 4, High 8, Medium 24, Low 72 — Critical hours on
  the wall clock (24x7), the others *business* hours of the desk's calendar (Monday to Friday
  within ``[calendar] business_hours``), so 24 business hours are three working days.
* ``resolution_hours``: Ticket Created to the last Ticket Resolved on the wall clock, pauses
  and nights included, for tickets whose status is Resolved or Closed and that were resolved;
  empty otherwise (open, pending, or closed without a resolution, e.g. auto-closed after the
  user never answered). It is not what the limit is compared with (below).
* ``first_response_minutes``: Ticket Created to the policy's first response (a technician's
  first visible action: the first Work Started, Awaiting User Response, Resolution Proposed or
  Ticket Resolved), wall clock; empty if there was none before the window ended.
* ``sla_breached``: the engine's resolution verdict: the clock, started at creation, counting
  the limit's calendar and paused while waiting on the user, on parts or on hold, ran past the
  limit before the last resolution (after a reopen it resumes where it stopped), or, for a
  ticket unresolved then, before the window's end.
* ``uptime_impact_minutes``: for Critical tickets (a service outage) the wall-clock minutes
  the resolution clock ran (pauses left out); 0 for every other priority.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ticketlens.clock.policy import Policy
from ticketlens.core.errors import AnalysisError

SLA_METRICS_SCHEMA = pa.schema([
    ("ticket_id", pa.string()),
    ("sla_limit_hours", pa.int32()),
    ("resolution_hours", pa.float64()),
    ("first_response_minutes", pa.float64()),
    ("sla_breached", pa.bool_()),
    ("uptime_impact_minutes", pa.int64()),
])


def sla_metrics(events: pa.Table, tickets: pa.Table, *, as_of: datetime, policy: Policy,
                timezone: str = "UTC", con: duckdb.DuckDBPyConnection | None = None
                ) -> pa.Table:
    """``sla_metrics`` for ``tickets`` (one row each, same order) from their ``events``.

    ``policy``: the desk's (``sla_policy.desk_policy``). ``as_of`` is the naive end of the
    generated window: the SLA clock of a ticket still open then runs until it. ``timezone``:
    the zone the naive timestamps (events and ``as_of``) are in. ``con``: an in-memory
    workspace to use (default: a fresh one); the events are added to its ``events`` table.
    """
    # imported here: the clocks (and their compiled kernel) load only when a desk is generated
    from ticketlens.clock.facts import metric_facts
    from ticketlens.workspace.connection import connect_memory, migrate
    from ticketlens.workspace.events import insert_events, stage, to_us

    own = con is None
    if con is None:
        con = connect_memory()
    else:
        migrate(con)
    try:
        columns = events.select(["ticket_id", "timestamp", "activity", "assigned_to",
                                 "priority"])
        insert_events(con, _in_zone(con, columns, timezone))
        moment = _instant(con, as_of, timezone)
        # only the resolution clock: the same engine and breach definition as `ticketlens sla`
        staged, ids = stage(con, policy, moment)
        facts = metric_facts(staged, ids, policy, "resolution", to_us(moment))
    except duckdb.InterruptException as exc:  # Ctrl-C inside a query: an interrupt, not a bug
        raise KeyboardInterrupt from exc
    finally:
        if own:
            con.close()
    ticket_ids = tickets.column("ticket_id").combine_chunks()
    rows = pc.index_in(ticket_ids, value_set=facts.column("ticket_id"))
    if rows.null_count:
        missing = ticket_ids.filter(rows.is_null()).slice(0, 3).to_pylist()
        raise AnalysisError(f"tickets without events: {', '.join(missing)}")
    facts = facts.take(rows)

    def micros(column: str) -> np.ndarray:  # µs since the epoch, NaN where missing
        values = facts.column(column).cast(pa.int64())
        return values.to_numpy(zero_copy_only=False).astype(np.float64)

    created = micros("created_at")
    # the arithmetic of pandas' Timedelta.total_seconds(): µs / 10**6, then hours or minutes
    hours = (micros("resolved_at") - created) / 1_000_000 / 3600
    minutes = (micros("first_response_at") - created) / 1_000_000 / 60
    status = tickets.column("status").combine_chunks()
    resolved = (pc.is_in(status.cast(pa.string()), pa.array(["Resolved", "Closed"]))
                .to_numpy(zero_copy_only=False)
                & facts.column("resolved_at").is_valid().to_numpy(zero_copy_only=False))
    target = _floats(facts.column("resolution_target_s")) / 3600
    critical = _floats(pc.equal(facts.column("priority").cast(pa.string()), "Critical")
                       .fill_null(False)) == 1
    uptime = np.where(critical, np.round(_floats(facts.column("resolution_wall_s")) / 60), 0)
    return pa.table({
        "ticket_id": ticket_ids.cast(pa.string()),
        "sla_limit_hours": pa.array(np.round(target), pa.int32(), from_pandas=True),
        "resolution_hours": pa.array(np.where(resolved, np.round(hours, 2), np.nan),
                                     from_pandas=True),
        "first_response_minutes": pa.array(np.round(minutes, 1), from_pandas=True),
        "sla_breached": facts.column("resolution_breached").combine_chunks(),
        "uptime_impact_minutes": pa.array(uptime.astype(np.int64), pa.int64()),
    }, schema=SLA_METRICS_SCHEMA)


def _in_zone(con: duckdb.DuckDBPyConnection, events: pa.Table, zone: str) -> pa.Table:
    """``events`` with their naive timestamps read in ``zone`` as ingest reads a desk's
    (DuckDB's ``timezone(zone, ts)``: the same instants, daylight-saving gaps included); naive
    means UTC to ``insert_events``, so a UTC desk needs no conversion."""
    if zone == "UTC":
        return events
    con.register("_desk_events", events)
    try:
        return con.sql('SELECT * REPLACE (timezone($z, "timestamp") AS "timestamp") '
                       "FROM _desk_events", params={"z": zone}).to_arrow_table()
    finally:
        con.unregister("_desk_events")


def _instant(con: duckdb.DuckDBPyConnection, naive: datetime, zone: str) -> datetime:
    """The naive ``naive`` in ``zone`` as an aware UTC instant (as ``_in_zone``)."""
    moment = con.execute("SELECT timezone($z, $t::TIMESTAMP)",
                         {"z": zone, "t": naive}).fetchall()[0][0]
    return moment.astimezone(UTC)


def _floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric or boolean column as float64, NaN where missing."""
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
