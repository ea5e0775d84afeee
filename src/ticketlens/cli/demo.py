"""CLI for `ticketlens demo`: the whole pipeline on a generated desk, with a short summary."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from ticketlens.demo import DEFAULT_OUT, DEFAULT_SEED, DEFAULT_TICKETS, DemoResult, demo


def _percent(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def _hours(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f} h"


def _render(result: DemoResult, console: Console) -> None:
    counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in result.row_counts.items())
    console.print(f"[bold]Generated[/] {counts}\n  into {result.desk}/")
    console.print(
        f"[bold]Ingested[/] {result.events_loaded:,} events of {result.tickets:,} tickets "
        f"into {result.db}"
    )

    sla_table = Table(title="SLA (overall)", title_justify="left")
    for column in ("metric", "tickets with a verdict", "breached", "breach rate"):
        sla_table.add_column(column, justify="left" if column == "metric" else "right")
    for row in result.breach.itertuples():
        sla_table.add_row(row.metric, f"{row.with_verdict:,}", f"{row.breached:,}",
                          _percent(row.breach_rate))
    console.print(sla_table)

    priority_table = Table(title="Resolution SLA by priority", title_justify="left")
    for column in ("priority", "tickets", "breached", "breach rate"):
        priority_table.add_column(column, justify="left" if column == "priority" else "right")
    for row in result.by_priority.itertuples():
        priority_table.add_row(row.value, f"{row.with_verdict:,}", f"{row.breached:,}",
                               _percent(row.breach_rate))
    console.print(priority_table)

    overall = result.overall
    console.print(
        f"MTTR {_hours(overall['mttr_hours'])} · median {_hours(overall['median_resolution_hours'])}"
        f" · reopen rate {_percent(overall['reopen_rate'])}"
        f" · escalation rate {_percent(overall['escalation_rate'])}"
        f" · first-contact resolution {_percent(overall['fcr_rate'])}"
    )

    variant_table = Table(title="Most common lifecycles", title_justify="left")
    for column in ("tickets", "share", "path"):
        variant_table.add_column(column, justify="left" if column == "path" else "right")
    for row in result.top_variants.itertuples():
        variant_table.add_row(f"{row.cases:,}", _percent(row.share), " → ".join(row.activities))
    console.print(variant_table)

    if result.process_map:
        console.print(f"Process map: {result.process_map}")
    else:
        console.print("Process map skipped: install Graphviz (`apt-get install graphviz`).")
    console.print(
        f"KPI tables: {result.out / 'kpi'}/ · next: "
        f"`ticketlens kpi --db {result.db}`, `ticketlens mine dfg --db {result.db}`"
    )


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=str(DEFAULT_OUT),
              show_default=True, help="Folder for the demo desk, workspace and outputs.")
@click.option("--tickets", type=click.IntRange(min=1), default=DEFAULT_TICKETS,
              show_default=True, help="Tickets to generate.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Random seed (same seed, same desk).")
def demo_command(out: str, tickets: int, seed: int) -> None:
    """Generate a synthetic desk and run every analysis on it (generate → ingest → sla → kpi → mine)."""
    result = demo(out, tickets=tickets, seed=seed, progress=sys.stderr.isatty())
    _render(result, Console())


COMMANDS: list[click.Command] = [demo_command]
