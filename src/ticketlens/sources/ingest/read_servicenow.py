"""ServiceNow incident audit log (one row per update of an incident).

Read by the generic event-log path with the built-in ``servicenow`` mapping
(``mappings/servicenow.toml``): the activity is ``incident_state``, the timestamp
``sys_updated_at`` (day-first in the public export: decided from the data), ``?`` is missing,
``opened_at`` is the creation instant (updates before it are flagged), and the incident's last
update gives its case attributes — ``team`` = assignment_group, ``source_made_sla`` = made_sla
(the instance's own SLA verdict), ``channel`` = contact_type, ``system`` = cmdb_ci, and the
reassignment / reopen / modification counts. Every column also stays on each event's
``attributes`` (the value at that update).

Changes the log records as columns rather than states — the assignee, the assignment group,
the priority — become events at the update's instant (``derive_servicenow.sql``), marked with
the ``derived`` attribute; their lifecycle roles (reassignment, priority change) are in the
mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.core.schema import CASE_ATTR_SOURCE_SLA
from ticketlens.sources.ingest.mapping import Mapping
from ticketlens.sources.ingest.read_csv import stage_csv
from ticketlens.sources.ingest.scan import FileScan
from ticketlens.sources.ingest.stage import ReadOptions, Staged
from ticketlens.workspace.events import verdict_sql


def stage_servicenow(
    con: duckdb.DuckDBPyConnection, path: Path, container: str, mapping: Mapping,
    options: ReadOptions, on_bytes: Callable[[int], None] | None = None,
    scan: FileScan | None = None, sheet: str | None = None,
) -> Staged:
    staged = stage_csv(con, path, container, mapping, options, on_bytes, scan, sheet)
    staged.details.update(servicenow_details(con))
    staged.details["derived_events"] = derive_column_changes(con, staged.events)
    return staged


DERIVED_ACTIVITIES = {"assignee": "Assignee Changed", "group": "Assignment Group Changed",
                      "priority": "Priority Changed"}


def derive_column_changes(con: duckdb.DuckDBPyConnection, events: str) -> dict[str, int]:
    """Add an event per assignee / assignment group / priority change to the staged
    ``events`` table; return how many of each were made."""
    sql = files("ticketlens.sources.ingest").joinpath("derive_servicenow.sql").read_text(
        encoding="utf-8").replace("STAGED_EVENTS", events)
    con.execute(sql, DERIVED_ACTIVITIES)
    con.execute(f"ALTER VIEW {events} RENAME TO {events}_read")
    con.execute(f"CREATE TEMP VIEW {events} AS SELECT * FROM {events}_read "
                f"UNION ALL SELECT * FROM {events}_derived")
    counts = dict(con.execute(
        f"SELECT activity, count(*) FROM {events}_derived GROUP BY 1").fetchall())
    return {name: int(counts.get(name, 0)) for name in DERIVED_ACTIVITIES.values()}


def servicenow_details(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts a ServiceNow analyst checks first, from the staged final values."""
    verdict = verdict_sql("value")  # TRUE, true or True alike
    row = con.execute(
        f"""
        SELECT count(DISTINCT ticket_id) FILTER (WHERE name = $sla AND NOT {verdict}),
               count(DISTINCT ticket_id) FILTER (WHERE name = $sla AND {verdict}),
               count(DISTINCT ticket_id) FILTER (WHERE name = 'reopen_count'
                                                 AND TRY_CAST(value AS INTEGER) > 0),
               sum(TRY_CAST(value AS INTEGER)) FILTER (WHERE name = 'reassignment_count'),
               count(DISTINCT ticket_id) FILTER (WHERE name = 'reassignment_count'
                                                 AND TRY_CAST(value AS INTEGER) > 0)
        FROM stage_case
        """,
        {"sla": CASE_ATTR_SOURCE_SLA},
    ).fetchall()[0]
    assert row is not None
    return {
        "incidents_made_sla_false": int(row[0]),
        "incidents_made_sla_true": int(row[1]),
        "incidents_reopened": int(row[2]),
        "reassignments": int(row[3] or 0),
        "incidents_reassigned": int(row[4]),
    }
