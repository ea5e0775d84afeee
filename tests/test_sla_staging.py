"""Staging's fast path (events read as stored, runs of one ticket moved into ticket order) gives
exactly the arrays of the general path (every event joined to its ticket and codes, sorted in
SQL), and falls back to it whenever the workspace does not keep each ticket's events as runs
of consecutive event_seq."""

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
from ticketlens.analyses.sla import insert_events, stage, stage_runs
from ticketlens.analyses.sla.engine import default_as_of
from ticketlens.clock.policy import Policy, load_policy
from ticketlens.core.errors import AnalysisError
from ticketlens.sources.ingest.mapping import builtin
from ticketlens.workspace.connection import connect_memory, open_workspace

STANDARD = load_policy("standard")


class Staged:
    """Everything staging hands the engine, and which path produced the events."""

    def __init__(self, con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime,
                 monkeypatch: pytest.MonkeyPatch, general: bool, index: bool = False) -> None:
        paths: list[str] = []
        fast, joined, indexed = stage.read_runs, stage._read_joined, stage._read_indexed

        def from_index(*args: object) -> stage.EventRows | None:
            found = indexed(*args) if index else None
            if found is not None:
                paths.append("index")
            return found

        def runs(*args: object) -> tuple[dict[str, np.ndarray], int] | None:
            found = None if general else fast(*args)
            paths.append("fast" if found is not None else "declined")
            return found

        def general_path(*args: object) -> stage.EventRows:
            paths.append("general")
            return joined(*args)

        with monkeypatch.context() as patch:
            patch.setattr(stage, "read_runs", runs)
            patch.setattr(stage, "_read_indexed", from_index)
            patch.setattr(stage, "_read_joined", general_path)
            try:
                self.rows = stage.read_events(con, policy, as_of)
                self.ids = stage.ticket_ids(con, self.rows.indexed)
                self.attributes = stage.ticket_attributes(con, self.rows.n_total,
                                                          self.rows.indexed)
                self.ordered = stage.order_events(self.rows, policy)
            finally:
                stage.drop_staging(con)
        self.path = paths[-1]


def both(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch,
         policy: Policy = STANDARD, as_of: datetime | None = None) -> tuple[Staged, Staged]:
    """Staged by the fast path (where the workspace allows it) and by the general path."""
    moment = as_of or default_as_of(con)
    return (Staged(con, policy, moment, monkeypatch, general=False),
            Staged(con, policy, moment, monkeypatch, general=True))


def assert_same(fast: Staged, general: Staged) -> None:
    assert general.path == "general"
    assert fast.rows.n_total == general.rows.n_total
    assert fast.rows.values == general.rows.values
    assert fast.rows.coded.keys() == general.rows.coded.keys()
    for name, column in general.rows.coded.items():
        assert fast.rows.coded[name].dtype == column.dtype, name
        assert np.array_equal(fast.rows.coded[name], column), name
    assert fast.ids.equals(general.ids)
    for name, column in general.attributes.items():
        assert fast.attributes[name].equals(column), name
    for name in ("tix", "ts", "act", "prio", "holder"):
        assert np.array_equal(getattr(fast.ordered.ev, name), getattr(general.ordered.ev, name))


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


def test_interleaved_events_take_the_fast_path_and_match_the_general_one(monkeypatch) -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    fast, general = both(con, monkeypatch)
    assert fast.path == "fast"
    assert_same(fast, general)
    # ticket_id order ("A-1" < "A-10" < "A-2"), each ticket's events in time order
    assert fast.ids.to_pylist() == ["A-1", "A-10", "A-2"]
    assert fast.rows.coded["tix"].tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert fast.rows.coded["event_seq"].tolist() == [0, 1, 0, 1, 2, 0, 1, 2, 3]
    assert fast.rows.coded["pos"].tolist() == list(range(9))
    people = fast.rows.values["person"]
    assert people == ["", "Zoë O'Brien", "bob"]
    assert fast.rows.coded["holder"].tolist() == [-1, 0, -1, 2, 2, -1, 1, 1, 1]
    assert fast.rows.values["category"] == ["", "Hardware", "Network", "Software"]
    assert fast.rows.coded["cat"].tolist() == [2, 2, 1, 1, 1, 3, 3, -1, 0]
    assert fast.rows.coded["prio"][7] == -1  # NULL priority


def test_events_stored_in_ticket_order_stay_where_they_are(monkeypatch) -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(sorted(interleaved(), key=lambda row: row["ticket_id"])))
    fast, general = both(con, monkeypatch)
    assert fast.path == "fast"
    assert_same(fast, general)
    assert fast.rows.coded["event_seq"].tolist() == [0, 1, 0, 1, 2, 0, 1, 2, 3]


def test_as_of_drops_later_events_and_tickets_without_events_by_then(monkeypatch) -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    as_of = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    fast, general = both(con, monkeypatch, as_of=as_of)
    assert fast.path == "fast"
    assert_same(fast, general)
    assert fast.ids.to_pylist() == ["A-10", "A-2"]  # A-1 starts on March 5th
    assert fast.rows.coded["event_seq"].tolist() == [0, 1, 0, 1]
    assert fast.rows.values["activity"] == ["Ticket Assigned", "Ticket Created"]


def test_an_as_of_before_every_event_is_an_error_on_both_paths(monkeypatch) -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    with pytest.raises(AnalysisError, match="no events at or before"):
        Staged(con, STANDARD, datetime(2024, 1, 1, tzinfo=UTC), monkeypatch, general=False)


def test_events_of_one_ticket_numbered_twice_fall_back_to_the_general_path(monkeypatch) -> None:
    """Two inserts for one ticket each number its events from 0: event_seq repeats, the runs do
    not cover 0, 1, ... once each, and the general path stages them."""
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    insert_events(con, pd.DataFrame([ev("A-10", "2024-03-05 08:00", "Work Started", "bob")]))
    fast, general = both(con, monkeypatch)
    assert fast.path == "general"
    assert_same(fast, general)


@pytest.mark.parametrize("renumber", ["event_seq + 1", "event_seq - 1", "event_seq * 2"])
def test_event_seq_not_counting_from_zero_falls_back(monkeypatch, renumber: str) -> None:
    """A ticket numbered 1, 2, ..., -1, 0, ... or 0, 2, ...: its events are not at
    event_seq 0, 1, ...; the general path stages them (and numpy puts them in order)."""
    con = connect_memory()
    for layout in (sorted(interleaved(), key=lambda row: row["ticket_id"]), interleaved()):
        insert_events(con, pd.DataFrame(layout))  # each ticket stored together, then not
        con.execute(f"UPDATE events SET event_seq = {renumber} WHERE ticket_id = 'A-1'")
        staged = Staged(con, STANDARD, default_as_of(con), monkeypatch, general=False)
        assert staged.path == "general"
        assert staged.ordered.ev.tix.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2]
        con.execute("DELETE FROM events")


def test_a_ticket_split_across_inserts_and_renumbered_takes_the_fast_path(monkeypatch) -> None:
    """A ticket's events in two places, numbered 0, 1, ... over both (as ingest renumbers a
    ticket that several sources carry): two runs, moved together."""
    con = connect_memory()
    rows = interleaved()
    insert_events(con, pd.DataFrame(rows[:5]))
    insert_events(con, pd.DataFrame(rows[5:]))
    con.execute("""UPDATE events e SET event_seq = r.seq FROM (
        SELECT rowid AS rid, row_number() OVER (PARTITION BY ticket_id
                                                ORDER BY "timestamp", source_row) - 1 AS seq
        FROM events) r WHERE e.rowid = r.rid""")
    fast, general = both(con, monkeypatch)
    assert fast.path == "fast"
    assert_same(fast, general)


def test_many_distinct_values_fall_back_to_the_general_path(monkeypatch) -> None:
    """Too many assignees for a small lookup table: the general path stages them."""
    con = connect_memory()
    rows = [ev(f"T{i % 500:04d}", f"2024-03-04 {i // 500:02d}:00", "Ticket Assigned",
               f"person {i}") for i in range(12_000)]
    insert_events(con, pd.DataFrame(rows))
    fast, general = both(con, monkeypatch)
    assert fast.path == "general"
    assert_same(fast, general)
    assert len(fast.rows.values["person"]) == 12_000


def test_lookup_bits_tell_every_value_apart() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 21, 1381, 3000):
        keys = np.unique(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) * 2 + 1)
        salt, bits = stage_runs._salt(keys)
        picked = (keys >> np.uint64(salt)) & np.uint64((1 << bits) - 1)
        assert len(np.unique(picked)) == len(keys)
        assert bits <= stage_runs._MAX_BITS
    many = np.unique(rng.integers(0, 2**63, 20_000, dtype=np.int64).astype(np.uint64))
    assert stage_runs._salt(many) is None


def test_attribute_only_tickets_come_last_on_the_fast_path(monkeypatch) -> None:
    con = connect_memory()
    insert_events(con, pd.DataFrame(interleaved()))
    con.execute("INSERT INTO sources VALUES (7, 'tickets', 'ticket-table', 'x.csv', 'h', 'UTC', "
                "now(), 2, 2, 0, 0, NULL)")
    for ticket, name, value in [("A-0", "team", "Desk"), ("A-0", "csat", "4"),
                                ("A-2", "team", "Network"), ("A-2", "csat", "x"),
                                ("Z-9", "channel", "Email")]:
        con.execute("INSERT INTO case_attributes VALUES (?, ?, ?, 7)", [ticket, name, value])
    fast, general = both(con, monkeypatch)
    assert fast.path == "fast"
    assert_same(fast, general)
    assert fast.ids.to_pylist() == ["A-1", "A-10", "A-2", "A-0", "Z-9"]
    assert fast.rows.n_total == 5
    assert fast.attributes["team"].to_pylist() == [None, None, "Network", "Desk", None]
    assert fast.attributes["csat"].to_pylist() == [None, None, None, 4.0, None]


def test_a_creation_attribute_adds_recorded_creations_on_the_general_path(monkeypatch) -> None:
    """ServiceNow's opened_at: a ticket without a creation event gets one at that instant
    (event_seq -1); those events are not in the table's runs, so the general path stages."""
    con = connect_memory()
    insert_events(con, pd.DataFrame([ev("INC2", "2024-03-04 10:00", "Active", "ann"),
                                      ev("INC1", "2024-03-04 09:00", "New", "ann"),
                                      ev("INC2", "2024-03-04 12:00", "Resolved", "ann")]))
    con.execute("INSERT INTO case_attributes VALUES ('INC2', 'opened_at', '2024-03-04 08:00', 0)")
    roles = builtin("servicenow").roles  # the mapping says: created at opened_at
    staged = Staged(con, load_policy("servicenow", roles), default_as_of(con), monkeypatch,
                    general=False)
    assert staged.path == "general"
    coded = staged.ordered.ev
    assert staged.rows.values["activity"] == ["Active", "New", "Resolved", "Ticket Created"]
    second = coded.tix == 1
    opened = int(pd.Timestamp("2024-03-04 08:00", tz="UTC").value // 1000)
    assert coded.ts[second].tolist()[0] == opened  # the recorded opening comes first
    assert sorted(staged.rows.coded["event_seq"].tolist()) == [-1, 0, 0, 1]


@pytest.fixture(scope="module")
def helpdesk_twice(real_data: Path, tmp_path_factory) -> Path:
    """The Helpdesk log ingested from CSV and from XES into one workspace: every case comes
    from two sources, so ingest renumbers its events over both and they lie in two places."""
    db = tmp_path_factory.mktemp("staging") / "helpdesk.duckdb"
    ticketlens.ingest([real_data / "helpdesk.csv"], db=db)
    ticketlens.ingest([real_data / "helpdesk.xes.gz"], db=db)
    return db


def test_real_log_from_two_sources_takes_the_fast_path(helpdesk_twice, monkeypatch) -> None:
    with open_workspace(helpdesk_twice, read_only=True) as ws:
        policy = load_policy("helpdesk")
        fast, general = both(ws.con, monkeypatch, policy)
        assert fast.path == "fast"
        assert_same(fast, general)
        assert (fast.rows.n_total, len(fast.rows.coded["tix"])) == (4580, 42_696)
        middle = datetime(2012, 6, 1, tzinfo=UTC)
        fast, general = both(ws.con, monkeypatch, policy, as_of=middle)
        assert fast.path == "fast"
        assert_same(fast, general)
        assert fast.ordered.ev.ts.max() <= middle.timestamp() * 1_000_000


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
    with open_workspace(generated_desk, read_only=True) as ws:
        moment = default_as_of(ws.con)
        indexed = Staged(ws.con, STANDARD, moment, monkeypatch, general=False, index=True)
        general = Staged(ws.con, STANDARD, moment, monkeypatch, general=True)
        assert indexed.path == "index"
        assert_same(indexed, general)
        assert indexed.rows.n_total == 400
        assert indexed.attributes["team"].null_count < 400  # the desk's ownership table
        # an earlier as-of leaves events out: the index cannot serve it
        earlier = moment - timedelta(days=3)
        staged = Staged(ws.con, STANDARD, earlier, monkeypatch, general=False, index=True)
        assert staged.path != "index"


def test_events_written_after_the_index_was_built_make_it_stale(generated_desk, tmp_path,
                                                                monkeypatch) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(generated_desk, db)
    with open_workspace(db) as ws:
        insert_events(ws.con, pd.DataFrame([ev("ZZ-1", "2099-01-01 09:00", "Ticket Created",
                                               None, "High")]))
        moment = default_as_of(ws.con)
        staged = Staged(ws.con, STANDARD, moment, monkeypatch, general=False, index=True)
        general = Staged(ws.con, STANDARD, moment, monkeypatch, general=True)
        assert staged.path != "index"
        assert_same(staged, general)
        assert staged.ids.to_pylist()[-1] == "ZZ-1"
