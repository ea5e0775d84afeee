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


def filter_options(func: F) -> F:
    """--from/--to/--priority/--category/--team, collected into one TicketFilter ``segment``."""
    options = [
        click.option("--from", "start", type=click.DateTime(), help="Tickets created at or after."),
        click.option("--to", "end", type=click.DateTime(), help="Tickets created before."),
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
    from datetime import UTC

    def aware(moment: datetime | None) -> datetime | None:
        return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment

    return TicketFilter(aware(start), aware(end), tuple(priority), tuple(category), tuple(team))
