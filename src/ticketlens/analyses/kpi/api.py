"""`ticketlens.kpi(db, ...)`: service KPIs over the SLA facts, stored in the workspace."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ticketlens.analyses.kpi.tables import KPI_TABLES, build_tables
from ticketlens.analyses.sla.api import FACTS_TABLE, TABLES, compute_and_store
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.core.errors import ConfigError
from ticketlens.core.files import atomic_files, make_folder
from ticketlens.core.progress import progress_steps
from ticketlens.core.segment import TicketFilter
from ticketlens.core.version import VERSION
from ticketlens.core.workbook import check_workbook_path, write_workbook
from ticketlens.workspace.connection import DEFAULT_DB, Workspace, WorkspaceLike, use_workspace
from ticketlens.workspace.measurability import (
    ESCALATIONS,
    FCR,
    FIRST_RESPONSE,
    REOPENS,
    Measurability,
    stored_measurability,
)
from ticketlens.workspace.segment import resolve_segment
from ticketlens.workspace.source_policy import (
    ASSUMED,
    GIVEN,
    REMEMBERED,
    PolicyChoice,
    choose_policy,
)
from ticketlens.workspace.store import current, save, stored

FORMATS = ("parquet", "csv")


@dataclass
class KpiReport:
    """The KPI tables (pandas DataFrames by name) and what they were computed on."""

    tables: dict[str, pd.DataFrame]
    policy: str
    as_of: datetime
    segment: str
    recomputed_facts: bool
    out: Path | None = None
    policy_line: str = ""  # "policy: servicenow (the source's own preset)"
    targets_assumed: str | None = None  # ASSUMED when the policy's targets are only assumed
    # KPI column -> "not measurable: reason" (its value is NULL in every row)
    not_measurable: dict[str, str] = field(default_factory=dict)
    xlsx: Path | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tables as lists of records, instants as ISO 8601 text."""
        return {
            "policy": self.policy,
            "policy_line": self.policy_line,
            "targets_assumed": self.targets_assumed,
            "not_measurable": self.not_measurable,
            "as_of": self.as_of.isoformat(),
            "segment": self.segment,
            "recomputed_facts": self.recomputed_facts,
            "out": str(self.out) if self.out else None,
            "xlsx": str(self.xlsx) if self.xlsx else None,
            "tables": {name: json.loads(frame.to_json(orient="records", date_format="iso"))
                       for name, frame in self.tables.items()},
        }


def kpi(
    db: WorkspaceLike = DEFAULT_DB,
    *,
    segment: TicketFilter | None = None,
    policy: str | Path | Policy | None = None,
    out: str | Path | None = None,
    formats: Sequence[str] = FORMATS,
    progress: bool = False,
    xlsx: str | Path | None = None,
) -> KpiReport:
    """Compute every KPI table for ``segment`` and store them in the workspace as ``kpi_*``.

    ``db``: a workspace path, or an open ``Workspace`` (or DuckDB connection), left open.
    Reads ``sla_facts``; computes it first when it is missing, was computed on other events, or
    ``policy`` differs from the policy it was computed with. ``out``: also write each table as
    ``DIR/<table>.parquet`` and/or ``.csv`` (``formats``). ``xlsx``: also write every table
    as a sheet of this Excel workbook (``write_xlsx``). Tables and columns: docs/kpi.md.

    >>> report = kpi("ws.duckdb", segment=TicketFilter(priority=("High",)))  # doctest: +SKIP
    >>> report["kpi_segments"].query("dimension == 'team'")                   # doctest: +SKIP
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ConfigError(f"unknown output format(s) {', '.join(unknown) or '(none)'}; "
                          f"choose from {', '.join(FORMATS)}")
    if xlsx is not None:
        check_workbook_path(Path(xlsx))  # before the work, not after it
    with use_workspace(db, must_exist=True) as ws, progress_steps("kpi", 13, progress) as step:
        ws.require_events()
        # checked first: a typo in a filter value is refused before any long computation
        segment = resolve_segment(ws.con, segment or TicketFilter())
        choice, as_of, recomputed = _facts_for(ws, policy, step)
        chosen = choice.policy
        measured = stored_measurability(ws.con)
        tables = build_tables(ws.con, chosen, as_of, segment, step=step, measured=measured)
        described = segment.describe()
        step("storing kpi tables")
        save(ws, "kpi", {name: tables[name] for name in KPI_TABLES}, policy=chosen,
             as_of=as_of, parameters={"segment": described, **choice.provenance()})
    report = KpiReport(tables, chosen.name, as_of, described, recomputed, None, choice.line,
                       ASSUMED if choice.assumed else None, kpi_not_measurable(measured))
    if out is not None:
        report.out = write_tables(tables, Path(out), formats)
    if xlsx is not None:
        report.xlsx = write_xlsx(report, Path(xlsx))
    return report


def write_xlsx(report: KpiReport, out: Path) -> Path:
    """Every table of ``report`` as a sheet of the workbook ``out`` (all of it, or nothing),
    after an ``about`` sheet saying what the tables were computed on."""
    about = [("report", "ticketlens kpi"), ("ticketlens", VERSION),
             ("policy", report.policy),
             *([("why this policy", report.policy_line)] if report.policy_line else []),
             *([("targets", report.targets_assumed)] if report.targets_assumed else []),
             *[(column, reason) for column, reason in report.not_measurable.items()],
             ("as of", f"{report.as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"),
             ("segment", report.segment),
             ("times", "instants in UTC (Excel has no time zones)")]
    return write_workbook(report.tables, out, about)


def _facts_for(ws: Workspace, policy: str | Path | Policy | None,
               step: Any) -> tuple[PolicyChoice, datetime, bool]:
    """The policy (and why) and as-of instant of up-to-date SLA facts
    (``workspace.store.current``), computing them first when needed with the policy
    ``workspace.source_policy.choose_policy`` gives — kpi reads sla, never the reverse."""
    wanted = load_policy(policy) if policy is not None else None
    runs = [current(ws.con, table, analysis="sla", policy=wanted) for table in TABLES]
    fresh = runs[0]  # sla_facts; the sla tables are stored together, each must be current
    if fresh is not None and fresh.as_of is not None and all(runs):
        fresh_policy = fresh.stored_policy()
        if fresh_policy is not None:
            said = fresh.parameters
            if wanted is not None:
                return PolicyChoice(fresh_policy, GIVEN, given=True), fresh.as_of, False
            given = bool(said.get("policy_given", True))
            return (PolicyChoice(fresh_policy, REMEMBERED if given
                                 else said.get("policy_reason", REMEMBERED),
                                 bool(said.get("policy_assumed", False)), given),
                    fresh.as_of, False)
    previous = stored(ws.con, FACTS_TABLE)
    choice = choose_policy(ws.con, wanted, (previous.stored_policy(), previous.parameters)
                           if previous else None)
    result, _ = compute_and_store(ws, choice, None, step)
    return choice, result.as_of, True


# KPI columns a metric's measurability decides (workspace/measurability.py)
_KPI_COLUMNS = {
    FIRST_RESPONSE: ("frt_mean_minutes", "frt_median_minutes", "frt_p90_minutes"),
    REOPENS: ("reopen_rate",), ESCALATIONS: ("escalation_rate",), FCR: ("fcr_rate",),
}


def kpi_not_measurable(measured: Measurability) -> dict[str, str]:
    """KPI column (or ``<metric> breach_rate``) -> ``not measurable: reason``, for the metrics
    no source of the workspace can measure."""
    out: dict[str, str] = {}
    for metric in sorted(measured.everywhere):
        reason = measured.reason(metric)
        assert reason is not None
        for column in _KPI_COLUMNS.get(metric, (f"{metric} breach_rate",)):
            out[column] = reason
    return out


def write_tables(tables: dict[str, pd.DataFrame], out: Path,
                 formats: Sequence[str] = FORMATS) -> Path:
    """Write each table to ``out`` as Parquet and/or CSV; all files appear, or none."""
    make_folder(out)
    files = [(name, fmt) for name in tables for fmt in ("parquet", "csv") if fmt in formats]
    with atomic_files([out / f"{name}.{fmt}" for name, fmt in files]) as temps:
        for (name, fmt), temp in zip(files, temps, strict=True):
            if fmt == "parquet":
                tables[name].to_parquet(temp, index=False)
            else:
                tables[name].to_csv(temp, index=False, date_format="%Y-%m-%d")
    return out


