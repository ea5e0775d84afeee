"""Build every KPI table from ``sla_facts`` (+ ``events``) on one connection.

Each table is one SQL file beside this module (its grain stated at the top) run over the staged
segment ``_kpi_facts``; the statistical checks and the coverage report are assembled here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from ticketlens.analyses.kpi import stats
from ticketlens.analyses.sla.engine import bound_policy
from ticketlens.clock.policy import Policy
from ticketlens.core.errors import AnalysisError
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.measurability import (
    ESCALATIONS,
    FCR,
    FIRST_RESPONSE,
    REOPENS,
    Measurability,
)
from ticketlens.workspace.sql import is_identifier, load_sql

KPI_TABLES = ("kpi_segments", "kpi_breach", "kpi_backlog", "kpi_pareto", "kpi_peak_load",
              "kpi_technicians", "kpi_csat", "kpi_tests", "kpi_coverage")
_TEMP = ("_kpi_segment", "_kpi_facts")


def resolution_metric(policy: Policy) -> str | None:
    """The metric KPIs treat as "the resolution SLA": named ``resolution``, else the last one."""
    if policy.metric("resolution"):
        return "resolution"
    return policy.metrics[-1].name if policy.metrics else None


def build_tables(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime,
                 segment: TicketFilter | None = None,
                 step: Callable[[str], None] | None = None,
                 measured: Measurability | None = None) -> dict[str, pd.DataFrame]:
    """All KPI tables for the tickets of ``segment`` (default: all), as pandas DataFrames.
    ``measured``: what the workspace's sources can measure (the ``measurability`` stored with
    the SLA facts): a metric no source measures is NULL with its reason in ``kpi_coverage``."""
    measured = measured or Measurability(pd.DataFrame())
    note = step or (lambda _: None)
    policy = bound_policy(con, policy)  # a stored run's policy is read back unbound
    segment = segment or TicketFilter()
    select, params = segment.events_sql("events")
    tz = {"tz": policy.timezone}
    metric = resolution_metric(policy)
    try:
        note("staging segment")
        names = _metric_names(con, policy)
        if segment.is_empty:  # every ticket, also those known only from case attributes
            con.execute("CREATE OR REPLACE TEMP TABLE _kpi_segment (ticket_id VARCHAR)")
            where = ""
        else:  # the segment's SQL comes from TicketFilter, with user values as parameters
            con.execute("CREATE OR REPLACE TEMP TABLE _kpi_segment AS "
                        f"SELECT DISTINCT ticket_id FROM ({select})", params)
            where = "SEMI JOIN segment s USING (ticket_id)"
        verdicts = "".join(f'\n        f."{m}_breached", f."{m}_status",' for m in names)
        con.execute(load_sql(__name__, "stg_facts.sql").replace("{verdicts}", verdicts)
                    .replace("{segment}", where))
        parts = [load_sql(__name__, "stg_verdicts.sql").replace("{metric}", m) for m in names]
        # a view: each query that reads it scans the staged facts again, cheaper than storing
        # one row per ticket and metric
        con.execute("CREATE OR REPLACE TEMP VIEW _kpi_verdicts AS "
                    + "\nUNION ALL\n".join(f"({part})" for part in parts))
        con.register("_kpi_roles", _lifecycle_kinds(policy))
        tables: dict[str, pd.DataFrame] = {}
        for name, params_ in (
            ("kpi_segments", {}),
            ("kpi_breach", {}),
            ("kpi_backlog", {**tz, "as_of": as_of}),
            ("kpi_pareto", {}),
            ("kpi_peak_load", tz),
            ("kpi_technicians", {"metric": metric}),
            ("kpi_csat", {}),
        ):
            note(name.removeprefix("kpi_").replace("_", " "))
            tables[name] = con.execute(load_sql(__name__, f"{name}.sql"), params_).fetch_df()
        note("statistical tests")
        escalated = stats.mann_whitney_escalated(con)
        if measured.reason(ESCALATIONS):
            escalated["note"] = measured.reason(ESCALATIONS)
        tables["kpi_tests"] = pd.DataFrame(
            [stats.chi_square_priority_breach(con, metric), escalated],
            columns=list(stats.TEST_COLUMNS))
        tables["kpi_coverage"] = _coverage(con, policy, measured)
    finally:
        con.execute("DROP VIEW IF EXISTS _kpi_verdicts")
        for table in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.unregister("_kpi_roles")
    return tables


def _metric_names(con: duckdb.DuckDBPyConnection, policy: Policy) -> list[str]:
    """The policy's metric names, which become column names in the KPI queries: validated
    identifiers (policy.py), checked again here against the stored facts."""
    columns = {row[0] for row in con.execute("DESCRIBE sla_facts").fetchall()}
    names = []
    for metric in policy.metrics:
        name = metric.name
        if not is_identifier(name) or f"{name}_breached" not in columns:
            raise AnalysisError(f"sla_facts has no columns for metric {name!r}: recompute them "
                                "with `ticketlens sla`")
        names.append(name)
    return names


def _coverage(con: duckdb.DuckDBPyConnection, policy: Policy,
              measured: Measurability) -> pd.DataFrame:
    """One row per KPI: tickets used, and tickets left out with the reason, counted; a KPI
    no source can measure says so (``not measurable: …``) instead of its exclusions."""
    counts = con.execute("""
        SELECT count(*) AS tickets,
               count(*) FILTER (WHERE NOT has_creation) AS no_creation,
               count(resolution_hours) AS resolved,
               count(*) FILTER (WHERE has_creation AND resolved_at IS NULL) AS unresolved,
               count(first_response_minutes) AS responded,
               count(*) FILTER (WHERE has_creation AND first_response_at IS NULL) AS no_response,
               count(csat) AS rated,
               count(reopens) FILTER (WHERE first_resolved_at IS NOT NULL) AS reopen_known,
               count(escalations) AS escalation_known,
               count(*) FILTER (WHERE reopens IS NULL) AS no_reopens,
               count(fcr) AS fcr_known
        FROM _kpi_facts
    """).fetch_df().iloc[0]
    total, no_creation = int(counts["tickets"]), int(counts["no_creation"])
    rows = [
        ("resolution time (MTTR, median, p90)", int(counts["resolved"]),
         [(no_creation, "no creation event: no start to measure from"),
          (int(counts["unresolved"]), "not resolved (as of)")]),
        ("first response time", int(counts["responded"]),
         _or_not_measurable(measured, FIRST_RESPONSE, total, [
             (no_creation, "no creation event: no start to measure from"),
             (int(counts["no_response"]), "no first-response activity (as of)")])),
        ("reopen rate", int(counts["reopen_known"]),
         _or_not_measurable(measured, REOPENS, total, [
             (int(counts["no_reopens"]), _partly(measured, REOPENS)),
             (total - int(counts["reopen_known"]) - int(counts["no_reopens"]),
              "never resolved")])),
        ("escalation rate", int(counts["escalation_known"]),
         _or_not_measurable(measured, ESCALATIONS, total, [
             (total - int(counts["escalation_known"]), _partly(measured, ESCALATIONS))])),
        ("first-contact resolution", int(counts["fcr_known"]),
         _or_not_measurable(measured, FCR, total, [
             (total - int(counts["fcr_known"]), "not resolved, or no known holder")])),
    ]
    verdicts = con.execute("""
        SELECT metric, count(breached), count(*) - count(breached) FROM _kpi_verdicts
        GROUP BY metric
    """).fetchall()
    by_metric = {m: (int(w), int(wo)) for m, w, wo in verdicts}
    for metric in policy.metrics:
        with_verdict, without = by_metric.get(metric.name, (0, 0))
        rows.append((f"{metric.name} SLA breach rate", with_verdict, _or_not_measurable(
            measured, metric.name, total,
            [(no_creation, "no creation event: no SLA clock (never an invented start)"),
             (without, "clock not started, or no target for the ticket's priority")])))
    rows.append(("backlog and peak load", total - no_creation,
                 [(no_creation, "no creation event: creation instant unknown")]))
    rows.append(("CSAT", int(counts["rated"]),
                 [(total - int(counts["rated"]), "no satisfaction rating")]))
    frame = []
    for kpi, used, exclusions in rows:
        excluded = [(n, why) for n, why in exclusions if n]
        # a KPI no source measures: its reason alone (every ticket is left out for it)
        whole = (len(excluded) == 1 and excluded[0][0] == total
                 and excluded[0][1].startswith("not measurable"))
        frame.append({
            "kpi": kpi, "tickets": total, "used": used,
            "excluded": sum(n for n, _ in excluded),
            "reasons": excluded[0][1] if whole else
            "; ".join(f"{n:,} {why}" for n, why in excluded) or None,
        })
    return pd.DataFrame(frame)


def _or_not_measurable(measured: Measurability, metric: str, total: int,
                       exclusions: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """``exclusions``, or every ticket left out as "not measurable: …" when no source of the
    workspace can measure ``metric``."""
    reason = measured.reason(metric)
    return [(total, reason)] if reason else exclusions


def _partly(measured: Measurability, metric: str) -> str:
    """Why some tickets (those of a source that cannot record ``metric``) are left out."""
    return f"not measurable: {measured.not_measurable.get(metric, 'not recorded')}"


def _lifecycle_kinds(policy: Policy) -> pa.Table:
    """One row per activity of the bound policy: ``closed``, ``resolved``, ``reopened`` or
    NULL — what the backlog's open/closed walk needs of the lifecycle roles."""
    life = policy.lifecycle
    names = list(policy.activities)
    kinds = ["closed" if a in life.closed else "resolved" if a in life.resolved
             else "reopened" if a in life.reopened else None for a in names]
    return pa.table({"activity": pa.array(names, pa.string()),
                     "lifecycle_kind": pa.array(kinds, pa.string())})
