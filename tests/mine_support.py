"""Helpers for the mine tests: small workspaces built by hand, and pm4py reference results.

Hand-made tickets go straight into the workspace ``events`` table with ``event_seq`` assigned
the way ingest assigns it (by timestamp, stable on source order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import duckdb
import pandas as pd

from ticketlens.core.roster import load_roster_file
from ticketlens.workspace.connection import connect_memory, open_workspace
from ticketlens.workspace.roster import attach_roster_file

# The hand-made tickets are worked by the default desk's people (Chris Johnson at L1, ...):
# its [[technician]] blocks are the roster of every hand-made workspace.
DESK_TOML = Path(str(files("ticketlens.sources.generate").joinpath("desk.toml")))

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

# (ticket, minutes after T0, activity, assigned_to or None[, category[, priority]])
Row = Sequence[object]


def workspace_with(rows: Iterable[Row], *, attributes: Iterable[tuple[str, str, str]] = (),
                   con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory workspace (or ``con``) holding exactly ``rows``, case attributes and the
    default desk's roster."""
    con = con if con is not None else connect_memory()
    attach_roster_file(con, load_roster_file(DESK_TOML))
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


def workspace_file(path: Path, rows: Iterable[Row],
                   attributes: Iterable[tuple[str, str, str]] = ()) -> Path:
    """A workspace file at ``path`` holding exactly ``rows``."""
    with open_workspace(path) as ws:
        workspace_with(rows, attributes=attributes, con=ws.con)
    return path


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


# How each real or generated file maps onto the workspace, for loading without ingest:
# (case, activity expression, timestamp expression, resource, category, nobody-value).
_LAYOUTS = {
    "helpdesk": ('"Case ID"', "Activity",
                 """strptime("Complete Timestamp", '%Y/%m/%d %H:%M:%S.%g')""", "Resource",
                 "NULL", None),
    "bpic2013": ('"case:concept:name"', """"concept:name" || ' - ' || "lifecycle:transition\"""",
                 """strptime("time:timestamp", '%Y-%m-%d %H:%M:%S%z')""", '"org:resource"',
                 "NULL", None),
    "events": ("ticket_id", "activity", "strptime(timestamp, '%Y-%m-%d %H:%M:%S')",
               "assigned_to", "category", "Unassigned"),
}


def load_csv(con: duckdb.DuckDBPyConnection, path: object, layout: str) -> None:
    """Load a CSV event log straight into ``events`` (naive timestamps read as UTC)."""
    case, activity, stamp, resource, category, nobody = _LAYOUTS[layout]
    frame = con.execute(
        f"""SELECT {case} AS ticket_id, {activity} AS activity,
                   ({stamp})::TIMESTAMP AT TIME ZONE 'UTC' AS ts,
                   CASE WHEN {resource} = ? THEN NULL ELSE {resource} END AS assigned_to,
                   {category} AS category, row_number() OVER () AS source_row
            FROM read_csv(?, all_varchar = true, header = true)""",
        [nobody, str(path)],
    ).df()
    insert_events(con, frame)


_CACHE: dict[str, object] = {}


def ingested(folder: object, name: str, source: object) -> object:
    """A workspace file holding ``source`` ingested by ``ticketlens.sources.ingest`` (once per run)."""
    import ticketlens

    key = f"ws:{name}"
    if key not in _CACHE:
        from pathlib import Path

        db = Path(str(folder)) / f"{name}.duckdb"
        ticketlens.ingest([source], db=db)
        _CACHE[key] = db
    return _CACHE[key]


def generated_desk(folder: object, tickets: int = 3000, seed: int = 11) -> object:
    """A generated desk folder (once per run and size)."""
    import ticketlens

    key = f"desk:{tickets}:{seed}"
    if key not in _CACHE:
        from pathlib import Path

        out = Path(str(folder)) / f"desk-{tickets}-{seed}"
        ticketlens.generate(out, tickets=tickets, seed=seed)
        _CACHE[key] = out
    return _CACHE[key]
