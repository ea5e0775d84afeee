"""``ticketlens info``: what a workspace holds, read-only."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from ticketlens.core.jsonable import jsonable
from ticketlens.core.schema import WORKSPACE_SCHEMA_VERSION
from ticketlens.workspace.roster import roster_summary
from ticketlens.workspace.source_policy import SourcePolicy
from ticketlens.workspace.sql import has_column, load_sql, tables_exist


@dataclass(frozen=True)
class WorkspaceInfo:
    """What a workspace holds."""

    db: str
    schema_version: int
    events: int
    cases: int
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    sources: list[dict[str, Any]]
    activities: list[tuple[str, int]]
    case_attributes: list[tuple[str, int]]
    event_attributes: list[tuple[str, int]]
    quarantined_rows: int
    flagged_events: dict[str, int]
    tables: list[str]
    # per origin of the roster rows in force (workspace/roster.py): technicians and tiers
    roster: list[dict[str, Any]] = field(default_factory=list)
    # one per activity: roles, tier, state after it, origin ("no roles": events only)
    roles: list[dict[str, Any]] = field(default_factory=list)
    derived_events: int = 0  # events ingest made from column changes (attributes.derived)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["activities"] = [{"activity": a, "events": n} for a, n in self.activities]
        data["case_attributes"] = [{"name": a, "tickets": n} for a, n in self.case_attributes]
        data["event_attributes"] = [{"name": a, "events": n} for a, n in self.event_attributes]
        return jsonable(data)


def workspace_info(con: duckdb.DuckDBPyConnection, db: str) -> WorkspaceInfo:
    totals = con.execute(load_sql(__name__, "info.sql")).fetchall()[0]
    assert totals is not None
    sources = []
    text = "policy_toml" if tables_exist(con, "source_policies") and has_column(
        con, "source_policies", "policy_toml") else "NULL"
    presets = {source_id: SourcePolicy(f"source #{source_id}", preset, toml, origin).describe()
               for source_id, preset, toml, origin in (
        con.execute(f"SELECT source_id, preset, {text}, origin FROM source_policies").fetchall()
        if tables_exist(con, "source_policies") else [])}
    for row in con.execute(
        "SELECT source_id, name, format, path, sha256, tz, ingested_at, rows_read, rows_loaded, "
        "rows_quarantined, rows_deduped, details FROM sources ORDER BY source_id"
    ).fetchall():
        details = json.loads(row[11]) if row[11] else {}
        events = con.execute("SELECT count(*), count(DISTINCT ticket_id) FROM events "
                             "WHERE source_id = $s", {"s": row[0]}).fetchall()[0]
        assert events is not None
        sources.append({
            "source_id": row[0], "name": row[1], "format": row[2], "path": row[3],
            "sha256": row[4], "tz": row[5], "ingested_at": row[6], "rows_read": row[7],
            "rows_loaded": row[8], "rows_quarantined": row[9], "rows_deduped": row[10],
            "events": events[0], "cases": events[1],
            "timestamp_format": details.get("timestamp_format"),
            # the SLA preset sla/kpi use for it (workspace/source_policy.py)
            "sla_preset": presets.get(row[0], SourcePolicy(row[1], None).describe()),
        })
    activities = con.execute(
        "SELECT activity, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    case_attributes = con.execute(
        "SELECT name, count(DISTINCT ticket_id) FROM case_attributes GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    event_attributes = con.execute(
        "SELECT key, count(*) FROM (SELECT unnest(map_keys(attributes)) AS key FROM events "
        "WHERE attributes IS NOT NULL) GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0]
    flags = dict(con.execute("SELECT flag, count(*) FROM event_flags GROUP BY 1 ORDER BY 1"
                             ).fetchall())
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY 1").fetchall()]
    return WorkspaceInfo(
        db=db, schema_version=WORKSPACE_SCHEMA_VERSION, events=int(totals[0]), cases=int(totals[1]),
        first_timestamp=totals[2], last_timestamp=totals[3], sources=sources,
        activities=[(a, int(n)) for a, n in activities],
        case_attributes=[(a, int(n)) for a, n in case_attributes],
        event_attributes=[(a, int(n)) for a, n in event_attributes],
        quarantined_rows=int(quarantined[0]) if quarantined else 0,
        flagged_events={k: int(v) for k, v in flags.items()}, tables=tables,
        roster=roster_summary(con),
        roles=_roles(con, tables), derived_events=_derived(con),
    )


def _roles(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[dict[str, Any]]:
    """The roles in force per activity (as every verb reads them) and events per activity."""
    from ticketlens.workspace.roles import read_roles

    if "activity_roles" not in tables:
        return []
    counts = dict(con.execute("SELECT activity, count(*) FROM events GROUP BY 1").fetchall())
    roles = read_roles(con)
    rows = [{"activity": e.activity, "roles": sorted(e.roles), "tier": e.tier,
             "state": e.state.value if e.state else None, "origin": e.origin,
             "events": int(counts.pop(e.activity, 0))} for e in roles.entries]
    rows += [{"activity": a, "roles": [], "tier": None, "state": None, "origin": "no roles",
              "events": int(n)} for a, n in sorted(counts.items())]
    settings = {"tiers": list(roles.tiers), "entry_tier": roles.entry_tier,
                "created_attribute": roles.created_attribute}
    if any(settings.values()):
        rows.append({"settings": settings, "origin": roles.origin})
    return rows


def _derived(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM events WHERE attributes['derived'] IS NOT NULL "
                           "AND len(attributes['derived']) > 0").fetchall()[0][0])
