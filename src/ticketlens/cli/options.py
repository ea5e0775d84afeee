"""Options shared by several verbs, as decorators (one definition, same help everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from ticketlens.core.segment import TicketFilter
from ticketlens.workspace import DEFAULT_DB

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False),
        default=str(DEFAULT_DB),
        show_default=True,
        help="Workspace DuckDB file.",
    )(func)


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print a machine-readable JSON result."
    )(func)


class Instant(click.ParamType):
    """An ISO 8601 date or date-time, with an optional UTC offset (``Z``, ``+02:00``); without
    one it is UTC."""

    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date or date-time: write it as 2024-01-31, "
                      "2024-01-31 08:00 or 2024-01-31T08:00+01:00 (UTC unless an offset is "
                      "given)", param, ctx)


def filter_options(func: F) -> F:
    """--from/--to/--priority/--category/--team, collected into one TicketFilter ``segment``."""
    options = [
        click.option("--from", "start", type=Instant(),
                     help="Tickets created at or after (ISO date/time; UTC unless an offset "
                          "is given)."),
        click.option("--to", "end", type=Instant(), help="Tickets created before."),
        click.option("--priority", multiple=True, help="Keep these priorities (repeatable)."),
        click.option("--category", multiple=True, help="Keep these categories (repeatable)."),
        click.option("--team", multiple=True, help="Keep these teams (repeatable)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_filter(
    start: datetime | None,
    end: datetime | None,
    priority: tuple[str, ...],
    category: tuple[str, ...],
    team: tuple[str, ...],
) -> TicketFilter:
    """The filter of the options (a time without an offset is UTC: ``TicketFilter``)."""
    return TicketFilter(start, end, tuple(priority), tuple(category), tuple(team))
