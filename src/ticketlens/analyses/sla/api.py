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

from ticketlens.analyses.sla.engine import FactsResult, compute_facts
from ticketlens.clock.assemble import NO_CREATION
from ticketlens.clock.policy import Policy, load_policy, policy_from_json, policy_json
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.connection import DEFAULT_DB, Workspace, open_workspace

FACTS_TABLE = "sla_facts"
SUMMARY_TABLE = "sla_summary"
TECHNICIANS_TABLE = "sla_technicians"
TICKET_TECHNICIANS_TABLE = "sla_ticket_technicians"
_ROW_GROUP = 122_880  # DuckDB's rows per row group
_LARGE_DICTIONARY = 2048  # dictionary columns with more values are stored from plain text


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
            store(con, FACTS_TABLE, result.table)
            store(con, SUMMARY_TABLE, summary)
            store(con, TECHNICIANS_TABLE, result.technicians)
            store(con, TICKET_TECHNICIANS_TABLE, result.ticket_technicians)
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
    try:
        stored = policy_from_json(row[0])
    except ConfigError:  # a policy written in activity names (before lifecycle roles): stale
        return None
    return stored, row[1].astimezone(UTC), int(row[2])


def store(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame | pa.Table) -> None:
    """Replace ``table`` with ``data`` (call inside the workspace transaction).

    Columns that hold only NULLs are stored as VARCHAR, not DuckDB's NULL type.
    """
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
