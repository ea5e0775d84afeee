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

import click

from ticketlens.core.errors import TicketlensError

# verb -> (module, command object in it); the one list of verbs `ticketlens` offers
VERBS: dict[str, tuple[str, str]] = {
    "demo": ("ticketlens.cli.demo", "demo_command"),
    "generate": ("ticketlens.cli.generate", "generate_command"),
    "info": ("ticketlens.cli.ingest", "info_command"),
    "ingest": ("ticketlens.cli.ingest", "ingest_command"),
    "kpi": ("ticketlens.cli.sla", "kpi_command"),
    "mine": ("ticketlens.cli.mine", "mine"),
    "sla": ("ticketlens.cli.sla", "sla_command"),
}


class TicketlensGroup(click.Group):
    """Loads a verb's module on first use (click's lazy-loading group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *VERBS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in VERBS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = VERBS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return command

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
