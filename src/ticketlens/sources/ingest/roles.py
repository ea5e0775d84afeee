"""The lifecycle roles in force for an ingested source, by precedence: a roles file the user
passes, the source's mapping, then inference where the evidence is unambiguous."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.core.config import load_toml
from ticketlens.core.lifecycle import (
    VOCABULARY,
    ActivityRoles,
    Role,
    infer_roles,
    parse_roles,
    with_origin,
)
from ticketlens.sources.ingest.detect import Detection
from ticketlens.sources.ingest.mapping import Mapping as Mapping_
from ticketlens.sources.ingest.mapping import all_builtins
from ticketlens.sources.ingest.read_events import desk_policy
from ticketlens.workspace.roles import write_roles


def load_roles(spec: str | Path | Mapping[str, Any] | ActivityRoles | None) -> ActivityRoles | None:
    """Roles from a TOML file path, a parsed dict, or as given."""
    if spec is None or isinstance(spec, ActivityRoles):
        return spec
    if isinstance(spec, Mapping):
        return parse_roles(spec, "roles")
    return parse_roles(load_toml(spec), f"roles file {spec}")


_VOCABULARY_NAME = "the ticketlens vocabulary"
_INFERRED = "inferred: every activity is one of "


@cache
def _builtin_roles() -> tuple[tuple[str, ActivityRoles, str | None], ...]:
    """The ticketlens vocabulary, then every built-in mapping's roles, each with the SLA
    preset its source implies (read once)."""
    desk = next((m.policy for m in all_builtins() if m.roles == VOCABULARY), None)
    return ((_VOCABULARY_NAME, VOCABULARY, desk),
            *tuple((f"mapping {m.name}", m.roles, m.policy) for m in all_builtins()
                   if m.roles is not None and m.roles != VOCABULARY))


def _by_vocabulary(activities: set[str]) -> ActivityRoles | None:
    """The built-in roles that declare every activity the source has (the ticketlens
    vocabulary first), e.g. the Helpdesk log read from XES, which names no mapping."""
    for name, roles, _ in _builtin_roles():
        if activities and activities <= set(roles.activities):
            return with_origin(roles, f"{_INFERRED}{name}")
    return None


def source_preset(mapping: Mapping_ | None, roles: ActivityRoles) -> tuple[str | None, str]:
    """The shipped SLA preset a source implies and what says so: its mapping's ``policy``,
    else that of the built-in whose activities it matched (the Helpdesk log read from XES);
    None for a source without SLA definitions of its own."""
    if mapping is not None and mapping.policy:
        return mapping.policy, f"mapping {mapping.name}"
    for name, _, preset in _builtin_roles():
        if preset and roles.origin == f"{_INFERRED}{name}":
            return preset, roles.origin
    return None, f"mapping {mapping.name}" if mapping is not None else "no mapping"


def source_policy(detection: Detection, roles: ActivityRoles
                  ) -> tuple[str | None, str, str | None]:
    """(preset, origin, policy text) of the SLA policy a source implies: ``source_preset``,
    and for a generated desk that brought its own policy file (what its sla_metrics were
    measured with; ``read_events.desk_policy``) that file's text, the file named as origin."""
    preset, origin = source_preset(detection.mapping, roles)
    own = desk_policy(detection.path) if detection.format == "events" else None
    return (preset, *own) if own is not None else (preset, origin, None)


def store_source_roles(con: duckdb.DuckDBPyConnection, source_id: int,
                       mapping_roles: ActivityRoles | None,
                       user_roles: ActivityRoles | None) -> ActivityRoles:
    """Decide the roles of ``source_id``'s activities, store them, and return them. The
    events are read only where the declarations leave something to infer."""
    declared = mapping_roles
    if declared is None:
        activities = {a for (a,) in con.execute(
            "SELECT DISTINCT activity FROM events WHERE source_id = $s", {"s": source_id}
        ).fetchall()}
        declared = _by_vocabulary(activities)
    if user_roles is not None:
        declared = user_roles.over(declared) if declared is not None else user_roles
    roles = declared or ActivityRoles()
    if not roles.having(Role.CREATION):
        first = {a: int(n) for a, n in con.execute(
            """
            SELECT first_activity, count(*) FROM (
                SELECT ticket_id, arg_min(activity, event_seq) AS first_activity
                FROM events WHERE source_id = $s GROUP BY ticket_id)
            GROUP BY 1
            """, {"s": source_id}).fetchall()}
        roles = infer_roles(roles, first, sum(first.values()))
    write_roles(con, source_id, roles)
    return roles
