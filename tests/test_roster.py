"""One roster: the workspace's `technicians` table, filled by ingest from a manifest, a roster
file (`--roster`: CSV or desk TOML) or the log's escalations, read by sla, kpi and mine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

import ticketlens
from mine_support import workspace_file
from ticketlens.analyses import mine
from ticketlens.analyses.sla.engine import insert_events
from ticketlens.cli import cli
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.connection import open_workspace
from ticketlens.workspace.roster import INFERRED

# Three of the ServiceNow sample's assignees (Resolver 249 and 253 hand tickets back and forth).
ROSTER_CSV = """name,tier,team,skills
Resolver 170,L1,Group 56,Network;Software
Resolver 249,L2,Group 70,
Resolver 125,L3,,Hardware
"""
ROSTER_TOML = """# a desk TOML: only its [[technician]] blocks are read
[window]
start = 2016-01-01

[[technician]]
name = "Resolver 249"
tier = "L3"
team = "Group 70"
skills = { Network = 0.9 }

[[technician]]
name = "Resolver 253"
tier = "Manager"
"""


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _sla_tiers(db: Path, policy: str) -> dict[str, str]:
    ticketlens.sla(db, policy=policy)
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT technician, tier FROM sla_technicians "
                                "WHERE tier IS NOT NULL").fetchall())


@pytest.fixture(scope="module")
def servicenow_db(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sn")
    (folder / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    db = folder / "ws.duckdb"
    summary = ticketlens.ingest(real_data / "servicenow_incidents_sample.csv", db=db,
                                roster=folder / "roster.csv")
    assert summary.roster is not None and summary.roster["attached"] == 3
    return db


def test_a_roster_csv_gives_sla_and_mine_the_tiers_of_a_real_log(servicenow_db: Path) -> None:
    # --policy standard has tiers; the servicenow preset names none, so its facts carry none
    assert _sla_tiers(servicenow_db, "standard") == {
        "Resolver 170": "L1", "Resolver 249": "L2", "Resolver 125": "L3"}
    rework = mine.rework(servicenow_db)
    assert rework.roster.known == 3 and len(rework.roster.unknown) == 119
    network = mine.handover(servicenow_db).network
    tiers = dict(zip(network["source"], network["source_tier"], strict=True))
    assert tiers["Resolver 249"] == "L2" and tiers["Resolver 125"] == "L3"
    assert network.loc[network["source"] == "Resolver 253", "source_tier"].isna().all()
    info = ticketlens.info(servicenow_db)
    assert info.roster == [{"origin": f"roster file {servicenow_db.parent / 'roster.csv'}",
                            "technicians": 3, "tiers": {"L1": 1, "L2": 1, "L3": 1}}]


def test_a_desk_toml_roster_attached_alone_replaces_the_roster_file(
        servicenow_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    shutil.copy(servicenow_db, db)
    roster = tmp_path / "desk.toml"
    roster.write_text(ROSTER_TOML, encoding="utf-8")
    events_before = ticketlens.info(db).events
    code, out = _run("ingest", "--roster", str(roster), "--db", str(db))
    assert code == 0, out
    assert "2 technicians attached" in " ".join(out.split())
    data = json.loads(_run("info", "--db", str(db), "--json")[1])
    assert data["events"] == events_before
    assert data["roster"] == [{"origin": f"roster file {roster}", "technicians": 2,
                               "tiers": {"L3": 1, "Manager": 1}}]
    assert _sla_tiers(db, "standard") == {"Resolver 249": "L3", "Resolver 253": "Manager"}
    network = mine.handover(db).network.set_index(["source", "target"])
    assert tuple(network.loc[("Resolver 249", "Resolver 253"), ["source_tier", "target_tier"]]
                 ) == ("L3", "Manager")


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ("name,tier\nAnn,L1\n,L2\n", ".csv", " line 3, column name: name must be a non-empty text"),
    ("name,tier\nAnn,L1\nBob,L4\n", ".csv",
     " line 3, column tier: tier = 'L4' is not a tier; use one of L1, L2, L3, Manager"),
    ("name,tier,team\nAnn,L1,A\nBob,L2,B\nAnn,L2,A\n", ".csv",
     " line 4, column tier: 'Ann' is given tier 'L2' here and 'L1' on line 2"),
    ("name,tier,skill\nAnn,L1,x\n", ".csv", " line 1: unknown column(s) 'skill'"),
    ("tier,team\nL1,A\n", ".csv", " line 1: no 'name' column"),
    ("name,tier\nAnn,L1,extra\n", ".csv", " line 2: 3 fields, the header has 2"),
    ('[[technician]]\nname = "A"\ntier = "L1"\n\n[[technician]]\nname = "B"\ntier = "L9"\n',
     ".toml", " line 5 ([[technician]] #2), key tier: tier = 'L9' is not a tier"),
    ('[window]\nstart = 2016-01-01\n', ".toml", ": no [[technician]] blocks"),
])
def test_a_bad_roster_file_is_one_line_naming_file_line_and_column(
        tmp_path: Path, text: str, suffix: str, message: str) -> None:
    roster = tmp_path / f"roster{suffix}"
    roster.write_text(text, encoding="utf-8")
    db = workspace_file(tmp_path / "ws.duckdb", [("T1", 0, "Ticket Created", None)])
    with pytest.raises(ConfigError) as caught:
        ticketlens.ingest([], db=db, roster=roster)
    assert str(caught.value).startswith(f"{roster}{message}")
    code, out = _run("ingest", "--roster", str(roster), "--db", str(db))
    assert code == 2 and out.count("\n") == 1 and str(roster) in out


def test_info_says_the_roster_came_from_a_generated_desks_manifest(tmp_path: Path) -> None:
    ticketlens.generate(tmp_path / "desk", tickets=200, seed=3)
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(tmp_path / "desk", db=db)
    assert ticketlens.info(db).roster == [
        {"origin": "manifest", "technicians": 10,
         "tiers": {"L1": 3, "L2": 4, "L3": 2, "Manager": 1}}]
    code, out = _run("info", "--db", str(db))
    assert code == 0
    assert "roster: 10 from manifest (L1 3, L2 4, L3 2, Manager 1)" in " ".join(out.split())


def test_without_a_roster_tiers_are_inferred_from_escalations_as_sla_infers_them(
        tmp_path: Path) -> None:
    """A desk's events without its manifest: ingest infers tiers, the same ones as the SLA
    engine (standard policy) and the ones the manifest states; mine reads them."""
    ticketlens.generate(tmp_path / "desk", tickets=400, seed=4)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(tmp_path / "desk" / "events.csv", alone / "events.csv")
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(alone / "events.csv", db=db)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT name, tier, origin FROM technicians").fetchall()
    inferred = {name: tier for name, tier, _ in rows}
    assert {origin for _, _, origin in rows} == {INFERRED}
    assert inferred == _sla_tiers(db, "standard")
    manifest = json.loads((tmp_path / "desk" / "manifest.json").read_text())["roster"]
    stated = {p["name"]: p["tier"] for p in manifest}
    assert inferred == {name: stated[name] for name in inferred}
    assert len(inferred) >= 8
    assert ticketlens.info(db).roster[0]["origin"] == INFERRED
    assert mine.rework(db).roster.known == len(inferred)


def test_a_stated_tier_wins_over_the_inferred_one(tmp_path: Path) -> None:
    rows = [("T1", 0, "Ticket Created", None), ("T1", 1, "Ticket Assigned", "Ann"),
            ("T1", 2, "Escalated to L2", "Bob"), ("T1", 3, "Ticket Resolved", "Bob")]
    db = workspace_file(tmp_path / "ws.duckdb", rows)
    ticketlens.ingest([], db=db, roster=_write(tmp_path / "r.csv", "name,tier\nZoe,L1\n"))
    assert _tiers(db) == {"Ann": ("L1", INFERRED), "Bob": ("L2", INFERRED),
                          "Zoe": ("L1", f"roster file {tmp_path / 'r.csv'}")}
    ticketlens.ingest([], db=db, roster=_write(tmp_path / "r.csv", "name,tier\nBob,L3\n"))
    assert _tiers(db) == {"Ann": ("L1", INFERRED),
                          "Bob": ("L3", f"roster file {tmp_path / 'r.csv'}")}
    assert _sla_tiers(db, "standard") == {"Ann": "L1", "Bob": "L3"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _tiers(db: Path) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {n: (t, o) for n, t, o in con.execute(
            "SELECT name, tier, origin FROM technicians").fetchall()}


def test_mine_on_the_helpdesk_log_without_a_roster_does_not_use_the_default_desk(
        real_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(real_data / "helpdesk.csv", db=db)
    assert ticketlens.info(db).roster == []
    result = mine.rework(db)
    assert result.roster.known == 0 and result.roster.unknown
    assert "tiers unknown (not measurable)" in result.roster.describe()
    assert "ticketlens ingest --roster" in result.roster.describe()


def test_a_default_desk_name_in_a_log_without_a_roster_gets_no_tier(tmp_path: Path) -> None:
    """Chris Johnson is L1 on the default desk; a real log's Chris Johnson is nobody known."""
    db = tmp_path / "ws.duckdb"
    with open_workspace(db) as ws:
        insert_events(ws.con, pd.DataFrame({
            "ticket_id": ["T1", "T1"], "activity": ["Ticket Created", "Work Started"],
            "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00"], utc=True),
            "assigned_to": [None, "Chris Johnson"]}))
    result = mine.handover(db)
    assert (result.roster.known, result.roster.unknown) == (0, ["Chris Johnson"])


def test_mine_roster_option_moved_to_ingest(tmp_path: Path) -> None:
    code, out = _run("mine", "rework", "--roster", "desk.toml", "--db", str(tmp_path / "w.db"))
    assert code == 2
    text = " ".join(out.split())
    assert "--roster moved to ingest" in text and "ticketlens ingest --roster desk.toml" in text


def test_a_schema_1_workspace_is_upgraded_in_place(tmp_path: Path) -> None:
    ticketlens.generate(tmp_path / "desk", tickets=100, seed=2)
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(tmp_path / "desk", db=db)
    with duckdb.connect(str(db)) as con:  # back to schema 1: no origin, source_id required
        con.execute("ALTER TABLE technicians DROP COLUMN origin")
        con.execute("ALTER TABLE technicians ALTER COLUMN source_id SET NOT NULL")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert ticketlens.info(db).roster[0]["technicians"] == 10  # read-only: read as manifest
    with open_workspace(db) as ws:
        origins = ws.con.execute("SELECT DISTINCT origin FROM technicians").fetchall()
        version = ws.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert origins == [("manifest",)] and version == [("2",)]
    assert ticketlens.info(db).schema_version == 2
