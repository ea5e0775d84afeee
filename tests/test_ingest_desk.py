"""ticketlens' own generated desk: exact round trip of the event log, linked tables attached as
case attributes, time zone from the manifest."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import EVENT_LOG_COLUMNS, TIMESTAMP_FORMAT, UNASSIGNED

TINY = Path(__file__).resolve().parent / "data" / "desk_tiny"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _export(db: Path, tz: str) -> list[dict[str, str]]:
    """The workspace's events written back in the brief's CSV shape."""
    zone = ZoneInfo(tz)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            'SELECT event_id, "timestamp", ticket_id, activity, assigned_to, priority, category, '
            "department, notes FROM events ORDER BY CAST(event_id AS BIGINT)").fetchall()
    out = []
    for row in rows:
        record = dict(zip(EVENT_LOG_COLUMNS, row, strict=True))
        record["timestamp"] = row[1].astimezone(zone).strftime(TIMESTAMP_FORMAT)
        record["assigned_to"] = row[4] if row[4] is not None else UNASSIGNED
        record["notes"] = row[8] or ""
        out.append(record)
    return out


def _attributes(db: Path) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {(t, n): v for t, n, v in con.execute(
            "SELECT ticket_id, name, value FROM case_attributes").fetchall()}


def test_tiny_desk_round_trips_exactly(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(TINY, db=db)
    source = summary.sources[0]
    assert (source.format, source.rows_read, source.rows_loaded) == ("events", 8, 8)
    assert (source.tz, source.tz_origin) == ("Europe/Paris", "manifest.json")
    assert _export(db, "Europe/Paris") == _csv_rows(TINY / "events.csv")


def test_unassigned_is_null_and_times_are_absolute(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(TINY, db=db)
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        assert con.execute("SELECT count(*) FROM events WHERE assigned_to IS NULL").fetchall() \
            == [(3,)]
        assert con.execute("SELECT count(*) FROM events WHERE assigned_to = 'Unassigned'"
                           ).fetchall() == [(0,)]
        # 03:05 in Paris on the night clocks went forward (UTC+2) is 01:05 UTC.
        escalated = con.execute("SELECT \"timestamp\" FROM events WHERE event_id = '3'"
                                ).fetchall()[0][0]
    assert escalated.isoformat() == "2024-03-31T01:05:00+00:00"


def test_linked_tables_become_case_attributes(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(TINY, db=db)
    attributes = _attributes(db)
    ticket = "TKT-20240330-002"
    assert attributes[(ticket, "team")] == "Application Support"
    assert attributes[(ticket, "system")] == "Payments Gateway"
    assert attributes[(ticket, "channel")] == "Phone"
    assert attributes[(ticket, "assigned_engineer")] == "Sam Williams"
    assert attributes[(ticket, "is_repeat_incident")] == "true"
    assert attributes[(ticket, "estimated_financial_loss")] == "20311.50"
    assert attributes[(ticket, "affected_region")] == "Europe"
    # Instants become absolute ISO 8601 text in UTC (10:00 in Paris is 09:00Z).
    assert attributes[(ticket, "priority")] == "High"
    assert attributes[(ticket, "created_at")] == "2024-03-30T09:00:00Z"
    assert (ticket, "root_cause_category") not in attributes  # empty stays absent
    linked = summary.sources[0].details["linked_tables"]
    assert linked["business_impact"]["rows_attached"] == 1
    assert linked["ownership"] == {"file": "ownership.csv", "rows_read": 3, "rows_attached": 3,
                                   "rows_quarantined": 0, "tickets": 3,
                                   "tickets_without_events": 0}


def test_team_filter_works_on_the_attached_team(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(TINY, db=db)
    sql, params = ticketlens.TicketFilter(team=("Network Ops",)).events_sql()
    with duckdb.connect(str(db), read_only=True) as con:
        tickets = con.execute(f"SELECT DISTINCT ticket_id FROM ({sql})", params).fetchall()
    assert tickets == [("TKT-20240330-001",)]


def test_manifest_zone_conflicting_with_tz_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"manifest.json says .* Europe/Paris"):
        ticketlens.ingest(TINY, db=tmp_path / "ws.duckdb", tz="UTC")


def test_events_file_alone_uses_its_manifest_zone_without_linked_tables(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(TINY / "events.csv", db=db)
    assert summary.sources[0].tz == "Europe/Paris"
    assert _attributes(db) == {}
    assert _export(db, "Europe/Paris") == _csv_rows(TINY / "events.csv")


def test_linked_row_without_ticket_is_quarantined(tmp_path: Path) -> None:
    desk = tmp_path / "desk"
    shutil.copytree(TINY, desk)
    with (desk / "ownership.csv").open("a") as fh:
        fh.write(',"Ghost Team",,,,false\n')
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(desk, db=db)
    assert summary.sources[0].details["linked_tables"]["ownership"]["rows_quarantined"] == 1
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute('SELECT file, line, "column", reason FROM quarantine').fetchall()
    assert rows == [(f"{desk.resolve()}/ownership.csv", 5, "ticket_id", "missing ticket_id")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "desk"
    result = ticketlens.generate(out, tickets=400, seed=11, formats=("csv", "parquet"))
    assert result.row_counts["tickets"] == 400
    return out


@pytest.mark.parametrize("target", ["folder", "events.csv", "events.parquet"])
def test_generated_desk_round_trips_exactly(generated: Path, tmp_path: Path, target: str) -> None:
    db = tmp_path / "ws.duckdb"
    path = generated if target == "folder" else generated / target
    summary = ticketlens.ingest(path, db=db)
    source = summary.sources[0]
    expected = _csv_rows(generated / "events.csv")
    assert source.rows_read == source.rows_loaded == len(expected)
    assert source.duplicate_events == 0 and source.out_of_order_events == 0
    assert _export(db, source.tz) == expected


def test_generated_desk_attaches_every_linked_ticket_column(generated: Path,
                                                            tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(generated, db=db)
    attributes = _attributes(db)
    for row in _csv_rows(generated / "ownership.csv"):
        if row["assigned_team"]:
            assert attributes[(row["ticket_id"], "team")] == row["assigned_team"]
    for row in _csv_rows(generated / "tickets.csv"):
        assert attributes[(row["ticket_id"], "system")] == row["system"]
        assert attributes[(row["ticket_id"], "channel")] == row["channel"]
    impact = _csv_rows(generated / "business_impact.csv")
    assert sum(1 for (_, name) in attributes if name == "affected_region") == len(impact)
