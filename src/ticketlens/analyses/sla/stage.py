"""Staging: the workspace's events as flat numpy arrays in ticket order, and per-ticket text.

Two paths give the same arrays. The fast one (``stage_runs.read_runs``) reads the events as
the workspace stores them and moves each ticket's run into ticket order, checking as it goes
that ingest's layout holds. When a check fails, or the policy records creations from an attribute (events the table does not hold), the
general path (``_read_joined``) joins every event to its ticket and codes and sorts on one
integer (the ticket's first place + event_seq) in DuckDB. numpy then checks (ticket, time)
order, sorting itself only when a workspace's event_seq does not follow time. The SQL files
beside this module state their grain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from ticketlens.analyses.sla.stage_runs import KINDS, read_runs
from ticketlens.clock.assemble import Dictionaries
from ticketlens.clock.clocks import EventArrays, lookup
from ticketlens.clock.policy import Lifecycle, Policy
from ticketlens.clock.tickets import RawCodes
from ticketlens.core.errors import AnalysisError
from ticketlens.core.schema import (
    CASE_ATTR_CHANNEL,
    CASE_ATTR_CSAT,
    CASE_ATTR_SOURCE_SLA,
    CASE_ATTR_SYSTEM,
    CASE_ATTR_TEAM,
    Activity,
)
from ticketlens.workspace.sql import load_sql

CREATED = Activity.CREATED.value  # activity of creation events taken from a recorded attribute
STAGING_TABLES = ("_sla_tickets", "_sla_values")


@dataclass
class EventRows:
    """The staged events as DuckDB returned them (sorted on pos), with the data's values."""

    coded: dict[str, np.ndarray]  # per event: pos, tix, event_seq, ts_us and the codes
    values: dict[str, list[str]]  # per kind: the distinct values, code order
    n_total: int  # tickets, also those known only from case attributes (they come last)
    indexed: bool = False  # read from the workspace's event index (ticket_ids/attributes too)


@dataclass
class StagedEvents:
    """The events of every ticket with an event, ticket-ordered, and the data's values."""

    ev: EventArrays
    raw: RawCodes
    dictionaries: Dictionaries
    n_total: int
    activity_counts: np.ndarray  # events per data activity code


def read_events(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime) -> EventRows:
    """Stage the tickets and values (temp tables, dropped by ``drop_staging``) and read the
    events at or before ``as_of`` with their codes.

    Without a creation attribute, the fast path reads the events as the table stores them
    (``stage_runs.read_runs``) when the workspace keeps each ticket's events as runs in event_seq order,
    as ingest does; otherwise, and for recorded creations (events that are not in the table),
    the general path joins and sorts in SQL (``_read_joined``). Both give the same arrays."""
    life = policy.lifecycle
    rows = _read_indexed(con, life, as_of)
    if rows is None and life.created_attribute is None:
        con.execute(load_sql(__name__, "stg_values.sql"), {"as_of": as_of, "created_attribute": None,
                                             "created_activity": CREATED})
        values, hashes = _values(con)
        fast = read_runs(con, as_of, values, hashes)
        if fast is not None:
            rows = EventRows(fast[0], values, fast[1])
    if rows is None:
        rows = _read_joined(con, life, as_of)
    if len(rows.coded["tix"]) == 0:
        raise AnalysisError(f"no events at or before {as_of.isoformat()}: choose a later "
                            "--as-of")
    return rows


def _read_indexed(con: duckdb.DuckDBPyConnection, life: Lifecycle,
                  as_of: datetime) -> EventRows | None:
    """The events from the workspace's event index (``event_index.sql``: integer codes in
    ticket order, built by ingest), when it holds exactly what the general staging would
    read: it is current (built from today's event count), ``as_of`` leaves no event out, and
    no ticket is known only from attributes or from a recorded creation. None otherwise."""
    if life.created_attribute is not None:
        return None
    built = dict(con.execute("SELECT key, value FROM meta WHERE key IN "
                             "('event_index_events', 'event_index_last_us')").fetchall())
    if len(built) < 2:
        return None
    n = int(built["event_index_events"])
    as_of_us = con.execute("SELECT epoch_us($t::TIMESTAMPTZ)", {"t": as_of}).fetchall()[0][0]
    current = con.execute(
        "SELECT (SELECT count(*) FROM events) = $n AND NOT EXISTS "
        "(SELECT 1 FROM sources WHERE format = 'ticket-table')", {"n": n}).fetchall()[0][0]
    if not current or as_of_us < int(built["event_index_last_us"]) or n == 0:
        return None
    coded = _fetch(con.sql("SELECT tix, event_seq, ts_us, act, prio, holder, cat, dept "
                           "FROM event_codes"), n)
    if len(coded["tix"]) != n:
        return None
    # stored in (tix, event_seq) order, and a scan keeps it (order_events checks it)
    coded["pos"] = np.arange(n, dtype=np.int64)
    values: dict[str, list[str]] = {k: [] for k in KINDS}
    for kind, value in con.execute(
            "SELECT kind, value FROM event_values ORDER BY kind, code").fetchall():
        values[kind].append(value)
    n_total = con.execute("SELECT count(*) FROM ticket_index").fetchall()[0][0]
    return EventRows(coded, values, int(n_total), indexed=True)


def _values(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """Per kind: the staged values in code order, and their hashes."""
    values: dict[str, list[str]] = {k: [] for k in KINDS}
    hashes: dict[str, list[int]] = {k: [] for k in KINDS}
    for kind, value, hashed in con.execute(
            "SELECT kind, value, hash(value) FROM _sla_values ORDER BY kind, code").fetchall():
        values[kind].append(value)
        hashes[kind].append(hashed)
    return values, hashes


def _read_joined(con: duckdb.DuckDBPyConnection, life: Lifecycle,
                 as_of: datetime) -> EventRows:
    """The general staging: every event joined to its ticket and codes, sorted on ``pos``.
    Statements run in the order they always have: a recorded creation shares its ``pos`` with
    another event, DuckDB's order among such ties is not defined (``order_events`` sorts
    them), and the same statements keep it as it was."""
    created = {"created_attribute": life.created_attribute, "created_activity": CREATED}
    con.execute(load_sql(__name__, "stg_tickets.sql"), {"as_of": as_of})
    con.execute(load_sql(__name__, "stg_values.sql"), {"as_of": as_of, **created})
    # at most every event plus one recorded creation per ticket
    bound = con.execute("SELECT coalesce(sum(events), 0) + count(*) FROM _sla_tickets"
                        ).fetchall()[0][0]
    coded = _fetch(con.sql(load_sql(__name__, "stg_events.sql"), params={
        "as_of": as_of, **created, "created_activities": sorted(life.created)}), int(bound))
    values, _ = _values(con)
    n_total = con.execute("SELECT count(*) FROM _sla_tickets").fetchall()[0][0]
    return EventRows(coded, values, int(n_total))


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
            raise AnalysisError("staging returned more events than the tickets hold: "
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
    """Whether the events (sorted on ``pos``) are in (ticket, time, event_seq) order.

    They are when ``pos`` numbers them 0, 1, 2, ... (each place taken once), tickets never
    decrease and instants never decrease within a ticket; ingest's event_seq makes it so.
    Recorded creation events (event_seq -1) or a workspace whose event_seq does not follow
    time fail the check, and the caller sorts.
    """
    pos, tix, ts = coded["pos"], coded["tix"], coded["ts_us"]
    n = len(pos)
    # sorted on pos, so pos is 0, 1, ..., n - 1 when it starts at 0, ends at n - 1, never repeats
    if int(pos[0]) != 0 or int(pos[-1]) != n - 1 or (pos[1:] == pos[:-1]).any():
        return False
    same_ticket = tix[1:] == tix[:-1]
    return not ((tix[1:] < tix[:-1]).any() or (same_ticket & (ts[1:] < ts[:-1])).any())


def ticket_ids(con: duckdb.DuckDBPyConnection, indexed: bool = False) -> pa.Array:
    """Every staged ticket's id, in tix order (``indexed``: staged from the event index)."""
    if indexed:
        return con.sql("SELECT ticket_id FROM ticket_index ORDER BY tix").to_arrow_table() \
            .column("ticket_id").combine_chunks()
    # staging writes the table in tix order, and a scan keeps it: sort only if it did not
    table = con.sql("SELECT ticket_id, tix FROM _sla_tickets").to_arrow_table()
    tix = table.column("tix").to_numpy()
    if not np.array_equal(tix, np.arange(len(tix))):
        table = con.sql("SELECT ticket_id FROM _sla_tickets ORDER BY tix").to_arrow_table()
    return table.column("ticket_id").combine_chunks()


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in STAGING_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# the case attributes the facts carry, in ticket_attributes.sql's order
_ATTRIBUTES = ("team", "system", "channel", "csat", "source_made_sla")
_TYPED = {  # how a winning value {v} is read (row by row, as DuckDB reads it)
    "csat": "TRY_CAST({v} AS DOUBLE)",
    "source_made_sla": "CASE WHEN lower(trim({v})) IN ('true', 't', '1', 'yes', 'y') THEN true "
                       "WHEN lower(trim({v})) IN ('false', 'f', '0', 'no', 'n') THEN false END",
}


def ticket_attributes(con: duckdb.DuckDBPyConnection, n_total: int,
                      indexed: bool = False) -> dict[str, pa.Array]:
    """Per ticket (tix order): the case attributes the facts carry; when several sources carry
    one for a ticket, the most recently ingested source wins (``indexed``: read from the
    event index's ``ticket_case_values``, which ingest resolved that way)."""
    if indexed:
        return _indexed_attributes(con, n_total)
    rows = con.sql(load_sql(__name__, "ticket_attributes.sql"), params={
        "team": CASE_ATTR_TEAM, "system": CASE_ATTR_SYSTEM, "channel": CASE_ATTR_CHANNEL,
        "csat": CASE_ATTR_CSAT, "made_sla": CASE_ATTR_SOURCE_SLA,
    }).to_arrow_table()
    attribute = rows.column("attribute").to_numpy()
    tix = rows.column("tix").to_numpy()
    source = rows.column("source_id").to_numpy()
    value = rows.column("value")  # left in DuckDB's batches: take() reads across them
    row_of = np.empty(n_total, dtype=np.int64)
    out: dict[str, pa.Array] = {}
    for code, column in enumerate(_ATTRIBUTES):
        mine = np.flatnonzero(attribute == code)  # its rows
        ticket = tix[mine]
        if len(ticket) and np.bincount(ticket).max() > 1:
            # several sources carry it for some ticket: the greatest source_id wins
            by_source = np.lexsort((source[mine], ticket))
            last = np.r_[ticket[by_source][1:] != ticket[by_source][:-1], True]
            mine = mine[by_source[last]]
            ticket = tix[mine]
        row_of.fill(-1)
        row_of[ticket] = mine
        values = value.take(pa.array(row_of, mask=row_of < 0))
        if column in _TYPED:
            con.register("_sla_winners", pa.table({"value": values}))
            try:
                values = con.sql(f"SELECT {_TYPED[column].format(v='value')} AS v "
                                 "FROM _sla_winners") \
                    .to_arrow_table().column("v")
            finally:
                con.unregister("_sla_winners")
        out[column] = values.combine_chunks()
    return out


def _indexed_attributes(con: duckdb.DuckDBPyConnection, n_total: int) -> dict[str, pa.Array]:
    columns = {"team": "team", "system": "system", "channel": "channel", "csat": "csat",
               "source_made_sla": "made_sla"}
    select = ", ".join(_TYPED[out].format(v=name) + f" AS {out}" if out in _TYPED else name
                       for out, name in columns.items())
    table = con.sql(f"SELECT tix, {select} FROM ticket_case_values").to_arrow_table()
    row_of = np.full(n_total, -1, dtype=np.int64)
    row_of[table.column("tix").to_numpy()] = np.arange(table.num_rows)
    rows = pa.array(row_of, mask=row_of < 0)
    return {out: table.column(out).take(rows).combine_chunks() for out in columns}


def _code_map(data_values: list[str], vocabulary: tuple[str, ...]) -> np.ndarray:
    """Data code → policy code (-1 when the value is not in the policy's vocabulary)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    table = np.full(len(data_values) + 1, -1, dtype=np.int32)
    for i, value in enumerate(data_values):
        table[i] = position.get(value, -1)
    return table


