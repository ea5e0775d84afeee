"""`ticketlens sla` on the command line: summary, JSON, files, as-of, presets."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from sla_support import workspace_with
from test_sla_golden import OPEN, PAUSED
from ticketlens.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_sla_json_summary(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", PAUSED + OPEN)
    result = _run("sla", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["policy"] == "standard" and payload["tickets"] == 2
    resolution = next(r for r in payload["summary"] if r["metric"] == "resolution")
    assert (resolution["with_target"], resolution["open"], resolution["stopped"]) == (2, 0, 2)


def test_sla_as_of_and_out_file(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", OPEN)
    out = tmp_path / "facts.parquet"
    result = _run("sla", "--db", str(db), "--as-of", "2024-01-09 12:00:00", "--out", str(out))
    assert result.exit_code == 0, result.output
    facts = pd.read_parquet(out)
    assert facts.loc[0, "resolution_business_s"] == 13 * 3600
    assert "as of 2024-01-09T12:00:00+00:00" in result.output


def test_sla_terminal_report_names_the_excluded(tmp_path) -> None:
    rows = [dict(r, activity="Ticket Assigned") if r["activity"] == "Ticket Created" else r
            for r in OPEN]
    db = workspace_with(tmp_path / "ws.duckdb", rows)
    result = _run("sla", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "1 tickets have no creation event" in result.output


def test_list_policies() -> None:
    result = _run("sla", "--list-policies")
    assert result.exit_code == 0
    assert "standard (default):" in result.output and "servicenow:" in result.output


def test_bad_out_suffix_is_a_clear_error(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", OPEN)
    result = _run("sla", "--db", str(db), "--out", str(tmp_path / "facts.xlsx"))
    assert result.exit_code == 2
    assert "use a .parquet or .csv file name" in result.output


def test_as_of_before_every_event_is_a_clear_error(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", OPEN)
    result = _run("sla", "--db", str(db), "--as-of", "2020-01-01")
    assert result.exit_code == 2
    assert "no events at or before 2020-01-01" in result.output
