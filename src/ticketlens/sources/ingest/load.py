"""Write one staged source into the workspace: dedupe, order, flag, insert — inside the caller's
transaction, so a refused or failing ingest leaves the workspace exactly as it was.

Earlier exports of a source are the sources of the same *name* (the file name, or ``--source
NAME``) or the same *kind* (format and mapping). Loading another export is an update, per
ticket (docs/ingest.md "Overlapping exports"): a ticket's history from the export with the
newest export time replaces its history from older ones. An event is new unless the workspace
holds an event of those sources with the same fingerprint (all canonical columns and
attributes) and the same occurrence number among its exact repeats; a held event the newer
export no longer has (edited or gone) is removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from ticketlens.core.lifecycle import VOCABULARY, Role
from ticketlens.sources.ingest.stage import Staged
from ticketlens.workspace.roster import MANIFEST
from ticketlens.workspace.sql import load_sql, run_script, tables_exist

FLAG_RULES = ("far_past", "far_future", "before_creation")
TICKET_FATES = ("added", "replaced", "unchanged", "kept")


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    row = con.execute(sql, params or {}).fetchall()[0]
    assert row is not None
    return row[0] if len(row) == 1 else row


@dataclass
class LoadResult:
    """What loading one staged source did (row and event counts, flags, orderings)."""

    source_id: int
    status: str
    rows_loaded: int
    rows_quarantined: int
    rows_deduped: int
    rows_already_present: int
    events_loaded: int
    cases: int
    duplicate_events: int
    out_of_order_events: int
    out_of_order_cases: int
    flags: dict[str, int]
    flag_examples: list[dict[str, Any]]
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    case_attributes: int
    merged_tickets: int
    quarantine_reasons: dict[str, int]
    # per ticket of this export: added / replaced / unchanged / kept (a newer export holds it)
    tickets: dict[str, int]
    events_removed: int  # held events of replaced tickets this export no longer has
    export_time: datetime | None


@dataclass(frozen=True)
class SourceRecord:
    """The ``sources`` row to write for a staged source."""

    name: str
    format: str
    path: str
    file: str
    tz: str
    options_key: str
    row_grain: str  # "event": one input row = one event; "ticket": one row = one ticket
    kind: str  # format and mapping: exports of one kind replace each other's tickets
    dedupe: bool
    not_before: datetime
    not_after: datetime


def next_source_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(_one(con, "SELECT coalesce(max(source_id), 0) + 1 FROM sources"))


def load_source(
    con: duckdb.DuckDBPyConnection, staged: Staged, record: SourceRecord
) -> LoadResult:
    """Insert ``staged`` (tables ``stage_*``) as a new source row; return the accounting."""
    source_id = next_source_id(con)
    _reject_out_of_range(con)
    export_time = _one(
        con, "SELECT coalesce(max(ts) FILTER (WHERE ts <= $after), max(ts)) FROM stage_events",
        {"after": record.not_after})
    run_script(con, load_sql(__name__, "load_related.sql"),
               {"name": record.name, "kind": record.kind})
    prior = _one(con, "SELECT count(*) FROM stage_related")
    staged_events = _one(con, "SELECT count(*) FROM stage_events")
    duplicates = _order_new_events(con, record, bool(prior), export_time)
    new_events = _one(con, "SELECT count(*) FROM stage_seq")
    deduped = duplicates if record.dedupe else 0
    already = staged_events - deduped - new_events
    tickets, removed = _ticket_fates(con, bool(prior))
    merged = _insert_events(con, source_id)
    flag_counts, examples = _flag_events(con, staged, record, source_id)
    stats = con.execute(
        "SELECT count(DISTINCT ticket_id), count(*) FILTER (WHERE out_of_order), "
        "count(DISTINCT ticket_id) FILTER (WHERE out_of_order), min(ts), max(ts) "
        "FROM stage_seq"
    ).fetchall()[0]
    assert stats is not None
    cases, out_of_order, out_of_order_cases, first_ts, last_ts = stats

    case_attributes = _load_case_attributes(con, record, source_id)
    _load_technicians(con, record, source_id)
    quarantined, reasons = _quarantine_rejects(con, record, source_id)

    if record.row_grain == "event":
        # events a reader derived from a row (sub_row < 0: ServiceNow column changes) are
        # not rows of the file
        derived = _one(con, "SELECT count(*) FROM stage_seq WHERE sub_row < 0")
        derived_staged = _one(con, "SELECT count(*) FROM stage_events WHERE sub_row < 0")
        rows_loaded, rows_deduped = new_events - derived, deduped
        rows_already = already - (derived_staged - derived)
    else:
        # a row is a ticket: already present when its ticket is unchanged or left to a newer
        # export
        rows_already = _one(con, "SELECT count(DISTINCT source_row) FROM stage_events "
                                 "WHERE ticket_id IN (SELECT ticket_id FROM stage_fate "
                                 "WHERE fate IN ('unchanged', 'kept'))") if prior else 0
        rows_loaded, rows_deduped = staged.rows_read - quarantined - rows_already, 0
    result = LoadResult(
        source_id=source_id,
        status="updated" if prior else "loaded",
        rows_loaded=rows_loaded,
        rows_quarantined=quarantined,
        rows_deduped=rows_deduped,
        rows_already_present=rows_already,
        events_loaded=new_events,
        cases=cases,
        duplicate_events=duplicates,
        out_of_order_events=out_of_order,
        out_of_order_cases=out_of_order_cases,
        flags={rule: int(flag_counts.get(rule, 0)) for rule in FLAG_RULES},
        flag_examples=examples,
        first_timestamp=first_ts,
        last_timestamp=last_ts,
        case_attributes=case_attributes,
        merged_tickets=merged,
        quarantine_reasons=reasons,
        tickets=tickets,
        events_removed=removed,
        export_time=export_time,
    )
    _insert_source_row(con, staged, record, result)
    return result


def _reject_out_of_range(con: duckdb.DuckDBPyConnection) -> None:
    """Quarantine the rows with an instant outside years 1-9999 in UTC (their every event:
    a ticket-table row is loaded whole or not at all)."""
    con.execute(load_sql(__name__, "load_range.sql"))
    if not _one(con, "SELECT count(*) FROM stage_out_of_range"):
        return
    con.execute(
        "INSERT INTO stage_rejects SELECT source_row, 'timestamp', CAST(ts AS VARCHAR), "
        "'timestamp outside years 1-9999 once converted to UTC' FROM stage_out_of_range"
    )
    kind = _one(con, "SELECT table_type FROM information_schema.tables "
                     "WHERE table_name = 'stage_events'")
    if kind == "VIEW":  # the event-log reader's view over its typed rows: filter, no copy
        con.execute("ALTER VIEW stage_events RENAME TO stage_events_unchecked")
        con.execute("CREATE TEMP VIEW stage_events AS SELECT * FROM stage_events_unchecked "
                    "ANTI JOIN stage_out_of_range USING (source_row)")
    else:
        con.execute("DELETE FROM stage_events WHERE source_row IN "
                    "(SELECT source_row FROM stage_out_of_range)")


def _order_new_events(con: duckdb.DuckDBPyConnection, record: SourceRecord,
                      updating: bool, export_time: datetime | None) -> int:
    """Stage the events to insert, in order (``stage_seq``); return the count of exact repeats.

    Repeats are keyed (fingerprint and occurrence) only when an update must compare with the
    events earlier exports of the source loaded (``load_fate.sql``: which tickets this export
    adds, replaces or leaves to a newer one), or when ``dedupe`` drops them.
    """
    if updating or record.dedupe:
        con.execute(load_sql(__name__, "load_keyed.sql"), {"dedupe": record.dedupe})
        duplicates = _one(con, "SELECT count(*) FROM stage_keyed WHERE occurrence > 0")
        if updating:
            con.execute(load_sql(__name__, "load_existing.sql"))
            run_script(con, load_sql(__name__, "load_fate.sql"), {"export_time": export_time})
        else:
            con.execute("CREATE OR REPLACE TEMP VIEW stage_new AS SELECT * FROM stage_keyed "
                        "WHERE keep")
    else:
        duplicates = None
        con.execute("CREATE OR REPLACE TEMP VIEW stage_new AS "
                    "SELECT source_row, sub_row, ticket_id, ts FROM stage_events")
    con.execute(load_sql(__name__, "load_ordered.sql"))
    if duplicates is None:
        # Fresh source, repeats kept: compare whole events only where ticket and instant tie.
        duplicates = _one(con, load_sql(__name__, "load_duplicates.sql"))
    return int(duplicates)


def _ticket_fates(con: duckdb.DuckDBPyConnection, updating: bool) -> tuple[dict[str, int], int]:
    """Remove the held events this export replaces; return the tickets per fate and the count
    of events removed."""
    if not updating:
        con.execute("CREATE OR REPLACE TEMP TABLE stage_fate AS SELECT DISTINCT ticket_id, "
                    "'added' AS fate FROM stage_events")
        con.execute("CREATE OR REPLACE TEMP TABLE stage_removed AS SELECT NULL::BIGINT AS rid, "
                    "NULL::VARCHAR AS ticket_id, NULL::INTEGER AS source_id, "
                    "NULL::BIGINT AS source_row WHERE false")
    fates = dict(con.execute("SELECT fate, count(*) FROM stage_fate GROUP BY fate").fetchall())
    removed = int(_one(con, "SELECT count(*) FROM stage_removed"))
    if removed:
        con.execute("DELETE FROM events WHERE rowid IN (SELECT rid FROM stage_removed)")
        # a row's flags go with the last of its events
        con.execute("DELETE FROM event_flags f WHERE EXISTS (SELECT 1 FROM stage_removed r "
                    "WHERE r.source_id = f.source_id AND r.source_row = f.source_row) "
                    "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.source_id = f.source_id "
                    "AND e.source_row = f.source_row)")
    return {fate: int(fates.get(fate, 0)) for fate in TICKET_FATES}, removed


def _insert_events(con: duckdb.DuckDBPyConnection, source_id: int) -> int:
    """Insert ``stage_seq`` into ``events``; return how many of its tickets already had events
    from unrelated sources (their events are merged and renumbered)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stage_overlap AS SELECT DISTINCT ticket_id "
        "FROM stage_seq SEMI JOIN events USING (ticket_id) "
        "UNION SELECT DISTINCT ticket_id FROM stage_removed"  # renumber what is left of them
    )
    overlap = _one(con, "SELECT count(*) FROM stage_overlap")
    merged = 0
    if overlap:
        merged = _one(
            con,
            "SELECT count(DISTINCT ticket_id) FROM events "
            "WHERE ticket_id IN (SELECT ticket_id FROM stage_seq) "
            "AND source_id NOT IN (SELECT source_id FROM stage_related)",
        )
    con.execute(load_sql(__name__, "load_insert.sql"), {"source_id": source_id})
    if overlap:
        con.execute(load_sql(__name__, "load_resequence.sql"))
    return int(merged)


def _flag_events(con: duckdb.DuckDBPyConnection, staged: Staged, record: SourceRecord,
                 source_id: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Flag the new events outside the plausible window or before their ticket's creation;
    return the count per flag and the first three examples of each."""
    con.execute(
        load_sql(__name__, "load_flags.sql"),
        {"created_activities": sorted(VOCABULARY.having(Role.CREATION)),
         "has_created": staged.has_created,
         "not_before": record.not_before, "not_after": record.not_after},
    )
    con.execute("INSERT INTO event_flags SELECT $sid, source_row, ticket_id, flag "
                "FROM stage_flags", {"sid": source_id})
    flag_counts = dict(con.execute("SELECT flag, count(*) FROM stage_flags GROUP BY flag").fetchall())
    examples = [
        {"line": r[0], "ticket_id": r[1], "timestamp": r[2].isoformat(), "flag": r[3]}
        for r in con.execute(
            "SELECT source_row, ticket_id, ts, flag FROM stage_flags "
            "QUALIFY row_number() OVER (PARTITION BY flag ORDER BY source_row) <= 3 "
            "ORDER BY flag, source_row"
        ).fetchall()
    ]
    return flag_counts, examples


def _quarantine_rejects(con: duckdb.DuckDBPyConnection, record: SourceRecord,
                        source_id: int) -> tuple[int, dict[str, int]]:
    """Move the rows the reader rejected (and a desk's linked files' rejects) into
    ``quarantine``; return the rejected rows and the count per reason."""
    quarantined = _one(con, "SELECT count(DISTINCT source_row) FROM stage_rejects")
    con.execute(
        'INSERT INTO quarantine SELECT $sid, $file, source_row, "column", value, reason '
        "FROM stage_rejects ORDER BY source_row",
        {"sid": source_id, "file": record.file},
    )
    if tables_exist(con, "stage_linked_rejects"):
        con.execute(
            'INSERT INTO quarantine SELECT $sid, $folder || \'/\' || file, source_row, "column", '
            "value, reason FROM stage_linked_rejects ORDER BY file, source_row",
            {"sid": source_id, "folder": record.path},
        )
    reasons = dict(con.execute(
        "SELECT reason, count(*) FROM stage_rejects GROUP BY reason ORDER BY 2 DESC, 1"
    ).fetchall())
    return quarantined, reasons


def _load_case_attributes(
    con: duckdb.DuckDBPyConnection, record: SourceRecord, source_id: int
) -> int:
    """Newest wins: a newer export replaces the attributes of the tickets it carries; an
    older one leaves the tickets a newer export holds alone."""
    con.execute("DELETE FROM stage_case WHERE ticket_id IN "
                "(SELECT ticket_id FROM stage_fate WHERE fate = 'kept')")
    con.execute(
        "DELETE FROM case_attributes c USING stage_case s "
        "WHERE c.ticket_id = s.ticket_id AND c.name = s.name "
        "AND c.source_id IN (SELECT source_id FROM stage_related)"
    )
    con.execute("INSERT INTO case_attributes SELECT ticket_id, name, value, $sid FROM stage_case",
                {"sid": source_id})
    return int(_one(con, "SELECT count(*) FROM stage_case"))


def _load_technicians(
    con: duckdb.DuckDBPyConnection, record: SourceRecord, source_id: int
) -> None:
    """A source's roster replaces the roster an earlier export of the same source gave."""
    if not tables_exist(con, "stage_technicians"):
        return
    con.execute(
        "DELETE FROM technicians WHERE source_id IN (SELECT source_id FROM sources WHERE name = $n)",
        {"n": record.name},
    )
    con.execute("INSERT INTO technicians (name, tier, team, skills, source_id, origin) "
                "SELECT name, tier, team, skills, $sid, $origin FROM stage_technicians",
                {"sid": source_id, "origin": MANIFEST})


def _insert_source_row(
    con: duckdb.DuckDBPyConnection, staged: Staged, record: SourceRecord, result: LoadResult
) -> None:
    details = {
        "options_key": record.options_key,
        "row_grain": record.row_grain,
        "line_numbers": staged.line_numbers,
        "timestamp_format": staged.timestamp_format,
        "timestamp_evidence": staged.timestamp_evidence,
        "events_loaded": result.events_loaded,
        "duplicate_events": result.duplicate_events,
        "out_of_order_events": result.out_of_order_events,
        "flags": result.flags,
        "plausible_window": [record.not_before.isoformat(), record.not_after.isoformat()],
        "quarantine_reasons": result.quarantine_reasons,
        "warnings": staged.warnings,
        "kind": record.kind,
        "export_time": result.export_time.isoformat() if result.export_time else None,
        "tickets": result.tickets,
        "events_removed": result.events_removed,
        **staged.details,
    }
    con.execute(
        "INSERT INTO sources VALUES ($sid, $name, $format, $path, $sha, $tz, now(), $read, "
        "$loaded, $quarantined, $deduped, $details)",
        {
            "sid": result.source_id, "name": record.name, "format": record.format,
            "path": record.path, "sha": staged.sha256, "tz": record.tz,
            "read": staged.rows_read, "loaded": result.rows_loaded,
            "quarantined": result.rows_quarantined, "deduped": result.rows_deduped,
            "details": json.dumps(details, default=str, sort_keys=True),
        },
    )


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Free the staging tables and views of the source just loaded."""
    rows = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = 'temp'"
    ).fetchall()
    for name, kind in rows:
        if kind == "VIEW":
            con.execute(f'DROP VIEW IF EXISTS temp."{name}"')
    for name, kind in rows:
        if kind != "VIEW":
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')
