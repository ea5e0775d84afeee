"""`ticketlens.sla(db, ...)`: compute the per-ticket SLA facts and store them in the workspace."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd

from ticketlens.analyses.sla.engine import FactsResult, compute_facts
from ticketlens.clock.assemble import NO_CREATION
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.core.progress import progress_steps
from ticketlens.workspace.connection import DEFAULT_DB, Workspace, WorkspaceLike, use_workspace
from ticketlens.workspace.store import save, stored

FACTS_TABLE = "sla_facts"
SUMMARY_TABLE = "sla_summary"
TECHNICIANS_TABLE = "sla_technicians"
TICKET_TECHNICIANS_TABLE = "sla_ticket_technicians"
TABLES = (FACTS_TABLE, SUMMARY_TABLE, TECHNICIANS_TABLE, TICKET_TECHNICIANS_TABLE)


def sla(
    db: WorkspaceLike = DEFAULT_DB,
    *,
    policy: str | Path | Policy | None = None,
    as_of: datetime | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compute one row of SLA facts per ticket, store it as ``sla_facts``, and return it.

    ``db``: a workspace path, or an open ``Workspace`` (or DuckDB connection), left open.
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
    with use_workspace(db, must_exist=True) as ws, progress_steps("sla", 3, progress) as step:
        ws.require_events()
        if policy is None:  # the policy the stored facts were computed with
            previous = stored(ws.con, FACTS_TABLE)
            policy = previous.stored_policy() if previous else None
        policy = load_policy(policy)
        result, summary = compute_and_store(ws, policy, as_of, step, frame=True)
    facts = result.facts
    facts.attrs.update(
        summary=summary.assign(as_of=result.as_of.isoformat()).to_dict("records"),
        policy=policy.name,
        as_of=result.as_of.isoformat(),
        unknown_activities=result.unknown_activities,
        unknown_priorities=result.unknown_priorities,
    )
    return facts


def compute_and_store(ws: Workspace, policy: Policy, as_of: datetime | None,
                      step: Callable[[str], None], *,
                      frame: bool = False) -> tuple[FactsResult, pd.DataFrame]:
    """Compute the facts on an open workspace and replace the ``sla_*`` tables with their
    ``runs`` rows (one transaction: all of them, or none). ``frame``: also build
    ``result.facts`` (pandas), on a second thread while DuckDB stores the tables."""
    result = compute_facts(ws.con, policy, as_of, step=step)
    summary = summarize(result)
    summary["events"] = ws.event_count()
    step("storing sla_facts")
    with ThreadPoolExecutor(max_workers=1) as pool:
        framing = pool.submit(lambda: result.facts) if frame else None
        save(ws, "sla", {FACTS_TABLE: result.table, SUMMARY_TABLE: summary,
                         TECHNICIANS_TABLE: result.technicians,
                         TICKET_TECHNICIANS_TABLE: result.ticket_technicians},
             policy=policy, as_of=result.as_of)
        if framing is not None:
            framing.result()
    return result, summary


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


__all__ = ["FACTS_TABLE", "NO_CREATION", "SUMMARY_TABLE", "TABLES", "TECHNICIANS_TABLE",
           "TICKET_TECHNICIANS_TABLE", "compute_and_store", "sla", "summarize"]
