"""CLI for `ticketlens mine`: process mining of ticket lifecycles.

Each subcommand parses its options, calls one ``ticketlens.analyses.mine`` function and shows the
result: rich tables in the terminal, ``--json`` for machines, ``--out`` for files.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from ticketlens.cli import output
from ticketlens.cli.options import db_option, filter_options, json_option, make_filter
from ticketlens.core.errors import ConfigError, InputError
from ticketlens.core.progress import progress_wanted


def _lib() -> ModuleType:  # the analyses, imported when a subcommand runs: `--help` stays fast
    from ticketlens.analyses import mine
    return mine


def _limit_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
                        help="Rows shown per table in the terminal.")(func)


def _out_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--out", type=click.Path(), default=None,
        help="Write the result: FILE.csv / FILE.parquet (main table), FILE.json (all tables), "
             "or a folder (every table as CSV).",
    )(func)


def _segment_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps the options click attached to ``func``
    def with_roles_line(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("as_json"):
            return func(*args, **kwargs)
        with output.first_line(_roles_line(kwargs["db"])):  # whose lifecycle roles are in force
            return func(*args, **kwargs)

    return db_option(filter_options(with_roles_line))


def _roles_line(db: str) -> str:
    from ticketlens.workspace.connection import use_workspace
    from ticketlens.workspace.roles import roles_line

    with use_workspace(db, read_only=True) as ws:
        return roles_line(ws.con)


@click.group(name="mine")
def mine() -> None:
    """Process mining of ticket lifecycles: where tickets get stuck, bounce, or come back.

    \b
    Every subcommand reads the workspace (--db), keeps the tickets of a segment
    (--from/--to/--priority/--category/--team) and prints tables; --json prints them
    for machines and --out writes them to files.
    """


# --- variants -------------------------------------------------------------------------------

@mine.command()
@_segment_options
@click.option("--top", type=click.IntRange(min=1), help="Keep the K most frequent variants.")
@click.option("--coverage", type=click.FloatRange(0, 100, min_open=True),
              help="Keep the most frequent variants covering PCT % of tickets.")
@click.option("--collapse-loops", is_flag=True,
              help="Count a run of one activity repeated back to back once (as Celonis).")
@json_option
@_out_option
@_limit_option
def variants(db: str, start: Any, end: Any, priority: tuple[str, ...],
             category: tuple[str, ...], team: tuple[str, ...], top: int | None,
             coverage: float | None, collapse_loops: bool, as_json: bool, out: str | None,
             limit: int) -> None:
    """Activity sequences (variants) with tickets, share, coverage and throughput time."""
    segment = make_filter(start, end, priority, category, team)
    frame = _lib().variants(db, segment=segment, top=top,
                         coverage=coverage / 100 if coverage else None,
                         collapse_loops=collapse_loops, progress=progress_wanted())
    tables = {"variants": frame}
    head = {"segment": segment.describe(), "variants": len(frame)}
    if output.emit(tables, head, "variants", as_json, out):
        return
    if output.note_empty(int(frame["cases"].sum()), segment.describe()):
        return
    output.show("Variants" + (" (loops collapsed)" if collapse_loops else ""), frame, [
        ("variant", "#", "int"), ("cases", "tickets", "int"), ("share", "share", "share"),
        ("cumulative_share", "cum.", "share"), ("length", "events", "int"),
        ("median_throughput_s", "median", "seconds"),
        ("mean_throughput_s", "mean", "seconds"), ("activities", "activities", "list"),
    ], limit)


# --- dfg --------------------------------------------------------------------------------------

@mine.command()
@_segment_options
@click.option("--min-frequency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Hide edges seen fewer times (noise slider).")
@click.option("--coverage", type=click.FloatRange(0, 100, min_open=True),
              help="Keep only tickets of the most frequent variants covering PCT % (paths slider).")
@json_option
@_out_option
@_limit_option
def dfg(db: str, start: Any, end: Any, priority: tuple[str, ...], category: tuple[str, ...],
        team: tuple[str, ...], min_frequency: int, coverage: float | None, as_json: bool,
        out: str | None, limit: int) -> None:
    """Directly-follows graph: edge frequency and waiting times, start and end activities."""
    segment = make_filter(start, end, priority, category, team)
    graph = _lib().dfg(db, segment=segment, min_frequency=min_frequency,
                    coverage=coverage / 100 if coverage else None, progress=progress_wanted())
    tables = {"edges": graph.edges, "activities": graph.activities,
              "start_activities": graph.start_activities, "end_activities": graph.end_activities}
    head = {"segment": graph.segment, "cases": graph.cases, "events": graph.events,
            "edges_hidden": graph.edges_hidden}
    if output.emit(tables, head, "edges", as_json, out):
        return
    if output.note_empty(graph.cases, graph.segment):
        return
    click.echo(f"{graph.cases:,} tickets, {graph.events:,} events, {len(graph.edges)} edges"
               + (f" ({graph.edges_hidden} hidden below {min_frequency})"
                  if graph.edges_hidden else ""))
    output.show("Edges (waiting time between the two events)", graph.edges, [
        ("source", "from", "text"), ("target", "to", "text"), ("frequency", "events", "int"),
        ("cases", "tickets", "int"), ("mean_s", "mean", "seconds"),
        ("median_s", "median", "seconds"), ("p90_s", "p90", "seconds"), ("max_s", "max", "seconds"),
    ], limit)
    output.show("Start activities", graph.start_activities,
          [("activity", "activity", "text"), ("cases", "tickets", "int")], limit)
    output.show("End activities", graph.end_activities,
          [("activity", "activity", "text"), ("cases", "tickets", "int")], limit)


# --- bottlenecks ------------------------------------------------------------------------------

@mine.command()
@_segment_options
@click.option("--rank", "rank_by", type=click.Choice(["total", "per-case"]), default="total",
              show_default=True, help="Rank by total waiting, or waiting per affected ticket.")
@json_option
@_out_option
@_limit_option
def bottlenecks(db: str, start: Any, end: Any, priority: tuple[str, ...],
                category: tuple[str, ...], team: tuple[str, ...], rank_by: str, as_json: bool,
                out: str | None, limit: int) -> None:
    """Where tickets wait: transitions and activities by waiting time, and life split."""
    segment = make_filter(start, end, priority, category, team)
    result = _lib().bottlenecks(db, segment=segment, rank_by=rank_by.replace("-", "_"),  # type: ignore[arg-type]
                             progress=progress_wanted())
    tables = {"transitions": result.transitions, "activities": result.activities,
              "split_summary": result.split_summary, "time_split": result.time_split}
    head = {"segment": result.segment, "cases": result.cases,
            "unclassified_activities": result.unclassified_activities}
    if output.emit(tables, head, "transitions", as_json, out):
        return
    if output.note_empty(result.cases, result.segment):
        return
    output.show("Where ticket life goes (sum over tickets)", result.split_summary, [
        ("state", "state", "text"), ("total_s", "total", "seconds"), ("share", "share", "share"),
        ("tickets", "tickets", "int"), ("median_per_ticket_s", "median/ticket", "seconds"),
        ("mean_per_ticket_s", "mean/ticket", "seconds"),
    ], None)
    if result.unclassified_activities:
        unclassified = result.unclassified_activities
        count = f" ({output.shown_of(10, len(unclassified))})" if len(unclassified) > 10 else ""
        click.echo(f"unclassified (not ticketlens vocabulary){count}: "
                   + ", ".join(unclassified[:10]))
    output.show("Transitions by waiting time", result.transitions, [
        ("source", "from", "text"), ("target", "to", "text"), ("occurrences", "times", "int"),
        ("cases", "tickets", "int"), ("total_wait_s", "total", "seconds"),
        ("per_case_wait_s", "per ticket", "seconds"), ("median_wait_s", "median", "seconds"),
        ("p90_wait_s", "p90", "seconds"), ("share_of_waiting", "share", "share"),
    ], limit)
    output.show("Activities by time spent after them", result.activities, [
        ("activity", "activity", "text"), ("occurrences", "times", "int"),
        ("cases", "tickets", "int"), ("total_dwell_s", "total", "seconds"),
        ("per_case_dwell_s", "per ticket", "seconds"), ("median_dwell_s", "median", "seconds"),
        ("share_of_waiting", "share", "share"),
    ], limit)


def _roster_moved(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise ConfigError(f"--roster moved to ingest: attach {value} to the workspace with "
                          f"`ticketlens ingest --roster {value} --db DB`; every verb then uses it")


_moved_roster_option = click.option("--roster", hidden=True, expose_value=False,
                                    callback=_roster_moved, is_eager=True)


# --- rework -----------------------------------------------------------------------------------

@mine.command()
@_segment_options
@_moved_roster_option
@json_option
@_out_option
@_limit_option
def rework(db: str, start: Any, end: Any, priority: tuple[str, ...], category: tuple[str, ...],
           team: tuple[str, ...], as_json: bool, out: str | None, limit: int) -> None:
    """Repeated steps, reopen loops, ping-pong and escalation chains, with their tickets."""
    segment = make_filter(start, end, priority, category, team)
    result = _lib().rework(db, segment=segment, progress=progress_wanted())
    tables = {"reopens": result.reopens, "repeats": result.repeats,
              "repeat_summary": result.repeat_summary, "ping_pong": result.ping_pong,
              "ping_pong_summary": result.ping_pong_summary, "escalations": result.escalations,
              "escalation_chains": result.escalation_chains}
    head = {"segment": result.segment, "cases": result.cases, "roster": result.roster.describe(),
            "not_measurable": result.not_measurable}
    if output.emit(tables, head, "reopens", as_json, out):
        return
    if output.note_empty(result.cases, result.segment):
        return
    click.echo(result.roster.describe())
    reopened = result.reopens["ticket_id"].nunique()
    if "reopens" in result.not_measurable:
        click.echo(f"reopened tickets: {result.not_measurable['reopens']}")
    else:
        share = output.fmt(reopened / result.cases if result.cases else math.nan, "share")
        click.echo(f"{reopened:,} of {result.cases:,} tickets reopened ({share})")
    if "escalations" in result.not_measurable:
        click.echo(f"escalation chains: {result.not_measurable['escalations']}")
    output.show("Repeated activities", result.repeat_summary, [
        ("activity", "activity", "text"), ("tickets", "tickets", "int"),
        ("extra", "extra times", "int"), ("share", "share", "share"),
    ], limit)
    output.show("Ping-pong (returns to an earlier holder)", result.ping_pong_summary, [
        ("level", "level", "text"), ("kind", "kind", "text"), ("tickets", "tickets", "int"),
        ("returns", "returns", "int"), ("share", "share", "share"),
    ], limit)
    output.show("Ping-pong tickets", result.ping_pong, [
        ("ticket_id", "ticket", "text"), ("level", "level", "text"), ("kind", "kind", "text"),
        ("holder", "back to", "text"), ("via", "via", "list"), ("away_s", "away", "seconds"),
    ], limit)
    output.show("Escalation chains", result.escalation_chains, [
        ("chain", "chain", "text"), ("tickets", "tickets", "int"), ("share", "share", "share"),
    ], limit)
    output.show("Reopened tickets", result.reopens, [
        ("ticket_id", "ticket", "text"), ("reopen_no", "#", "int"),
        ("resolved_by", "resolved by", "text"), ("closed_at", "closed", "time"),
        ("closed_for_s", "closed for", "seconds"), ("reclosed_at", "closed again", "time"),
    ], limit)


# --- handover ---------------------------------------------------------------------------------

@mine.command()
@_segment_options
@_moved_roster_option
@click.option("--include-self", is_flag=True, help="Also count a holder followed by itself.")
@click.option("--include-unassigned", is_flag=True,
              help="Count events nobody holds as holder 'Unassigned' (else skipped).")
@json_option
@_out_option
@_limit_option
def handover(db: str, start: Any, end: Any, priority: tuple[str, ...],
             category: tuple[str, ...], team: tuple[str, ...], include_self: bool, include_unassigned: bool, as_json: bool, out: str | None,
             limit: int) -> None:
    """Handover-of-work network between technicians, and the skill-mismatch view."""
    segment = make_filter(start, end, priority, category, team)
    result = _lib().handover(db, segment=segment, include_self=include_self,
                          include_unassigned=include_unassigned, progress=progress_wanted())
    tables = {"network": result.network, "skill_mismatch": result.skill_mismatch}
    head = {"segment": result.segment, "cases": result.cases, "roster": result.roster.describe()}
    if output.emit(tables, head, "network", as_json, out):
        return
    if output.note_empty(result.cases, result.segment):
        return
    click.echo(result.roster.describe())
    output.show("Handovers of work", result.network, [
        ("source", "from", "text"), ("source_tier", "tier", "text"), ("target", "to", "text"),
        ("target_tier", "tier", "text"), ("handovers", "handovers", "int"),
        ("cases", "tickets", "int"), ("mean_delay_s", "mean delay", "seconds"),
        ("max_delay_s", "max delay", "seconds"),
    ], limit)
    output.show("Skill mismatch: first assignee vs resolving tier", result.skill_mismatch, [
        ("first_tier", "tier", "text"), ("first_assignee", "first assignee", "text"),
        ("category", "category", "text"), ("first_skilled", "skilled", "bool"),
        ("resolved_tier", "resolved at", "text"), ("tickets", "tickets", "int"),
        ("share", "share", "share"),
    ], limit)


# --- conformance ------------------------------------------------------------------------------

def _discovery_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Disco's sliders for discovering a reference model from the log itself."""
    func = click.option(
        "--min-frequency", type=click.IntRange(min=1), default=None,
        help="Discover the model without edges seen fewer times (noise slider) [1].")(func)
    return click.option(
        "--coverage", type=click.FloatRange(0, 100, min_open=True), default=None,
        help="Discover the model from the most frequent variants covering PCT % of tickets "
             "(paths slider) [80 for a log without a declared model].")(func)


def _model_line(result: Any, db: str) -> str:
    """The first line of conformance: which model, and whether it was discovered."""
    if result.model_kind == "discovered":
        return (f"model: {result.model_how} — save it with `ticketlens mine model --db {db} "
                "--out model.toml`, edit, and pass --model model.toml")
    if result.model_kind == "declared":
        return f"model: declared — {result.model_how}: {result.model}"
    return f"model: {result.model}"


@mine.command()
@_segment_options
@click.option("--model", type=click.Path(dir_okay=False),
              help="Reference model TOML (default: the log's declared model, else one "
                   "discovered from it; `ticketlens mine model --db DB --out FILE` saves it).")
@_discovery_options
@click.option("--strict-end", is_flag=True,
              help="Open tickets must also have reached an end activity to fit.")
@json_option
@_out_option
@_limit_option
def conformance(db: str, start: Any, end: Any, priority: tuple[str, ...],
                category: tuple[str, ...], team: tuple[str, ...], model: str | None,
                coverage: float | None, min_frequency: int | None, strict_end: bool,
                as_json: bool, out: str | None, limit: int) -> None:
    """Check every ticket against the reference lifecycle: fitting, deviations, rates."""
    segment = make_filter(start, end, priority, category, team)
    result = _lib().conformance(db, model=model, segment=segment, strict_end=strict_end,
                                coverage=coverage / 100 if coverage else None,
                                min_frequency=min_frequency, progress=progress_wanted())
    tables = {"tickets": result.tickets, "deviation_summary": result.deviation_summary,
              "by_team": result.by_team, "by_technician": result.by_technician,
              "deviations": result.deviations}
    head = {"segment": result.segment, "model": result.model, "model_kind": result.model_kind,
            "model_how": result.model_how, "cases": result.cases,
            "fitting": result.fitting, "conformance_rate": result.rate,
            "unmodelled_activities": result.unmodelled}
    if output.emit(tables, head, "tickets", as_json, out):
        return
    if output.note_empty(result.cases, result.segment):
        return
    click.echo(_model_line(result, db))
    click.echo(f"{result.fitting:,} of {result.cases:,} tickets fit "
               f"({output.fmt(result.rate, 'share')})")
    if result.unmodelled:
        click.echo("not in the model (always inserted): " + ", ".join(result.unmodelled))
    output.show("Deviations", result.deviation_summary, [
        ("kind", "kind", "text"), ("activity", "activity", "text"), ("tickets", "tickets", "int"),
        ("occurrences", "times", "int"), ("share", "share", "share"),
    ], limit)
    for title, frame, key in (("By team", result.by_team, "team"),
                              ("By technician", result.by_technician, "technician")):
        output.show(title, frame, [
            (key, key, "text"), ("tickets", "tickets", "int"), ("fitting", "fitting", "int"),
            ("conformance_rate", "rate", "share"), ("with_inserted", "inserted", "int"),
            ("with_skipped", "skipped", "int"), ("with_out_of_order", "out of order", "int"),
        ], limit)


@mine.command(name="model")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="Workspace: its declared model, or one discovered from its log (default: "
                   "the shipped lifecycle of the ticketlens vocabulary).")
@_discovery_options
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the model here to edit it (default: print it).")
def model_command(db: str | None, coverage: float | None, min_frequency: int | None,
                  out: str | None) -> None:
    """Print (or save) the reference model: declared, or discovered from the log."""
    lib = _lib()
    if db is None:
        if coverage is not None or min_frequency is not None:
            raise InputError("--coverage and --min-frequency discover a model from a log: "
                             "name its workspace with --db")
        text, how = lib.default_model_path().read_text(encoding="utf-8"), "the shipped lifecycle"
    else:
        reference = lib.reference_model(db, coverage=coverage / 100 if coverage else None,
                                        min_frequency=min_frequency, progress=progress_wanted())
        text, how = lib.model_toml(reference), reference.how
    if out is None:
        click.echo(text, nl=False)
        return
    if Path(out).exists():
        raise InputError(f"{out} exists already: choose another name or delete it first")
    output.atomic_write(Path(out), lambda path: path.write_text(text, encoding="utf-8"))
    again = f" --db {db}" if db is not None else ""
    click.echo(f"wrote {out} — {how}; edit it and pass "
               f"`ticketlens mine conformance{again} --model {out}`")


# --- map and export ---------------------------------------------------------------------------

@mine.command(name="map")
@_segment_options
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Picture to write: .svg, .png (Graphviz) or .dot (the graph text).")
@click.option("--kind", type=click.Choice(["frequency", "performance"]), default="frequency",
              show_default=True, help="Counts on the arrows, or waiting times.")
@click.option("--statistic", type=click.Choice(["median", "mean", "p90", "max"]),
              default="median", show_default=True, help="Waiting time shown on a performance map.")
@click.option("--min-frequency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Hide arrows seen fewer times (noise slider).")
@click.option("--coverage", type=click.FloatRange(0, 100, min_open=True),
              help="Keep only tickets of the most frequent variants covering PCT %.")
@click.option("--renderer", type=click.Choice(["graphviz", "builtin"]), default="graphviz",
              show_default=True,
              help="graphviz: Graphviz's dot (SVG, PNG); builtin: SVG with no system package.")
@json_option
def map_command(db: str, start: Any, end: Any, priority: tuple[str, ...],
                category: tuple[str, ...], team: tuple[str, ...], out: str, kind: str,
                statistic: str, min_frequency: int, coverage: float | None, renderer: str,
                as_json: bool) -> None:
    """Draw the process map (frequency or performance) as SVG or PNG."""
    segment = make_filter(start, end, priority, category, team)
    path = _lib().process_map(db, out, kind=kind, statistic=statistic,  # type: ignore[arg-type]
                              segment=segment, min_frequency=min_frequency,
                              coverage=coverage / 100 if coverage else None,
                              renderer=renderer,  # type: ignore[arg-type]
                              progress=progress_wanted())
    output.written(path, as_json, segment.describe())


@mine.command(name="export")
@_segment_options
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="XES file to write: .xes, or .xes.gz (compressed).")
@json_option
def export_command(db: str, start: Any, end: Any, priority: tuple[str, ...],
                   category: tuple[str, ...], team: tuple[str, ...], out: str,
                   as_json: bool) -> None:
    """Export the workspace (or a segment) as XES for ProM, Disco or pm4py."""
    segment = make_filter(start, end, priority, category, team)
    path = _lib().export_xes(db, out, segment=segment, progress=progress_wanted())
    output.written(path, as_json, segment.describe())
