"""ServiceNow incident audit log (one row per update of an incident).

Read by the generic event-log path with the built-in ``servicenow`` mapping
(``mappings/servicenow.toml``): the activity is ``incident_state``, the timestamp
``sys_updated_at`` (day-first in the public export: decided from the data), ``?`` is missing,
``opened_at`` is the creation instant (updates before it are flagged), and the incident's last
update gives its case attributes — ``team`` = assignment_group, ``source_made_sla`` = made_sla
(the instance's own SLA verdict), ``channel`` = contact_type, ``system`` = cmdb_ci, and the
reassignment / reopen / modification counts. Every column also stays on each event's
``attributes`` (the value at that update).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.core.schema import CASE_ATTR_SOURCE_SLA
from ticketlens.sources.ingest.mapping import Mapping
from ticketlens.sources.ingest.read_csv import stage_csv
from ticketlens.sources.ingest.scan import FileScan
from ticketlens.sources.ingest.stage import ReadOptions, Staged


def stage_servicenow(
    con: duckdb.DuckDBPyConnection, path: Path, container: str, mapping: Mapping,
    options: ReadOptions, on_bytes: Callable[[int], None] | None = None,
    scan: FileScan | None = None,
) -> Staged:
    staged = stage_csv(con, path, container, mapping, options, on_bytes, scan)
    staged.details.update(servicenow_details(con))
    return staged


def servicenow_details(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts a ServiceNow analyst checks first, from the staged final values."""
    row = con.execute(
        """
        SELECT count(DISTINCT ticket_id) FILTER (WHERE name = $sla AND value = 'FALSE'),
               count(DISTINCT ticket_id) FILTER (WHERE name = $sla AND value = 'TRUE'),
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
