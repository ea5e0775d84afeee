"""The ``sla_metrics`` table of a generated desk: one row per ticket.

This module is the one place the SLA engine plugs into the generator: ``sla_metrics`` takes the
generated events and tickets (Arrow) and returns the table, so a later switch to the product's
SLA engine changes only this function's body. Definitions (preset policy) are in
``sla_table.sql``:

* ``sla_limit_hours``: by the ticket's final priority, Critical 4, High 8, Medium 24, Low 72.
* ``resolution_hours``: Ticket Created to the last Ticket Resolved, for tickets whose status is
  Resolved or Closed and that were resolved; empty otherwise (open, pending, or closed without
  a resolution, e.g. auto-closed after the user never answered).
* ``first_response_minutes``: Ticket Created to the first Ticket Assigned; empty if the ticket
  was never assigned before the window ended.
* ``sla_breached``: the SLA clock (wall clock from creation, no pauses) ran past the limit. The
  clock stops at the resolution, else at the closure, else runs until the window's end.
* ``uptime_impact_minutes``: for Critical tickets (a service outage) the minutes the clock ran;
  0 for every other priority.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources

import duckdb
import pyarrow as pa

SLA_LIMIT_HOURS = {"Critical": 4, "High": 8, "Medium": 24, "Low": 72}
SLA_METRICS_SCHEMA = pa.schema([
    ("ticket_id", pa.string()),
    ("sla_limit_hours", pa.int32()),
    ("resolution_hours", pa.float64()),
    ("first_response_minutes", pa.float64()),
    ("sla_breached", pa.bool_()),
    ("uptime_impact_minutes", pa.int64()),
])
_SQL = resources.files("ticketlens.generate").joinpath("sla_table.sql").read_text("utf-8")


def sla_metrics(events: pa.Table, tickets: pa.Table, *, as_of: datetime,
                con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """``sla_metrics`` for ``tickets`` (one row each, same order) from their ``events``.

    ``as_of`` is the naive end of the generated window: the SLA clock of a ticket still open
    then runs until it.
    """
    own = con is None
    con = con or duckdb.connect()
    try:
        ordered = tickets.select(["ticket_id", "priority", "status", "closed_at"]).append_column(
            "ticket_row", pa.array(range(tickets.num_rows), pa.int64()))
        con.register("events", events.select(["ticket_id", "timestamp", "activity"]))
        con.register("tickets", ordered)
        result = con.sql(_SQL, params={"as_of": as_of}).to_arrow_table()
        con.unregister("events")
        con.unregister("tickets")
    finally:
        if own:
            con.close()
    return result.cast(SLA_METRICS_SCHEMA)
