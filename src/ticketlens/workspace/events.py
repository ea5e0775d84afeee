"""The event index read with an as-of instant: a workspace's events as numpy arrays.

This is the one way analyses that read every event stage them. The index
(``event_index.sql``: the events as integer codes in ticket order) is derived data: ingest
builds it, and ``ensure_event_index`` rebuilds it wherever it is missing or stale (a workspace
of an older ticketlens, events appended with ``insert_events``). ``read_events`` reads it as of
an instant: events after it are left out, tickets without an event by then drop out, the
codes are renumbered over the values still present, and a policy's recorded creation instants
(a case attribute such as ServiceNow's ``opened_at``) become creation events of tickets that
have none. The SQL files beside this module state their grain.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ticketlens.clock.assemble import Dictionaries
from ticketlens.clock.clocks import EventArrays, lookup
from ticketlens.clock.facts import StagedEvents
from ticketlens.clock.policy import Policy
from ticketlens.clock.tickets import RawCodes
from ticketlens.core.errors import AnalysisError, WorkspaceError
from ticketlens.core.schema import Activity
from ticketlens.workspace.connection import (
    EVENT_INDEX_VERSION,
    create_views,
    refresh_event_index,
)
from ticketlens.workspace.sql import load_sql, tables_exist

CREATED = Activity.CREATED.value  # activity of creation events taken from a recorded attribute
KINDS = ("activity", "priority", "person", "category", "department")
_CODE_COLUMNS = {"activity": "act", "priority": "prio", "person": "holder", "category": "cat",
                 "department": "dept"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)



@dataclass
class EventRows:
    """The events read from the index as of an instant, with the data's values."""

    coded: dict[str, np.ndarray]  # per event: tix, event_seq, ts_us and the codes
    values: dict[str, list[str]]  # per kind: the distinct values, code order
    n_total: int  # tickets, also those known only from case attributes (they come last)
    n_index: int  # tickets in the index
    index_tix: np.ndarray | None  # per staged ticket: its ticket_index tix (None: the same)

    def staged_tix(self, index_tix: np.ndarray) -> np.ndarray:
        """Per index tix: the staged ticket's tix, -1 for a ticket left out."""
        if self.index_tix is None:
            return index_tix
        staged = np.full(self.n_index, -1, dtype=np.int64)
        staged[self.index_tix] = np.arange(len(self.index_tix))
        return staged[index_tix]


def to_us(moment: datetime) -> int:
    """An aware instant as µs since the epoch (the index's ``ts_us``)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def default_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The default as-of instant: the log's last event, or the instant a source says it was
    observed until when that is later (``sources.details.observed_until``: a generated desk's
    window end, from its manifest). An export is taken some time after its last event; where
    the source states when, open clocks run to then — the instant a generated desk's
    ``sla_metrics`` were measured at, so ``sla``'s default verdicts are its verdicts. None
    without events."""
    last = con.execute('SELECT max("timestamp") FROM events').fetchall()[0][0]
    if last is None:
        return None
    if tables_exist(con, "sources"):
        observed = con.execute(
            "SELECT max(TRY_CAST(details->>'observed_until' AS TIMESTAMPTZ)) FROM sources "
            "WHERE source_id IN (SELECT DISTINCT source_id FROM events)").fetchall()[0][0]
        if observed is not None and observed > last:
            last = observed
    return last.astimezone(UTC)


def as_of_instant(con: duckdb.DuckDBPyConnection, as_of: datetime | None) -> datetime:
    """``as_of`` as an aware UTC instant (naive means UTC), default ``default_as_of``: the
    log's last event, or a later instant its sources say they were observed until."""
    if as_of is not None:
        return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    last = default_as_of(con)
    if last is None:
        raise AnalysisError("no events to compute SLA facts from: the events table is empty")
    return last


def ensure_event_index(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the event index (in one transaction) unless it is current; define the
    connection's views (``views.sql``) too, for a connection not opened by ``workspace``."""
    create_views(con)
    if _index_current(con):
        return
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:  # the caller's transaction holds the rebuild
        _refresh(con)
        return
    try:
        _refresh(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _refresh(con: duckdb.DuckDBPyConnection) -> None:
    try:
        refresh_event_index(con)
    except duckdb.Error as exc:
        if "read-only" not in str(exc):
            raise
        raise WorkspaceError("the workspace's event index is missing or out of date and the "
                             "workspace is open read-only: open it writable once (any "
                             "`ticketlens sla` or ingest rebuilds it)") from exc


def _index_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the index was built from today's events and case attributes."""
    built = dict(con.execute(
        "SELECT key, value FROM meta WHERE key LIKE 'event_index_%'").fetchall())
    if "event_index_events" not in built or "event_index_last_us" not in built:
        return False
    events, attributes, ticket_tables = con.execute(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM case_attributes), "
        "EXISTS (SELECT 1 FROM sources WHERE format = 'ticket-table')").fetchall()[0]
    if int(built["event_index_events"]) != events:
        return False
    version = built.get("event_index_version")
    if version == EVENT_INDEX_VERSION:
        return int(built.get("event_index_attributes", -1)) == attributes
    # ticketlens 0.1's index (no version): the same tables without attribute-only tickets,
    # rebuilt by every ingest
    return version is None and not ticket_tables


def read_events(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime) -> EventRows:
    """The events at or before ``as_of`` (aware) from the event index, rebuilt first if stale:
    tickets renumbered over those with an event by then (then the attribute-only tickets),
    codes over the values still present, with the policy's recorded creations added."""
    ensure_event_index(con)
    built = dict(con.execute("SELECT key, value FROM meta WHERE key IN "
                             "('event_index_events', 'event_index_last_us')").fetchall())
    n, as_of_us = int(built["event_index_events"]), to_us(as_of)
    whole = as_of_us >= int(built["event_index_last_us"])
    coded = _fetch(con.sql(load_sql(__name__, "events_codes.sql"), params={"as_of_us": as_of_us}), n)
    values: dict[str, list[str]] = {k: [] for k in KINDS}
    for kind, value in con.execute(
            "SELECT kind, value FROM event_values ORDER BY kind, code").fetchall():
        values[kind].append(value)
    n_index = int(con.execute("SELECT count(*) FROM ticket_index").fetchall()[0][0])
    index_tix = None
    if not whole:  # the tickets with an event by then, and the attribute-only ones
        with_events = con.execute("SELECT coalesce(max(tix) + 1, 0) FROM event_codes"
                                  ).fetchall()[0][0]
        index_tix = _keep_tickets(coded, int(with_events), n_index)
    n_total = n_index if index_tix is None else len(index_tix)
    created = policy.lifecycle.created_attribute
    if not whole or created is not None:
        values = _renumber(coded, values, CREATED if created is not None else None)
    rows = EventRows(coded, values, n_total, n_index, index_tix)
    if created is not None:
        _add_recorded_creations(con, rows, policy, as_of)
    if len(rows.coded["tix"]) == 0:
        raise AnalysisError(f"no events at or before {as_of.isoformat()}: choose a later "
                            "--as-of")
    return rows


def _keep_tickets(coded: dict[str, np.ndarray], n_with_events: int,
                  n_index: int) -> np.ndarray:
    """Renumber ``coded["tix"]`` over the tickets with an event read (order kept); the index
    tix of every staged ticket: those, then the attribute-only tickets."""
    present = np.zeros(n_with_events, dtype=bool)
    present[coded["tix"]] = True
    renumber = (np.cumsum(present) - 1).astype(np.int32)
    coded["tix"] = renumber[coded["tix"]]
    return np.r_[np.flatnonzero(present), np.arange(n_with_events, n_index)]


def _renumber(coded: dict[str, np.ndarray], values: dict[str, list[str]],
              extra_activity: str | None) -> dict[str, list[str]]:
    """Per kind: the values the events read still use (and ``extra_activity``), codes
    renumbered over them in value order, as if the index had been built from those events."""
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        codes, known = coded[_CODE_COLUMNS[kind]], values[kind]
        used = np.bincount(codes + 1, minlength=len(known) + 1)[1:] > 0
        kept = [v for v, u in zip(known, used, strict=True) if u]
        if kind == "activity" and extra_activity is not None and extra_activity not in kept:
            insort(kept, extra_activity)  # event_values is in value order: code point order
        out[kind] = kept
        if kept == known:
            continue
        position = {v: i for i, v in enumerate(kept)}
        table = np.full(len(known) + 1, -1, dtype=np.int32)  # last slot: NULL (-1) stays -1
        for code in np.flatnonzero(used):
            table[code] = position[known[code]]
        coded[_CODE_COLUMNS[kind]] = table[codes]
    return out


def _add_recorded_creations(con: duckdb.DuckDBPyConnection, rows: EventRows, policy: Policy,
                            as_of: datetime) -> None:
    """Append a creation event (event_seq -1) at the recorded instant to every staged ticket
    without a creation event at or before ``as_of`` whose recorded instant is by then."""
    found = con.execute(load_sql(__name__, "events_created.sql"), {
        "name": policy.lifecycle.created_attribute, "as_of": as_of}).fetchnumpy()
    tix = rows.staged_tix(np.asarray(found["tix"], dtype=np.int64))
    coded, values = rows.coded, rows.values
    creating = [i for i, a in enumerate(values["activity"]) if a in policy.lifecycle.created]
    has_creation = np.zeros(rows.n_total, dtype=bool)
    has_creation[coded["tix"][np.isin(coded["act"], creating)]] = True
    new = (tix >= 0) & ~has_creation[np.maximum(tix, 0)]
    tix, ts = tix[new], np.asarray(found["ts_us"], dtype=np.int64)[new]
    if not len(tix):
        return
    added = {"tix": tix, "event_seq": np.full(len(tix), -1), "ts_us": ts,
             "act": np.full(len(tix), values["activity"].index(CREATED))}
    for name, column in coded.items():
        coded[name] = np.concatenate(
            [column, added.get(name, np.full(len(tix), -1)).astype(column.dtype)])


def _fetch(relation: duckdb.DuckDBPyRelation, bound: int) -> dict[str, np.ndarray]:
    """The relation's integer columns as numpy arrays, copied batch by batch into arrays
    allocated once (``bound`` rows at most): no whole Arrow table, no second copy of it."""
    reader = relation.to_arrow_reader()
    columns = {field.name: np.empty(bound, dtype=field.type.to_pandas_dtype())
               for field in reader.schema}
    filled = 0
    for batch in reader:
        rows = batch.num_rows
        if filled + rows > bound:
            raise AnalysisError("staging returned more events than the index holds: "
                                "the workspace changed while it was read")
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            columns[name][filled:filled + rows] = column.to_numpy()
        filled += rows
    return {name: values[:filled] for name, values in columns.items()}


def order_events(rows: EventRows, policy: Policy) -> StagedEvents:
    """The events in (ticket, time, event_seq) order as arrays, codes in the policy's terms."""
    coded, values = rows.coded, rows.values
    if not _in_ticket_order(coded):
        order = np.lexsort((coded["event_seq"], coded["ts_us"], coded["tix"]))
        coded = {name: values_[order] for name, values_ in coded.items()}
    counts = np.bincount(coded["tix"])
    # codes stay int32 (DuckDB INTEGER): every table lookup works on them as they are
    act = coded["act"]
    ev = EventArrays(
        tix=coded["tix"],
        ts=coded["ts_us"].astype(np.int64, copy=False),
        act=lookup(_code_map(values["activity"], policy.activities), act),
        prio=lookup(_code_map(values["priority"], policy.priorities), coded["prio"]),
        holder=coded["holder"],
        n_tickets=len(counts),
    )
    raw = RawCodes(priority=coded["prio"], category=coded["cat"], department=coded["dept"])
    dictionaries = Dictionaries(values["activity"], values["priority"], values["person"],
                                values["category"], values["department"])
    return StagedEvents(ev, raw, dictionaries, rows.n_total,
                        np.bincount(act, minlength=len(values["activity"])))


def _in_ticket_order(coded: dict[str, np.ndarray]) -> bool:
    """Whether the events are in (ticket, time, event_seq) order: tickets never decrease and,
    within a ticket, (time, event_seq) increases. The index's (tix, event_seq) order is when
    event_seq follows time, as ingest and ``insert_events`` number it; recorded creations
    (event_seq -1, appended) or a workspace whose event_seq does not follow time fail, and the
    caller sorts."""
    tix, ts, seq = coded["tix"], coded["ts_us"], coded["event_seq"]
    if (tix[1:] < tix[:-1]).any():
        return False
    same_ticket = tix[1:] == tix[:-1]
    later = ts[1:] - ts[:-1]
    if (same_ticket & (later < 0)).any():
        return False
    ties = np.flatnonzero(same_ticket & (later == 0))  # few: compare their event_seq only
    return not (seq[ties + 1] <= seq[ties]).any()


def stage(con: duckdb.DuckDBPyConnection, policy: Policy,
          as_of: datetime) -> tuple[StagedEvents, pa.Array]:
    """The staged events as of ``as_of`` (aware) and every staged ticket's id (tix order)."""
    rows = read_events(con, policy, as_of)
    return order_events(rows, policy), ticket_ids(con, rows)


def ticket_ids(con: duckdb.DuckDBPyConnection, rows: EventRows) -> pa.Array:
    """Every staged ticket's id, in tix order."""
    ids = con.sql("SELECT ticket_id FROM ticket_index ORDER BY tix").to_arrow_table() \
        .column("ticket_id").combine_chunks()
    return ids if rows.index_tix is None else ids.take(pa.array(rows.index_tix))


def verdict_sql(value: str) -> str:
    """SQL reading the text ``value`` (a column or expression) as a source's own verdict
    (ServiceNow made_sla): true, false, or NULL when it reads as neither — in any case
    (TRUE, true, True), blanks around it ignored. The one reading of a verdict: the SLA
    facts and ingest's counts both use it."""
    return (f"CASE WHEN lower(trim({value})) IN ('true', 't', '1', 'yes', 'y') THEN true "
            f"WHEN lower(trim({value})) IN ('false', 'f', '0', 'no', 'n') THEN false END")


_TYPED = {  # how a winning value {v} is read (row by row, as DuckDB reads it)
    "csat": "TRY_CAST({v} AS DOUBLE)",
    "source_made_sla": verdict_sql("{v}"),
}


def ticket_attributes(con: duckdb.DuckDBPyConnection, rows: EventRows) -> dict[str, pa.Array]:
    """Per staged ticket (tix order): the case attributes the facts carry (the index's
    ``ticket_case_values``: the most recently ingested source's), csat read as a number and
    the source's verdict as a boolean (NULL when they do not read as one)."""
    columns = {"team": "team", "system": "system", "channel": "channel", "csat": "csat",
               "source_made_sla": "made_sla"}
    select = ", ".join(_TYPED[out].format(v=name) + f" AS {out}" if out in _TYPED else name
                       for out, name in columns.items())
    table = con.sql(f"SELECT tix, {select} FROM ticket_case_values").to_arrow_table()
    tix = rows.staged_tix(table.column("tix").to_numpy())
    row_of = np.full(rows.n_total, -1, dtype=np.int64)
    kept = tix >= 0
    row_of[tix[kept]] = np.flatnonzero(kept)
    take = pa.array(row_of, mask=row_of < 0)
    return {out: table.column(out).take(take).combine_chunks() for out in columns}


def _code_map(data_values: list[str], vocabulary: tuple[str, ...]) -> np.ndarray:
    """Data code → policy code (-1 when the value is not in the policy's vocabulary)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    table = np.full(len(data_values) + 1, -1, dtype=np.int32)
    for i, value in enumerate(data_values):
        table[i] = position.get(value, -1)
    return table


def insert_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame | pa.Table,
                  source_id: int = 0) -> int:
    """Append events to ``con``'s ``events`` table (e.g. an in-memory workspace).

    ``events`` needs ``ticket_id``, ``timestamp`` (tz-aware, or naive meaning UTC) and
    ``activity``; ``assigned_to``, ``priority``, ``category``, ``department``, ``notes`` and
    ``event_id`` are optional. ``event_seq`` is assigned per ticket by timestamp, stable on the
    given row order, as ingest does. Returns the number of rows inserted. The event index goes
    stale; its next reader rebuilds it.
    """
    table = events if isinstance(events, pa.Table) else pa.Table.from_pandas(
        events, preserve_index=False)
    missing = {"ticket_id", "timestamp", "activity"} - set(table.column_names)
    if missing:
        raise AnalysisError(f"events to insert lack column(s) {', '.join(sorted(missing))}")
    optional = ("assigned_to", "priority", "category", "department", "notes", "event_id")
    present = {c: c if c in table.column_names else "NULL" for c in optional}
    table = table.append_column("_row", pa.array(np.arange(1, table.num_rows + 1)))
    seq = _event_seq(table)
    if seq is None:
        seq_sql = "(row_number() OVER (PARTITION BY ticket_id ORDER BY ts, _row) - 1)::INTEGER"
    else:
        table = table.append_column("_seq", pa.array(seq, pa.int32()))
        seq_sql = "_seq"
    con.register("_sla_insert", table)
    try:
        select = ", ".join(f"CAST({present[c]} AS VARCHAR)" for c in optional)
        con.execute(
            f"""
            INSERT INTO events (ticket_id, event_seq, "timestamp", activity, assigned_to,
                                priority, category, department, notes, event_id, source_id,
                                source_row)
            SELECT ticket_id, {seq_sql}, ts, activity, {select}, ?, _row
            FROM (SELECT *, CAST("timestamp" AS TIMESTAMPTZ) AS ts FROM _sla_insert)
            """,
            [source_id],
        )
    finally:
        con.unregister("_sla_insert")
    return table.num_rows


def _event_seq(table: pa.Table) -> np.ndarray | None:
    """``event_seq`` without a window sort when each ticket's rows already come together and
    in time order (as a generator writes them): the row's place in its run. None otherwise."""
    stamps, ids = table.column("timestamp"), table.column("ticket_id")
    if (not pa.types.is_timestamp(stamps.type) or stamps.null_count or ids.null_count
            or not len(ids)):
        return None
    ids = ids.combine_chunks()
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    changes = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(
        zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, changes])
    if len(starts) != pc.count_distinct(ids).as_py():
        return None  # some ticket's rows are split
    ts = stamps.combine_chunks().cast(pa.int64()).to_numpy()
    if ((np.diff(ts) < 0) & ~changes).any():
        return None  # out of time order within a ticket
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(ids)]))
    return np.arange(len(ids)) - run_start
