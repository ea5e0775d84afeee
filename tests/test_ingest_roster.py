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
