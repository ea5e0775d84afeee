"""`ticketlens.sla(db, ...)`: compute the per-ticket SLA facts and store them in the workspace."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd

from ticketlens.analyses.sla.engine import FactsResult, compute_facts
from ticketlens.clock.assemble import NO_CREATION
from ticketlens.clock.policy import Policy
from ticketlens.core.progress import progress_steps
from ticketlens.workspace.connection import DEFAULT_DB, Workspace, WorkspaceLike, use_workspace
from ticketlens.workspace.measurability import TABLE as MEASURABILITY_TABLE
from ticketlens.workspace.source_policy import ASSUMED, PolicyChoice, choose_policy
from ticketlens.workspace.store import save, stored

FACTS_TABLE = "sla_facts"
SUMMARY_TABLE = "sla_summary"
TECHNICIANS_TABLE = "sla_technicians"
TICKET_TECHNICIANS_TABLE = "sla_ticket_technicians"
TABLES = (FACTS_TABLE, SUMMARY_TABLE, TECHNICIANS_TABLE, TICKET_TECHNICIANS_TABLE,
          MEASURABILITY_TABLE)


def sla(
    db: WorkspaceLike = DEFAULT_DB,
    *,
    policy: str | Path | Policy | None = None,
    as_of: datetime | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compute one row of SLA facts per ticket, store it as ``sla_facts``, and return it.

    ``db``: a workspace path, or an open ``Workspace`` (or DuckDB connection), left open.
    ``policy``: a preset name (``standard``, ``compact``, ``generated-desk``, ``servicenow``,
    ``helpdesk``), a TOML file, or a loaded ``Policy``; default: the one the workspace's facts
    were last computed with when it was chosen, else the source's own policy (its preset, or
    the ``sla-policy.toml`` a generated desk brought; ``standard``, flagged as assumed, for a
    source without one; several sources with different policies: ``ConfigError`` asking for
    one — ``workspace.source_policy``). ``as_of``: the instant open clocks are measured to
    (default: the log's last event, or a generated desk's window end — when its sla_metrics
    were measured — if later; naive means UTC); events after it are ignored.

    Returns a pandas DataFrame (columns in docs/sla.md). ``result.attrs["summary"]`` holds the
    per-metric summary also stored as ``sla_summary``, ``attrs["unknown_activities"]`` /
    ``attrs["unknown_priorities"]`` what the policy did not recognise, ``attrs["policy_line"]``
    which policy and why, ``attrs["targets_assumed"]`` and ``attrs["not_measurable"]`` (metric
    -> ``not measurable: reason``, for metrics no source can measure; table ``measurability``).

    >>> facts = sla("ws.duckdb", policy="standard")          # doctest: +SKIP
    >>> facts.loc[facts.resolution_breached == True, "ticket_id"]  # doctest: +SKIP
    """
    with use_workspace(db, must_exist=True) as ws, progress_steps("sla", 3, progress) as step:
        ws.require_events()
        choice = choose_policy(ws.con, policy, _previous(ws))
        result, summary = compute_and_store(ws, choice, as_of, step, frame=True)
    policy = choice.policy
    facts = result.facts
    assert result.measurability is not None
    facts.attrs.update(
        summary=summary.assign(as_of=result.as_of.isoformat()).to_dict("records"),
        policy=policy.name,
        policy_line=choice.line,
        policy_reason=choice.reason,
        targets_assumed=ASSUMED if choice.assumed else None,
        not_measurable={m: r for m, r in result.measurability.reasons().items() if r},
        as_of=result.as_of.isoformat(),
        unknown_activities=result.unknown_activities,
        unknown_priorities=result.unknown_priorities,
    )
    return facts


def _previous(ws: Workspace) -> tuple[Policy | None, dict] | None:
    """The policy the stored facts were computed with, and their run's parameters."""
    previous = stored(ws.con, FACTS_TABLE)
    return (previous.stored_policy(), previous.parameters) if previous else None


def compute_and_store(ws: Workspace, choice: PolicyChoice, as_of: datetime | None,
                      step: Callable[[str], None], *,
                      frame: bool = False) -> tuple[FactsResult, pd.DataFrame]:
    """Compute the facts on an open workspace and replace the ``sla_*`` tables and
    ``measurability`` with their ``runs`` rows (one transaction: all of them, or none).
    ``frame``: also build ``result.facts`` (pandas), on a second thread while DuckDB stores
    the tables."""
    policy = choice.policy
    result = compute_facts(ws.con, policy, as_of, step=step)
    assert result.measurability is not None
    summary = summarize(result)
    summary["events"] = ws.event_count()
    step("storing sla_facts")
    with ThreadPoolExecutor(max_workers=1) as pool:
        framing = pool.submit(lambda: result.facts) if frame else None
        save(ws, "sla", {FACTS_TABLE: result.table, SUMMARY_TABLE: summary,
                         TECHNICIANS_TABLE: result.technicians,
                         TICKET_TECHNICIANS_TABLE: result.ticket_technicians,
                         MEASURABILITY_TABLE: result.measurability.table},
             policy=policy, as_of=result.as_of, parameters=choice.provenance())
        if framing is not None:
            framing.result()
    return result, summary


def summarize(result: FactsResult) -> pd.DataFrame:
    """One row per metric: how many tickets were measured, breached, open, excluded, and how
    often the source's own verdict agrees with ours (resolution only)."""
    rows = []
    measured = result.measurability
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
            "not_measurable_reason": measured.reason(metric) if measured else None,
        })
    return pd.DataFrame(rows)


__all__ = ["FACTS_TABLE", "MEASURABILITY_TABLE", "NO_CREATION", "SUMMARY_TABLE", "TABLES", "TECHNICIANS_TABLE",
           "TICKET_TECHNICIANS_TABLE", "compute_and_store", "sla", "summarize"]
