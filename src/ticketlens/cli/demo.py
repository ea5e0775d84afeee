"""CLI for `ticketlens demo`: the whole pipeline on a generated desk, with a short summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ticketlens.cli.output import esc, shown_of
from ticketlens.core.progress import progress_wanted
from ticketlens.demo import DEFAULT_OUT, DEFAULT_SEED, DEFAULT_TICKETS, DemoResult, demo

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def _percent(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def _hours(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f} h"


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]],
           text_column: str | None = None) -> Table:
    """A left-titled table: the text column left-aligned (default: the first), numbers right."""
    from rich.table import Table

    text_column = text_column or columns[0]
    table = Table(title=esc(title), title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column == text_column else "right")
    for row in rows:
        table.add_row(*(esc(cell) for cell in row))
    return table


def _render(result: DemoResult, console: Console) -> None:
    counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in result.row_counts.items())
    console.print(f"[bold]Generated[/] {esc(counts)}\n  into {esc(result.desk)}/")
    console.print(
        f"[bold]Ingested[/] {result.events_loaded:,} events of {result.tickets:,} tickets "
        f"into {esc(result.db)}"
    )

    if result.policy_line:
        console.print(esc(result.policy_line))
    console.print(_table(
        "SLA (overall)", ("metric", "tickets with a verdict", "breached", "breach rate"),
        [(r.metric, f"{r.with_verdict:,}", f"{r.breached:,}", _percent(r.breach_rate))
         for r in result.breach.itertuples()]))
    console.print(_table(
        "Resolution SLA by priority", ("priority", "tickets", "breached", "breach rate"),
        [(r.value, f"{r.with_verdict:,}", f"{r.breached:,}", _percent(r.breach_rate))
         for r in result.by_priority.itertuples()]))

    overall = result.overall
    console.print(esc(
        f"MTTR {_hours(overall['mttr_hours'])} · median {_hours(overall['median_resolution_hours'])}"
        f" · reopen rate {_percent(overall['reopen_rate'])}"
        f" · escalation rate {_percent(overall['escalation_rate'])}"
        f" · first-contact resolution {_percent(overall['fcr_rate'])}"
    ))

    shown = len(result.top_variants)
    cut = f" ({shown_of(shown, result.variants)} variants)" if result.variants > shown else ""
    console.print(_table(
        "Most common lifecycles" + cut, ("tickets", "share", "path"),
        [(f"{r.cases:,}", _percent(r.share), " → ".join(r.activities))
         for r in result.top_variants.itertuples()],
        text_column="path"))

    if result.process_map and result.map_renderer == "builtin":
        console.print(esc(f"Process map: {result.process_map} (drawn without Graphviz; "
                          "`apt-get install graphviz` draws it with dot)"))
    elif result.process_map:
        console.print(esc(f"Process map: {result.process_map}"))
    else:
        console.print(esc("Process map skipped: install Graphviz (`apt-get install graphviz`)."))
    console.print(esc(
        f"KPI tables: {result.out / 'kpi'}/ · next: "
        f"`ticketlens kpi --db {result.db}`, `ticketlens mine dfg --db {result.db}`"
    ))


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=str(DEFAULT_OUT),
              show_default=True, help="Folder for the demo desk, workspace and outputs.")
@click.option("--tickets", type=click.IntRange(min=1), default=DEFAULT_TICKETS,
              show_default=True, help="Tickets to generate.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Random seed (same seed, same desk).")
def demo_command(out: str, tickets: int, seed: int) -> None:
    """Generate a synthetic desk and run every analysis on it (generate → ingest → sla → kpi → mine)."""
    from rich.console import Console

    result = demo(out, tickets=tickets, seed=seed, progress=progress_wanted())
    _render(result, Console())
