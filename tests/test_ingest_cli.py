"""`ticketlens ingest` and `ticketlens info` at the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ticketlens.cli import cli


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_ingest_prints_detection_zone_and_accounting(real_data: Path, tmp_path: Path) -> None:
    code, out = _run("ingest", str(real_data / "helpdesk.csv"), "--db", str(tmp_path / "w.db"))
    assert code == 0, out
    text = " ".join(out.split())
    assert "mapping 'helpdesk'" in text
    assert "UTC (default; --tz to change)" in text
    assert "read 21,348 = loaded 21,348 + quarantined 0 ✓" in text
    assert "127 (kept; --dedupe drops them)" in text
    assert "21,348 events, 4,580 tickets" in text


def test_ingest_json_is_machine_readable(real_data: Path, tmp_path: Path) -> None:
    code, out = _run("ingest", str(real_data / "customer_support_tickets.csv"), "--db",
                     str(tmp_path / "w.db"), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["balanced"] is True
    assert data["totals"]["rows_read"] == 8_469
    source = data["sources"][0]
    assert (source["format"], source["events_loaded"]) == ("ticket-table", 8_419)
    assert source["details"]["order_inconsistencies"] == {
        "Ticket Resolved before First Response": 1_365}


def test_refusal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out = _run("ingest", str(empty), "--db", str(tmp_path / "w.db"))
    assert code == 2
    assert out.strip() == f"error: {empty}: the file is empty (0 bytes): nothing to ingest"


def test_mapping_flags_and_dayfirst(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("ref,state,sub,at\nA1,Open,new,05/03/2024 10:00\nA1,Open,work,06/03/2024 9:00\n")
    code, out = _run("ingest", str(path), "--db", str(tmp_path / "w.db"), "--case", "ref",
                     "--activity", "state", "--activity", "sub", "--timestamp", "at",
                     "--dayfirst", "--json")
    assert code == 0, out
    source = json.loads(out)["sources"][0]
    assert source["timestamp_evidence"] == "--dayfirst"
    assert source["first_timestamp"] == "2024-03-05T10:00:00+00:00"
    code, out = _run("info", "--db", str(tmp_path / "w.db"), "--json")
    activities = {a["activity"] for a in json.loads(out)["activities"]}
    assert activities == {"Open - new", "Open - work"}


def test_ambiguous_dates_ask_for_a_flag(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("ref,state,at\nA1,Open,05/03/2024 10:00\n")
    code, out = _run("ingest", str(path), "--db", str(tmp_path / "w.db"), "--case", "ref",
                     "--activity", "state", "--timestamp", "at")
    assert code == 2
    assert "pass --dayfirst or --monthfirst" in out
    assert "Traceback" not in out


def test_info_shows_sources_and_totals(real_data: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    _run("ingest", str(real_data / "servicenow_incidents_sample.csv"),
         str(real_data / "bpic2013_closed_problems.csv"), "--db", db)
    code, out = _run("info", "--db", db, "--json")
    assert code == 0, out
    data = json.loads(out)
    # ServiceNow: 5,998 updates + 1,094 events derived from column changes
    assert (data["events"], data["cases"]) == (7_092 + 6_660, 890 + 1_487)
    assert [s["format"] for s in data["sources"]] == ["servicenow", "csv"]
    assert data["flagged_events"] == {"before_creation": 5}
    code, out = _run("info", "--db", db)
    assert code == 0
    assert "13,752 events, 2,377 tickets" in " ".join(out.split())


def test_info_without_workspace_is_a_clear_error(tmp_path: Path) -> None:
    code, out = _run("info", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2
    assert "no workspace at" in out and "ticketlens ingest PATH" in out


def test_progress_display_does_not_change_the_result(real_data: Path, tmp_path: Path) -> None:
    """progress=True (what the CLI sets on a terminal) draws on stderr and loads the same."""
    import ticketlens

    summary = ticketlens.ingest(real_data / "bpic2013_closed_problems.csv",
                                db=tmp_path / "w.db", progress=True)
    assert (summary.rows_read, summary.rows_loaded) == (6_660, 6_660)
