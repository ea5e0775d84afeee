"""CLI for `ticketlens sla` (per-ticket SLA facts) and `ticketlens kpi` (service KPIs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from ticketlens.cli.options import Instant, db_option, filter_options, json_option, make_filter
from ticketlens.cli.output import NOT_MEASURABLE, esc, shown_of
from ticketlens.cli.output import console as _console
from ticketlens.cli.output import table as _table
from ticketlens.cli.sla_fit import fit_command
from ticketlens.cli.xlsx import written_xlsx, xlsx_option
from ticketlens.core.progress import progress_wanted

POLICY_HELP = ("SLA policy: a preset name (standard, compact, generated-desk, servicenow, helpdesk; see "
               "--list-policies) or a TOML file. Default: the one the workspace's facts were "
               "computed with when chosen with --policy, else the source's own preset (a "
               "generated desk: its sla-policy.toml; 'standard', flagged as assumed, for a "
               "source without one).")

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


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


# --- sla ----------------------------------------------------------------------------------


@click.group("sla", invoke_without_command=True)
@db_option
@click.option("--policy", help=POLICY_HELP)
@click.option("--as-of", "as_of", type=Instant(),
              help="Measure open clocks up to this instant (UTC unless it has an offset); "
                   "later events are ignored. Default: the log's last event, or a generated "
                   "desk's window end (when its sla_metrics were measured).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Also write the facts to this .parquet or .csv file.")
@click.option("--list-policies", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_policies, help="List the shipped SLA policies and exit.")
@json_option
@click.pass_context
def sla_command(ctx: click.Context, db: str, policy: str | None, as_of: datetime | None,
                out: str | None, as_json: bool) -> None:
    """Compute per-ticket SLA facts (one row per ticket) into the table `sla_facts`.

    Runs the policy's clocks (default: response and resolution) on every ticket: elapsed
    wall-clock and business time, paused time, target, breach and its instant, warnings,
    and for open tickets the fraction used and the time left. `sla fit` fits a policy to
    a source's own verdicts.
    """
    if ctx.invoked_subcommand is not None:
        _options_follow_the_subcommand(ctx)
        return
    import pandas as pd

    from ticketlens.analyses.sla import sla

    facts = sla(db, policy=policy, as_of=_utc(as_of),
                progress=progress_wanted())
    if out:
        _write_facts(facts, out)
    attrs = facts.attrs
    if as_json:
        payload = {k: attrs[k] for k in ("policy", "policy_line", "targets_assumed",
                                         "not_measurable", "as_of", "unknown_activities",
                                         "unknown_priorities")}
        payload["summary"] = json.loads(pd.DataFrame(attrs["summary"]).to_json(
            orient="records", date_format="iso"))
        payload["tickets"] = len(facts)
        payload["table"] = "sla_facts"
        payload["written"] = [out] if out else []
        click.echo(json.dumps(payload, indent=2))
        return
    _print_sla(facts, db)
    if out:  # after the report: its first line is the policy line (JSON: "written")
        click.echo(f"wrote {out}")


def _options_follow_the_subcommand(ctx: click.Context) -> None:
    """`sla --db X fit` would run fit on the default workspace: say where options go."""
    given = [p.opts[0] for p in ctx.command.params
             if ctx.get_parameter_source(p.name or "") == click.core.ParameterSource.COMMANDLINE]
    if given:
        sub = ctx.invoked_subcommand
        raise click.UsageError(f"options before `{sub}` are `sla`'s ({', '.join(given)}): "
                               f"put them after it: ticketlens sla {sub} {given[0]} ...")


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
    console.print(esc(attrs["policy_line"]), highlight=False)  # which policy, and why
    console.print(f"[bold]SLA facts[/] for {len(facts):,} tickets in {esc(db)} — policy "
                  f"[bold]{esc(attrs['policy'])}[/], as of {attrs['as_of']} → table sla_facts")
    unmeasured = summary["not_measurable_reason"].notna()
    summary["breach_rate"] = summary["breach_rate"].astype(object).where(~unmeasured,
                                                                         NOT_MEASURABLE)
    console.print(_table("Per metric", summary, {
        "metric": "metric", "with_target": "measured", "breached": "breached",
        "breach_rate": "breach rate", "open": "open", "open_breached": "open & breached",
        "no_target": "no target", "not_started": "not started",
        "excluded_no_creation": "no creation event",
    }))
    _print_reasons(console, attrs["not_measurable"], attrs["targets_assumed"])
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
        unknown = sorted(attrs["unknown_activities"].items(), key=lambda x: -x[1])
        shown = ", ".join(f"{a} ({n:,})" for a, n in unknown[:6])
        count = f" ({shown_of(6, len(unknown))})" if len(unknown) > 6 else ""
        console.print(f"[yellow]Activities the policy does not know[/] (events){count}: "
                      + esc(f"{shown}. Use a policy in the source's vocabulary (--list-policies) "
                            "or declare them under [vocabulary]."))
    if attrs["unknown_priorities"]:
        shown = ", ".join(f"{p} ({n:,})" for p, n in attrs["unknown_priorities"].items())
        console.print(f"[yellow]Priorities without a target[/] (tickets): {esc(shown)}.")
    overdue = facts[facts.get("resolution_breached", pd.Series(dtype=bool)).fillna(False)
                    & facts.get("resolution_status", pd.Series(dtype=object)).isin(
                        ["running", "paused"])] if "resolution_breached" in facts else facts[:0]
    if len(overdue):
        console.print(_table("Open and breached (oldest breach first)",
                             overdue.sort_values("resolution_breach_at"), {
            "ticket_id": "ticket", "priority": "priority", "final_assignee": "assignee",
            "resolution_breach_at": "breached at", "resolution_elapsed_fraction": "× target",
        }, 10, "all: the table sla_facts, or --out"))


def _print_reasons(console: Console, not_measurable: dict[str, str],
                   assumed: str | None) -> None:
    """One line per metric no source of the workspace can measure, and assumed targets."""
    for metric, reason in not_measurable.items():
        console.print(f"[yellow]{esc(metric)}[/]: {esc(reason)}", highlight=False)
    if assumed:
        console.print(f"[yellow]{esc(assumed)}[/]", highlight=False)


# --- kpi ----------------------------------------------------------------------------------


@click.command("kpi")
@db_option
@click.option("--policy", help=POLICY_HELP)
@filter_options
@click.option("--out", type=click.Path(file_okay=False),
              help="Also write every KPI table to this folder.")
@click.option("--format", "formats", default="parquet,csv", show_default=True,
              help="File formats for --out: parquet, csv or both (comma-separated).")
@click.option("--all", "show_all", is_flag=True,
              help="Print every KPI table (default: a short summary of the headline figures).")
@click.option("--table", "table_name", metavar="NAME",
              help="Print every row of one KPI table (kpi_segments, kpi_breach, …; the kpi_ "
                   "prefix may be left out).")
@xlsx_option
@json_option
def kpi_command(db: str, policy: str | None, start: datetime | None, end: datetime | None,
                priority: tuple[str, ...], category: tuple[str, ...], team: tuple[str, ...],
                out: str | None, formats: str, show_all: bool, table_name: str | None,
                xlsx: str | None, as_json: bool) -> None:
    """Service KPIs over the SLA facts, stored as `kpi_*` tables in the workspace.

    MTTR, median and p90 resolution, first response time, breach rates, reopen, escalation
    and first-contact-resolution rates by team, system, technician, category and priority;
    backlog per day; Pareto; peak load; technician workload; CSAT; chi-square and
    Mann–Whitney checks; and which tickets each KPI could not use, and why.
    """
    from ticketlens.analyses.kpi import KPI_TABLES, kpi
    from ticketlens.cli.kpi_views import table_name as known_table

    # An unknown --table is refused before any work (one line naming the tables).
    show = known_table(table_name, list(KPI_TABLES)) if table_name else (
        "all" if show_all else None)
    segment = make_filter(start, end, priority, category, team)
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    report = kpi(db, segment=segment, policy=policy, out=out, formats=chosen,
                 progress=progress_wanted(), xlsx=xlsx)
    written = [str(report.out / f"{name}.{fmt}") for name in report.tables
               for fmt in ("parquet", "csv") if fmt in chosen] if report.out else []
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "written": written}, indent=2, default=str))
        return
    _print_kpi(report, db, show)
    for path in written:  # every file --out wrote
        click.echo(f"wrote {path}")
    written_xlsx(report)


def _print_kpi(report: Any, db: str, show: str | None) -> None:
    from ticketlens.cli import kpi_views

    console = _console()
    console.print(esc(report.policy_line), highlight=False)  # which policy, and why
    console.print(f"[bold]KPIs[/] for {esc(report.segment)} in {esc(db)} — policy "
                  f"[bold]{esc(report.policy)}[/], as of {report.as_of:%Y-%m-%d %H:%M} UTC"
                  + (" (SLA facts recomputed)" if report.recomputed_facts else ""))
    if show is None:
        kpi_views.print_summary(console, report.tables)
    else:
        kpi_views.print_tables(console, report.tables, None if show == "all" else show)
        # the summary says it per figure; the tables show their NULLs as "–": say why
        columns: dict[str, list[str]] = {}
        for column, reason in report.not_measurable.items():
            columns.setdefault(reason, []).append(column)
        _print_reasons(console, {", ".join(c): r for r, c in columns.items()}, None)


sla_command.add_command(fit_command)
