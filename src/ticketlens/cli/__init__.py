"""The `ticketlens` command: a thin shell over the library.

Each verb family lives in its own module here and only parses options, calls one library
function and formats its result. Library errors (and the system refusing a path the user
named) become one line and exit code 2 in one place (``TicketlensGroup.invoke``); click's usage
errors become one line in ``main``; Ctrl-C, at start-up or later, prints "interrupted" and exits
130 (docs/ingest.md "Errors").

A verb's module is imported only when that verb runs or shows its help (``VERBS`` below), and
verb modules import DuckDB, pandas and SciPy inside their commands, so ``ticketlens --help``
and ``--version`` start in a fraction of a second.
"""

from __future__ import annotations

import signal
import sys


def _interrupted() -> None:
    """Ctrl-C: one word and exit code 130 (128 + SIGINT), the shell's convention."""
    print("interrupted", file=sys.stderr)
    raise SystemExit(130)


def _reader_left() -> None:
    """The reader of our output went away (`ticketlens … | head`): what it wanted, it has.
    Further writes (and Python's flush at exit) go nowhere instead of raising again; exit
    code 141 (128 + SIGPIPE), the shell's convention."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(141)


def _defer_interrupt(_signum: int, _frame: object) -> None:
    _PENDING.append(True)


# Ctrl-C while the command starts: Python may swallow a KeyboardInterrupt raised inside the
# import machinery (and go on to run the command), so during these imports it is only noted,
# then acted on (SystemExit ends an import quietly).
_PENDING: list[bool] = []
try:
    _previous = signal.signal(signal.SIGINT, _defer_interrupt)
except ValueError:  # imported outside the main thread: no handler can be set there
    _previous = None
try:
    import errno
    import importlib
    import os
    from typing import NamedTuple

    import click

    from ticketlens.core.errors import TicketlensError
except KeyboardInterrupt:
    _interrupted()
finally:
    if _previous is not None:
        signal.signal(signal.SIGINT, _previous)
if _PENDING:
    _interrupted()


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
            super().invoke(ctx)  # a command's return value is no exit code (main reads one)
            return None
        except TicketlensError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _interrupted()
        except BrokenPipeError:
            _reader_left()
        except OSError as exc:
            if exc.errno not in USER_ERRNOS or exc.filename is None:
                _internal_error(ctx, exc)
            # the user's system refused a path they gave (too long, no permission, no space):
            # not a bug
            click.echo(f"error: cannot use {exc.filename}: {exc.strerror}", err=True)
            ctx.exit(2)
        except Exception as exc:
            if _is_interrupt(exc):
                _interrupted()
            _internal_error(ctx, exc)
        return None


# What the operating system says about a path a user named, never a bug in ticketlens.
USER_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.EROFS,
                         errno.ENOSPC, errno.EDQUOT, errno.ENOENT, errno.ENOTDIR,
                         errno.EISDIR, errno.ELOOP, errno.EEXIST})


def _is_interrupt(exc: Exception) -> bool:
    """DuckDB turns a Ctrl-C during a query into its own exception, or a RuntimeError
    "Query interrupted" (a query run through its Python API)."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    return type(exc) is RuntimeError and str(exc).startswith("Query interrupted")


def _internal_error(ctx: click.Context, exc: Exception) -> None:
    """No traceback reaches a user; developers get it with TICKETLENS_DEBUG=1."""
    if os.environ.get("TICKETLENS_DEBUG"):
        raise exc
    click.echo(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in ticketlens; rerun with TICKETLENS_DEBUG=1 for the traceback.",
        err=True,
    )
    ctx.exit(1)


def _usage_error(exc: click.ClickException) -> int:
    """click's usage errors as one line, with the help to read on the same line."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # bare `ticketlens`: its help
        click.echo(exc.format_message(), err=True)
        return exc.exit_code
    message = " ".join(exc.format_message().split())
    if isinstance(exc, click.UsageError):
        message += f" (try '{exc.ctx.command_path if exc.ctx else 'ticketlens'} --help')"
    click.echo(f"error: {message}", err=True)
    return exc.exit_code


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
    from ticketlens.core import interrupt

    interrupt.install()
    try:
        try:
            code = cli.main(prog_name="ticketlens", standalone_mode=False)
        except click.ClickException as exc:
            code = _usage_error(exc)
        except (click.Abort, KeyboardInterrupt):
            _interrupted()
    except SystemExit as exc:
        if exc.code != 130:
            raise
        # Interrupted: leave now. A KeyboardInterrupt that went through a callback inside a C
        # extension (numba's compiler) can leave Python believing one went unhandled, and it
        # then ends by sending itself SIGINT (status -2, not 130) while finalizing; our output
        # was cleaned up on the way here (the staged folder, the progress display).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code if isinstance(code, int) else 0)
