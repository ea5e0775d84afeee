"""The result store: every stored result table has a `runs` row saying what produced it, and a
stored result is current only while the workspace holds what it was computed from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

import ticketlens
from sla_support import ev, workspace_with
from ticketlens.analyses.sla.engine import insert_events
from ticketlens.clock.policy import load_policy
from ticketlens.workspace.connection import open_workspace
from ticketlens.workspace.store import current, save, stored, workspace_state

EVENTS = [
    ev("T1", "2024-03-04 09:00", "Ticket Created"),
    ev("T1", "2024-03-04 09:10", "Ticket Assigned", who="ana"),
    ev("T1", "2024-03-04 10:00", "Ticket Resolved", who="ana"),
    ev("T2", "2024-03-04 09:30", "Ticket Created"),
]
AS_OF = datetime(2024, 3, 4, 12, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    return workspace_with(tmp_path / "ws.duckdb", EVENTS)


def _runs(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM runs ORDER BY result_table").df()


def test_sla_records_one_run_per_table_with_its_provenance(db) -> None:
    ticketlens.sla(db, policy="compact", as_of=AS_OF)
    runs = _runs(db)
    # measurability: what each source can measure, stored with the facts (issue 10 §1)
    assert runs["result_table"].tolist() == ["measurability", "sla_facts", "sla_summary",
                                             "sla_technicians", "sla_ticket_technicians"]
    compact = load_policy("compact")
    assert set(runs["analysis"]) == {"sla"} and set(runs["policy"]) == {"compact"}
    assert set(runs["policy_fingerprint"]) == {compact.fingerprint}
    assert set(runs["ticketlens_version"]) == {ticketlens.__version__}
    assert set(runs["events"]) == {4}
    assert {pd.Timestamp(t).to_pydatetime() for t in runs["as_of"]} == {AS_OF}
    with open_workspace(db) as ws:
        run = stored(ws.con, "sla_facts")
        assert run is not None and run.stored_policy().fingerprint == compact.fingerprint
        assert run.state == workspace_state(ws.con)


def test_kpi_records_its_tables_and_segment(db) -> None:
    ticketlens.kpi(db, segment=ticketlens.TicketFilter(priority=("High",)))
    kpi_runs = _runs(db).query("analysis == 'kpi'")
    assert len(kpi_runs) == 9 and set(kpi_runs["policy"]) == {"standard"}
    # the policy's reason is recorded too: a workspace of hand-made events has no source
    # preset, so the standard preset's targets are assumed (issue 10 §1)
    assert [json.loads(p) for p in set(kpi_runs["parameters"])] == [{
        "segment": "priority in (High)", "policy_assumed": True, "policy_given": False,
        "policy_reason": "targets assumed: standard preset — pass --policy"}]


def test_a_result_is_current_only_for_the_same_state_policy_and_as_of(db) -> None:
    ticketlens.sla(db, as_of=AS_OF)
    with open_workspace(db) as ws:
        assert current(ws.con, "sla_facts", analysis="sla") is not None
        assert current(ws.con, "sla_facts", analysis="kpi") is None
        assert current(ws.con, "sla_facts", policy=load_policy("standard")) is not None
        assert current(ws.con, "sla_facts", policy=load_policy("compact")) is None
        assert current(ws.con, "sla_facts", as_of=AS_OF) is not None
        assert current(ws.con, "sla_facts", as_of=datetime(2024, 3, 5, tzinfo=UTC)) is None
        assert current(ws.con, "no_such_table") is None
        insert_events(ws.con, pd.DataFrame([ev("T3", "2024-03-04 11:00", "Ticket Created")]))
        assert current(ws.con, "sla_facts") is None  # new events: stale
        assert stored(ws.con, "sla_facts") is not None  # still there, and says what it is


def test_a_new_source_without_new_events_makes_results_stale(db) -> None:
    ticketlens.sla(db)
    with open_workspace(db) as ws:
        before = workspace_state(ws.con)
        ws.con.execute("INSERT INTO sources VALUES (1, 'extra', 'csv', 'x.csv', 'abc', 'UTC', "
                       "now(), 0, 0, 0, 0, NULL)")
        after = workspace_state(ws.con)
        assert before.events == after.events and before.sources_hash != after.sources_hash
        assert after.max_source_id == 1 and current(ws.con, "sla_facts") is None
    assert ticketlens.kpi(db).recomputed_facts


def test_a_failed_save_keeps_the_earlier_table_and_run(db) -> None:
    ticketlens.sla(db)
    with open_workspace(db) as ws:
        before = stored(ws.con, "sla_summary")
        bad = pd.DataFrame({"x": [1]})
        with pytest.raises(ticketlens.ConfigError, match="not a plain identifier"):
            save(ws, "sla", {"sla_summary": bad, "Bad Name": bad})
        assert stored(ws.con, "sla_summary") == before
        assert ws.con.execute("SELECT count(*) FROM sla_summary").fetchall()[0][0] == 2


def test_a_workspace_from_before_runs_is_upgraded_and_recomputes(db) -> None:
    ticketlens.sla(db)
    with duckdb.connect(str(db)) as con:  # as an earlier ticketlens left it
        con.execute("DROP TABLE runs")
        con.execute("INSERT INTO meta VALUES ('events_changed_at', '2024-03-04T00:00:00')")
    with open_workspace(db) as ws:
        keys = {k for (k,) in ws.con.execute("SELECT key FROM meta").fetchall()}
        assert "events_changed_at" not in keys
        assert stored(ws.con, "sla_facts") is None  # facts of unknown provenance
    assert ticketlens.kpi(db).recomputed_facts
    assert not ticketlens.kpi(db).recomputed_facts
