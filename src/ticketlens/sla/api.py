"""`ticketlens.sla(db, ...)`: compute the per-ticket SLA facts and store them in the workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ticketlens.sla.engine import NO_CREATION, FactsResult, compute_facts
from ticketlens.sla.policy import Policy, load_policy, policy_from_json, policy_json
from ticketlens.workspace import DEFAULT_DB, Workspace, open_workspace

FACTS_TABLE = "sla_facts"
SUMMARY_TABLE = "sla_summary"
TECHNICIANS_TABLE = "sla_technicians"


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
        result, summary = compute_and_store(ws, policy, as_of, step)
    facts = result.facts
    facts.attrs.update(
        summary=summary.drop(columns=["policy_source"]).to_dict("records"),
        policy=policy.name,
        as_of=result.as_of.isoformat(),
        unknown_activities=result.unknown_activities,
        unknown_priorities=result.unknown_priorities,
    )
    return facts


def compute_and_store(ws: Workspace, policy: Policy, as_of: datetime | None,
                      step: Callable[[str], None]) -> tuple[FactsResult, pd.DataFrame]:
    """Compute the facts on an open workspace and replace ``sla_facts`` / ``sla_summary``."""
    result = compute_facts(ws.con, policy, as_of, step=step)
    summary = summarize(result)
    summary["events"] = ws.event_count()
    summary["policy_source"] = policy_json(policy)
    step("storing sla_facts")
    with ws.transaction() as con:
        store(con, FACTS_TABLE, result.facts)
        store(con, SUMMARY_TABLE, summary)
        store(con, TECHNICIANS_TABLE, result.technicians)
    return result, summary


def stored_run(ws: Workspace) -> tuple[Policy, datetime, int] | None:
    """The policy, as-of instant and event count the stored ``sla_facts`` were computed with."""
    exists = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?, ?)",
        [SUMMARY_TABLE, FACTS_TABLE, TECHNICIANS_TABLE]).fetchone()[0]  # type: ignore[index]
    if exists < 3:
        return None
    row = ws.con.execute(
        f"SELECT policy_source, as_of, events FROM {SUMMARY_TABLE} LIMIT 1").fetchone()
    if row is None:
        return None
    return policy_from_json(row[0]), row[1].astimezone(UTC), int(row[2])


def store(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace ``table`` with ``frame`` (call inside the workspace transaction).

    Columns that hold only NULLs are stored as VARCHAR, not DuckDB's NULL type.
    """
    view = f"_store_{table}"
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    for i, column in enumerate(arrow.schema):
        if pa.types.is_null(column.type):
            arrow = arrow.set_column(i, column.name, arrow.column(i).cast(pa.string()))
    con.register(view, arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def summarize(result: FactsResult) -> pd.DataFrame:
    """One row per metric: how many tickets were measured, breached, open, excluded."""
    facts, policy = result.facts, result.policy
    measured = facts["has_creation"]
    rows = []
    for metric in policy.metrics:
        m = metric.name
        status = facts[f"{m}_status"]
        breached = facts[f"{m}_breached"]
        has_verdict = breached.notna()
        open_ = status.isin(["running", "paused"])
        row = {
            "policy": policy.name,
            "policy_fingerprint": policy.fingerprint,
            "as_of": pd.Timestamp(result.as_of),
            "metric": m,
            "tickets": len(facts),
            "excluded_no_creation": int((~measured).sum()),
            "not_started": int((measured & (status == "not_started")).sum()),
            "with_target": int(has_verdict.sum()),
            "no_target": int((measured & (status != "not_started") & ~has_verdict).sum()),
            "stopped": int((status == "stopped").sum()),
            "open": int(open_.sum()),
            "breached": int(breached.fillna(False).sum()),
            "open_breached": int((breached.fillna(False) & open_).sum()),
        }
        row["breach_rate"] = row["breached"] / row["with_target"] if row["with_target"] else None
        source = facts["source_made_sla"]
        compared = has_verdict & source.notna() if m == "resolution" else has_verdict & False
        agree = (source[compared] == ~breached[compared]).sum()
        row["source_verdicts"] = int(compared.sum())
        row["agree_with_source"] = int(agree)
        row["agreement_rate"] = agree / compared.sum() if compared.sum() else None
        rows.append(row)
    return pd.DataFrame(rows)


@contextmanager
def _progress(enabled: bool) -> Iterator:
    """A rich status line naming the current step (only when ``enabled``)."""
    if not enabled:
        yield lambda _msg: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("sla: starting") as status:
        yield lambda msg: status.update(f"sla: {msg}")


__all__ = ["FACTS_TABLE", "NO_CREATION", "SUMMARY_TABLE", "TECHNICIANS_TABLE", "compute_and_store",
           "sla", "store", "stored_run", "summarize"]
