"""KPIs on real exports: the customer-support table's own KPIs where its data allows them (and
the rows where it does not), ServiceNow teams from the assignment group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ticketlens
from ticketlens.core.segment import TicketFilter


@pytest.fixture(scope="module")
def support(real_data, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    db = tmp_path_factory.mktemp("support") / "ws.duckdb"
    ticketlens.ingest([real_data / "customer_support_tickets.csv"], db=db)
    raw = pd.read_csv(real_data / "customer_support_tickets.csv")
    return db, raw


def _dimension(frame: pd.DataFrame, dimension: str, column: str) -> dict:
    rows = frame[frame["dimension"] == dimension]
    return dict(zip(rows["value"], rows[column], strict=True))


def test_customer_support_csat_equals_the_tables_own_numbers(support) -> None:
    db, raw = support
    csat = ticketlens.kpi(db)["kpi_csat"]
    rated = raw.dropna(subset=["Customer Satisfaction Rating"])
    overall = csat[csat["dimension"] == "overall"].iloc[0]
    assert overall["rated"] == len(rated) == 2769
    assert overall["mean_csat"] == pytest.approx(rated["Customer Satisfaction Rating"].mean())
    for dimension, column in (("priority", "Ticket Priority"), ("channel", "Ticket Channel"),
                              ("category", "Ticket Type")):
        expected = rated.groupby(column)["Customer Satisfaction Rating"].mean().to_dict()
        got = _dimension(csat, dimension, "mean_csat")
        assert got == pytest.approx(expected), dimension
        counts = rated[column].value_counts().to_dict()
        assert _dimension(csat, dimension, "rated") == counts


def test_customer_support_time_kpis_are_reported_as_not_computable(support) -> None:
    """No creation time: no resolution time, first response time or SLA for any ticket, and
    the coverage table says so with the count."""
    db, raw = support
    report = ticketlens.kpi(db)
    coverage = report["kpi_coverage"].set_index("kpi")
    for kpi in ("resolution time (MTTR, median, p90)", "first response time",
                "resolution SLA breach rate", "backlog and peak load"):
        assert coverage.loc[kpi, "used"] == 0
        assert coverage.loc[kpi, "excluded"] == len(raw) == 8469
        assert coverage.loc[kpi, "reasons"].startswith("8,469 no creation event")
    assert coverage.loc["CSAT", "used"] == 2769
    overall = report["kpi_segments"].query("dimension == 'overall'").iloc[0]
    assert overall["tickets"] == 8469 and pd.isna(overall["mttr_hours"])
    assert report["kpi_backlog"].empty and report["kpi_peak_load"]["tickets"].sum() == 0


def test_customer_support_volumes_by_priority_where_the_events_carry_it(support) -> None:
    """Priority rides on the events; the 2,819 'Open' rows have no instant, hence no event and
    no priority in the workspace: they show as (unknown), counted, not guessed."""
    db, raw = support
    seg = ticketlens.kpi(db)["kpi_segments"]
    got = _dimension(seg, "priority", "tickets")
    with_events = raw[raw["Ticket Status"] != "Open"]
    expected = with_events["Ticket Priority"].value_counts().to_dict()
    assert got == {**expected, "(unknown)": 2819}


@pytest.fixture(scope="module")
def servicenow(real_data, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("sn-kpi") / "ws.duckdb"
    ticketlens.ingest([real_data / "servicenow_incidents_sample.csv"], db=db)
    return db


def test_servicenow_teams_come_from_the_assignment_group(servicenow, real_data) -> None:
    report = ticketlens.kpi(servicenow, policy="servicenow")
    raw = pd.read_csv(real_data / "servicenow_incidents_sample.csv", na_values="?")
    groups = raw.groupby("number")["assignment_group"].last().dropna()
    teams = _dimension(report["kpi_segments"], "team", "tickets")
    top = groups.value_counts()
    assert teams[top.index[0]] == top.iloc[0]
    assert sum(v for k, v in teams.items() if k.startswith("Group ")) == len(groups) == 887
    coverage = report["kpi_coverage"].set_index("kpi")
    assert coverage.loc["resolution SLA breach rate", "used"] == 890
    team = top.index[0]
    filtered = ticketlens.kpi(servicenow, segment=TicketFilter(team=(team,)))
    assert filtered["kpi_segments"].query("dimension == 'overall'")["tickets"].iloc[0] == top.iloc[0]
