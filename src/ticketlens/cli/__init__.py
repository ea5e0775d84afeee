"""The `ticketlens` command: a thin shell over the library.

Each verb family lives in its own module here and only parses options, calls one library
function and formats its result. Library errors become one line and exit code 2 in one place
(``TicketlensGroup.invoke``).

A verb's module is imported only when that verb runs or shows its help (``VERBS`` below), and
verb modules import DuckDB, pandas and SciPy inside their commands, so ``ticketlens --help``
and ``--version`` start in a fraction of a second.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NamedTuple

import click

from ticketlens.core.errors import TicketlensError


class Verb(NamedTuple):
    module: str   # the verb's CLI module, imported when the verb runs or shows its help
    command: str  # the click command in it
    summary: str  # the first paragraph of its help: `ticketlens --help` lists it unimported


# The one list of the verbs `ticketlens` offers (tests/test_cli_start.py keeps the summaries
# equal to the commands' help).
VERBS: dict[str, Verb] = {
    "demo": Verb("ticketlens.cli.demo", "demo_command",
                 "Generate a synthetic desk and run every analysis on it "
                 "(generate → ingest → sla → kpi → mine)."),
    "generate": Verb("ticketlens.cli.generate", "generate_command",
                     "Generate a realistic synthetic IT service desk, mess included."),
    "info": Verb("ticketlens.cli.ingest", "info_command",
                 "Show what a workspace holds: sources, tickets, events, time span, "
                 "activities, attributes."),
    "ingest": Verb("ticketlens.cli.ingest", "ingest_command",
                   "Load ticket exports into the workspace's canonical event log."),
    "kpi": Verb("ticketlens.cli.sla", "kpi_command",
                "Service KPIs over the SLA facts, stored as `kpi_*` tables in the workspace."),
    "mine": Verb("ticketlens.cli.mine", "mine",
                 "Process mining of ticket lifecycles: where tickets get stuck, bounce, "
                 "or come back."),
    "sla": Verb("ticketlens.cli.sla", "sla_command",
                "Compute per-ticket SLA facts (one row per ticket) into the table "
                "`sla_facts`."),
}


class TicketlensGroup(click.Group):
    """Loads a verb's module on first use (click's lazy-loading group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *VERBS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in VERBS:
            return super().get_command(ctx, cmd_name)
        verb = VERBS[cmd_name]
        command = getattr(importlib.import_module(verb.module), verb.command)
        if not isinstance(command, click.Command):
            raise TypeError(f"{verb.module}.{verb.command} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, over stand-ins that carry each verb's summary: no verb module
        # is imported to print `ticketlens --help`.
        listing = click.Group(commands={
            **{name: click.Command(name, help=verb.summary) for name, verb in VERBS.items()},
            **self.commands,
        })
        click.Group.format_commands(listing, ctx, formatter)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TicketlensError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            # No traceback reaches a user; developers get it with TICKETLENS_DEBUG=1.
            if os.environ.get("TICKETLENS_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in ticketlens; rerun with TICKETLENS_DEBUG=1 for the traceback.",
                err=True,
            )
            ctx.exit(1)
        return None


@click.group(cls=TicketlensGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ticketlens")
def cli() -> None:
    """ticketlens: turn IT service-desk tickets into answers.

    \b
    Typical flow:
      ticketlens generate --out desk/            # or bring your own export
      ticketlens ingest desk/ --db ws.duckdb
      ticketlens sla --db ws.duckdb
      ticketlens kpi --db ws.duckdb
      ticketlens mine dfg --db ws.duckdb
    """



def main() -> None:
    cli(prog_name="ticketlens")
    sys.exit(0)
