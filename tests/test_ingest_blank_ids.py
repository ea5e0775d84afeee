"""Whitespace-only case ids and activities, and repeated event ids, never pass silently
(issue 10 §4): a blank id or activity is quarantined with its reason and counted; event ids
used by more than one event are counted in the ingest summary. The generator itself writes
none of them (checked on its output)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from click.testing import CliRunner

import ticketlens
from ticketlens.cli import cli

HEADER = "event_id,timestamp,ticket_id,activity,assigned_to,priority,category,department,notes"
ROWS = [
    "1,2024-01-01 09:00:00,TKT-1,Ticket Created,Unassigned,High,Software,IT,a",
    "2,2024-01-01 09:10:00,TKT-1,Ticket Assigned,Pat Anderson,High,Software,IT,b",
    "2,2024-01-01 09:20:00,TKT-1,Work Started,Pat Anderson,High,Software,IT,c",
    "3,2024-01-01 09:30:00,   ,Work Started,Pat Anderson,High,Software,IT,d",
    "4,2024-01-01 09:40:00,TKT-1,\t ,Pat Anderson,High,Software,IT,e",
    "5,2024-01-01 09:50:00,TKT-1,Ticket Resolved,Pat Anderson,High,Software,IT,f",
    "5,2024-01-01 09:55:00,TKT-2,Ticket Created,Unassigned,High,Software,IT,g",
    "5,2024-01-01 09:56:00,TKT-2,Ticket Assigned,Pat Anderson,High,Software,IT,h",
]


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return path


def test_blank_case_ids_and_activities_are_quarantined_with_a_reason(tmp_path) -> None:
    db = tmp_path / "ws.duckdb"
    summary = ticketlens.ingest(_log(tmp_path), db=db)
    source = summary.sources[0]
    assert (source.rows_read, source.rows_loaded, source.rows_quarantined) == (8, 6, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        quarantined = con.execute('SELECT line, "column", value, reason FROM quarantine '
                                  "ORDER BY line").fetchall()
        tickets = con.execute("SELECT DISTINCT ticket_id FROM events ORDER BY 1").fetchall()
    assert quarantined == [(5, "ticket_id", "   ", "blank case id (only whitespace)"),
                           (6, "activity", "\t ", "blank activity (only whitespace)")]
    assert tickets == [("TKT-1",), ("TKT-2",)]


def test_repeated_event_ids_are_counted_in_the_summary(tmp_path) -> None:
    summary = ticketlens.ingest(_log(tmp_path), db=tmp_path / "ws.duckdb")
    warnings = summary.sources[0].warnings
    assert "3 events reuse an event_id of another event (2 ids repeated, e.g. 2, 5): the " \
           "source's event ids are not unique" in warnings
    result = CliRunner().invoke(cli, ["ingest", str(_log(tmp_path)), "--db",
                                      str(tmp_path / "again.duckdb")])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "3 events reuse an event_id of another event" in flat
    assert "read 8 = loaded 6 + quarantined 2" in flat


def test_unique_event_ids_give_no_warning(tmp_path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("\n".join([HEADER, ROWS[0], ROWS[1], ROWS[5]]) + "\n")
    warnings = ticketlens.ingest(path, db=tmp_path / "ws.duckdb").sources[0].warnings
    assert not [w for w in warnings if "event_id" in w]


def test_the_generator_writes_no_blank_ids_or_activities_and_unique_event_ids(tmp_path) -> None:
    """Its ids are built (TKT-date-number, 1, 2, 3, ...) and its activities come from the fixed
    vocabulary, mess included: ingest of a generated desk quarantines nothing and warns of no
    repeated event id."""
    result = ticketlens.generate(tmp_path / "desk", tickets=2_000, seed=13)
    events = pd.read_csv(result.out / "events.csv", dtype=str, keep_default_na=False)
    assert (events["ticket_id"].str.strip() != "").all()
    assert (events["activity"].str.strip() != "").all()
    assert events["event_id"].is_unique
    summary = ticketlens.ingest(result.out, db=tmp_path / "ws.duckdb")
    source = summary.sources[0]
    assert source.rows_quarantined == 0 and source.rows_loaded == len(events)
    assert not [w for w in source.warnings if "event_id" in w]


def test_a_ticket_table_row_with_a_blank_ticket_id_is_quarantined(tmp_path) -> None:
    """The Jira fixture with its first ticket's key replaced by spaces: that row is
    quarantined as a blank ticket id, the other two tickets load."""
    data = Path(__file__).resolve().parent / "data" / "jira_export.csv"
    text = data.read_text(encoding="utf-8")
    assert text.count("ITSD-101") == 1
    path = tmp_path / "jira_export.csv"
    path.write_text(text.replace("ITSD-101", "   "), encoding="utf-8")
    db = tmp_path / "ws.duckdb"
    source = ticketlens.ingest(path, db=db).sources[0]
    assert (source.format, source.rows_read, source.rows_loaded,
            source.rows_quarantined) == ("ticket-table", 3, 2, 1)
    assert source.quarantine_reasons == {"blank ticket id (only whitespace)": 1}
