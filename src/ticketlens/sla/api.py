"""`ticketlens.sla(db, ...)`: compute the per-ticket SLA facts and store them in the workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ticketlens.sla.assemble import NO_CREATION
from ticketlens.sla.engine import FactsResult, compute_facts
from ticketlens.sla.policy import Policy, load_policy, policy_from_json, policy_json
from ticketlens.workspace import DEFAULT_DB, Workspace, open_workspace

FACTS_TABLE = "sla_facts"
SUMMARY_TABLE = "sla_summary"
TECHNICIANS_TABLE = "sla_technicians"
TICKET_TECHNICIANS_TABLE = "sla_ticket_technicians"
_ROW_GROUP = 122_880  # DuckDB's rows per row group
_CODED_SCHEMA = "_ticketlens"  # the coded tables behind views (store(coded=True))
# Dictionaries up to this size are coded: each becomes a list literal in the view, bound on
# every query that reads it (~3 ms per 1,000 values).
_MAX_CODES = 2048


def sla(
    db: str | Path = DEFAULT_DB,
    *,
    policy: str | Path | Policy | None = None,
    as_of: datetime | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compute one row of SLA facts per ticket, store it as ``sla_facts``, and return it.

    ``policy``: a preset name (``standard``, ``compact``, ``servicenow``, ``helpdesk``), a TOML
    file, or a loaded ``Policy``; default: the policy the workspace's facts were last computed
    with, else ``standard``. ``as_of``: the instant open clocks are
    measured to (default: the log's last event; naive means UTC); events after it are ignored.

    Returns a pandas DataFrame (columns in docs/sla.md). ``result.attrs["summary"]`` holds the
    per-metric summary also stored as ``sla_summary``, and ``attrs["unknown_activities"]`` /
    ``attrs["unknown_priorities"]`` what the policy did not recognise.

    >>> facts = sla("ws.duckdb", policy="standard")          # doctest: +SKIP
    >>> facts.loc[facts.resolution_breached == True, "ticket_id"]  # doctest: +SKIP
    """
    with open_workspace(db, must_exist=True) as ws, _progress(progress) as step:
        ws.require_events()
        if policy is None:
            stored = stored_run(ws)
            policy = stored[0] if stored else None
        policy = load_policy(policy)
        result, summary = compute_and_store(ws, policy, as_of, step, frame=True)
    facts = result.facts
    facts.attrs.update(
        summary=summary.drop(columns=["policy_source"]).assign(
            as_of=result.as_of.isoformat()).to_dict("records"),
        policy=policy.name,
        as_of=result.as_of.isoformat(),
        unknown_activities=result.unknown_activities,
        unknown_priorities=result.unknown_priorities,
    )
    return facts


def compute_and_store(ws: Workspace, policy: Policy, as_of: datetime | None,
                      step: Callable[[str], None], *,
                      frame: bool = False) -> tuple[FactsResult, pd.DataFrame]:
    """Compute the facts on an open workspace and replace the ``sla_*`` tables (one
    transaction: all of them, or none). ``frame``: also build ``result.facts`` (pandas), on a
    second thread while DuckDB stores the tables."""
    result = compute_facts(ws.con, policy, as_of, step=step)
    summary = summarize(result)
    summary["events"] = ws.event_count()
    summary["policy_source"] = policy_json(policy)
    step("storing sla_facts")
    with ThreadPoolExecutor(max_workers=1) as pool:
        framing = pool.submit(lambda: result.facts) if frame else None
        with ws.transaction() as con:
            store(con, FACTS_TABLE, result.table, coded=True)
            store(con, SUMMARY_TABLE, summary)
            store(con, TECHNICIANS_TABLE, result.technicians)
            store(con, TICKET_TECHNICIANS_TABLE, result.ticket_technicians, coded=True)
        if framing is not None:
            framing.result()
    return result, summary


def stored_run(ws: Workspace) -> tuple[Policy, datetime, int] | None:
    """The policy, as-of instant and event count the stored ``sla_facts`` were computed with."""
    exists = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?, ?, ?)",
        [SUMMARY_TABLE, FACTS_TABLE, TECHNICIANS_TABLE, TICKET_TECHNICIANS_TABLE]
    ).fetchall()[0][0]
    if exists < 4:
        return None
    row = ws.con.execute(
        f"SELECT policy_source, as_of, events FROM {SUMMARY_TABLE} LIMIT 1").fetchall()
    if not row:
        return None
    row = row[0]
    return policy_from_json(row[0]), row[1].astimezone(UTC), int(row[2])


def store(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame | pa.Table, *,
          coded: bool = False) -> None:
    """Replace ``table`` with ``data`` (call inside the workspace transaction).

    Columns that hold only NULLs are stored as VARCHAR, not DuckDB's NULL type. ``coded``:
    dictionary-encoded text columns with at most ``_MAX_CODES`` values are stored as their
    integer codes in ``_ticketlens.<table>_coded``, and ``table`` is a view that maps the codes
    back to text: the same columns, types, values and row order to SQL readers, but DuckDB
    writes an integer column for a fraction of what it spends compressing a text column.
    """
    arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(
        data, preserve_index=False)
    columns, select, any_coded = [], [], False
    for field, column in zip(arrow.schema, arrow.columns, strict=True):
        name = _quoted(field.name)
        if pa.types.is_null(field.type):
            column = column.cast(pa.string())
        elif pa.types.is_dictionary(field.type):
            values = _code_values(column) if coded else None
            if values is not None:
                # int32 whatever the index type: `code + 1` cannot overflow
                columns.append(pa.chunked_array([c.indices for c in column.chunks],
                                                field.type.index_type).cast(pa.int32()))
                select.append(f"{_text_list(values)}[{name} + 1] AS {name}")
                any_coded = True
                continue
            if column.num_chunks and len(column.chunk(0).dictionary) > _MAX_CODES:
                # DuckDB converts the whole dictionary again for every batch it scans
                column = column.cast(field.type.value_type)
        columns.append(column)
        select.append(name)
    arrow = pa.table(columns, names=arrow.schema.names)
    target = f"{_CODED_SCHEMA}.{_quoted(table + '_coded')}" if any_coded else table
    _drop_other_kind(con, table, "VIEW" if any_coded else "BASE TABLE")
    if any_coded:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_CODED_SCHEMA}")
    else:
        _drop_coded(con, table)
    view = f"_store_{table}"
    # batches of a DuckDB row group each: the threads write row groups side by side, in order
    con.register(view, pa.Table.from_batches(arrow.to_batches(max_chunksize=_ROW_GROUP),
                                             arrow.schema))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)
    if any_coded:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {', '.join(select)} "
                    f"FROM {target}")


def _code_values(column: pa.ChunkedArray) -> list[str | None] | None:
    """The text values behind a dictionary column's codes, or None when it cannot be coded:
    not text, chunks with different dictionaries, or too many values for a view."""
    if not column.num_chunks or not pa.types.is_string(column.type.value_type):
        return None
    dictionary = column.chunk(0).dictionary
    if len(dictionary) > _MAX_CODES or any(
            not chunk.dictionary.equals(dictionary) for chunk in column.chunks[1:]):
        return None
    values = dictionary.to_pylist()
    if any(v is not None and "\x00" in v for v in values):  # not expressible as a literal
        return None
    return values


def _text_list(values: list[str | None]) -> str:
    """A SQL list literal of the values (VARCHAR[]); NULL stays NULL."""
    if not values:
        return "CAST([] AS VARCHAR[])"
    items = ("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
    return f"CAST([{', '.join(items)}] AS VARCHAR[])"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop_other_kind(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> None:
    """Drop ``table`` when it exists as the other kind (a view where a table is wanted, or the
    reverse): CREATE OR REPLACE only replaces an object of its own kind."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main' "
        "AND table_name = ?", [table]).fetchall()
    if found and found[0][0] != kind:
        con.execute(f"DROP {'VIEW' if found[0][0] == 'VIEW' else 'TABLE'} {table}")


def _drop_coded(con: duckdb.DuckDBPyConnection, table: str) -> None:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?", [_CODED_SCHEMA, table + "_coded"]).fetchall()
    if found[0][0]:
        con.execute(f"DROP TABLE {_CODED_SCHEMA}.{_quoted(table + '_coded')}")


def summarize(result: FactsResult) -> pd.DataFrame:
    """One row per metric: how many tickets were measured, breached, open, excluded, and how
    often the source's own verdict agrees with ours (resolution only)."""
    rows = []
    for metric, counts in result.metric_counts.items():
        with_target, compared = counts["with_target"], counts["source_verdicts"]
        rows.append({
            "policy": result.policy.name,
            "policy_fingerprint": result.policy.fingerprint,
            "as_of": pd.Timestamp(result.as_of),
            "metric": metric,
            **counts,
            "breach_rate": counts["breached"] / with_target if with_target else None,
            "agreement_rate": counts["agree_with_source"] / compared if compared else None,
        })
    return pd.DataFrame(rows)


@contextmanager
def progress_steps(label: str, total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A rich progress bar advanced once per named step (only when ``enabled``)."""
    if not enabled:
        yield lambda _msg: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"{label}: {{task.description}}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=total)
        yield lambda msg: bar.update(task, advance=1, description=msg)


def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    return progress_steps("sla", 3, enabled)


__all__ = ["FACTS_TABLE", "NO_CREATION", "SUMMARY_TABLE", "TECHNICIANS_TABLE",
           "TICKET_TECHNICIANS_TABLE", "compute_and_store", "sla", "store", "stored_run",
           "summarize"]
