"""CLI for `ticketlens ingest` and `ticketlens info`: parse, call the library, format."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ticketlens.cli.options import db_option, json_option
from ticketlens.cli.output import esc, shown_of
from ticketlens.core.progress import progress_wanted
from ticketlens.sources.ingest import FORMAT_CHOICES

if TYPE_CHECKING:
    from rich.table import Table

    from ticketlens.sources.ingest import IngestSummary, WorkspaceInfo
    from ticketlens.sources.ingest.summary import SourceSummary

COLUMN_FLAGS = ("case", "activity", "timestamp", "resource", "priority", "category",
                "department", "notes", "event_id", "created")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "—"


def _source_table(source: SourceSummary) -> Table:
    from rich.table import Table

    title = (esc(f"{source.path} → source #{source.source_id} {source.name!r} ")
             + f"[bold]{esc(source.status)}[/bold]")
    table = Table(title=title, title_justify="left", show_header=False, box=None,
                  padding=(0, 2))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()

    def add(label: str, text: str) -> None:  # the text is data: printed as written
        table.add_row(label, esc(text))

    add("detected", source.detected)
    if source.status == "unchanged":
        for warning in source.warnings:
            add("note", warning)
        return table
    origin = "default; --tz to change" if source.tz_origin == "default" else \
        f"from {source.tz_origin}"
    add("time zone", f"{source.tz} ({origin}) for timestamps without an offset; "
                               "stored as absolute instants")
    if source.timestamp_format:
        add("timestamps", f"{source.timestamp_format} — {source.timestamp_evidence}")
    identity = "✓" if source.balanced else "✗ MISMATCH"
    parts = [f"loaded {source.rows_loaded:,}", f"quarantined {source.rows_quarantined:,}"]
    if source.rows_deduped:
        parts.append(f"deduped {source.rows_deduped:,}")
    if source.rows_already_present:
        parts.append(f"already present {source.rows_already_present:,}")
    add("rows", f"read {source.rows_read:,} = {' + '.join(parts)}  {identity}")
    if source.status == "updated":
        fates = source.tickets
        removed = (f" ({source.events_removed:,} older event"
                   f"{'s' if source.events_removed > 1 else ''} removed)"
                   if source.events_removed else "")
        held = (f", {fates['kept']:,} held from a newer export" if fates.get("kept") else "")
        add("tickets", f"{fates.get('added', 0):,} added, {fates.get('replaced', 0):,} "
                       f"replaced{removed}, {fates.get('unchanged', 0):,} unchanged{held}")
    add("events", f"{source.events_loaded:,} in {source.cases:,} tickets, "
                            f"{_when(source.first_timestamp)} → {_when(source.last_timestamp)}")
    derived = (source.details or {}).get("derived_events") or {}
    if any(derived.values()):
        add("derived events", f"{sum(derived.values()):,} from column changes ("
                      + ", ".join(f"{n:,} {name}" for name, n in derived.items()) + ")")
    kept = "dropped (--dedupe)" if source.rows_deduped else "kept; --dedupe drops them"
    add("exact duplicates", f"{source.duplicate_events:,} ({kept})")
    add("out of order", f"{source.out_of_order_events:,} events in "
                                  f"{source.out_of_order_cases:,} tickets (re-ordered by time)")
    flags = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in source.implausible.items())
    add("implausible", flags)
    add("case attributes", f"{source.case_attributes:,}")
    reasons = list(source.quarantine_reasons.items())
    for reason, count in reasons[:5]:
        add("quarantined", f"{count:,} × {reason}")
    if len(reasons) > 5:
        add("quarantined", f"reasons shown: {shown_of(5, len(reasons))} (all: "
                                     "the quarantine file)")
    if source.line_numbers == "record":
        add("line numbers", "record numbers (see warnings)")
    for warning in source.warnings:
        table.add_row("[yellow]warning[/yellow]", esc(warning))
    return table


def _print_summary(summary: IngestSummary) -> None:
    from rich.console import Console

    console = Console()
    for source in summary.sources:
        console.print(_source_table(source))
        console.print()
    console.print(esc(f"workspace {summary.db}: {summary.workspace_events:,} events, "
                      f"{summary.workspace_cases:,} tickets  ({summary.seconds:.1f} s)"))
    if summary.quarantine_file:
        console.print(esc(f"quarantined rows written to {summary.quarantine_file}"))
    if summary.roster is not None:
        if summary.roster["file"]:
            console.print(esc(f"roster file {summary.roster['file']}: "
                              f"{summary.roster['attached']:,} technicians attached"))
        console.print(esc(_roster_line(summary.roster["in_force"])))


def _roster_line(in_force: list[dict[str, Any]]) -> str:
    """Where the roster's tiers come from, and how many technicians per tier."""
    if not in_force:
        return ("roster: none — tiers unknown; attach one with `ticketlens ingest --roster "
                "ROSTER.csv`")
    parts = []
    for part in in_force:
        tiers = ", ".join(f"{tier} {n:,}" for tier, n in part["tiers"].items())
        parts.append(f"{part['technicians']:,} from {part['origin']} ({tiers})")
    return "roster: " + "; ".join(parts)


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto",
              show_default=True, help="Input format; auto recognises it and says which.")
@click.option("--map", "mapping", metavar="FILE|NAME",
              help="Column mapping: a TOML file, or a built-in name (servicenow, helpdesk, "
                   "bpic2013, customer_support, jira, zendesk, xes_csv, events).")
@click.option("--tz", metavar="ZONE", help="Time zone of timestamps without an offset (default UTC, or the "
                           "generated desk's manifest).")
@click.option("--dayfirst/--monthfirst", default=None,
              help="Day/month order when the data cannot tell (05/03/2016).")
@click.option("--timestamp-format", multiple=True, metavar="PATTERN",
              help="strptime pattern(s) of the timestamps, e.g. '%d.%m.%Y %H:%M'.")
@db_option
@click.option("--quarantine", type=click.Path(dir_okay=False),
              help="CSV for rows not loaded [default, when any: beside the workspace, "
                   "ws.duckdb → ws.quarantine.csv].")
@click.option("--dedupe", is_flag=True, help="Drop exact duplicate events (always counted).")
@click.option("--source", "source_name", metavar="NAME",
              help="Source identity (default: the file name); a newer export under the same "
                   "name adds only new events.")
@click.option("--sheet", metavar="NAME|NUMBER",
              help="Sheet of an Excel/OpenDocument workbook to read (default: the first; "
                   "numbers count from 1).")
@click.option("--encoding", metavar="NAME", help="Text encoding of CSV input (default utf-8; e.g. latin-1).")
@click.option("--delimiter", metavar="CHAR", help="Field delimiter of CSV input (default: from the header).")
@click.option("--case", metavar="COLUMN", help="Column with the case (ticket) id.")
@click.option("--activity", multiple=True, metavar="COLUMN",
              help="Column with the activity; repeat to join several (status + sub-status).")
@click.option("--timestamp", metavar="COLUMN", help="Column with the event timestamp.")
@click.option("--resource", metavar="COLUMN", help="Column with who handled the event.")
@click.option("--priority", metavar="COLUMN", help="Column with the priority.")
@click.option("--category", metavar="COLUMN", help="Column with the category.")
@click.option("--department", metavar="COLUMN", help="Column with the department.")
@click.option("--notes", metavar="COLUMN", help="Column with free-text notes.")
@click.option("--event-id", metavar="COLUMN", help="Column with the source's event id.")
@click.option("--created", metavar="COLUMN",
              help="Column with the ticket's creation instant (events before it are flagged).")
@click.option("--plausible-from", metavar="DATE",
              help="Flag events before this date (default 1990-01-01).")
@click.option("--plausible-to", metavar="DATE",
              help="Flag events after this date (default: tomorrow).")
@click.option("--roster", type=click.Path(dir_okay=False), metavar="FILE",
              help="The desk's roster (CSV name,tier,team,skills; or a desk TOML's [[technician]] "
                   "blocks): every verb takes tiers from it. Alone, attaches it to the workspace.")
@click.option("--roles", "roles", type=click.Path(exists=True, dir_okay=False), metavar="TOML",
              help="Roles file: what the activities mean (wins over the mapping's roles; "
                   "docs/ingest.md).")
@json_option
def ingest_command(paths: tuple[str, ...], fmt: str, mapping: str | None, tz: str | None,
                   dayfirst: bool | None, timestamp_format: tuple[str, ...], db: str,
                   quarantine: str | None, dedupe: bool, source_name: str | None,
                   encoding: str | None, delimiter: str | None, as_json: bool,
                   plausible_from: str | None, plausible_to: str | None, roster: str | None,
                   roles: str | None, sheet: str | None, **column_flags: Any) -> None:
    """Load ticket exports into the workspace's canonical event log.

    PATH may be a generated desk folder, an events.csv/.parquet, an XES log (.xes, .xes.gz),
    a ServiceNow audit log, a ticket table, or any event-log CSV/Parquet with a column mapping;
    each of these may also be a sheet of an Excel workbook (.xlsx, .xlsb, .xls, .ods).
    Every row is loaded or quarantined; the summary shows the accounting. Nothing is written
    when ingest refuses (exit code 2). --roster FILE (with or without PATHs) makes FILE the
    workspace's roster of technicians and tiers.
    """
    from ticketlens.sources.ingest import ingest

    columns = {name: column_flags.get(name) for name in COLUMN_FLAGS}
    summary = ingest(
        list(paths), db=db, format=fmt, mapping=mapping, tz=tz, dayfirst=dayfirst,
        timestamp_format=timestamp_format or None, quarantine=quarantine, dedupe=dedupe,
        progress=progress_wanted(), source_name=source_name, encoding=encoding,
        delimiter=delimiter, columns=columns, plausible_from=plausible_from,
        plausible_to=plausible_to, roster=roster, roles=roles, sheet=sheet,
    )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        _print_summary(summary)


def _print_info(data: WorkspaceInfo) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{esc(data.db)}[/bold]: {data.events:,} events, {data.cases:,} "
                  f"tickets, {_when(data.first_timestamp)} → {_when(data.last_timestamp)}")
    sources = Table(title="sources", title_justify="left")
    for column in ("#", "name", "format", "rows", "loaded", "quar.", "events", "tickets", "tz"):
        sources.add_column(column, justify="left" if column in (
            "name", "format", "tz") else "right", overflow="fold")
    for s in data.sources:
        sources.add_row(str(s["source_id"]), esc(s["name"]), esc(s["format"]),
                        f"{s['rows_read']:,}", f"{s['rows_loaded']:,}",
                        f"{s['rows_quarantined']:,}", f"{s['events']:,}", f"{s['cases']:,}",
                        esc(s["tz"]))
    console.print(sources)
    console.print("SLA policy (sla/kpi without --policy): " + esc("; ".join(
        f"#{s['source_id']} {s['sla_preset']}" for s in data.sources)), highlight=False)
    for title, rows, unit in (("activities", data.activities, "events"),
                              ("case attributes", data.case_attributes, "tickets"),
                              ("event attributes", data.event_attributes, "events")):
        if not rows:
            continue
        cut = f" ({shown_of(25, len(rows))})" if len(rows) > 25 else ""
        table = Table(title=title + cut, title_justify="left")
        table.add_column("name")
        table.add_column(unit, justify="right")
        for name, count in rows[:25]:
            table.add_row(esc(name), f"{count:,}")
        if cut:
            table.caption = f"{shown_of(25, len(rows))} {title}; all: info --json"
        console.print(table)
    _print_roles(console, data)
    flags = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in data.flagged_events.items())
    console.print(esc(f"flagged events: {flags or 'none'}; quarantined rows: "
                      f"{data.quarantined_rows:,}"))
    console.print(esc(_roster_line(data.roster)))


def _print_roles(console: Any, data: WorkspaceInfo) -> None:
    """The lifecycle roles in force and where each came from."""
    from rich.table import Table

    if not data.roles:
        return
    table = Table(title="lifecycle roles in force", title_justify="left")
    for column in ("activity", "events", "roles", "tier", "state after", "from"):
        table.add_column(column, justify="right" if column == "events" else "left",
                         overflow="fold")
    for row in data.roles:
        if "settings" in row:
            text = "; ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}"
                             for k, v in row["settings"].items() if v)
            table.add_row("(settings)", "", esc(text), "", "", esc(row["origin"]))
            continue
        table.add_row(esc(row["activity"]), f"{row['events']:,}",
                      esc(", ".join(row["roles"]) or "—"), esc(row["tier"] or ""),
                      esc(row["state"] or ""), esc(row["origin"]))
    console.print(table)
    if data.derived_events:
        console.print(f"derived events (from column changes): {data.derived_events:,}")


@click.command("info")
@db_option
@json_option
def info_command(db: str, as_json: bool) -> None:
    """Show what a workspace holds: sources, tickets, events, time span, activities, attributes."""
    from ticketlens.sources.ingest import info

    data = info(db)
    if as_json:
        click.echo(json.dumps(data.to_dict(), indent=2))
    else:
        _print_info(data)
