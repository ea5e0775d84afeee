"""A segment filter's values checked against the workspace's data, before any analysis runs.

A value the data holds exactly is kept; otherwise one that equals a data value when case is
ignored is replaced by it, when exactly one fits (``--priority critical`` finds "Critical");
anything else is refused with the values that are there — a silently empty answer would
look like "no such tickets" when it is a typo. A combination of valid values that no ticket
has (priority Low *and* team Network Ops) is still an empty segment, not an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import duckdb

from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import CASE_ATTR_TEAM
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.sql import load_sql, run

DIMENSIONS = ("priority", "category", "team")
SHOWN = 20  # known values listed in a refusal


def resolve_segment(con: duckdb.DuckDBPyConnection, segment: TicketFilter) -> TicketFilter:
    """``segment`` with each priority / category / team value matched to the data's own
    spelling; ``ConfigError`` naming the known values when one matches nothing, or several."""
    wanted = {name: bool(getattr(segment, name)) for name in DIMENSIONS}
    if not any(wanted.values()):
        return segment
    rows = run(con, load_sql(__name__, "segment_values.sql"),
               {**wanted, "team_name": CASE_ATTR_TEAM}).fetchall()
    known: dict[str, list[str]] = defaultdict(list)
    for dimension, value, _tickets in rows:
        known[dimension].append(value)
    return replace(segment, **{
        name: tuple(_match(name, value, known[name]) for value in getattr(segment, name))
        for name in DIMENSIONS if wanted[name]
    })


def _match(dimension: str, value: str, known: list[str]) -> str:
    if value in known:
        return value
    folded = [k for k in known if k.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0]
    if folded:
        raise ConfigError(f"{dimension} {value!r} matches several values when case is ignored: "
                          f"{', '.join(repr(k) for k in folded)}; give one of them exactly")
    if not known:
        raise ConfigError(f"no tickets with {dimension} {value!r}: the workspace records no "
                          f"{dimension} for any ticket")
    shown = ", ".join(known[:SHOWN]) + (f", … ({len(known):,} in all)" if len(known) > SHOWN
                                        else "")
    raise ConfigError(f"no tickets with {dimension} {value!r}; known: {shown} (--{dimension}; "
                      "case is ignored where only one value fits)")
