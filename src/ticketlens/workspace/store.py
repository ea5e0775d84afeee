"""The result store: analyses' tables in the workspace, each with its provenance in ``runs``.

``save`` replaces result tables and their ``runs`` rows in one transaction (all of them, or
none). A ``runs`` row says which analysis, policy (name, fingerprint, the policy itself) and
as-of instant produced the table, with which ticketlens version and from which workspace state
(event count, last source, a hash of the ``sources`` rows). ``current`` answers "is this stored
result still valid for (analysis, policy, as-of)?" the same way for every analysis: the state it
was computed from must be the workspace's state now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ticketlens.clock.policy import Policy, policy_from_json, policy_json
from ticketlens.workspace.connection import Workspace
from ticketlens.workspace.sql import check_identifier, load_sql, run, run_script, tables_exist

RUNS_TABLE = "runs"
_ROW_GROUP = 122_880  # DuckDB's rows per row group
_LARGE_DICTIONARY = 2048  # dictionary columns with more values are stored from plain text


@dataclass(frozen=True)
class WorkspaceState:
    """What a stored result was computed from: enough to tell that the data changed since."""

    events: int
    max_source_id: int | None
    sources_hash: str  # sha256 over every sources row (id, name, content hash, counts, time)


@dataclass(frozen=True)
class Run:
    """One ``runs`` row: the provenance of one stored result table."""

    result_table: str
    analysis: str
    policy: str | None
    policy_fingerprint: str | None
    policy_source: str | None  # the policy as JSON, to compute again with the same one
    as_of: datetime | None
    parameters: dict[str, Any]
    ticketlens_version: str
    state: WorkspaceState
    created_at: datetime

    def stored_policy(self) -> Policy | None:
        return policy_from_json(self.policy_source) if self.policy_source else None


def workspace_state(con: duckdb.DuckDBPyConnection) -> WorkspaceState:
    """The workspace's state now (events, sources): compared with a run's to tell staleness."""
    events, max_source = run(con, "SELECT (SELECT count(*) FROM events), "
                                  "(SELECT max(source_id) FROM sources)").fetchall()[0]
    digest = hashlib.sha256()
    for row in run(con, "SELECT source_id, name, sha256, rows_loaded, ingested_at FROM sources "
                        "ORDER BY source_id").fetchall():
        digest.update(repr(row).encode())
    return WorkspaceState(int(events), None if max_source is None else int(max_source),
                          digest.hexdigest())


def save(ws: Workspace, analysis: str, tables: Mapping[str, pd.DataFrame | pa.Table], *,
         policy: Policy | None = None, as_of: datetime | None = None,
         parameters: Mapping[str, Any] | None = None) -> None:
    """Replace each of ``tables`` in the workspace and record its run, in one transaction."""
    from ticketlens.core.version import VERSION as __version__

    state = workspace_state(ws.con)
    row = {
        "analysis": analysis,
        "policy": policy.name if policy else None,
        "policy_fingerprint": policy.fingerprint if policy else None,
        "policy_source": policy_json(policy) if policy else None,
        "as_of": as_of,
        "parameters": json.dumps(dict(parameters or {}), sort_keys=True, default=str),
        "version": __version__,
        "events": state.events,
        "max_source_id": state.max_source_id,
        "sources_hash": state.sources_hash,
        "created_at": datetime.now(UTC),
    }
    with ws.transaction() as con:
        for name, data in tables.items():
            replace_table(con, name, data)
            run_script(con, load_sql(__name__, "runs_record.sql"), {**row, "result_table": name})


def stored(con: duckdb.DuckDBPyConnection, table: str) -> Run | None:
    """The run that produced the stored ``table``, or None when the table (or its run) is
    missing — a workspace from before ``runs`` existed included."""
    if not tables_exist(con, RUNS_TABLE, table):
        return None
    rows = run(con, load_sql(__name__, "runs_read.sql"), {"table": table}).fetchall()
    if not rows:
        return None
    (name, analysis, policy, fingerprint, source, as_of, parameters, version, events,
     max_source, sources_hash, created) = rows[0]
    return Run(name, analysis, policy, fingerprint, source,
               None if as_of is None else as_of.astimezone(UTC),
               json.loads(parameters) if parameters else {}, version,
               WorkspaceState(int(events), max_source, sources_hash), created.astimezone(UTC))


def current(con: duckdb.DuckDBPyConnection, table: str, *, analysis: str | None = None,
            policy: Policy | None = None, as_of: datetime | None = None) -> Run | None:
    """The run of the stored ``table`` if the table is current: computed from the workspace's
    present state, and — when given — by ``analysis``, with ``policy`` (same fingerprint) and
    as of ``as_of``. None when it is missing or stale."""
    found = stored(con, table)
    if found is None or found.state != workspace_state(con):
        return None
    if analysis is not None and found.analysis != analysis:
        return None
    if policy is not None and found.policy_fingerprint != policy.fingerprint:
        return None
    if as_of is not None and found.as_of != as_of:
        return None
    return found


def replace_table(con: duckdb.DuckDBPyConnection, table: str,
                  data: pd.DataFrame | pa.Table) -> None:
    """Replace ``table`` with ``data`` (call inside the workspace transaction).

    Columns that hold only NULLs are stored as VARCHAR, not DuckDB's NULL type.
    """
    check_identifier(table, "result table")
    view = f"_store_{table}"
    arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(
        data, preserve_index=False)
    for i, field in enumerate(arrow.schema):
        column = arrow.column(i)
        if pa.types.is_null(field.type):
            arrow = arrow.set_column(i, field.name, column.cast(pa.string()))
        elif (pa.types.is_dictionary(field.type) and column.num_chunks
              and len(column.chunk(0).dictionary) > _LARGE_DICTIONARY):
            # DuckDB converts the whole dictionary again for every batch it scans (a million
            # ticket ids per row group): text once is cheaper
            arrow = arrow.set_column(i, field.name, column.cast(field.type.value_type))
    # batches of a DuckDB row group each: the threads write row groups side by side, in order
    arrow = pa.Table.from_batches(arrow.to_batches(max_chunksize=_ROW_GROUP), arrow.schema)
    con.register(view, arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


__all__ = ["RUNS_TABLE", "Run", "WorkspaceState", "current", "replace_table", "save", "stored",
           "workspace_state"]
