"""Issue 10 §1: sla/kpi use the source's own SLA preset (and say which, and why), and a
figure a source cannot support is "not measurable" with its reason — never a number borrowed
from another event. Real logs and a ticket table written from one."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

import ticketlens
from ticketlens.cli import cli

ASSUMED = "targets assumed: standard preset — pass --policy"
# created/resolved only: no event that could be a first response, no history
CREATED_RESOLVED = {
    "name": "created_resolved", "format": "ticket-table", "case": "ticket",
    "priority": "priority",
    "events": {"Ticket Created": "created", "Ticket Resolved": "resolved"},
    "roles": {"vocabulary": "ticketlens"},
}


def _ingest(tmp_path_factory, real_data: Path, name: str) -> Path:
    db = tmp_path_factory.mktemp(name.split(".")[0]) / "ws.duckdb"
    ticketlens.ingest([real_data / name], db=db)
    return db


@pytest.fixture(scope="module")
def helpdesk(real_data, tmp_path_factory) -> Path:
    return _ingest(tmp_path_factory, real_data, "helpdesk.csv")


@pytest.fixture(scope="module")
def servicenow(real_data, tmp_path_factory) -> Path:
    return _ingest(tmp_path_factory, real_data, "servicenow_incidents_sample.csv")


@pytest.fixture(scope="module")
def ticket_table(real_data, tmp_path_factory) -> Path:
    """One row per Helpdesk case: its first event as creation, its last 'Resolve ticket' as
    resolution, priority Medium — a ticket table with only created/resolved times."""
    folder = tmp_path_factory.mktemp("table")
    log = pd.read_csv(real_data / "helpdesk.csv")
    log["ts"] = pd.to_datetime(log["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f")
    table = pd.DataFrame({
        "created": log.groupby("Case ID")["ts"].min(),
        "resolved": log[log["Activity"] == "Resolve ticket"].groupby("Case ID")["ts"].max(),
    }).rename_axis("ticket").reset_index()
    table["priority"] = "Medium"
    table.to_csv(folder / "tickets.csv", index=False)
    db = folder / "ws.duckdb"
    ticketlens.ingest([folder / "tickets.csv"], db=db, mapping=CREATED_RESOLVED)
    return db


def _summary(facts: pd.DataFrame) -> dict[str, dict]:
    return {row["metric"]: row for row in facts.attrs["summary"]}


# --- policy from the source -------------------------------------------------------------------

def test_helpdesk_is_measured_with_its_own_preset(helpdesk) -> None:
    """Before: `sla` on the Helpdesk log used the standard preset whatever the source."""
    facts = ticketlens.sla(helpdesk)
    assert facts.attrs["policy"] == "helpdesk"
    assert facts.attrs["policy_line"] == "policy: helpdesk (the source's own preset)"
    assert facts.attrs["targets_assumed"] is None
    assert (~facts["has_creation"]).sum() == 78  # not 4,580


def test_kpi_before_sla_uses_the_servicenow_preset(servicenow) -> None:
    """kpi first on a fresh ServiceNow workspace computes the facts with the source's preset
    (before: standard, no targets for its priorities) — 890 resolved, 271 breached."""
    report = ticketlens.kpi(servicenow)
    assert report.policy == "servicenow" and report.recomputed_facts
    assert report.policy_line == "policy: servicenow (the source's own preset)"
    overall = report["kpi_segments"].query("dimension == 'overall'").iloc[0]
    assert overall["resolved"] == 890
    breach = report["kpi_breach"].query("dimension == 'overall' and metric == 'resolution'")
    assert int(breach["breached"].iloc[0]) == 271 and int(breach["with_verdict"].iloc[0]) == 890
    runs = duckdb.connect(str(servicenow), read_only=True).execute(
        "SELECT parameters FROM runs WHERE result_table = 'sla_facts'").fetchall()
    assert json.loads(runs[0][0])["policy_reason"] == "the source's own preset"


def test_a_given_policy_wins_and_is_said(servicenow) -> None:
    facts = ticketlens.sla(servicenow, policy="standard")
    assert facts.attrs["policy_line"] == "policy: standard (given with --policy)"
    assert facts.attrs["targets_assumed"] is None


def test_a_generated_desk_uses_its_own_preset(tmp_path) -> None:
    ticketlens.generate(tmp_path / "desk", tickets=300, seed=7)
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest([tmp_path / "desk"], db=db)
    facts = ticketlens.sla(db)
    assert facts.attrs["policy"] == "generated-desk"
    assert facts.attrs["not_measurable"] == {}  # everything is measurable on the desk
    # the same facts as naming the preset, and nothing left NULL for want of a source
    pd.testing.assert_frame_equal(facts, ticketlens.sla(db, policy="generated-desk"))
    assert facts["first_response_at"].notna().sum() == facts["has_creation"].sum() - \
        (facts["response_status"] == "running").sum()


def test_a_ticket_table_gets_the_standard_preset_flagged_as_assumed(ticket_table) -> None:
    result = CliRunner().invoke(cli, ["sla", "--db", str(ticket_table)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == f"policy: standard ({ASSUMED})"
    payload = json.loads(CliRunner().invoke(
        cli, ["kpi", "--db", str(ticket_table), "--json"]).output)
    assert payload["targets_assumed"] == ASSUMED
    runs = duckdb.connect(str(ticket_table), read_only=True).execute(
        "SELECT parameters FROM runs WHERE result_table = 'kpi_segments'").fetchall()
    assert json.loads(runs[0][0])["policy_reason"] == ASSUMED


def test_sources_with_different_presets_ask_for_a_policy(real_data, tmp_path) -> None:
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest([real_data / "servicenow_incidents_sample.csv",
                       real_data / "helpdesk.csv"], db=db)
    result = CliRunner().invoke(cli, ["sla", "--db", str(db)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "servicenow" in result.output and "helpdesk" in result.output
    assert "--policy" in result.output
    assert CliRunner().invoke(cli, ["kpi", "--db", str(db)]).exit_code == 2
    info = json.loads(CliRunner().invoke(cli, ["info", "--db", str(db), "--json"]).output)
    assert [s["sla_preset"] for s in info["sources"]] == ["servicenow", "helpdesk"]
    ok = CliRunner().invoke(cli, ["sla", "--db", str(db), "--policy", "standard"])
    assert ok.exit_code == 0, ok.output


# --- not measurable ---------------------------------------------------------------------------

def test_a_created_resolved_table_has_no_borrowed_response_or_history(ticket_table) -> None:
    """Before: response breach rate from the resolution times (every 'first response' was
    the resolution), reopen and escalation rates 0.0 %."""
    facts = ticketlens.sla(ticket_table)
    response = _summary(facts)["response"]
    assert response["with_target"] == 0 and pd.isna(response["breach_rate"])
    assert response["not_measurable"] == 4580
    assert response["not_measurable_reason"] == \
        "not measurable: the source has no first-response events"
    for column in ("first_response_at", "response_breached", "response_status", "reopens",
                   "escalations", "escalations_l2", "fcr"):
        assert facts[column].isna().all(), column
    assert _summary(facts)["resolution"]["with_target"] == 4580  # still measured
    report = ticketlens.kpi(ticket_table)
    overall = report["kpi_segments"].query("dimension == 'overall'").iloc[0]
    for column in ("frt_median_minutes", "reopen_rate", "escalation_rate", "fcr_rate"):
        assert pd.isna(overall[column]), column
    assert report.not_measurable["reopen_rate"] == "not measurable: the source has no history"
    stored = duckdb.connect(str(ticket_table), read_only=True).execute(
        "SELECT metric, reason FROM measurability WHERE NOT measurable ORDER BY metric"
    ).fetchall()
    assert dict(stored) == {
        "escalations": "the source has no history", "fcr": "the source has no history",
        "first_response_time": "the source has no first-response events",
        "reopens": "the source has no history",
        "response": "the source has no first-response events"}


def test_not_measurable_in_json_and_terminal(ticket_table) -> None:
    out = CliRunner().invoke(cli, ["sla", "--db", str(ticket_table), "--json"])
    payload = json.loads(out.output)
    response = next(r for r in payload["summary"] if r["metric"] == "response")
    assert response["breach_rate"] is None
    assert response["not_measurable_reason"].startswith("not measurable: ")
    text = CliRunner().invoke(cli, ["kpi", "--db", str(ticket_table)]).output
    assert "not measurable" in text and "the source has no history" in text


def test_sources_that_record_responses_keep_them(helpdesk, servicenow) -> None:
    """Helpdesk and ServiceNow record first responses and reopens: measured as before;
    neither has an escalation role, so escalations are not measurable (not 0.0 %)."""
    for db, reopened in ((helpdesk, None), (servicenow, None)):
        facts = ticketlens.sla(db)
        assert set(facts.attrs["not_measurable"]) == {"escalations"}
        assert facts["first_response_at"].notna().sum() > 0
        assert facts["reopens"].notna().all() and reopened is None
        assert facts["escalations_l2"].isna().all()  # the column exists: a stable schema
        overall = ticketlens.kpi(db)["kpi_segments"].query("dimension == 'overall'").iloc[0]
        assert pd.isna(overall["escalation_rate"]) and not pd.isna(overall["reopen_rate"])


def test_the_facts_schema_is_the_same_for_every_source(helpdesk, ticket_table,
                                                        tmp_path) -> None:
    ticketlens.generate(tmp_path / "desk", tickets=50, seed=3)
    ticketlens.ingest([tmp_path / "desk"], db=tmp_path / "ws.duckdb")
    desk = ticketlens.sla(tmp_path / "ws.duckdb", policy="standard")
    for db in (helpdesk, ticket_table):
        assert list(ticketlens.sla(db, policy="standard").columns) == list(desk.columns)


def test_mine_rework_says_a_table_without_history_cannot_show_reopens(ticket_table) -> None:
    """Before: "0 of 4,580 tickets reopened (0.0%)" on a table that cannot record a reopen."""
    result = ticketlens.mine.rework(ticket_table)
    assert result.not_measurable == {"reopens": "not measurable: the source has no history",
                                     "escalations": "not measurable: the source has no history"}
    text = CliRunner().invoke(cli, ["mine", "rework", "--db", str(ticket_table)]).output
    assert "reopened tickets: not measurable: the source has no history" in text
    assert "0 of 4,580 tickets reopened" not in text


def test_mine_rework_counts_reopens_where_the_source_records_them(servicenow) -> None:
    result = ticketlens.mine.rework(servicenow)
    assert "reopens" not in result.not_measurable
    assert result.reopens["ticket_id"].nunique() == 11  # as kpi: reopen rate 11 / 890


def test_the_helpdesk_log_read_from_xes_implies_its_preset(real_data, tmp_path) -> None:
    """No mapping names the XES file: its activities are the helpdesk mapping's."""
    db = tmp_path / "ws.duckdb"
    ticketlens.ingest([real_data / "helpdesk.xes.gz"], db=db)
    assert ticketlens.sla(db).attrs["policy_line"] == \
        "policy: helpdesk (the source's own preset)"
    # a workspace of an older ticketlens (no preset recorded): re-ingesting records it
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM source_policies")
    assert ticketlens.sla(db).attrs["targets_assumed"] == ASSUMED
    ticketlens.ingest([real_data / "helpdesk.xes.gz"], db=db)
    assert ticketlens.sla(db).attrs["policy"] == "helpdesk"


def test_two_sources_one_measures_reopens_per_ticket(ticket_table, real_data,
                                                      tmp_path) -> None:
    """The created/resolved table beside BPIC 2013 (both without a preset of their own):
    reopens and first responses are NULL for the table's 4,580 tickets only; escalations,
    which neither records, are not measurable, with each source's reason."""
    db = tmp_path / "ws.duckdb"
    table = Path(ticket_table).parent / "tickets.csv"
    ticketlens.ingest([table], db=db, mapping=CREATED_RESOLVED)
    ticketlens.ingest([real_data / "bpic2013_closed_problems.csv"], db=db)
    facts = ticketlens.sla(db)
    assert facts.attrs["policy_line"] == f"policy: standard ({ASSUMED})"
    from_table = facts["ticket_id"].str.startswith("Case ")
    assert from_table.sum() == 4580 and (~from_table).sum() == 1487
    for column in ("reopens", "first_response_at", "fcr"):
        assert facts.loc[from_table, column].isna().all(), column
        assert facts.loc[~from_table, column].notna().sum() > 0, column
    assert facts.attrs["not_measurable"] == {"escalations": (
        "not measurable: tickets.csv: the source has no history; "
        "bpic2013_closed_problems.csv: the source records no escalations")}
    overall = ticketlens.kpi(db)["kpi_segments"].query("dimension == 'overall'").iloc[0]
    # BPIC's 1,487 resolved problems, 61 reopened: the table's tickets neither count nor dilute
    assert (overall["reopened"], overall["reopen_known"]) == (61, 1487)
    assert overall["reopen_rate"] == pytest.approx(61 / 1487)
    coverage = ticketlens.kpi(db)["kpi_coverage"].set_index("kpi")
    assert coverage.loc["reopen rate", "reasons"] == \
        "4,580 not measurable: the source has no history"


def test_a_mapping_names_only_a_shipped_preset(tmp_path) -> None:
    from ticketlens.core.errors import ConfigError
    from ticketlens.sources.ingest.mapping import from_dict

    assert from_dict({"policy": "servicenow"}, "m").policy == "servicenow"
    with pytest.raises(ConfigError, match="policy must name a shipped SLA preset"):
        from_dict({"policy": "nonesuch"}, "m")
