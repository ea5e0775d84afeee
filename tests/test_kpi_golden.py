"""KPI tables on hand-made tickets whose answers were worked out by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import ticketlens
from sla_support import workspace_with
from test_sla_golden import ESCALATED, OPEN, PAUSED, RAISED, REOPENED
from ticketlens.analyses.kpi.tables import KPI_TABLES
from ticketlens.cli import cli
from ticketlens.core.segment import TicketFilter

ROWS = ESCALATED + PAUSED + REOPENED + OPEN + RAISED  # tickets E F G P R O C
ATTRIBUTES = [("P", "csat", "4"), ("E", "csat", "2"), ("P", "team", "Desk A")]


@pytest.fixture()
def db(tmp_path):
    return workspace_with(tmp_path / "ws.duckdb", ROWS, ATTRIBUTES)


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_overall_resolution_and_response_times(db) -> None:
    """Resolution hours E 4, F 4, G 4, P 28, R 30, O 50, C 8: mean 128/7, median 8."""
    report = ticketlens.kpi(db)
    overall = _row(report["kpi_segments"], dimension="overall")
    assert overall["tickets"] == 7 and overall["resolved"] == 7
    assert overall["mttr_hours"] == pytest.approx(128 / 7)
    assert overall["median_resolution_hours"] == 8
    assert overall["p90_resolution_hours"] == pytest.approx(38.0)  # 30 + 0.4 * (50 - 30)
    # first responses (minutes): E 240 (resolved), F 60, G 240, P 120, R 60, O 60, C 480
    assert overall["frt_median_minutes"] == 120
    assert overall["reopen_rate"] == pytest.approx(1 / 7)
    assert overall["escalation_rate"] == pytest.approx(1 / 7)
    # FCR known for the 6 resolved tickets with an assignee: F, P, R, O yes; E, G no
    assert (overall["fcr_known"], overall["fcr_tickets"]) == (6, 4)


def test_team_falls_back_to_the_assignees_tier(db) -> None:
    seg = ticketlens.kpi(db)["kpi_segments"]
    teams = dict(zip(seg.loc[seg.dimension == "team", "value"],
                     seg.loc[seg.dimension == "team", "tickets"], strict=True))
    # P has a team attribute; E was resolved at L2; C never had an assignee
    assert teams == {"L1": 4, "Desk A": 1, "L2": 1, "(unknown)": 1}


def test_breach_rates_keep_their_counts(db) -> None:
    breach = ticketlens.kpi(db)["kpi_breach"]
    res = _row(breach, metric="resolution", dimension="overall")
    assert (res["with_verdict"], res["breached"]) == (7, 2)  # R (9 h > 8 h) and C (raised)
    high = _row(breach, metric="resolution", dimension="priority", value="High")
    assert (high["with_verdict"], high["breached"], high["breach_rate"]) == (5, 1, 0.2)


def test_backlog_counts_creations_closures_and_reopens(db) -> None:
    backlog = ticketlens.kpi(db)["kpi_backlog"].set_index("day")
    day = pd.Timestamp
    assert backlog.loc[day("2024-01-08"), ["created", "closed", "open_end_of_day"]].tolist() == [
        7, 1, 6]
    assert backlog.loc[day("2024-01-09"), ["reopened", "open_end_of_day"]].tolist() == [1, 7]
    assert backlog.loc[day("2024-01-10"), ["closed", "open_end_of_day"]].tolist() == [1, 6]
    assert backlog.loc[day("2024-01-10"), "created_7d_avg"] == pytest.approx(7 / 3)


def test_peak_load_and_pareto(db) -> None:
    report = ticketlens.kpi(db)
    peak = report["kpi_peak_load"]
    assert len(peak) == 168 and peak["tickets"].sum() == 7
    assert _row(peak, day="Mon", hour=8)["tickets"] == 7
    pareto = report["kpi_pareto"]
    assert _row(pareto, dimension="category", value="Software")["cumulative_share"] == 1.0


def test_technicians_workload_and_performance(db) -> None:
    tech = ticketlens.kpi(db)["kpi_technicians"].set_index("technician")
    assert tech.loc["Pat Anderson", ["tier", "tickets_held", "resolutions",
                                     "resolutions_reopened"]].tolist() == ["L1", 4, 4, 1]
    assert tech.loc["Chris Johnson", ["escalations_raised", "escalation_rate"]].tolist() == [1, 1]
    assert tech.loc["Casey Brown", "tier"] == "L3"


def test_csat_by_segment(db) -> None:
    csat = ticketlens.kpi(db)["kpi_csat"]
    assert _row(csat, dimension="overall")[["rated", "mean_csat"]].tolist() == [2, 3.0]
    assert _row(csat, dimension="team", value="Desk A")["mean_csat"] == 4.0


def test_segment_filter_selects_whole_tickets(db) -> None:
    report = ticketlens.kpi(db, segment=TicketFilter(priority=("Critical",)))
    overall = _row(report["kpi_segments"], dimension="overall")
    assert overall["tickets"] == 1  # C: Critical at its last event
    assert report.segment == "priority in (Critical)"


def test_empty_segment_gives_empty_tables_not_an_error(db) -> None:
    # Valid values no ticket combines (a value the data lacks is refused: test_segment_filters)
    report = ticketlens.kpi(db, segment=TicketFilter(priority=("Critical",), team=("Desk A",)))
    assert _row(report["kpi_segments"], dimension="overall")["tickets"] == 0
    assert report["kpi_backlog"].empty
    assert report["kpi_tests"]["statistic"].isna().all()


def test_statistics_name_the_test_and_effect_size(db) -> None:
    tests = ticketlens.kpi(db)["kpi_tests"].set_index("test")
    chi = tests.loc["chi-square test of independence"]
    assert chi["effect_size_name"] == "Cramér's V" and chi["n"] == 7
    mw = tests.loc["Mann-Whitney U test (two-sided)"]
    # one escalated ticket (E, 4 h) against six: 4 h is below 4 others, ties 2 (F, G): U = 1
    assert mw["statistic"] == 1.0
    assert mw["effect_size"] == pytest.approx(2 * 1 / 6 - 1)


def test_cli_kpi_json_and_out_files(db, tmp_path) -> None:
    out = tmp_path / "kpis"
    result = CliRunner().invoke(cli, ["kpi", "--db", str(db), "--json", "--out", str(out),
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["tables"]["kpi_segments"][0]["dimension"] == "overall"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.csv" for name in KPI_TABLES)


def test_cli_kpi_terminal_report(db) -> None:
    # every table with --all (the default is the short summary: tests/test_cli_output.py)
    result = CliRunner().invoke(cli, ["kpi", "--db", str(db), "--priority", "High", "--all"])
    assert result.exit_code == 0, result.output
    assert "KPIs for priority in (High)" in result.output
    assert "Mann-Whitney" in result.output and "Peak load" in result.output


def test_kpi_tables_are_stored_in_the_workspace(db) -> None:
    import duckdb

    ticketlens.kpi(db)
    con = duckdb.connect(str(db), read_only=True)
    names = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"sla_facts", "sla_summary", "sla_technicians", "kpi_segments", "kpi_breach",
            "kpi_backlog", "kpi_pareto", "kpi_peak_load", "kpi_technicians", "kpi_csat",
            "kpi_tests", "kpi_coverage"} <= names


def test_kpi_recomputes_facts_when_the_policy_changes(db) -> None:
    first = ticketlens.kpi(db)
    assert first.recomputed_facts and first.policy == "standard"
    assert not ticketlens.kpi(db).recomputed_facts
    changed = ticketlens.kpi(db, policy="compact")
    assert changed.recomputed_facts and changed.policy == "compact"
    assert not ticketlens.kpi(db).recomputed_facts  # keeps the workspace's policy
    ticketlens.sla(db)  # no policy given: the workspace's (compact) stays
    assert ticketlens.kpi(db).policy == "compact"


def test_no_workspace_is_a_clear_error(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["kpi", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no workspace at" in result.output
