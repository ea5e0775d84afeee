"""CLI for `ticketlens generate`: parse, call ``ticketlens.sources.generate``, print what was written."""

from __future__ import annotations

import json

import click

from ticketlens.cli.options import json_option
from ticketlens.core.progress import progress_wanted

# The names only (the generator loads slowly); a test keeps them equal to config.DESK_PRESETS.
DESK_PRESETS = ("healthy", "struggling", "failing")


@click.command("generate")
@click.option("--out", "out", type=click.Path(file_okay=False), required=False,
              help="Folder to write the desk into (new, empty, or an earlier generated desk).")
@click.option("--tickets", type=int, default=None,
              help="Tickets created in the window [desk default: 5000].")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the window, YYYY-MM-DD [2024-01-01].")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the window, inclusive, YYYY-MM-DD [2024-03-31].")
@click.option("--seed", type=int, default=None,
              help="Random seed; the same seed and config give byte-identical files [42].")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Desk TOML (start from --print-config); keys left out keep the defaults.")
@click.option("--preset", type=click.Choice(DESK_PRESETS), default=None,
              help="A shipped desk: the default desk with more or less staff for its load "
                   "(--config keys go on top).")
@click.option("--format", "formats", default="csv", show_default=True,
              help="Output formats: csv, parquet or csv,parquet.")
@click.option("--print-config", is_flag=True,
              help="Print the shipped default desk TOML (with --preset: that preset's keys) and exit.")
@json_option
def generate_command(out: str | None, tickets: int | None, start, end, seed: int | None,
                     config: str | None, preset: str | None, formats: str, print_config: bool,
                     as_json: bool) -> None:
    """Generate a realistic synthetic IT service desk, mess included.

    Writes events.csv (the event log), tickets, sla_metrics, ownership and business_impact
    (CSV, and Parquet with --format csv,parquet), manifest.json and sla-policy.toml (the SLA
    policy sla_metrics was measured with, `ticketlens sla`'s default on the desk) into --out.
    Everything is written to a temporary folder first and moved into place at the end.

    \b
    Examples:
      ticketlens generate --out desk/
      ticketlens generate --out big/ --tickets 1000000 --format csv,parquet
      ticketlens generate --out tight/ --preset struggling
      ticketlens generate --print-config > my-desk.toml
      ticketlens generate --out mine/ --config my-desk.toml --seed 7
    """
    from ticketlens.sources.generate.config import default_toml_text, preset_toml_text

    if print_config:
        click.echo(preset_toml_text(preset) if preset else default_toml_text(), nl=False)
        return
    if not out:
        raise click.UsageError("Missing option '--out' (the folder to write the desk into).")
    import ticketlens

    result = ticketlens.generate(
        out, tickets=tickets, start=start.date() if start else None,
        end=end.date() if end else None, seed=seed, config=config,
        preset=preset, formats=tuple(formats.split(",")), progress=progress_wanted() and not as_json)
    if as_json:
        click.echo(json.dumps({
            "out": str(result.out), "seed": result.seed, "start": str(result.start),
            "end": str(result.end), "teams": result.teams, "technicians": result.technicians,
            "row_counts": result.row_counts, "files": [str(p) for p in result.files],
            "sla_policy": {"name": result.sla_policy, "file": str(result.sla_policy_file)}},
            indent=2))
        return
    _print_summary(result)


def _print_summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from ticketlens.cli.output import esc

    table = Table(title=esc(f"Generated desk in {result.out}/"), title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("files")
    for name, rows in result.row_counts.items():
        files = ", ".join(p.name for p in result.files if p.stem == name)
        table.add_row(esc(name), f"{rows:,}", esc(files))
    console = Console()
    console.print(table)
    console.print(esc(f"window {result.start} to {result.end} (inclusive), seed {result.seed}, "
                      f"{result.technicians} technicians in {result.teams} team(s); "
                      f"details in {result.manifest}"))
    console.print(esc(f"sla_metrics measured with SLA policy {result.sla_policy} "
                      f"({result.sla_policy_file.name}; `ticketlens sla` uses it on an ingest of this "
                      "desk)"))
