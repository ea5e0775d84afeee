"""A generated desk's roster travels with its data: ingest loads it into `technicians`."""

from __future__ import annotations

import json

import duckdb

import ticketlens


def test_generated_roster_is_loaded_with_tiers_and_skills(tmp_path) -> None:
    """Every technician of the manifest's roster is in the workspace with tier, team, skills."""
    desk = tmp_path / "desk"
    ticketlens.generate(desk, tickets=300, seed=5)
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest([desk], db=db)
    roster = json.loads((desk / "manifest.json").read_text())["roster"]

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT name, tier, team, skills FROM technicians ORDER BY name").fetchall()
    holders = {r[0] for r in con.execute(
        "SELECT DISTINCT assigned_to FROM events WHERE assigned_to IS NOT NULL").fetchall()}
    con.close()

    assert len(rows) == len(roster) == 10
    tiers = {name: tier for name, tier, _, _ in rows}
    assert tiers["Chris Johnson"] == "L1"
    assert tiers["Taylor Chen"] == "L2"
    assert tiers["Casey Brown"] == "L3"
    assert "Network" in dict((r[0], r[3]) for r in rows)["Taylor Chen"]
    assert holders <= set(tiers), "every technician in the log has a known tier"


def test_reingesting_the_same_desk_keeps_one_roster(tmp_path) -> None:
    desk = tmp_path / "desk"
    ticketlens.generate(desk, tickets=100, seed=6)
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest([desk], db=db)
    ticketlens.ingest([desk], db=db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM technicians").fetchone()[0] == 10
    con.close()


def test_sla_takes_tiers_from_the_roster_before_the_log() -> None:
    """A roster states a tier; an escalation only suggests one: the roster wins, the log fills in."""
    import pandas as pd

    from ticketlens.analyses.sla.engine import compute_facts, insert_events
    from ticketlens.workspace.connection import connect_memory

    con = connect_memory()
    stamps = pd.date_range("2024-01-08 09:00", periods=4, freq="h", tz="UTC")
    insert_events(con, pd.DataFrame({
        "ticket_id": ["T1"] * 4,
        "timestamp": stamps,
        "activity": ["Ticket Created", "Ticket Assigned", "Escalated to L2", "Ticket Resolved"],
        "assigned_to": [None, "Ann", "Bob", "Bob"],
        "priority": ["Medium"] * 4,
    }))
    inferred = dict(zip(*compute_facts(con).technicians.to_pydict().values(), strict=True))
    assert inferred == {"Ann": "L1", "Bob": "L2"}

    con.execute("INSERT INTO technicians (name, tier, team, skills, source_id) "
                "VALUES ('Bob', 'L3', 'Infra', ['Network'], 1)")
    result = compute_facts(con)
    tiers = dict(zip(*result.technicians.to_pydict().values(), strict=True))
    assert tiers == {"Ann": "L1", "Bob": "L3"}
    assert result.facts.loc[0, "resolving_tier"] == "L3"
