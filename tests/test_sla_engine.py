"""The engine's fast paths give the answers of the general ones: events in any physical order
or with an event_seq that does not follow time, case attributes from several sources, events
inserted grouped or shuffled, one metric computed alone, calendar lookups on either side of the
first working interval, and the same facts on every run although clocks run in threads."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sla_support import ev, generated_workspace, memory_with
from ticketlens.analyses.sla import compute_facts, insert_events
from ticketlens.analyses.sla.engine import metric_facts
from ticketlens.clock.calendar import US_PER_SECOND, WorkingTime
from ticketlens.clock.policy import Calendar, load_policy
from ticketlens.core.errors import AnalysisError
from ticketlens.workspace.connection import connect_memory, open_workspace


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_workspace(tmp_path_factory.mktemp("sla-engine"))


@pytest.fixture(scope="module")
def reference(generated) -> pa.Table:
    """The standard facts of the generated desk as ingested (events in ingest order)."""
    _, db, _ = generated
    with open_workspace(db, read_only=True) as ws:
        return compute_facts(ws.con, "standard").table


def _rewritten_copy(db, tmp_path, statement: str):
    """A copy of the workspace whose events table was rebuilt by ``statement``."""
    copy = tmp_path / "rewritten.duckdb"
    shutil.copyfile(db, copy)
    with open_workspace(copy) as ws, ws.transaction() as con:
        con.execute(f"CREATE TEMP TABLE rewritten AS {statement}")
        con.execute("DELETE FROM events")
        con.execute("INSERT INTO events SELECT * FROM rewritten")
    return copy


def _facts(db) -> pa.Table:
    with open_workspace(db, read_only=True) as ws:
        return compute_facts(ws.con, "standard").table


def test_facts_do_not_depend_on_the_physical_order_of_events(generated, reference,
                                                             tmp_path) -> None:
    """Events stored in random order: every fact is the same."""
    _, db, _ = generated
    shuffled = _rewritten_copy(db, tmp_path, "SELECT * FROM events ORDER BY hash(event_id, "
                                             "ticket_id, event_seq)")
    with duckdb.connect(str(shuffled), read_only=True) as con:
        first = con.execute("SELECT ticket_id FROM events LIMIT 3").fetchall()
    assert len({row[0] for row in first}) > 1  # really shuffled
    assert _facts(shuffled).equals(reference)


def test_event_seq_that_does_not_follow_time_falls_back_to_time_order(generated, reference,
                                                                      tmp_path) -> None:
    """Clocks run in time order: an event_seq numbering each ticket's events backwards (no
    ingest writes that) must not change a single fact."""
    _, db, _ = generated
    backwards = _rewritten_copy(db, tmp_path, """
        SELECT * REPLACE ((count(*) OVER (PARTITION BY ticket_id) - 1 - event_seq)::INTEGER
                          AS event_seq)
        FROM events""")
    with duckdb.connect(str(backwards), read_only=True) as con:
        assert con.execute("SELECT activity FROM events WHERE event_seq = 0 "
                           "ORDER BY ticket_id LIMIT 1").fetchall()[0][0] != "Ticket Created"
    assert _facts(backwards).equals(reference)


def test_facts_are_the_same_on_every_run(generated, reference) -> None:
    """The clocks run side by side in threads; the answer never depends on their timing."""
    for _ in range(2):
        assert _facts(generated[1]).equals(reference)


def test_the_most_recently_ingested_source_wins_each_attribute() -> None:
    con = memory_with([ev("T1", "2024-01-08 09:00", "Ticket Created"),
                       ev("T2", "2024-01-08 09:00", "Ticket Created")])
    rows = [("T1", "team", "Network Ops", 0), ("T1", "team", "Service Desk", 2),
            ("T1", "team", "Security Ops", 1), ("T1", "csat", "4.5", 0),
            ("T1", "source_made_sla", " Yes ", 0), ("T1", "system", "VPN", 3),
            ("T2", "csat", "n/a", 0), ("T2", "source_made_sla", "maybe", 1),
            ("T2", "source_made_sla", "F", 0), ("T3", "team", "ignored: no such ticket", 0)]
    con.executemany("INSERT INTO case_attributes VALUES (?, ?, ?, ?)", rows)
    facts = compute_facts(con, "standard").facts.set_index("ticket_id")
    assert list(facts.index) == ["T1", "T2"]
    t1, t2 = facts.loc["T1"], facts.loc["T2"]
    assert (t1["team"], t1["system"], t1["csat"]) == ("Service Desk", "VPN", 4.5)
    assert t1["source_made_sla"] == True  # noqa: E712
    assert pd.isna(t1["channel"]) and pd.isna(t2["team"])
    assert pd.isna(t2["csat"])  # not a number: unknown, not 0
    assert pd.isna(t2["source_made_sla"])  # the newer source says "maybe"


def _numbered(table: pa.Table) -> pd.DataFrame:
    con = connect_memory()
    insert_events(con, table)
    return con.execute("SELECT ticket_id, activity, event_seq FROM events "
                       "ORDER BY ticket_id, event_seq").df()


def test_events_are_numbered_by_time_in_any_row_order() -> None:
    """insert_events numbers grouped, time-ordered rows by position and anything else with a
    window over (timestamp, row): the same event_seq either way; ties keep the row order."""
    rows = [ev("A", "2024-01-08 09:00", "Ticket Created"),
            ev("A", "2024-01-08 09:30", "Ticket Assigned"),
            ev("A", "2024-01-08 09:30", "Work Started"),  # same instant: row order decides
            ev("A", "2024-01-08 11:00", "Ticket Resolved"),
            ev("B", "2024-01-09 10:00", "Ticket Created"),
            ev("B", "2024-01-09 12:00", "Ticket Resolved")]
    grouped = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
    scattered = grouped.take([4, 0, 3, 1, 5, 2])  # out of order, the tie still A1 before A2
    expected = pd.DataFrame({
        "ticket_id": ["A"] * 4 + ["B"] * 2,
        "activity": ["Ticket Created", "Ticket Assigned", "Work Started", "Ticket Resolved",
                     "Ticket Created", "Ticket Resolved"],
        "event_seq": [0, 1, 2, 3, 0, 1],
    })
    for table in (grouped, scattered):
        got = _numbered(table)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@pytest.mark.parametrize("policy", ["standard", "generated-desk"])
def test_one_metric_alone_equals_its_columns_in_the_full_facts(generated, policy) -> None:
    """metric_facts (the generator's sla_metrics) is the full engine restricted to a metric."""
    _, db, window_end = generated
    as_of = window_end.to_pydatetime()
    with open_workspace(db, read_only=True) as ws:
        full = compute_facts(ws.con, policy, as_of).table
        alone = metric_facts(ws.con, policy, "resolution", as_of)
    assert alone.num_rows == full.num_rows
    assert alone.column_names[:6] == ["ticket_id", "has_creation", "priority", "created_at",
                                      "first_response_at", "resolved_at"]
    for name in alone.column_names:
        assert alone.column(name).cast(full.schema.field(name).type).equals(
            full.column(name)), name
    assert any(name.startswith("resolution_") for name in alone.column_names)
    assert not any(name.startswith("response_") for name in alone.column_names)


def test_one_metric_alone_names_an_unknown_metric() -> None:
    con = memory_with([ev("T1", "2024-01-08 09:00", "Ticket Created")])
    with pytest.raises(AnalysisError, match=r"no metric 'uptime'.*response, resolution"):
        metric_facts(con, load_policy("standard"), "uptime")


def _us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_calendar_lookups_before_and_after_the_first_working_interval() -> None:
    """Instants before the layout's first working interval count no work; one call over a mix
    of such instants and later ones equals one call per instant."""
    # Mondays 08:00-17:00 only, laid out from Saturday 2024-01-06: the layout reaches back to
    # Wednesday 3rd (two days' margin and the day before), so Monday 8th is its first interval
    cal = Calendar("b", "UTC", tuple(((8 * 3600, 17 * 3600),) if d == 0 else ()
                                     for d in range(7)))
    saturday = datetime(2024, 1, 6, tzinfo=UTC)
    wt = WorkingTime(cal, _us(saturday), _us(saturday + timedelta(days=30)))
    hour = 3600 * US_PER_SECOND
    early = _us(saturday) + np.array([0, 30, 55]) * hour  # Saturday 00:00 to Monday 07:00
    later = _us(datetime(2024, 1, 8, 9, 30, tzinfo=UTC)) + np.array([0, 7 * 24]) * hour
    mixed = np.concatenate([later, early])
    assert (wt.cumulative(early) == 0).all()
    assert list(wt.cumulative(later)) == [int(1.5 * hour), int(10.5 * hour)]
    assert list(wt.cumulative(mixed)) == [int(wt.cumulative(mixed[i:i + 1])[0])
                                          for i in range(len(mixed))]
