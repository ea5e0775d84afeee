"""Ingest of the real public logs: exact counts, auto-detection, and honest handling of quirks.

Every number asserted here was checked independently against the raw files (see the README of
the real-data folder and docs/ingest.md).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ticketlens
from ticketlens.sources.ingest import IngestSummary


def _ingest(real_data: Path, tmp_path_factory: pytest.TempPathFactory, name: str,
            **options: object) -> tuple[IngestSummary, Path]:
    db = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    return ticketlens.ingest(real_data / name, db=db, **options), db


@pytest.fixture(scope="module")
def helpdesk(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return _ingest(real_data, tmp_path_factory, "helpdesk.csv")


@pytest.fixture(scope="module")
def helpdesk_xes(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return _ingest(real_data, tmp_path_factory, "helpdesk.xes.gz")


@pytest.fixture(scope="module")
def bpic(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return _ingest(real_data, tmp_path_factory, "bpic2013_closed_problems.csv",
                   plausible_from="2010-01-01")


@pytest.fixture(scope="module")
def servicenow(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return _ingest(real_data, tmp_path_factory, "servicenow_incidents_sample.csv")


@pytest.fixture(scope="module")
def support(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return _ingest(real_data, tmp_path_factory, "customer_support_tickets.csv")


def _query(db: Path, sql: str, params: object = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize(
    ("fixture", "fmt", "mapping", "rows", "events", "cases"),
    [
        ("helpdesk", "csv", "helpdesk", 21_348, 21_348, 4_580),
        ("helpdesk_xes", "xes", None, 21_348, 21_348, 4_580),
        ("bpic", "csv", "bpic2013", 6_660, 6_660, 1_487),
        # 5,998 updates + 1,094 events derived from column changes (assignee 215,
        # assignment group 834, priority 45)
        ("servicenow", "servicenow", "servicenow", 5_998, 7_092, 890),
        ("support", "ticket-table", "customer_support", 8_469, 8_419, 5_650),
    ],
)
def test_real_file_is_detected_and_counted_exactly(
    request: pytest.FixtureRequest, fixture: str, fmt: str, mapping: str | None, rows: int,
    events: int, cases: int,
) -> None:
    """--format auto picks the right reader and every row is accounted for."""
    summary, db = request.getfixturevalue(fixture)
    source = summary.sources[0]
    assert (source.format, source.mapping) == (fmt, mapping)
    assert source.rows_read == rows
    assert source.rows_loaded == rows and source.rows_quarantined == 0
    assert source.balanced
    assert source.events_loaded == events and source.cases == cases
    assert _query(db, "SELECT count(*), count(DISTINCT ticket_id) FROM events")[0] == (
        events, cases)


@pytest.mark.parametrize("fixture", ["helpdesk", "helpdesk_xes", "bpic", "servicenow", "support"])
def test_event_seq_orders_each_ticket_by_time(request: pytest.FixtureRequest, fixture: str) -> None:
    """event_seq is 0..n-1 per ticket and never goes back in time."""
    _, db = request.getfixturevalue(fixture)
    bad = _query(db, """
        SELECT count(*) FROM (
          SELECT ticket_id, event_seq, "timestamp",
                 lag("timestamp") OVER (PARTITION BY ticket_id ORDER BY event_seq) AS previous,
                 row_number() OVER (PARTITION BY ticket_id ORDER BY event_seq) - 1 AS position
          FROM events)
        WHERE event_seq <> position OR "timestamp" < previous""")
    assert bad == [(0,)]


def test_helpdesk_duplicates_counted_and_kept(helpdesk) -> None:
    """127 rows repeat an earlier row exactly: reported, and kept by default."""
    summary, db = helpdesk
    source = summary.sources[0]
    assert source.duplicate_events == 127
    assert source.rows_deduped == 0
    assert source.timestamp_format.startswith("year-first (%Y/%m/%d %H:%M:%S.%f")
    # 'Variant' appears twice in the header: both columns are kept, the second renamed.
    assert any("Variant_2" in w for w in source.warnings)
    assert _query(db, "SELECT count(*) FROM events WHERE attributes['Variant_2'] IS NOT NULL"
                  ) == [(21_348,)]


def test_helpdesk_dedupe_drops_exactly_the_repeats(real_data: Path, tmp_path: Path) -> None:
    summary = ticketlens.ingest(real_data / "helpdesk.csv", db=tmp_path / "ws.duckdb",
                                dedupe=True)
    source = summary.sources[0]
    assert (source.rows_read, source.rows_loaded, source.rows_deduped) == (21_348, 21_221, 127)
    assert source.balanced


def test_helpdesk_csv_and_xes_hold_the_same_events(helpdesk, helpdesk_xes) -> None:
    """Same log in two formats: the same multiset of (case, time, activity, resource)."""
    key = ('SELECT ticket_id, "timestamp", activity, assigned_to, count(*) FROM events '
           "GROUP BY ALL ORDER BY ALL")
    csv_events = _query(helpdesk[1], key)
    xes_events = _query(helpdesk_xes[1], key)
    assert len(csv_events) == 21_348 - 127
    assert csv_events == xes_events


def test_helpdesk_xes_keeps_event_attributes(helpdesk_xes) -> None:
    _, db = helpdesk_xes
    keys = _query(db, "SELECT DISTINCT unnest(map_keys(attributes)) FROM events ORDER BY 1")
    assert [k for (k,) in keys] == sorted(
        ["customer", "product", "responsible_section", "seriousness", "seriousness_2",
         "service_level", "service_type", "support_section", "workgroup"])


def test_bpic_activity_joins_status_and_sub_status(bpic) -> None:
    _, db = bpic
    activities = dict(_query(db, "SELECT activity, count(*) FROM events GROUP BY 1"))
    assert activities["Accepted - In Progress"] == 3_066
    assert activities["Completed - Closed"] == 1_565
    assert activities["Queued - Awaiting Assignment"] == 875
    assert len(activities) == 7


def test_bpic_early_events_are_flagged_not_dropped(bpic) -> None:
    """54 events predate 2010: with a 2010 plausibility floor they are flagged, and loaded."""
    summary, db = bpic
    source = summary.sources[0]
    assert source.implausible["far_past"] == 54
    assert _query(db, "SELECT count(*), count(DISTINCT ticket_id) FROM event_flags "
                      "WHERE flag = 'far_past'") == [(54, 31)]
    assert _query(db, "SELECT count(*) FROM events WHERE \"timestamp\" < '2010-01-01'") == [(54,)]
    # org:role is empty in 2,078 rows: missing stays missing, the rows are still loaded.
    assert _query(db, "SELECT count(*) FROM events WHERE attributes['org:role'] IS NULL") == [
        (2_078,)]


def test_bpic_default_window_flags_nothing(real_data: Path, tmp_path: Path) -> None:
    summary = ticketlens.ingest(real_data / "bpic2013_closed_problems.csv",
                                db=tmp_path / "ws.duckdb")
    assert summary.sources[0].implausible == {"far_past": 0, "far_future": 0,
                                              "before_creation": 0}


def test_servicenow_reads_day_first_from_the_data(servicenow) -> None:
    summary, db = servicenow
    source = summary.sources[0]
    assert source.timestamp_format.startswith("day-first (%d-%m-%Y %H:%M")
    assert "first field above 12" in source.timestamp_evidence
    # 29-02-2016 01:23 is 29 February (the first row's sys_updated_at).
    assert _query(db, "SELECT min(\"timestamp\") FROM events WHERE ticket_id = 'INC0000045'"
                  )[0][0].isoformat() == "2016-02-29T01:23:00+00:00"


def test_servicenow_missing_marker_is_null(servicenow) -> None:
    """'?' means missing: 1,707 updates have no assignee (NULL, not the text '?')."""
    _, db = servicenow
    assert _query(db, "SELECT count(*) FILTER (WHERE assigned_to IS NULL), "
                      "count(*) FILTER (WHERE assigned_to = '?') FROM events "
                      "WHERE attributes['derived'] IS NULL") == [(1_707, 0)]


def test_servicenow_column_changes_become_role_events(servicenow) -> None:
    """Assignee, assignment group and priority changes between consecutive updates become
    events at the update's instant, just before its state, marked `derived`."""
    summary, db = servicenow
    assert summary.sources[0].details["derived_events"] == {
        "Assignee Changed": 215, "Assignment Group Changed": 834, "Priority Changed": 45}
    assert _query(db, "SELECT count(*) FROM events WHERE attributes['derived'] IS NOT NULL"
                  ) == [(1_094,)]
    # each change carries the update's new value and the one before
    assert _query(db, "SELECT count(*) FROM events WHERE activity = 'Priority Changed' "
                      "AND priority = attributes['previous']") == [(0,)]


def test_servicenow_case_attributes(servicenow) -> None:
    """Final values per incident: team, the tool's own SLA verdict, counts, channel."""
    summary, db = servicenow
    attributes = dict(_query(db, "SELECT name, count(*) FROM case_attributes GROUP BY 1"))
    assert attributes["source_made_sla"] == 890
    assert attributes["channel"] == 890
    assert attributes["reassignment_count"] == 890 and attributes["reopen_count"] == 890
    made_sla = dict(_query(db, "SELECT value, count(*) FROM case_attributes "
                               "WHERE name = 'source_made_sla' GROUP BY 1"))
    assert made_sla == {"TRUE": 495, "FALSE": 395}
    details = summary.sources[0].details
    assert details["case_attributes_changing_within_ticket"]["source_made_sla"] == 395
    assert details["incidents_reopened"] == 10
    opened = _query(db, "SELECT value FROM case_attributes WHERE ticket_id = 'INC0000045' "
                        "AND name = 'opened_at'")
    assert opened == [("2016-02-29T01:16:00Z",)]


def test_servicenow_flags_updates_before_opening(servicenow) -> None:
    """5 updates are stamped before their incident's opened_at: flagged, kept."""
    summary, db = servicenow
    assert summary.sources[0].implausible["before_creation"] == 5
    assert _query(db, "SELECT count(DISTINCT ticket_id) FROM event_flags "
                      "WHERE flag = 'before_creation'") == [(5,)]


def test_servicenow_out_of_order_update_is_reordered(servicenow) -> None:
    summary, _ = servicenow
    source = summary.sources[0]
    assert (source.out_of_order_events, source.out_of_order_cases) == (2, 1)


def test_support_table_never_imputes_creation(support) -> None:
    summary, db = support
    source = summary.sources[0]
    details = source.details
    assert details["creation_missing"] == 8_469
    assert details["events_per_activity"] == {"First Response": 5_650, "Ticket Resolved": 2_769}
    assert details["tickets_without_events"] == 2_819
    assert _query(db, "SELECT count(*) FROM events WHERE activity = 'Ticket Created'") == [(0,)]


def test_support_table_reports_resolution_before_first_response(support) -> None:
    """Counted and reported, loaded as the data says: resolution is then the first event."""
    summary, db = support
    assert summary.sources[0].details["order_inconsistencies"] == {
        "Ticket Resolved before First Response": 1_365}
    assert any("1,365 tickets" in w for w in summary.sources[0].warnings)
    assert _query(db, "SELECT count(*) FROM events WHERE event_seq = 0 "
                      "AND activity = 'Ticket Resolved'") == [(1_365,)]


def test_support_table_keeps_every_column_as_case_attribute(support) -> None:
    _, db = support
    attributes = dict(_query(db, "SELECT name, count(*) FROM case_attributes GROUP BY 1"))
    assert attributes["csat"] == 2_769
    assert attributes["channel"] == 8_469
    assert attributes["Ticket Description"] == 8_469
    assert "Ticket ID" not in attributes and "First Response Time" not in attributes


def test_support_table_lines_are_physical(support, real_data: Path) -> None:
    """Descriptions hold newlines: ticket 3 starts on physical line 16, not line 4."""
    _, db = support
    assert _query(db, "SELECT DISTINCT source_row FROM events WHERE ticket_id = '3'") == [(16,)]
    lines = (real_data / "customer_support_tickets.csv").read_bytes().split(b"\n")
    assert lines[15].startswith(b"3,Christopher Robbins,")
    last = _query(db, "SELECT max(source_row) FROM events")[0][0]
    assert lines[last - 1].startswith(b"8468,")  # 8469 is open: no timestamps, no events
