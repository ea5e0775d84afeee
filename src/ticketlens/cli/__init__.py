"""The `ticketlens` command: a thin shell over the library.

Each verb family lives in its own module here and only parses options, calls one library
function and formats its result. Library errors become one line and exit code 2 in one place
(``TicketlensGroup.invoke``).
"""

from __future__ import annotations

import os
import sys

import click

from ticketlens.core.errors import TicketlensError


class TicketlensGroup(click.Group):
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


def _register() -> None:
    from ticketlens.cli import demo, generate, ingest, mine, sla

    for module in (demo, generate, ingest, sla, mine):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="ticketlens")
    sys.exit(0)
