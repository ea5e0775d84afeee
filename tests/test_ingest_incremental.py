"""Re-ingesting: the same bytes change nothing; a newer export of a source adds only new events;
one ingest call is one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.core.errors import InputError

FLAGS = {"case": "id", "activity": "what", "timestamp": "when"}


def _snapshot(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return (
            con.execute("SELECT count(*) FROM sources").fetchall(),
            con.execute('SELECT ticket_id, event_seq, "timestamp", activity, source_row '
                        "FROM events ORDER BY ALL").fetchall(),
            con.execute("SELECT * FROM case_attributes ORDER BY ALL").fetchall(),
        )


def _events(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute('SELECT ticket_id, event_seq, "timestamp", activity, assigned_to '
                           "FROM events ORDER BY ticket_id, event_seq").fetchall()


def test_same_file_twice_changes_nothing(real_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(real_data / "servicenow_incidents_sample.csv", db=db)
    before = _snapshot(db)
    again = ticketlens.ingest(real_data / "servicenow_incidents_sample.csv", db=db)
    source = again.sources[0]
    assert source.status == "unchanged" and source.source_id == 1
    assert source.rows_loaded == 0 and source.balanced
    assert "identical to source #1" in source.warnings[0]
    assert _snapshot(db) == before


def test_same_bytes_under_another_name_are_still_recognised(tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("id,what,when\nT1,a,2024-01-01 10:00:00\n")
    copy = tmp_path / "b.csv"
    copy.write_bytes(first.read_bytes())
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(first, db=db, columns=FLAGS)
    assert ticketlens.ingest(copy, db=db, columns=FLAGS).sources[0].status == "unchanged"


def test_same_bytes_with_other_options_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,what,when\nT1,a,2024-01-01 10:00:00\n")
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(path, db=db, columns=FLAGS)
    with pytest.raises(InputError, match=r"already ingested as source #1 .* different reading"):
        ticketlens.ingest(path, db=db, columns=FLAGS, tz="Europe/Paris")


def test_newer_export_adds_only_new_events(tmp_path: Path) -> None:
    old, new = tmp_path / "may", tmp_path / "june"
    old.mkdir()
    new.mkdir()
    (old / "export.csv").write_text(
        "id,what,when,team\n"
        "T1,open,2024-05-01 10:00:00,A\nT1,work,2024-05-01 11:00:00,A\n"
        "T1,work,2024-05-01 11:00:00,A\n"  # an exact repeat, kept
        "T2,open,2024-05-02 09:00:00,B\n")
    (new / "export.csv").write_text(
        "id,what,when,team\n"
        "T1,open,2024-05-01 10:00:00,A\nT1,work,2024-05-01 11:00:00,A\n"
        "T1,work,2024-05-01 11:00:00,A\nT1,work,2024-05-01 11:00:00,A\n"  # one more repeat
        "T1,early,2024-05-01 09:30:00,A\n"  # a late-arriving earlier event
        "T2,open,2024-05-02 09:00:00,B\nT2,close,2024-05-03 09:00:00,C\n"
        "T3,open,2024-06-01 09:00:00,C\n")
    db = tmp_path / "ws.duckdb"
    mapping = {**FLAGS, "case_attributes": {"team": "team"}}
    first = ticketlens.ingest(old / "export.csv", db=db, mapping=mapping)
    assert first.sources[0].rows_loaded == 4
    update = ticketlens.ingest(new / "export.csv", db=db, mapping=mapping)
    source = update.sources[0]
    assert source.status == "updated"
    assert (source.rows_read, source.rows_loaded, source.rows_already_present) == (8, 4, 4)
    assert source.balanced
    events = _events(db)
    assert [e[3] for e in events if e[0] == "T1"] == ["early", "open", "work", "work", "work"]
    assert [e[1] for e in events if e[0] == "T1"] == [0, 1, 2, 3, 4]
    with duckdb.connect(str(db), read_only=True) as con:
        teams = con.execute("SELECT ticket_id, value, source_id FROM case_attributes "
                            "WHERE name = 'team' ORDER BY 1").fetchall()
    assert teams == [("T1", "A", 2), ("T2", "C", 2), ("T3", "C", 2)]  # newest export wins


def test_split_helpdesk_export_equals_one_ingest(real_data: Path, tmp_path: Path) -> None:
    """The first 10,000 rows, then the full file under the same name: same log as one load."""
    lines = (real_data / "helpdesk.csv").read_text().splitlines(keepends=True)
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    (early / "helpdesk.csv").write_text("".join(lines[:10_001]))
    (late / "helpdesk.csv").write_text("".join(lines))
    incremental, whole = tmp_path / "inc.duckdb", tmp_path / "whole.duckdb"
    ticketlens.ingest(early / "helpdesk.csv", db=incremental)
    update = ticketlens.ingest(late / "helpdesk.csv", db=incremental).sources[0]
    assert (update.rows_loaded, update.rows_already_present) == (11_348, 10_000)
    ticketlens.ingest(real_data / "helpdesk.csv", db=whole)
    assert _events(incremental) == _events(whole)


def test_source_name_links_differently_named_exports(tmp_path: Path) -> None:
    (tmp_path / "incidents_2024-05.csv").write_text("id,what,when\nT1,a,2024-05-01 10:00:00\n")
    (tmp_path / "incidents_2024-06.csv").write_text(
        "id,what,when\nT1,a,2024-05-01 10:00:00\nT1,b,2024-06-01 10:00:00\n")
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(tmp_path / "incidents_2024-05.csv", db=db, columns=FLAGS,
                      source_name="incidents")
    update = ticketlens.ingest(tmp_path / "incidents_2024-06.csv", db=db, columns=FLAGS,
                               source_name="incidents")
    assert update.sources[0].rows_loaded == 1


def test_tickets_shared_with_another_kind_of_source_are_merged_with_a_warning(
    tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text("id,what,when\nT1,a,2024-05-01 10:00:00\n")
    (tmp_path / "b.csv").write_text("ref,step,at\nT1,b,2024-05-01 09:00:00\n")
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(tmp_path / "a.csv", db=db, columns=FLAGS)
    second = ticketlens.ingest(tmp_path / "b.csv", db=db, columns={
        "case": "ref", "activity": "step", "timestamp": "at"}).sources[0]
    assert second.merged_tickets == 1
    assert any("already had events from other kinds of source" in w for w in second.warnings)
    assert [(e[1], e[3]) for e in _events(db)] == [(0, "b"), (1, "a")]


def test_one_ingest_call_is_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("id,what,when\nT1,a,2024-05-01 10:00:00\n")
    (tmp_path / "bad.csv").write_text("id,what,when\nT2,a,13/05/2024 10:00\nT3,b,05/13/2024 9:00\n")
    db = tmp_path / "ws.duckdb"
    (tmp_path / "earlier.csv").write_text("id,what,when\nT0,a,2024-04-01 10:00:00\n")
    ticketlens.ingest(tmp_path / "earlier.csv", db=db, columns=FLAGS)
    before = _snapshot(db)
    with pytest.raises(InputError, match=r"bad.csv"):
        ticketlens.ingest([tmp_path / "good.csv", tmp_path / "bad.csv"], db=db, columns=FLAGS)
    assert _snapshot(db) == before
    assert not (tmp_path / "ws.quarantine.csv").exists()
    # A refused first ingest does not even leave an empty workspace file behind.
    fresh = tmp_path / "fresh.duckdb"
    with pytest.raises(InputError, match=r"bad.csv"):
        ticketlens.ingest([tmp_path / "good.csv", tmp_path / "bad.csv"], db=fresh, columns=FLAGS)
    assert not fresh.exists()


def test_dedupe_counts_and_drops_repeats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,what,when\nT1,a,2024-05-01 10:00:00\n"
                                    "T1,a,2024-05-01 10:00:00\nT1,a,2024-05-01 10:00:00\n")
    summary = ticketlens.ingest(tmp_path / "a.csv", db=tmp_path / "ws.duckdb", columns=FLAGS,
                                dedupe=True)
    source = summary.sources[0]
    assert (source.rows_read, source.rows_loaded, source.rows_deduped,
            source.duplicate_events) == (3, 1, 2, 2)


# --- issue 10 §2: overlapping exports of one kind replace each other's tickets ---------------

MAY = ("id,what,when,who\n"
       "T1,open,2024-05-01 10:00:00,ann\nT1,work,2024-05-01 11:00:00,ann\n"
       "T2,open,2024-05-02 09:00:00,bob\n"
       "T3,open,2024-05-03 09:00:00,cat\nT3,close,2024-05-04 09:00:00,cat\n")
# June's export overlaps May's: T1 edited (work now by bob) and closed, T2 unchanged,
# T3 unchanged, T4 new.
JUNE = ("id,what,when,who\n"
        "T1,open,2024-05-01 10:00:00,ann\nT1,work,2024-05-01 11:00:00,bob\n"
        "T1,close,2024-06-01 09:00:00,bob\n"
        "T2,open,2024-05-02 09:00:00,bob\n"
        "T3,open,2024-05-03 09:00:00,cat\nT3,close,2024-05-04 09:00:00,cat\n"
        "T4,open,2024-06-02 09:00:00,dan\n")
WHO = {**FLAGS, "resource": "who"}


def _export(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_overlapping_exports_replace_per_ticket_without_source_name(tmp_path: Path) -> None:
    """Before: a "merged" warning, T1-T3 doubled (12 events instead of 7), the edited event
    beside the old one."""
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(_export(tmp_path, "may.csv", MAY), db=db, columns=WHO)
    june = ticketlens.ingest(_export(tmp_path, "june.csv", JUNE), db=db, columns=WHO).sources[0]
    assert june.status == "updated"
    assert june.tickets == {"added": 1, "replaced": 1, "unchanged": 2, "kept": 0}
    assert june.events_removed == 1  # the May "work by ann" event June edited
    assert (june.rows_read, june.rows_loaded, june.rows_already_present) == (7, 3, 4)
    assert june.balanced and june.merged_tickets == 0
    assert not any("merged" in w for w in june.warnings)
    assert [(e[0], e[1], e[3], e[4]) for e in _events(db)] == [
        ("T1", 0, "open", "ann"), ("T1", 1, "work", "bob"), ("T1", 2, "close", "bob"),
        ("T2", 0, "open", "bob"), ("T3", 0, "open", "cat"), ("T3", 1, "close", "cat"),
        ("T4", 0, "open", "dan")]
    # the event index follows: same ticket order and codes as a workspace loaded from June alone
    fresh = tmp_path / "fresh.duckdb"
    ticketlens.ingest(tmp_path / "june.csv", db=fresh, columns=WHO)
    assert _index(db) == _index(fresh)


def test_an_older_export_loaded_later_leaves_newer_histories_alone(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(_export(tmp_path, "june.csv", JUNE), db=db, columns=WHO)
    after_june = _events(db)
    may = ticketlens.ingest(_export(tmp_path, "may.csv", MAY), db=db, columns=WHO).sources[0]
    # May's newest event (05-04) is older than June's (06-02): every ticket June holds stays
    assert may.tickets == {"added": 0, "replaced": 0, "unchanged": 0, "kept": 3}
    assert (may.rows_read, may.rows_loaded, may.rows_already_present) == (5, 0, 5)
    assert any("held from a newer export" in w for w in may.warnings)
    assert _events(db) == after_june


def test_ticket_table_exports_say_already_present(tmp_path: Path) -> None:
    mapping = {"format": "ticket-table", "case": "id",
               "events": {"Opened": "opened", "Resolved": "resolved"}}
    old = _export(tmp_path, "t1.csv", "id,opened,resolved\nA,2024-05-01 10:00,\n"
                                      "B,2024-05-01 11:00,2024-05-02 11:00\n")
    new = _export(tmp_path, "t2.csv", "id,opened,resolved\nA,2024-05-01 10:00,2024-05-03 10:00\n"
                                      "B,2024-05-01 11:00,2024-05-02 11:00\n"
                                      "C,2024-05-04 08:00,\n")
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(old, db=db, mapping=mapping)
    update = ticketlens.ingest(new, db=db, mapping=mapping).sources[0]
    # Before: "read 3 = loaded 3" — B, identical, was never "already present".
    assert update.tickets == {"added": 1, "replaced": 1, "unchanged": 1, "kept": 0}
    assert (update.rows_read, update.rows_loaded, update.rows_already_present) == (3, 2, 1)
    assert update.balanced


def test_overlap_summary_is_printed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ticketlens.cli import cli

    db = tmp_path / "ws.duckdb"
    ticketlens.ingest(_export(tmp_path, "may.csv", MAY), db=db, columns=WHO)
    result = CliRunner().invoke(cli, ["ingest", str(_export(tmp_path, "june.csv", JUNE)),
                                      "--db", str(db), "--case", "id", "--activity", "what",
                                      "--timestamp", "when", "--resource", "who"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "tickets 1 added, 1 replaced (1 older event removed), 2 unchanged" in text
    assert "read 7 = loaded 3 + quarantined 0 + already present 4 ✓" in text


def _index(db: Path) -> list[tuple]:
    from ticketlens.workspace.connection import open_workspace
    from ticketlens.workspace.events import ensure_event_index

    with open_workspace(db) as ws:
        ensure_event_index(ws.con)
        return ws.con.execute(
            "SELECT t.ticket_id, c.event_seq, c.ts_us, a.value AS activity, p.value AS person "
            "FROM event_codes c JOIN ticket_index t USING (tix) "
            "JOIN event_values a ON a.kind = 'activity' AND a.code = c.act "
            "LEFT JOIN event_values p ON p.kind = 'person' AND p.code = c.holder "
            "ORDER BY 1, 2").fetchall()
