"""Column mappings: TOML files, built-ins (Jira, Zendesk), flags, and their errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import ConfigError, SchemaError
from ticketlens.sources.ingest.mapping import builtin, builtin_names, load_mapping

DATA = Path(__file__).resolve().parent / "data"


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def test_every_builtin_mapping_loads() -> None:
    names = builtin_names()
    assert names == ["bpic2013", "customer_support", "events", "helpdesk", "jira", "servicenow",
                     "xes_csv", "zendesk"]
    for name in names:
        mapping = builtin(name)
        assert mapping.case and mapping.detect, name
        assert mapping.is_ticket_table == (mapping.format == "ticket-table"), name


def test_toml_mapping_builds_activity_from_two_columns(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(DATA / "bpic_like.csv", db=db, mapping=DATA / "bpic_like.toml")
    source = summary.sources[0]
    assert (source.mapping, source.rows_loaded, source.cases) == ("volvo-problems", 4, 2)
    activities = _rows(db, "SELECT activity, assigned_to FROM events ORDER BY source_row")
    # "N/A" is missing: the sub-status part is left out, the resource is NULL.
    assert activities == [("Accepted+In Progress", "V30"), ("Accepted+In Progress", None),
                          ("Completed+Resolved", "V13 2nd 3rd"), ("Queued", "V5 3rd")]
    teams = _rows(db, "SELECT ticket_id, value FROM case_attributes WHERE name = 'team' "
                      "ORDER BY 1")
    assert teams == [("1-364285768", "Org line C"), ("1-467153946", "Org line A2")]


def test_jira_export_is_a_ticket_table(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(DATA / "jira_export.csv", db=db)
    source = summary.sources[0]
    assert (source.format, source.mapping) == ("ticket-table", "jira")
    assert source.timestamp_format.startswith("month name (%d/%b/%y %I:%M %p")
    assert (source.rows_read, source.rows_loaded, source.events_loaded) == (3, 3, 5)
    assert source.details["creation_missing"] == 0
    assert source.details["order_inconsistencies"] == {"Ticket Resolved before Ticket Created": 1}
    events = _rows(db, 'SELECT ticket_id, activity, "timestamp", priority, category FROM events '
                       "ORDER BY ticket_id, event_seq")
    assert [(e[0], e[1], e[2].isoformat()) for e in events[:2]] == [
        ("ITSD-101", "Ticket Created", "2024-03-12T09:05:00+00:00"),
        ("ITSD-101", "Ticket Resolved", "2024-03-14T16:30:00+00:00")]
    assert events[0][3:] == ("High", "Incident")
    attributes = dict(_rows(db, "SELECT name, value FROM case_attributes "
                                "WHERE ticket_id = 'ITSD-101'"))
    assert attributes["assignee"] == "Taylor Chen"
    assert attributes["Description"] == "Users in Lyon lose VPN\nevery hour."


def test_zendesk_export_is_a_ticket_table(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(DATA / "zendesk_export.csv", db=db)
    source = summary.sources[0]
    assert (source.format, source.mapping) == ("ticket-table", "zendesk")
    assert source.details["events_per_activity"] == {
        "Ticket Created": 3, "Ticket Assigned": 2, "Ticket Resolved": 2}
    first = _rows(db, "SELECT min(\"timestamp\") FROM events WHERE ticket_id = '501'")[0][0]
    assert first.isoformat() == "2024-03-12T08:05:00+00:00"  # +01:00 in the data
    attributes = dict(_rows(db, "SELECT name, value FROM case_attributes "
                                "WHERE ticket_id = '503'"))
    assert (attributes["team"], attributes["csat"], attributes["channel"]) == (
        "Access", "bad", "chat")


def test_unknown_toml_key_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('case = "id"\nactivty = "what"\ntimestamp = "when"\n')
    with pytest.raises(ConfigError, match=r"m.toml: unknown key\(s\) activty"):
        load_mapping(path)


def test_both_shapes_at_once_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"either activity \+ timestamp .* or \[events\]"):
        load_mapping({"case": "id", "activity": "a", "timestamp": "t",
                      "events": {"Ticket Created": "created"}})


def test_unknown_builtin_lists_the_names() -> None:
    with pytest.raises(ConfigError, match="no built-in mapping 'remedy': use one of bpic2013"):
        load_mapping("remedy")


def test_mapping_column_missing_lists_found_columns(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as err:
        ticketlens.ingest(DATA / "bpic_like.csv", db=tmp_path / "ws.duckdb",
                          mapping={"case": "SR", "activity": "Status",
                                   "timestamp": "Change Date+Time"})
    assert "case id column 'SR' not found (--case COLUMN)" in str(err.value)
    assert "'SR Number'" in str(err.value)


def test_flag_overrides_one_field_of_a_detected_layout(real_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(real_data / "bpic2013_closed_problems.csv", db=db,
                                columns={"activity": ["concept:name"]})
    source = summary.sources[0]
    assert source.mapping == "bpic2013 + flags"
    assert "column flags" in source.detected
    assert _rows(db, "SELECT count(DISTINCT activity) FROM events") == [(4,)]


def test_activity_names_rename_source_states(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(DATA / "bpic_like.csv", db=db, mapping={
        "case": "SR Number", "activity": "Status", "timestamp": "Change Date+Time",
        "activity_names": {"Completed": "Ticket Resolved"}})
    assert _rows(db, "SELECT DISTINCT activity FROM events ORDER BY 1") == [
        ("Accepted",), ("Queued",), ("Ticket Resolved",)]
