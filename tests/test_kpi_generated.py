"""KPIs on a generated desk, each cross-checked against an independent pandas / scipy
computation over the SLA facts or the event log."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ticketlens
from sla_support import GENERATED_TICKETS, generated_workspace
from ticketlens.core.segment import TicketFilter


@pytest.fixture(scope="module")
def report_and_facts(tmp_path_factory):
    _, db, _ = generated_workspace(tmp_path_factory.mktemp("kpi-generated"))
    facts = ticketlens.sla(db, policy="standard")
    report = ticketlens.kpi(db)
    return db, report, facts


def test_mttr_by_priority_equals_pandas(report_and_facts) -> None:
    _, report, facts = report_and_facts
    resolved = facts.dropna(subset=["resolved_at"])
    hours = (resolved["resolved_at"] - resolved["created_at"]).dt.total_seconds() / 3600
    expected = hours.groupby(resolved["priority"]).agg(["mean", "median",
                                                        lambda h: h.quantile(0.9)])
    seg = report["kpi_segments"].query("dimension == 'priority'").set_index("value")
    for priority, row in expected.iterrows():
        assert seg.loc[priority, "mttr_hours"] == pytest.approx(row["mean"])
        assert seg.loc[priority, "median_resolution_hours"] == pytest.approx(row["median"])
        assert seg.loc[priority, "p90_resolution_hours"] == pytest.approx(row.iloc[2])
    assert report["kpi_segments"].query("dimension == 'overall'")["tickets"].iloc[0] == \
        GENERATED_TICKETS


def test_teams_come_from_the_generated_ownership_table(report_and_facts) -> None:
    _, report, _ = report_and_facts
    teams = report["kpi_segments"].query("dimension == 'team'").set_index("value")["tickets"]
    assert {"Service Desk", "Database Admin", "Network Ops"} <= set(teams.index)
    assert teams.sum() == GENERATED_TICKETS


def test_breach_rates_equal_the_facts(report_and_facts) -> None:
    _, report, facts = report_and_facts
    breach = report["kpi_breach"].query("metric == 'resolution' and dimension == 'category'")
    expected = facts.groupby("category")["resolution_breached"].agg(["count", "sum"])
    got = breach.set_index("value")
    assert (got.loc[expected.index, "with_verdict"] == expected["count"]).all()
    assert (got.loc[expected.index, "breached"] == expected["sum"]).all()


def test_backlog_ends_with_the_tickets_not_closed(report_and_facts) -> None:
    _, report, facts = report_and_facts
    backlog = report["kpi_backlog"]
    assert backlog["created"].sum() == GENERATED_TICKETS
    assert backlog["open_end_of_day"].iloc[-1] == (facts["status"] != "closed").sum()
    assert (backlog["open_end_of_day"] >= 0).all()
    # consecutive days, rolling mean over at most seven of them
    assert (backlog["day"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert backlog["created_7d_avg"].iloc[10] == pytest.approx(
        backlog["created"].iloc[4:11].mean())


def test_pareto_and_peak_load(report_and_facts) -> None:
    _, report, facts = report_and_facts
    pareto = report["kpi_pareto"].query("dimension == 'system'")
    counts = facts["system"].value_counts()
    assert pareto["tickets"].tolist() == sorted(counts.tolist(), reverse=True)
    assert pareto["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    cut = pareto[pareto["vital_few"]]
    assert cut["cumulative_share"].iloc[-1] >= 0.8
    assert len(cut) == 1 or cut["cumulative_share"].iloc[-2] < 0.8
    peak = report["kpi_peak_load"]
    created = facts["created_at"]
    expected = created.groupby([created.dt.day_of_week + 1, created.dt.hour]).size()
    got = peak.set_index(["weekday", "hour"])["tickets"]
    assert (got.loc[expected.index] == expected).all() and got.sum() == GENERATED_TICKETS
    # business rhythm: weekday working hours carry most creations
    weekday_work = peak.query("weekday <= 5 and 9 <= hour < 17")["tickets"].sum()
    assert weekday_work / GENERATED_TICKETS > 0.6


def test_technician_kpis_follow_the_event_log(report_and_facts) -> None:
    db, report, facts = report_and_facts
    tech = report["kpi_technicians"].set_index("technician")
    assert tech["tickets_resolved"].sum() == facts["resolver"].notna().sum()
    con = duckdb.connect(str(db), read_only=True)
    held = dict(con.execute("SELECT assigned_to, count(DISTINCT ticket_id) FROM events "
                            "WHERE assigned_to IS NOT NULL GROUP BY 1").fetchall())
    con.close()
    assert tech["tickets_held"].to_dict() == held
    # the generated roster: Chris Johnson escalates more than Pat Anderson
    assert tech.loc["Chris Johnson", "escalation_rate"] > tech.loc["Pat Anderson",
                                                                    "escalation_rate"]
    assert tech.loc["Casey Brown", "tier"] == "L3" and tech.loc["Pat Anderson", "tier"] == "L1"


def test_statistical_checks_equal_scipy(report_and_facts) -> None:
    _, report, facts = report_and_facts
    tests = report["kpi_tests"].set_index("test")
    measured = facts[facts["resolution_breached"].notna()]
    table = pd.crosstab(measured["priority"], measured["resolution_breached"].astype(bool))
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    chi = tests.loc["chi-square test of independence"]
    assert chi["statistic"] == pytest.approx(chi2) and chi["dof"] == dof
    assert chi["p_value"] == pytest.approx(p, abs=1e-12)
    assert chi["effect_size"] == pytest.approx(np.sqrt(chi2 / (table.to_numpy().sum() * 1)))
    resolved = facts.dropna(subset=["resolved_at"])
    hours = (resolved["resolved_at"] - resolved["created_at"]).dt.total_seconds() / 3600
    escalated = resolved["escalations"] > 0
    u, p_u = stats.mannwhitneyu(hours[escalated], hours[~escalated], alternative="two-sided",
                                method="asymptotic")
    mw = tests.loc["Mann-Whitney U test (two-sided)"]
    assert mw["statistic"] == pytest.approx(u) and mw["p_value"] == pytest.approx(p_u)
    assert mw["effect_size"] == pytest.approx(2 * u / (escalated.sum() * (~escalated).sum()) - 1)
    assert mw["effect_size"] > 0.2  # escalated tickets take markedly longer on this desk


def test_window_filter_keeps_tickets_created_in_it(report_and_facts) -> None:
    db, _, facts = report_and_facts
    start, end = pd.Timestamp("2024-02-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC")
    report = ticketlens.kpi(db, segment=TicketFilter(start.to_pydatetime(), end.to_pydatetime()))
    expected = ((facts["created_at"] >= start) & (facts["created_at"] < end)).sum()
    assert report["kpi_segments"].query("dimension == 'overall'")["tickets"].iloc[0] == expected
