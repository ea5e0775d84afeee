"""The workspace's one roster: table ``technicians``, and the row in force per name.

Ingest fills it from a generated desk's manifest (origin ``manifest``), from a roster file the
user passes (``ingest --roster``, origin ``roster file <path>``; a newer file replaces the
older one) and, for people no roster states, from the log's escalations (origin
``INFERRED``, recomputed after every ingest). ``roster(con)`` is what every analysis reads:
the roster file first, then manifests, then inferred tiers. The SLA engine uses the stated
rows only (``explicit=True``) and infers the rest itself under its policy and as-of instant,
with the same rule (``clock.tickets.technician_tiers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ticketlens.core.roster import RosterFile
from ticketlens.core.schema import TIERS
from ticketlens.workspace.sql import load_sql

INFERRED = "inferred from escalations"
MANIFEST = "manifest"
ROSTER_FILE = "roster file"


@dataclass(frozen=True)
class RosterRow:
    """One technician as the workspace's roster states them, and where that came from."""

    name: str
    tier: str
    team: str | None
    skills: tuple[str, ...]
    origin: str



def _has_roster_table(con: duckdb.DuckDBPyConnection) -> tuple[bool, bool]:
    """Whether ``technicians`` exists, and whether it has ``origin`` (schema 2)."""
    columns = {name for (name,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'technicians'"
    ).fetchall()}
    return bool(columns), "origin" in columns


def roster(con: duckdb.DuckDBPyConnection, *, explicit: bool = False) -> list[RosterRow]:
    """One row per technician: the row in force (``explicit``: stated rows only, no inferred).

    Empty when the workspace has no roster (or, opened read-only, no ``technicians`` table).
    """
    exists, has_origin = _has_roster_table(con)
    if not exists:
        return []
    if has_origin:
        rows = con.execute(load_sql(__name__, "roster.sql"), {"inferred": INFERRED}).fetchall()
    else:  # a schema-1 workspace opened read-only: every row came from a manifest
        rows = con.execute(
            "SELECT name, arg_max(tier, source_id), arg_max(team, source_id), "
            "arg_max(skills, source_id), 'manifest' FROM technicians GROUP BY name ORDER BY name"
        ).fetchall()
    return [RosterRow(name, tier, team, tuple(skills or ()), origin)
            for name, tier, team, skills, origin in rows
            if not (explicit and origin == INFERRED)]


def attach_roster_file(con: duckdb.DuckDBPyConnection, roster_file: RosterFile) -> int:
    """Make ``roster_file`` the workspace's roster file (replacing an earlier one): how many."""
    origin = f"{ROSTER_FILE} {roster_file.path}"
    con.execute("DELETE FROM technicians WHERE starts_with(origin, $kind)", {"kind": ROSTER_FILE})
    con.executemany(
        "INSERT INTO technicians (name, tier, team, skills, source_id, origin) "
        "VALUES (?, ?, ?, ?, NULL, ?)",
        [(t.name, t.tier, t.team, list(t.skills), origin) for t in roster_file.technicians])
    return len(roster_file.technicians)


def refresh_inferred(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the inferred rows (people no roster states): how many there are now."""
    # The workspace's lifecycle roles name the escalations (with their tiers), the assignments
    # and the entry tier, bound as the SLA engine binds its default policy.
    from ticketlens.clock.policy import load_policy
    from ticketlens.workspace.roles import read_roles

    life = load_policy(None, read_roles(con)).lifecycle
    escalations = list(life.escalated)
    con.execute("DELETE FROM technicians WHERE origin = $o", {"o": INFERRED})
    con.execute(load_sql(__name__, "roster_inferred.sql"), {
        "escalations": escalations,
        "escalation_tiers": [life.escalated[a] for a in escalations],
        "escalation_ranks": [life.tiers.index(life.escalated[a]) for a in escalations],
        "tier_count": max(len(life.tiers), 1),
        "assigned": sorted(life.assigned),
        "entry_tier": life.entry_tier,
        "inferred": INFERRED,
    })
    return int(con.execute("SELECT count(*) FROM technicians WHERE origin = $o",
                           {"o": INFERRED}).fetchall()[0][0])


def roster_summary(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Per origin of the rows in force: how many technicians, and how many per tier."""
    by_origin: dict[str, dict[str, int]] = {}
    for row in roster(con):
        tiers = by_origin.setdefault(row.origin, {})
        tiers[row.tier] = tiers.get(row.tier, 0) + 1
    order = {tier: i for i, tier in enumerate(TIERS)}
    return [{"origin": origin, "technicians": sum(tiers.values()),
             "tiers": dict(sorted(tiers.items(), key=lambda kv: order.get(kv[0], len(order))))}
            for origin, tiers in by_origin.items()]
