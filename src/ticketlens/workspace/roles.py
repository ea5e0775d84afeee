"""The lifecycle roles in force in a workspace (tables ``activity_roles``, ``lifecycle_settings``).

Ingest writes one set per source; every verb reads the workspace's set here. Where sources
disagree about an activity, the latest source wins. A workspace (or in-memory connection)
without stored roles uses the ticketlens vocabulary, as every verb did before roles were
stored.
"""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb
import pyarrow as pa

from ticketlens.core.lifecycle import VOCABULARY, ActivityRoles, from_rows
from ticketlens.workspace.sql import tables_exist

_SETTINGS = ("tiers", "entry_tier", "created_attribute")


def write_roles(con: duckdb.DuckDBPyConnection, source_id: int, roles: ActivityRoles) -> None:
    """Replace the roles stored for ``source_id``."""
    con.execute("DELETE FROM activity_roles WHERE source_id = $s", {"s": source_id})
    con.execute("DELETE FROM lifecycle_settings WHERE source_id = $s", {"s": source_id})
    rows = roles.rows(source_id)
    if rows:
        con.executemany("INSERT INTO activity_roles VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    values = {"tiers": list(roles.tiers) or None, "entry_tier": roles.entry_tier,
              "created_attribute": roles.created_attribute}
    for key in _SETTINGS:
        if values[key] is not None:
            con.execute("INSERT INTO lifecycle_settings VALUES (?, ?, ?, ?)",
                        [source_id, key, json.dumps(values[key]), roles.origin])


def read_roles(con: duckdb.DuckDBPyConnection, source_id: int | None = None) -> ActivityRoles:
    """The workspace's roles in force (latest source wins per activity and setting), or
    those stored for ``source_id``."""
    if not tables_exist(con, "activity_roles", "lifecycle_settings"):
        return VOCABULARY
    only = {"s": source_id} if source_id is not None else {}
    where = "WHERE source_id = $s" if source_id is not None else ""
    rows = con.execute(
        f"""
        WITH winner AS (
            SELECT activity, max(source_id) AS source_id, min(source_id) AS first_source
            FROM activity_roles {where} GROUP BY activity
        )
        SELECT r.activity, r.role, r.tier, r.state, r.origin
        FROM activity_roles r JOIN winner w USING (activity, source_id)
        ORDER BY w.first_source, r.position, r.role
        """, only).fetchall()
    if not rows:
        return VOCABULARY if source_id is None else ActivityRoles()
    settings = {key: (json.loads(value), origin) for key, value, origin in con.execute(
        "SELECT key, arg_max(value, source_id), arg_max(origin, source_id) "
        f"FROM lifecycle_settings {where} GROUP BY key ORDER BY key", only).fetchall()}
    roles = from_rows(rows, settings)
    if source_id is not None and not settings:  # the origin its entries share
        roles = replace(roles, origin=rows[0][4])
    return roles


def roles_line(con: duckdb.DuckDBPyConnection) -> str:
    """Where the lifecycle roles in force come from, as the first line of an analysis says it:
    "lifecycle roles: mapping helpdesk (14 activities)"."""
    origins: dict[str, int] = {}
    for entry in read_roles(con).entries:
        origins[entry.origin] = origins.get(entry.origin, 0) + 1
    if not origins:
        return "lifecycle roles: none (no activity has a role; see `ticketlens info`)"
    return "lifecycle roles: " + ", ".join(
        f"{origin} ({n:,} {'activity' if n == 1 else 'activities'})"
        for origin, n in sorted(origins.items(), key=lambda item: (-item[1], item[0])))


def roles_arrow(roles: ActivityRoles) -> pa.Table:
    """One row per activity and role (role NULL for an activity without one), for SQL joins:
    ``activity``, ``role``, ``tier``, ``state``, ``origin``."""
    rows = roles.rows(0)
    return pa.table({
        "activity": pa.array([r[0] for r in rows], pa.string()),
        "role": pa.array([r[1] for r in rows], pa.string()),
        "tier": pa.array([r[2] for r in rows], pa.string()),
        "state": pa.array([r[3] for r in rows], pa.string()),
        "origin": pa.array([r[4] for r in rows], pa.string()),
    })
