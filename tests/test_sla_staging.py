"""Staging reads the workspace's event index with an as-of instant, the one way the SLA engine
(and the generator's sla_metrics) stage events: ticket order, value codes, as-of filtering,
attribute-only tickets, recorded creations, and an index rebuilt wherever it is stale."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import ticketlens
from sla_support import ev
from ticketlens.analyses.sla import insert_events
from ticketlens.clock.facts import StagedEvents
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.core.errors import AnalysisError, WorkspaceError
from ticketlens.sources.ingest.mapping import builtin
from ticketlens.workspace import events
from ticketlens.workspace.connection import connect_memory, open_workspace

STANDARD = load_policy("standard")
# The mapping says what its states mean, and that a ticket is created at opened_at.
SERVICENOW_ROLES = builtin("servicenow").roles


class Staged:
    """Everything staging hands the engine."""

    def __init__(self, con: duckdb.DuckDBPyConnection, policy: Policy = STANDARD,
                 as_of: datetime | None = None) -> None:
        moment = events.as_of_instant(con, as_of)
        self.rows = events.read_events(con, policy, moment)
        self.coded = {name: column.copy() for name, column in self.rows.coded.items()}
        self.ids = events.ticket_ids(con, self.rows)
        self.attributes = events.ticket_attributes(con, self.rows)
        self.ordered: StagedEvents = events.order_events(self.rows, policy)


def assert_same(one: Staged, other: Staged) -> None:
    assert one.rows.n_total == other.rows.n_total
    assert one.rows.values == other.rows.values
    for name, column in other.coded.items():
        assert one.coded[name].dtype == column.dtype, name
        assert np.array_equal(one.coded[name], column), name
    assert one.ids.equals(other.ids)
    for name, column in other.attributes.items():
        assert one.attributes[name].equals(column), name
    for name in ("tix", "ts", "act", "prio", "holder"):
        assert np.array_equal(getattr(one.ordered.ev, name), getattr(other.ordered.ev, name))


def as_of_equals_fresh(rows: list[dict], as_of: datetime, policy: Policy = STANDARD) -> Staged:
    """Staged as of ``as_of`` from an index of every row equals staged from a workspace holding
    only the rows up to then (the codes, tickets and values the later events add drop out)."""
    con = connect_memory()
    insert_events(con, pd.DataFrame(rows))
    staged = Staged(con, policy, as_of)
    fresh = connect_memory()
    insert_events(fresh, pd.DataFrame([r for r in rows if pd.Timestamp(r["timestamp"])
                                       <= as_of]))
    assert_same(staged, Staged(fresh, policy, as_of))
    return staged


def interleaved() -> list[dict]:
    """Three tickets whose events are inserted round-robin: no ticket's events are stored
    together. Text with quotes, an empty string, non-ASCII and NULLs."""
    a = [ev("A-2", "2024-03-04 09:00", "Ticket Created", None, "High"),
         ev("A-2", "2024-03-04 09:30", "Ticket Assigned", "Zoë O'Brien", "High"),
         ev("A-2", "2024-03-04 11:00", "Work Started", "Zoë O'Brien", None, None),
         ev("A-2", "2024-03-05 10:00", "Ticket Resolved", "Zoë O'Brien", "Low", "")]
    b = [ev("A-10", "2024-03-04 08:00", "Ticket Created", None, "Critical", "Hardware"),
         ev("A-10", "2024-03-04 08:05", "Ticket Assigned", "bob", "Critical", "Hardware"),
         ev("A-10", "2024-03-06 08:05", "Ticket Closed", "bob", "Critical", "Hardware")]
    c = [ev("A-1", "2024-03-05 12:00", "Ticket Created", None, "Medium", "Network"),
         ev("A-1", "2024-03-07 12:00", "Some Custom Step", "", "Medium", "Network")]
    rows = []
    for i in range(4):
        rows += [events[i] for events in (a, b, c) if i < len(events)]
    return rows



def test_interleaved_events_are_staged_in_ticket_order() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    staged = Staged(con)
    # ticket_id order ("A-1" < "A-10" < "A-2"), each ticket's events in time order
    assert staged.ids.to_pylist() == ["A-1", "A-10", "A-2"]
    assert staged.coded["tix"].tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert staged.coded["event_seq"].tolist() == [0, 1, 0, 1, 2, 0, 1, 2, 3]
    people = staged.rows.values["person"]
    assert people == ["", "Zoë O'Brien", "bob"]
    assert staged.coded["holder"].tolist() == [-1, 0, -1, 2, 2, -1, 1, 1, 1]
    assert staged.rows.values["category"] == ["", "Hardware", "Network", "Software"]
    assert staged.coded["cat"].tolist() == [2, 2, 1, 1, 1, 3, 3, -1, 0]
    assert staged.coded["prio"][7] == -1  # NULL priority
    assert staged.ordered.ev.tix.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]


def test_events_stored_in_ticket_order_stage_the_same() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(sorted(interleaved(), key=lambda row: row["ticket_id"])))
    other = connect_memory()
    insert_events(other, pd.DataFrame(interleaved()))
    assert_same(Staged(con), Staged(other))


def test_as_of_drops_later_events_and_tickets_without_events_by_then() -> None:
    as_of = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    staged = as_of_equals_fresh(interleaved(), as_of)
    assert staged.ids.to_pylist() == ["A-10", "A-2"]  # A-1 starts on March 5th
    assert staged.coded["tix"].tolist() == [0, 0, 1, 1]
    assert staged.coded["event_seq"].tolist() == [0, 1, 0, 1]
    assert staged.rows.values["activity"] == ["Ticket Assigned", "Ticket Created"]
    assert staged.rows.values["person"] == ["Zoë O'Brien", "bob"]
    assert staged.coded["holder"].tolist() == [-1, 1, -1, 0]


@pytest.mark.parametrize("hour", ["2024-03-04 08:05", "2024-03-05 10:00", "2024-03-06 09:00"])
def test_every_as_of_stages_what_a_workspace_of_the_events_until_then_stages(hour: str) -> None:
    staged = as_of_equals_fresh(interleaved(), pd.Timestamp(hour, tz="UTC").to_pydatetime())
    assert staged.ordered.ev.ts.max() <= pd.Timestamp(hour, tz="UTC").value // 1000


def test_an_as_of_before_every_event_is_an_error() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    with pytest.raises(AnalysisError, match="no events at or before"):
        Staged(con, STANDARD, datetime(2024, 1, 1, tzinfo=UTC))


def test_events_of_one_ticket_numbered_twice_are_put_in_time_order() -> None:
    """Two inserts for one ticket each number its events from 0: event_seq repeats, and the
    events still come in (ticket, time) order."""
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    insert_events(con, pd.DataFrame([ev("A-10", "2024-03-05 08:00", "Work Started", "bob")]))
    ev_ = Staged(con).ordered.ev
    assert ev_.tix.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    a10 = ev_.ts[ev_.tix == 1]
    assert (np.diff(a10) > 0).all()


@pytest.mark.parametrize("renumber", ["event_seq + 1", "event_seq - 1", "event_seq * 2",
                                      "3 - event_seq"])
def test_event_seq_not_counting_from_zero_or_against_time_is_sorted(renumber: str) -> None:
    """A ticket numbered 1, 2, ..., -1, 0, ..., 0, 2, ... or backwards: numpy puts its events
    in (ticket, time) order all the same."""
    con = connect_memory()
    for layout in (sorted(interleaved(), key=lambda row: row["ticket_id"]), interleaved()):
        insert_events(con, pd.DataFrame(layout))  # each ticket stored together, then not
        con.execute(f"UPDATE events SET event_seq = {renumber} WHERE ticket_id = 'A-1'")
        staged = Staged(con)
        assert staged.ordered.ev.tix.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]
        first = staged.ordered.ev.ts[:2]
        assert first[0] < first[1]
        con.execute("DELETE FROM events")


def test_many_distinct_values_are_coded() -> None:
    con = connect_memory()
    rows = [ev(f"T{i % 500:04d}", f"2024-03-04 {i // 500:02d}:00", "Ticket Assigned",
               f"person {i}") for i in range(12_000)]
    insert_events(con, pd.DataFrame(rows))
    staged = Staged(con)
    assert len(staged.rows.values["person"]) == 12_000
    people = np.array(staged.rows.values["person"])[staged.ordered.ev.holder]
    assert people[0] == "person 0" and people[1] == "person 500"


def test_attribute_only_tickets_come_last() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    con.execute("INSERT INTO sources VALUES (7, 'tickets', 'ticket-table', 'x.csv', 'h', 'UTC', "
                "now(), 2, 2, 0, 0, NULL)")
    for ticket, name, value in [("A-0", "team", "Desk"), ("A-0", "csat", "4"),
                                ("A-2", "team", "Network"), ("A-2", "csat", "x"),
                                ("Z-9", "channel", "Email")]:
        con.execute("INSERT INTO case_attributes VALUES (?, ?, ?, 7)", [ticket, name, value])
    staged = Staged(con)
    assert staged.ids.to_pylist() == ["A-1", "A-10", "A-2", "A-0", "Z-9"]
    assert staged.rows.n_total == 5
    assert staged.attributes["team"].to_pylist() == [None, None, "Network", "Desk", None]
    assert staged.attributes["csat"].to_pylist() == [None, None, None, 4.0, None]
    # as of March 4th, 10:00 A-1 has no event yet: it drops out, the attribute-only stay
    early = Staged(con, STANDARD, datetime(2024, 3, 4, 10, 0, tzinfo=UTC))
    assert early.ids.to_pylist() == ["A-10", "A-2", "A-0", "Z-9"]
    assert early.attributes["team"].to_pylist() == [None, "Network", "Desk", None]
    assert early.attributes["channel"].to_pylist() == [None, None, None, "Email"]


def test_the_latest_source_wins_a_case_attribute() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    for source, value in [(3, "Network"), (9, "Desk"), (5, "Apps")]:
        con.execute("INSERT INTO case_attributes VALUES ('A-2', 'team', ?, ?)", [value, source])
    assert Staged(con).attributes["team"].to_pylist() == [None, None, "Desk"]
    assert con.execute("SELECT value FROM latest_case_attributes WHERE ticket_id = 'A-2'"
                       ).fetchall() == [("Desk",)]


def servicenow_like() -> duckdb.DuckDBPyConnection:
    con = connect_memory()
    insert_events(con, pd.DataFrame([ev("INC2", "2024-03-04 10:00", "Active", "ann"),
                                      ev("INC1", "2024-03-04 09:00", "Ticket Created", "ann"),
                                      ev("INC2", "2024-03-04 12:00", "Resolved", "ann"),
                                      ev("INC3", "2024-03-04 11:00", "Active", "bo")]))
    for ticket, opened, source in [("INC2", "2024-03-04 08:00", 0),
                                   ("INC1", "2024-03-04 07:00", 0),  # has a creation event
                                   ("INC3", "2024-03-04 07:30", 0),
                                   ("INC3", "2024-03-04 10:30", 1)]:  # the latest source wins
        con.execute("INSERT INTO case_attributes VALUES (?, 'opened_at', ?, ?)",
                    [ticket, opened, source])
    return con


def test_a_creation_attribute_adds_recorded_creations() -> None:
    """ServiceNow's opened_at: a ticket without a creation event gets one at that instant
    (event_seq -1), first in its events."""
    staged = Staged(servicenow_like(), load_policy("servicenow", SERVICENOW_ROLES))
    coded = staged.ordered.ev
    assert staged.rows.values["activity"] == ["Active", "Resolved", "Ticket Created"]
    assert staged.ids.to_pylist() == ["INC1", "INC2", "INC3"]

    def us(moment: str) -> int:
        return int(pd.Timestamp(moment, tz="UTC").value // 1000)

    assert coded.ts[coded.tix == 0].tolist() == [us("2024-03-04 09:00")]
    assert coded.ts[coded.tix == 1].tolist() == [us("2024-03-04 08:00"), us("2024-03-04 10:00"),
                                                 us("2024-03-04 12:00")]
    assert coded.ts[coded.tix == 2].tolist() == [us("2024-03-04 10:30"), us("2024-03-04 11:00")]
    assert sorted(staged.rows.coded["event_seq"].tolist()) == [-1, -1, 0, 0, 0, 1]


def test_recorded_creations_after_the_as_of_are_left_out() -> None:
    staged = Staged(servicenow_like(), load_policy("servicenow", SERVICENOW_ROLES),
                    datetime(2024, 3, 4, 10, 15, tzinfo=UTC))
    assert staged.ids.to_pylist() == ["INC1", "INC2"]  # INC3's first event is at 11:00
    # the activity a recorded creation has is coded even where none is added
    assert staged.rows.values["activity"] == ["Active", "Ticket Created"]
    assert sorted(staged.rows.coded["event_seq"].tolist()) == [-1, 0, 0]
    early = Staged(servicenow_like(), load_policy("servicenow", SERVICENOW_ROLES),
                   datetime(2024, 3, 4, 9, 30, tzinfo=UTC))
    assert early.ids.to_pylist() == ["INC1"]
    assert early.rows.values["activity"] == ["Ticket Created"]
    assert early.rows.coded["event_seq"].tolist() == [0]


@pytest.fixture(scope="module")
def helpdesk_twice(real_data: Path, tmp_path_factory) -> Path:
    """The Helpdesk log ingested from CSV and from XES into one workspace: every case comes
    from two sources, so ingest renumbers its events over both and they lie in two places."""
    db = tmp_path_factory.mktemp("staging") / "helpdesk.duckdb"
    ticketlens.ingest([real_data / "helpdesk.csv"], db=db)
    ticketlens.ingest([real_data / "helpdesk.xes.gz"], db=db)
    return db


def test_real_log_from_two_sources(helpdesk_twice) -> None:
    with open_workspace(helpdesk_twice, read_only=True) as ws:
        policy = load_policy("helpdesk")
        staged = Staged(ws.con, policy)
        assert (staged.rows.n_total, len(staged.coded["tix"])) == (4580, 42_696)
        middle = datetime(2012, 6, 1, tzinfo=UTC)
        early = Staged(ws.con, policy, middle)
        assert early.ordered.ev.ts.max() <= middle.timestamp() * 1_000_000
        before = ws.con.execute("SELECT count(*), count(DISTINCT ticket_id) FROM events "
                                "WHERE \"timestamp\" <= $t", {"t": middle}).fetchall()[0]
        assert (len(early.coded["tix"]), early.rows.n_total) == before


@pytest.fixture(scope="module")
def generated_desk(tmp_path_factory) -> Path:
    """A generated desk (with ownership attributes: team, system, channel) ingested once."""
    root = tmp_path_factory.mktemp("staging-desk")
    ticketlens.generate(root / "desk", tickets=400, seed=3)
    db = root / "ws.duckdb"
    ticketlens.ingest([root / "desk"], db=db)
    return db


def test_ingest_builds_the_event_index_and_staging_reads_it(generated_desk,
                                                            monkeypatch) -> None:
    def refuse(con: duckdb.DuckDBPyConnection) -> None:
        raise AssertionError("the index ingest built was rebuilt")

    monkeypatch.setattr(events, "refresh_event_index", refuse)
    with open_workspace(generated_desk, read_only=True) as ws:
        staged = Staged(ws.con)
        assert staged.rows.n_total == 400
        assert staged.attributes["team"].null_count < 400  # the desk's ownership table
        earlier = Staged(ws.con, STANDARD, events.default_as_of(ws.con) - timedelta(days=3))
        assert earlier.ordered.ev.ts.max() < staged.ordered.ev.ts.max()


def test_a_plain_duckdb_connection_reads_the_roster(generated_desk, tmp_path) -> None:
    """compute_facts works on any connection to a workspace: one opened by duckdb itself gets
    the views (the roster's latest rows) that the workspace's own connections have."""
    from ticketlens.analyses.sla import compute_facts

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(generated_desk, db)
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    (person,) = con.execute("SELECT min(name) FROM technicians").fetchall()[0]
    # a later roster source moves one person to another tier: the roster wins over the log
    con.execute("INSERT INTO technicians SELECT name, 'Manager', team, skills, source_id + 1, origin "
                "FROM technicians WHERE name = $p", {"p": person})
    tiers = dict(zip(*compute_facts(con, "standard").technicians.select(
        ["technician", "tier"]).to_pydict().values(), strict=True))
    con.close()
    assert tiers[person] == "Manager"


def test_events_written_after_the_index_was_built_make_it_stale(generated_desk,
                                                                tmp_path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(generated_desk, db)
    with open_workspace(db) as ws:
        insert_events(ws.con, pd.DataFrame([ev("ZZ-1", "2099-01-01 09:00", "Ticket Created",
                                               None, "High")]))
    with open_workspace(db, read_only=True) as ws, \
            pytest.raises(WorkspaceError, match="event index is missing or out of date"):
        Staged(ws.con)
    with open_workspace(db) as ws:
        staged = Staged(ws.con)
        assert staged.ids.to_pylist()[-1] == "ZZ-1"
        assert staged.rows.n_total == 401
    with open_workspace(db, read_only=True) as ws:  # rebuilt and committed
        assert Staged(ws.con).rows.n_total == 401


def test_case_attributes_written_after_the_index_was_built_make_it_stale() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    assert Staged(con).attributes["team"].to_pylist() == [None, None, None]
    con.execute("INSERT INTO case_attributes VALUES ('A-1', 'team', 'Desk', 0)")
    assert Staged(con).attributes["team"].to_pylist() == ["Desk", None, None]


def test_an_index_of_an_older_ticketlens_is_read_and_a_missing_one_built() -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    expected = Staged(con)
    # ticketlens 0.1 wrote no version and no case-attribute count: still current
    con.execute("DELETE FROM meta WHERE key IN ('event_index_version', "
                "'event_index_attributes')")
    con.execute("UPDATE ticket_index SET ticket_id = 'kept ' || ticket_id")
    assert Staged(con).ids.to_pylist()[0] == "kept A-1"
    con.execute("DELETE FROM meta WHERE key LIKE 'event_index_%'")
    con.execute("DROP TABLE event_codes")
    assert_same(Staged(con), expected)
