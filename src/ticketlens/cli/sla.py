"""CLI for `ticketlens sla` (per-ticket SLA facts) and `ticketlens kpi` (service KPIs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import click

from ticketlens.cli.options import (
    Instant,
    db_option,
    filter_options,
    json_option,
    make_filter,
)
from ticketlens.cli.xlsx import written_xlsx, xlsx_option
from ticketlens.core.progress import progress_wanted

POLICY_HELP = ("SLA policy: a preset name (standard, compact, generated-desk, servicenow, helpdesk; see "
               "--list-policies) or a TOML file. Default: the policy the workspace's facts were "
               "computed with, else 'standard'.")

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table


def _list_policies(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from ticketlens.clock.policy import DEFAULT_PRESET, load_policy, preset_names, preset_path

    for name in preset_names():
        policy = load_policy(name)
        marker = " (default)" if name == DEFAULT_PRESET else ""
        click.echo(f"{name}{marker}: {policy.description}\n    {preset_path(name)}")
    ctx.exit(0)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=False, width=max(Console().width, 100))


def _fmt(value: Any, column: str = "") -> str:
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, Real) and pd.isna(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        if column.endswith(("_rate", "share")):
            return f"{float(value):.1%}"
        return f"{float(value):,.2f}"
    if isinstance(value, pd.Timestamp | datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _table(title: str, frame: pd.DataFrame, columns: dict[str, str],
           limit: int | None = None) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for header in columns.values():
        table.add_column(header, overflow="fold")
    shown = frame if limit is None else frame.head(limit)
    for _, row in shown.iterrows():
        table.add_row(*(_fmt(row[c], c) for c in columns))
    if limit is not None and len(frame) > limit:
        table.caption = f"{len(frame) - limit} more rows in the workspace table / --json / --out"
    return table


# --- sla ----------------------------------------------------------------------------------


@click.command("sla")
@db_option
@click.option("--policy", help=POLICY_HELP)
@click.option("--as-of", "as_of", type=Instant(),
              help="Measure open clocks up to this instant (UTC unless it has an offset); "
                   "later events are ignored. Default: the log's last event.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Also write the facts to this .parquet or .csv file.")
@click.option("--list-policies", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_policies, help="List the shipped SLA policies and exit.")
@json_option
def sla_command(db: str, policy: str | None, as_of: datetime | None, out: str | None,
                as_json: bool) -> None:
    """Compute per-ticket SLA facts (one row per ticket) into the table `sla_facts`.

    Runs the policy's clocks (default: response and resolution) on every ticket: elapsed
    wall-clock and business time, paused time, target, breach and its instant, warnings,
    and for open tickets the fraction used and the time left.
    """
    import pandas as pd

    from ticketlens.analyses.sla import sla

    facts = sla(db, policy=policy, as_of=_utc(as_of),
                progress=progress_wanted())
    if out:
        _write_facts(facts, out)
    attrs = facts.attrs
    if as_json:
        payload = {k: attrs[k] for k in ("policy", "as_of", "unknown_activities",
                                         "unknown_priorities")}
        payload["summary"] = json.loads(pd.DataFrame(attrs["summary"]).to_json(
            orient="records", date_format="iso"))
        payload["tickets"] = len(facts)
        payload["table"] = "sla_facts"
        click.echo(json.dumps(payload, indent=2))
        return
    _print_sla(facts, db)


def _write_facts(facts: pd.DataFrame, out: str) -> None:
    from pathlib import Path

    from ticketlens.core.errors import ConfigError
    from ticketlens.core.files import atomic_file

    path = Path(out)
    if path.suffix not in (".parquet", ".csv"):
        raise ConfigError(f"--out {out}: use a .parquet or .csv file name")
    with atomic_file(path) as temp:
        if path.suffix == ".parquet":
            facts.to_parquet(temp, index=False)
        else:
            facts.to_csv(temp, index=False)


def _print_sla(facts: pd.DataFrame, db: str) -> None:
    import pandas as pd

    attrs = facts.attrs
    console = _console()
    summary = pd.DataFrame(attrs["summary"])
    console.print(f"[bold]SLA facts[/] for {len(facts):,} tickets in {db} — policy "
                  f"[bold]{attrs['policy']}[/], as of {attrs['as_of']} → table sla_facts")
    console.print(_table("Per metric", summary, {
        "metric": "metric", "with_target": "measured", "breached": "breached",
        "breach_rate": "breach rate", "open": "open", "open_breached": "open & breached",
        "no_target": "no target", "not_started": "not started",
        "excluded_no_creation": "no creation event",
    }))
    excluded = int((~facts["has_creation"]).sum())
    if excluded:
        console.print(f"[yellow]{excluded:,} tickets have no creation event[/]: flagged "
                      "(excluded_reason) and left out of every SLA figure.")
    resolution = summary[summary["metric"] == "resolution"]
    if len(resolution) and resolution.iloc[0]["source_verdicts"]:
        row = resolution.iloc[0]
        console.print(f"The source's own SLA verdict agrees with ours on "
                      f"{row['agree_with_source']:,} of {row['source_verdicts']:,} tickets "
                      f"({row['agreement_rate']:.1%}).")
    if attrs["unknown_activities"]:
        shown = ", ".join(f"{a} ({n:,})" for a, n in
                          sorted(attrs["unknown_activities"].items(), key=lambda x: -x[1])[:6])
        console.print(f"[yellow]Activities the policy does not know[/] (events): {shown}. "
                      "Use a policy in the source's vocabulary (--list-policies) or declare "
                      "them under [vocabulary].")
    if attrs["unknown_priorities"]:
        shown = ", ".join(f"{p} ({n:,})" for p, n in attrs["unknown_priorities"].items())
        console.print(f"[yellow]Priorities without a target[/] (tickets): {shown}.")
    overdue = facts[facts.get("resolution_breached", pd.Series(dtype=bool)).fillna(False)
                    & facts.get("resolution_status", pd.Series(dtype=object)).isin(
                        ["running", "paused"])] if "resolution_breached" in facts else facts[:0]
    if len(overdue):
        overdue = overdue.sort_values("resolution_breach_at").head(10)
        console.print(_table("Open and breached (oldest breach first)", overdue, {
            "ticket_id": "ticket", "priority": "priority", "final_assignee": "assignee",
            "resolution_breach_at": "breached at", "resolution_elapsed_fraction": "× target",
        }))


# --- kpi ----------------------------------------------------------------------------------


@click.command("kpi")
@db_option
@click.option("--policy", help=POLICY_HELP)
@filter_options
@click.option("--out", type=click.Path(file_okay=False),
              help="Also write every KPI table to this folder.")
@click.option("--format", "formats", default="parquet,csv", show_default=True,
              help="File formats for --out: parquet, csv or both (comma-separated).")
@xlsx_option
@json_option
def kpi_command(db: str, policy: str | None, start: datetime | None, end: datetime | None,
                priority: tuple[str, ...], category: tuple[str, ...], team: tuple[str, ...],
                out: str | None, formats: str, as_json: bool, xlsx: str | None) -> None:
    """Service KPIs over the SLA facts, stored as `kpi_*` tables in the workspace.

    MTTR, median and p90 resolution, first response time, breach rates, reopen, escalation
    and first-contact-resolution rates by team, system, technician, category and priority;
    backlog per day; Pareto; peak load; technician workload; CSAT; chi-square and
    Mann–Whitney checks; and which tickets each KPI could not use, and why.
    """
    from ticketlens.analyses.kpi import kpi

    segment = make_filter(start, end, priority, category, team)
    report = kpi(db, segment=segment, policy=policy, out=out,
                 formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
                 progress=progress_wanted(), xlsx=xlsx)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    _print_kpi(report, db)
    written_xlsx(report)


def _print_kpi(report: Any, db: str) -> None:
    console = _console()
    t = report.tables
    console.print(f"[bold]KPIs[/] for {report.segment} in {db} — policy [bold]{report.policy}"
                  f"[/], as of {report.as_of:%Y-%m-%d %H:%M} UTC"
                  + (" (SLA facts recomputed)" if report.recomputed_facts else ""))
    seg = t["kpi_segments"]
    times = {"value": "", "tickets": "tickets", "resolved": "resolved", "mttr_hours": "MTTR h",
             "median_resolution_hours": "median h", "p90_resolution_hours": "p90 h",
             "frt_median_minutes": "FRT median min", "reopen_rate": "reopen",
             "escalation_rate": "escalation", "fcr_rate": "FCR"}
    for dimension, limit in (("overall", None), ("priority", None), ("team", 12),
                             ("category", None), ("system", 10), ("technician", 12)):
        rows = seg[seg["dimension"] == dimension]
        if len(rows):
            console.print(_table(f"Resolution and response by {dimension}", rows,
                                 {**times, "value": dimension}, limit))
    breach = t["kpi_breach"]
    for dimension in ("overall", "priority", "team"):
        rows = breach[breach["dimension"] == dimension]
        if len(rows):
            console.print(_table(f"SLA breaches by {dimension}", rows, {
                "metric": "metric", "value": dimension, "with_verdict": "measured",
                "breached": "breached", "breach_rate": "rate", "open_breached": "open & breached",
            }, 16))
    backlog = t["kpi_backlog"]
    if len(backlog):
        console.print(_table("Backlog (last 14 days)", backlog.tail(14), {
            "day": "day", "created": "created", "closed": "closed", "reopened": "reopened",
            "open_end_of_day": "open", "created_7d_avg": "created 7d", "closed_7d_avg":
            "closed 7d", "open_7d_avg": "open 7d"}))
    pareto = t["kpi_pareto"]
    if len(pareto):
        console.print(_table("Pareto (vital few = first 80 % of tickets)",
                             pareto[pareto["vital_few"]], {
                                 "dimension": "dimension", "value": "value", "tickets": "tickets",
                                 "share": "share", "cumulative_share": "cumulative"}))
    _print_peak(console, t["kpi_peak_load"])
    tech = t["kpi_technicians"]
    if len(tech):
        console.print(_table("Technicians", tech, {
            "technician": "technician", "tier": "tier", "tickets_held": "held",
            "open_now": "open now", "tickets_resolved": "resolved", "mttr_hours": "MTTR h",
            "reopen_rate": "reopen", "escalation_rate": "escalation",
            "resolution_breach_rate": "breach"}, 15))
    csat = t["kpi_csat"]
    if len(csat):
        console.print(_table("Customer satisfaction", csat[csat["dimension"].isin(
            ["overall", "priority", "channel"])], {
                "dimension": "dimension", "value": "value", "rated": "rated",
                "mean_csat": "mean", "satisfied_share": "≥ 4"}))
    console.print(_table("Statistical checks", t["kpi_tests"], {
        "test": "test", "n": "n", "statistic": "statistic", "p_value": "p",
        "effect_size_name": "effect size", "effect_size": "value", "note": "note"}))
    console.print(_table("Coverage: tickets each KPI could use", t["kpi_coverage"], {
        "kpi": "KPI", "used": "used", "excluded": "left out", "reasons": "why"}))


def _print_peak(console: Console, peak: pd.DataFrame) -> None:
    from rich.table import Table

    if not int(peak["tickets"].sum()):
        return
    matrix = peak.pivot(index="hour", columns="day", values="tickets")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    table = Table(title="Peak load: tickets created, hour × weekday", title_justify="left",
                  title_style="bold")
    table.add_column("hour")
    for day in days:
        table.add_column(day, justify="right")
    top = int(matrix.to_numpy().max())
    for hour, row in matrix.iterrows():
        cells = [f"[bold red]{int(row[d]):,}[/]" if top and row[d] >= 0.75 * top
                 else f"{int(row[d]):,}" for d in days]
        table.add_row(f"{hour:02d}:00", *cells)
    console.print(table)
