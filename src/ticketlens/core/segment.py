"""Segment filters shared by the analyses (kpi, mine): which tickets to look at.

A filter selects whole tickets, never single events, so a lifecycle is never cut in half:
- time window: the ticket's creation instant (its first event) in ``[start, end)``; an
  instant without a zone is UTC, and ``start`` must come before ``end``;
- priority / category: the value in force at the ticket's last event that carries one;
- team: the ``team`` case attribute.

The values are checked against a workspace's data (case ignored where only one value fits)
by ``ticketlens.workspace.segment.resolve_segment`` before an analysis applies the filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import CASE_ATTR_TEAM


@dataclass(frozen=True)
class TicketFilter:
    start: datetime | None = None
    end: datetime | None = None
    priority: tuple[str, ...] = field(default_factory=tuple)
    category: tuple[str, ...] = field(default_factory=tuple)
    team: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                object.__setattr__(self, name, moment.replace(tzinfo=UTC))
        if self.start and self.end and self.start >= self.end:
            raise ConfigError(f"--from {_utc(self.start)} is not before --to {_utc(self.end)}: "
                              "the window holds no instant")

    @property
    def is_empty(self) -> bool:
        return not (self.start or self.end or self.priority or self.category or self.team)

    def describe(self) -> str:
        parts = []
        if self.start:
            parts.append(f"created from {self.start:%Y-%m-%d %H:%M}")
        if self.end:
            parts.append(f"created before {self.end:%Y-%m-%d %H:%M}")
        for name in ("priority", "category", "team"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} in ({', '.join(values)})")
        return "; ".join(parts) or "all tickets"

    def events_sql(self, table: str = "events") -> tuple[str, dict[str, Any]]:
        """A SELECT over ``table`` keeping the events of the tickets in the segment.

        Returns the SQL text (with named ``$segment_*`` placeholders) and its parameters.
        """
        if self.is_empty:
            return f"SELECT * FROM {table}", {}
        having: list[str] = []
        params: dict[str, Any] = {}

        def marks(name: str, values: tuple[str, ...]) -> str:
            params.update({f"segment_{name}_{i}": v for i, v in enumerate(values)})
            return ", ".join(f"$segment_{name}_{i}" for i in range(len(values)))

        if self.start:
            having.append('min("timestamp") >= $segment_start')
            params["segment_start"] = self.start
        if self.end:
            having.append('min("timestamp") < $segment_end')
            params["segment_end"] = self.end
        for column in ("priority", "category"):
            values = getattr(self, column)
            if values:
                having.append(f"arg_max({column}, event_seq) FILTER (WHERE {column} IS NOT NULL) "
                              f"IN ({marks(column, values)})")
        team_join = ""
        if self.team:
            team_join = (
                "SEMI JOIN (SELECT ticket_id FROM case_attributes "
                f"WHERE name = '{CASE_ATTR_TEAM}' AND value IN ({marks('team', self.team)})) t "
                "USING (ticket_id)"
            )
        where = " AND ".join(having) or "true"
        sql = (
            f"SELECT e.* FROM {table} e SEMI JOIN ("
            f"SELECT ticket_id FROM {table} GROUP BY ticket_id HAVING {where}"
            f") seg USING (ticket_id) {team_join}"
        )
        return sql, params


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
