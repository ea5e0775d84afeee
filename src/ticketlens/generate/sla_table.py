"""The ``sla_metrics`` table of a generated desk: one row per ticket.

This module is the one place the SLA engine plugs into the generator: ``sla_metrics`` loads the
generated events into an in-memory workspace and runs the product's SLA engine
(``ticketlens.sla.compute_facts``) with the shipped policy ``generated-desk``, so a generated
``sla_breached`` is exactly what ``ticketlens sla --policy generated-desk`` finds — one
definition of a breach in the whole product. Definitions (see the preset's TOML and
docs/sla.md):

* ``sla_limit_hours``: the resolution target of the ticket's final priority, Critical 4,
  High 8, Medium 24, Low 72.
* ``resolution_hours``: Ticket Created to the last Ticket Resolved, for tickets whose status is
  Resolved or Closed and that were resolved; empty otherwise (open, pending, or closed without
  a resolution, e.g. auto-closed after the user never answered).
* ``first_response_minutes``: Ticket Created to the first Ticket Assigned; empty if the ticket
  was never assigned before the window ended.
* ``sla_breached``: the engine's resolution verdict: the wall clock from creation (no pauses)
  ran past the limit before the last resolution, else the closure, else the window's end; time
  between a closure and a reopen counts.
* ``uptime_impact_minutes``: for Critical tickets (a service outage) the minutes the resolution
  clock ran; 0 for every other priority.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

SLA_POLICY = "generated-desk"
SLA_LIMIT_HOURS = {"Critical": 4, "High": 8, "Medium": 24, "Low": 72}
SLA_METRICS_SCHEMA = pa.schema([
    ("ticket_id", pa.string()),
    ("sla_limit_hours", pa.int32()),
    ("resolution_hours", pa.float64()),
    ("first_response_minutes", pa.float64()),
    ("sla_breached", pa.bool_()),
    ("uptime_impact_minutes", pa.int64()),
])


def sla_metrics(events: pa.Table, tickets: pa.Table, *, as_of: datetime,
                con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """``sla_metrics`` for ``tickets`` (one row each, same order) from their ``events``.

    ``as_of`` is the naive end of the generated window: the SLA clock of a ticket still open
    then runs until it. ``con``: an in-memory workspace to use (default: a fresh one); the
    events are added to its ``events`` table.
    """
    from ticketlens.sla.engine import compute_facts, insert_events
    from ticketlens.workspace import connect_memory, migrate

    own = con is None
    if con is None:
        con = connect_memory()
    else:
        migrate(con)
    try:
        insert_events(con, events.select(["ticket_id", "timestamp", "activity", "assigned_to",
                                          "priority"]))
        facts = compute_facts(con, SLA_POLICY, as_of).facts.set_index("ticket_id")
    finally:
        if own:
            con.close()
    order = tickets.column("ticket_id").to_pylist()
    facts = facts.loc[order]
    status = np.asarray(tickets.column("status").to_pylist(), dtype=object)
    resolved = np.isin(status, ["Resolved", "Closed"]) & facts["resolved_at"].notna().to_numpy()
    created = facts["created_at"]
    hours = (facts["resolved_at"] - created).dt.total_seconds().to_numpy() / 3600
    minutes = (facts["first_response_at"] - created).dt.total_seconds().to_numpy() / 60
    target = facts["resolution_target_s"].to_numpy() / 3600
    critical = facts["priority"].to_numpy() == "Critical"
    uptime = np.where(critical, np.round(facts["resolution_wall_s"].to_numpy() / 60), 0)
    return pa.table({
        "ticket_id": pa.array(order, pa.string()),
        "sla_limit_hours": pa.array(np.round(target), pa.int32(), from_pandas=True),
        "resolution_hours": pa.array(np.where(resolved, np.round(hours, 2), np.nan),
                                     from_pandas=True),
        "first_response_minutes": pa.array(np.round(minutes, 1), from_pandas=True),
        "sla_breached": pa.array(facts["resolution_breached"].astype("boolean").to_numpy(
            dtype=object, na_value=None), pa.bool_()),
        "uptime_impact_minutes": pa.array(uptime.astype(np.int64), pa.int64()),
    }, schema=SLA_METRICS_SCHEMA)
