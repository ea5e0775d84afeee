"""Helpers for the mine tests: small workspaces built by hand, and pm4py reference results.

Hand-made tickets go straight into the workspace ``events`` table with ``event_seq`` assigned
the way ingest assigns it (by timestamp, stable on source order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from ticketlens.workspace import connect_memory

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

# (ticket, minutes after T0, activity, assigned_to or None[, category[, priority]])
Row = Sequence[object]


def workspace_with(rows: Iterable[Row], *, attributes: Iterable[tuple[str, str, str]] = ()
                   ) -> duckdb.DuckDBPyConnection:
    """An in-memory workspace holding exactly ``rows`` (and case attributes name/value)."""
    con = connect_memory()
    records = []
    for line, row in enumerate(rows, start=1):
        ticket, minutes, activity, resource, *rest = row
        category = rest[0] if rest else None
        priority = rest[1] if len(rest) > 1 else None
        records.append((ticket, T0 + timedelta(minutes=float(minutes)), activity, resource,
                        priority, category, line))
    frame = pd.DataFrame(records, columns=["ticket_id", "ts", "activity", "assigned_to",
                                           "priority", "category", "source_row"])
    insert_events(con, frame)
    for ticket, name, value in attributes:
        con.execute("INSERT INTO case_attributes VALUES (?, ?, ?, 1)", [ticket, name, value])
    return con


def insert_events(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Insert ``frame`` (ticket_id, ts, activity, assigned_to[, priority, category], source_row)
    into ``events``, numbering events per ticket by timestamp, stable on source_row."""
    for column in ("priority", "category"):
        if column not in frame:
            frame = frame.assign(**{column: None})
    con.register("incoming", frame)
    con.execute(
        """
        INSERT INTO events
        SELECT ticket_id,
               (row_number() OVER (PARTITION BY ticket_id ORDER BY ts, source_row) - 1)::INTEGER,
               ts, activity, assigned_to, priority, category, NULL, NULL, NULL, 1,
               source_row, NULL
        FROM incoming
        """
    )
    con.unregister("incoming")


def pm4py_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The workspace events as a pm4py-formatted DataFrame, in source order (pm4py sorts)."""
    import pm4py

    frame = con.execute(
        """SELECT ticket_id AS "case:concept:name", activity AS "concept:name",
                  "timestamp" AS "time:timestamp", coalesce(assigned_to, 'Unassigned')
                  AS "org:resource"
           FROM events ORDER BY source_id, source_row"""
    ).df()
    return pm4py.format_dataframe(frame)
