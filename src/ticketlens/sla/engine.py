"""The SLA engine: per-ticket facts from a connection holding the workspace ``events`` table.

``compute_facts(con, policy, as_of)`` works on any DuckDB connection with the workspace
schema — a workspace file or ``ticketlens.workspace.connect_memory()`` — and writes nothing
permanent, so the generator's ``sla_metrics`` and ``ticketlens sla`` share one definition of
a breach. Staging and order-free marts are DuckDB SQL (files beside this module); clocks,
waits and hand-offs are numpy over the staged, ticket-ordered events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ticketlens.errors import AnalysisError
from ticketlens.schema import (
    CASE_ATTR_CHANNEL,
    CASE_ATTR_CSAT,
    CASE_ATTR_SOURCE_SLA,
    CASE_ATTR_SYSTEM,
    CASE_ATTR_TEAM,
    Activity,
)
from ticketlens.sla import clocks, tickets
from ticketlens.sla.assemble import (
    Dictionaries,
    facts_table,
    metric_counts,
    technicians_table,
    ticket_technicians_table,
    to_pandas,
)
from ticketlens.sla.clocks import Calendars, EventArrays
from ticketlens.sla.policy import Policy, load_policy
from ticketlens.sla.tickets import RawCodes

CREATED = Activity.CREATED.value  # activity of creation events taken from a recorded attribute


@dataclass
class FactsResult:
    """The facts (one row per ticket) and what the run found about the data.

    ``table`` is the Arrow table stored as ``sla_facts``; ``facts`` the same as a pandas
    DataFrame (built on first use).
    """

    table: pa.Table
    policy: Policy
    as_of: datetime
    technicians: pa.Table  # one row per person: the tier the log shows them at
    ticket_technicians: pa.Table  # one row per ticket and person who held it
    unknown_activities: dict[str, int] = field(default_factory=dict)  # not in the policy
    unknown_priorities: dict[str, int] = field(default_factory=dict)  # tickets without target
    metric_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # for sla_summary
    _frame: pd.DataFrame | None = None

    @property
    def facts(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = to_pandas(self.table)
        return self._frame


def _sql(name: str) -> str:
    return files("ticketlens.sla").joinpath(name).read_text(encoding="utf-8")


def default_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The log's last event, the default as-of instant."""
    last = con.execute('SELECT max("timestamp") FROM events').fetchall()[0][0]
    return None if last is None else last.astimezone(UTC)


def compute_facts(
    con: duckdb.DuckDBPyConnection,
    policy: str | Path | Policy | None = None,
    as_of: datetime | None = None,
    step: Callable[[str], None] | None = None,
) -> FactsResult:
    """One row per ticket of ``events`` (as of ``as_of``, default the last event): its facts.

    Works on any connection with the workspace schema (a workspace file, or
    ``connect_memory()`` filled with ``insert_events``); writes nothing permanent. Columns are
    documented in docs/sla.md.
    """
    policy = load_policy(policy)
    note = step or (lambda _: None)
    as_of = _aware(as_of) if as_of is not None else default_as_of(con)
    if as_of is None:
        raise AnalysisError("no events to compute SLA facts from: the events table is empty")
    try:
        note("staging events")
        staged = _stage(con, policy, as_of)
        note("running clocks")
        result = _compute(staged, policy, as_of)
    finally:
        for table in ("_sla_tickets", "_sla_values"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return result


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class _Staged:
    ev: EventArrays
    raw: RawCodes
    dictionaries: Dictionaries
    n_total: int
    ticket_ids: pa.Array
    attributes: dict[str, pa.Array]
    activity_counts: np.ndarray


def _stage(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime) -> _Staged:
    life = policy.lifecycle
    created = {"created_attribute": life.created_attribute, "created_activity": CREATED}
    con.execute(_sql("stg_tickets.sql"), {"as_of": as_of})
    con.execute(_sql("stg_values.sql"), {"as_of": as_of, **created})
    staged = con.sql(_sql("stg_events.sql"), params={
        "as_of": as_of, **created, "created_activities": sorted(life.created)}).to_arrow_table()
    # one buffer per column first: ChunkedArray.to_numpy concatenates far more slowly
    staged = staged.combine_chunks()
    coded = {name: staged.column(name).to_numpy() for name in staged.column_names}
    del staged
    if len(coded["tix"]) == 0:
        raise AnalysisError(f"no events at or before {as_of.isoformat()}: choose a later "
                            "--as-of")
    order = _ticket_order(coded)
    counts = np.bincount(coded["tix"])
    coded = {name: coded[name][order] for name in ("ts_us", "act", "prio", "holder", "cat", "dept")}
    coded["tix"] = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    values: dict[str, list[str]] = {k: [] for k in
                                    ("activity", "priority", "person", "category", "department")}
    for kind, value in con.execute(
            "SELECT kind, value FROM _sla_values ORDER BY kind, code").fetchall():
        values[kind].append(value)
    n_total, n_with_events = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE has_events) FROM _sla_tickets").fetchall()[0]
    ticket_ids = con.sql("SELECT ticket_id FROM _sla_tickets ORDER BY tix").to_arrow_table()
    attributes = _attributes(con, int(n_total))
    # codes stay int32 (DuckDB INTEGER): every table lookup works on them as they are
    act = coded["act"]
    ev = EventArrays(
        tix=coded["tix"],
        ts=coded["ts_us"].astype(np.int64, copy=False),
        act=clocks.lookup(_code_map(values["activity"], policy.activities), act),
        prio=clocks.lookup(_code_map(values["priority"], policy.priorities), coded["prio"]),
        holder=coded["holder"],
        n_tickets=int(n_with_events),
    )
    raw = RawCodes(priority=coded["prio"], category=coded["cat"], department=coded["dept"])
    dictionaries = Dictionaries(values["activity"], values["priority"], values["person"],
                                values["category"], values["department"])
    return _Staged(ev, raw, dictionaries, int(n_total),
                   ticket_ids.column("ticket_id").combine_chunks(), attributes,
                   np.bincount(act, minlength=len(values["activity"])))


def _ticket_order(coded: dict[str, np.ndarray]) -> np.ndarray:
    """The permutation that puts the staged events in (ticket, time, event_seq) order.

    Ingest numbers each ticket's events 0, 1, ... in time order, so ``pos`` (the ticket's
    first place + event_seq) is normally each event's place already: one scatter, checked —
    every place taken once, tickets in order, instants non-decreasing within a ticket. Anything
    else (recorded creation events, a workspace whose event_seq does not follow time) is sorted.
    """
    pos, tix, ts, seq = coded["pos"], coded["tix"], coded["ts_us"], coded["event_seq"]
    n = len(pos)
    if n < 2**31 - 1 and int(seq.min()) >= 0 and int(pos.min()) >= 0 and int(pos.max()) < n:
        order = np.full(n, -1, dtype=np.int32)
        order[pos] = np.arange(n, dtype=np.int32)
        if not (order < 0).any():  # n places, each taken: a permutation
            tix_sorted, ts_sorted = tix[order], ts[order]
            same_ticket = tix_sorted[1:] == tix_sorted[:-1]
            if not ((tix_sorted[1:] < tix_sorted[:-1])
                    | (same_ticket & (ts_sorted[1:] < ts_sorted[:-1]))).any():
                return order
    return np.lexsort((seq, ts, tix))


# the case attributes the facts carry, in ticket_attributes.sql's order
_ATTRIBUTES = ("team", "system", "channel", "csat", "source_made_sla")
_TYPED = {  # how a winning value is read (row by row, as DuckDB reads it)
    "csat": "TRY_CAST(value AS DOUBLE)",
    "source_made_sla": "CASE WHEN lower(trim(value)) IN ('true', 't', '1', 'yes', 'y') THEN true "
                       "WHEN lower(trim(value)) IN ('false', 'f', '0', 'no', 'n') THEN false END",
}


def _attributes(con: duckdb.DuckDBPyConnection, n_total: int) -> dict[str, pa.Array]:
    """Per ticket (tix order): the case attributes the facts carry; when several sources carry
    one for a ticket, the most recently ingested source wins."""
    rows = con.sql(_sql("ticket_attributes.sql"), params={
        "team": CASE_ATTR_TEAM, "system": CASE_ATTR_SYSTEM, "channel": CASE_ATTR_CHANNEL,
        "csat": CASE_ATTR_CSAT, "made_sla": CASE_ATTR_SOURCE_SLA,
    }).to_arrow_table().combine_chunks()
    attribute = rows.column("attribute").to_numpy()
    tix = rows.column("tix").to_numpy()
    source = rows.column("source_id").to_numpy()
    value = rows.column("value")
    out: dict[str, pa.Array] = {}
    for code, column in enumerate(_ATTRIBUTES):
        mine = np.flatnonzero(attribute == code)
        ticket, src = tix[mine], source[mine]
        if len(ticket) and np.bincount(ticket).max() > 1:
            # several sources carry it for some ticket: the greatest source_id wins
            by_source = np.lexsort((src, ticket))
            keep = by_source[np.r_[ticket[by_source][1:] != ticket[by_source][:-1], True]]
        else:
            keep = np.arange(len(ticket))
        winners = value.take(pa.array(mine[keep]))
        if column in _TYPED:
            con.register("_sla_winners", pa.table({"value": winners}))
            try:
                winners = con.sql(f"SELECT {_TYPED[column]} AS v FROM _sla_winners") \
                    .to_arrow_table().column("v").combine_chunks()
            finally:
                con.unregister("_sla_winners")
        row_of = np.full(n_total, -1, dtype=np.int64)
        row_of[ticket[keep]] = np.arange(len(keep))
        out[column] = winners.take(pa.array(row_of, mask=row_of < 0))
    return out


def _code_map(data_values: list[str], vocabulary: tuple[str, ...]) -> np.ndarray:
    """Data code → policy code (-1 when the value is not in the policy's vocabulary)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    table = np.full(len(data_values) + 1, -1, dtype=np.int32)
    for i, value in enumerate(data_values):
        table[i] = position.get(value, -1)
    return table


def roles_table(policy: Policy) -> pa.Table:
    """One row per policy activity: what it means to a ticket (read by SQL, e.g. the KPIs)."""
    life = policy.lifecycle
    names = list(policy.activities)

    def member(group: frozenset[str]) -> list[bool]:
        return [a in group for a in names]

    kinds = []
    for a in names:
        if a in life.closed:
            kinds.append("closed")
        elif a in life.resolved:
            kinds.append("resolved")
        elif a in life.reopened:
            kinds.append("reopened")
        else:
            kinds.append(None)
    tiers = [life.escalated.get(a) for a in names]
    return pa.table({
        "activity": pa.array(names, pa.string()),
        "is_created": member(life.created),
        "is_resolved": member(life.resolved),
        "is_closed": member(life.closed),
        "is_reopened": member(life.reopened),
        "escalation_tier": pa.array(tiers, pa.string()),
        "lifecycle_kind": pa.array(kinds, pa.string()),
    })


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _compute(staged: _Staged, policy: Policy, as_of: datetime) -> FactsResult:
    ev, d = staged.ev, staged.dictionaries
    as_of_us = _to_us(as_of)
    calendars = Calendars.build(policy, int(ev.ts.min()), max(as_of_us, int(ev.ts.max())))
    timeline = clocks.Timeline(ev, calendars, as_of_us)
    metrics = {m.name: clocks.run_clock(timeline, policy, m) for m in policy.metrics}
    waits = {w.name: clocks.run_wait(timeline, policy, w) for w in policy.waits}
    del timeline
    life = tickets.lifecycle(ev, policy, staged.raw)
    held = tickets.ticket_technicians(ev, policy, len(d.people))
    tiers = tickets.technician_tiers(ev, policy, len(d.people))
    ticket_ids = staged.ticket_ids
    table = facts_table(policy, staged.n_total, ticket_ids, staged.attributes, life, held,
                        tiers, tickets.escalation_counts(ev, policy), waits, metrics,
                        calendars.names, d)
    has_creation = table.column("has_creation").to_numpy(zero_copy_only=False)
    made = table.column("source_made_sla")
    source = np.where(made.is_null().to_numpy(zero_copy_only=False), -1,
                      made.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int64))
    counts = {name: metric_counts(clock, staged.n_total, has_creation,
                                  source if name == "resolution" else None)
              for name, clock in metrics.items()}
    known = set(policy.activities)
    unknown_activities = {a: int(n) for a, n in zip(d.activities, staged.activity_counts,
                                                    strict=True) if a not in known and n}
    return FactsResult(
        table=table, policy=policy, as_of=as_of,
        technicians=technicians_table(d, tiers, policy),
        ticket_technicians=ticket_technicians_table(held, ticket_ids, d),
        unknown_activities=unknown_activities,
        unknown_priorities=_unknown_priorities(life, has_creation, policy, d),
        metric_counts=counts,
    )


def _unknown_priorities(life: dict[str, np.ndarray], has_creation: np.ndarray,
                        policy: Policy, d: Dictionaries) -> dict[str, int]:
    """Tickets measured (with a creation event) whose last priority has a target nowhere."""
    targeted = {p for m in policy.metrics for p in m.targets}
    codes = life["priority"][has_creation[: len(life["priority"])]]
    counts = np.bincount(codes + 1, minlength=len(d.priorities) + 1)  # slot 0: no priority
    names = ["(none)", *d.priorities]
    return {names[i]: int(n) for i, n in enumerate(counts) if n and names[i] not in targeted}


def insert_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame | pa.Table,
                  source_id: int = 0) -> int:
    """Append events to ``con``'s ``events`` table (e.g. an in-memory workspace).

    ``events`` needs ``ticket_id``, ``timestamp`` (tz-aware, or naive meaning UTC) and
    ``activity``; ``assigned_to``, ``priority``, ``category``, ``department``, ``notes`` and
    ``event_id`` are optional. ``event_seq`` is assigned per ticket by timestamp, stable on the
    given row order, as ingest does. Returns the number of rows inserted.
    """
    table = events if isinstance(events, pa.Table) else pa.Table.from_pandas(
        events, preserve_index=False)
    missing = {"ticket_id", "timestamp", "activity"} - set(table.column_names)
    if missing:
        raise AnalysisError(f"events to insert lack column(s) {', '.join(sorted(missing))}")
    optional = ("assigned_to", "priority", "category", "department", "notes", "event_id")
    present = {c: c if c in table.column_names else "NULL" for c in optional}
    table = table.append_column("_row", pa.array(np.arange(1, table.num_rows + 1)))
    con.register("_sla_insert", table)
    try:
        select = ", ".join(f"CAST({present[c]} AS VARCHAR)" for c in optional)
        con.execute(
            f"""
            INSERT INTO events (ticket_id, event_seq, "timestamp", activity, assigned_to,
                                priority, category, department, notes, event_id, source_id,
                                source_row)
            SELECT ticket_id,
                   (row_number() OVER (PARTITION BY ticket_id ORDER BY ts, _row) - 1)::INTEGER,
                   ts, activity, {select}, ?, _row
            FROM (SELECT *, CAST("timestamp" AS TIMESTAMPTZ) AS ts FROM _sla_insert)
            """,
            [source_id],
        )
    finally:
        con.unregister("_sla_insert")
    return table.num_rows
