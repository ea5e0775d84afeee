"""The SLA engine: per-ticket facts from a connection holding the workspace ``events`` table.

``compute_facts(con, policy, as_of)`` works on any DuckDB connection with the workspace
schema — a workspace file or ``ticketlens.workspace.connect_memory()`` — and writes nothing
permanent, so the generator's ``sla_metrics`` and ``ticketlens sla`` share one definition of
a breach. Staging and order-free marts are DuckDB SQL (files beside this module); clocks,
waits and hand-offs are numpy over the staged, ticket-ordered events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ticketlens.errors import AnalysisError
from ticketlens.schema import (
    Activity,
    CASE_ATTR_CHANNEL,
    CASE_ATTR_CSAT,
    CASE_ATTR_SOURCE_SLA,
    CASE_ATTR_SYSTEM,
    CASE_ATTR_TEAM,
)
from ticketlens.sla import clocks
from ticketlens.sla.clocks import NO_TIME, Calendars, EventArrays
from ticketlens.sla.policy import Policy, load_policy

NO_CREATION = "no creation event"
CREATED = Activity.CREATED.value  # activity of creation events taken from a recorded attribute
_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


@dataclass
class FactsResult:
    """The facts (one row per ticket) and what the run found about the data."""

    facts: pd.DataFrame
    policy: Policy
    as_of: datetime
    unknown_activities: dict[str, int] = field(default_factory=dict)  # not in the policy: events
    unknown_priorities: dict[str, int] = field(default_factory=dict)  # no target: tickets
    technicians: pd.DataFrame | None = None  # one row per person: the tier the log shows


def _sql(name: str) -> str:
    return files("ticketlens.sla").joinpath(name).read_text(encoding="utf-8")


def column_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def default_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The log's last event, the default as-of instant."""
    row = con.execute('SELECT max("timestamp") FROM events').fetchone()
    return None if row is None or row[0] is None else row[0].astimezone(UTC)


def compute_facts(
    con: duckdb.DuckDBPyConnection,
    policy: str | Policy | None = None,
    as_of: datetime | None = None,
    step: Callable[[str], None] | None = None,
) -> FactsResult:
    """One row per ticket of ``events`` (as of ``as_of``, default the last event): its facts.

    Returns a pandas DataFrame (in a ``FactsResult``); columns are documented in docs/sla.md.
    Temporary tables it creates are dropped before it returns.
    """
    policy = load_policy(policy)
    note = step or (lambda _: None)
    as_of = _aware(as_of) if as_of is not None else default_as_of(con)
    if as_of is None:
        raise AnalysisError("no events to compute SLA facts from: the events table is empty")
    try:
        note("staging events")
        arrays, values = _stage(con, policy, as_of)
        note("running clocks")
        columns = _clock_columns(arrays, policy, as_of)
        note("ticket facts")
        facts = _assemble(con, policy, arrays, values, columns)
    finally:
        for table in ("_sla_events", "_sla_tickets", "_sla_values"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.unregister("_sla_roles")
    unknown_activities = {
        a: n for a, n in values["activity_counts"].items() if a not in set(policy.activities)
    }
    return FactsResult(facts, policy, as_of, unknown_activities, values["unknown_priorities"],
                       values["technicians"])


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stage(con: duckdb.DuckDBPyConnection, policy: Policy,
           as_of: datetime) -> tuple[EventArrays, dict]:
    life = policy.lifecycle
    created = {"created_attribute": life.created_attribute, "created_activity": CREATED}
    con.execute(_sql("stg_tickets.sql"), {"as_of": as_of})
    con.execute(_sql("stg_values.sql"), {"as_of": as_of, **created})
    con.register("_sla_roles", roles_table(policy))
    con.execute(_sql("stg_events.sql"), {"as_of": as_of, **created,
                                         "created_activities": sorted(life.created)})
    coded = con.execute(
        "SELECT tix, event_seq, ts_us, act, prio, holder FROM _sla_events"
    ).fetchnumpy()
    tix = coded["tix"].astype(np.int32)
    # Insertion order is preserved by DuckDB; check it rather than trust it (cheap).
    if len(tix) > 1 and not _ordered(tix, np.asarray(coded["ts_us"])):
        order = np.lexsort((coded["event_seq"], coded["ts_us"], tix))
        coded = {k: np.asarray(v)[order] for k, v in coded.items()}
        tix = tix[order]
    value_rows = con.execute("SELECT kind, value, code FROM _sla_values").fetchall()
    data_values: dict[str, list[str]] = {"activity": [], "priority": [], "person": []}
    for kind, value, _code in value_rows:  # ordered by kind, code
        data_values[kind].append(value)
    activity_to_policy = _code_map(data_values["activity"], policy.activities)
    priority_to_policy = _code_map(data_values["priority"], policy.priorities)
    raw_prio = np.asarray(coded["prio"], dtype=np.int64)
    n_tickets, n_with_events = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE has_events) FROM _sla_tickets").fetchone()  # type: ignore[misc]
    arrays = EventArrays(
        tix=tix,
        ts=np.asarray(coded["ts_us"], dtype=np.int64),
        act=clocks.lookup(activity_to_policy, np.asarray(coded["act"], dtype=np.int64)),
        prio=clocks.lookup(priority_to_policy, raw_prio),
        holder=np.asarray(coded["holder"], dtype=np.int64),
        n_tickets=int(n_with_events),
    )
    counts = dict(con.execute(
        "SELECT activity, count(*) FROM _sla_events GROUP BY activity ORDER BY activity"
    ).fetchall())
    values = {"people": data_values["person"], "raw_prio": raw_prio, "n_tickets": int(n_tickets),
              "activity_counts": counts, "unknown_priorities": {}}
    return arrays, values


def _ordered(tix: np.ndarray, ts: np.ndarray) -> bool:
    dt = np.diff(tix)
    if (dt < 0).any():
        return False
    return not (np.diff(ts)[dt == 0] < 0).any()


def _code_map(data_values: list[str], vocabulary: tuple[str, ...]) -> np.ndarray:
    """Data code → policy code (-1 when the value is not in the policy's vocabulary)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    table = np.full(len(data_values) + 1, -1, dtype=np.int64)
    for i, value in enumerate(data_values):
        table[i] = position.get(value, -1)
    return table


def roles_table(policy: Policy) -> pa.Table:
    """One row per policy activity: what it means to a ticket (read by the SQL marts)."""
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
        "activity": names,
        "is_created": member(life.created),
        "is_first_response": member(life.first_response),
        "is_resolved": member(life.resolved),
        "is_closed": member(life.closed),
        "is_reopened": member(life.reopened),
        "is_assigned": member(life.assigned),
        "is_reassigned": member(life.reassigned),
        "is_de_escalated": member(life.de_escalated),
        "is_priority_changed": member(life.priority_changed),
        "is_hold": member(life.hold),
        "escalation_tier": pa.array(tiers, pa.string()),
        "tier_rank": [life.tiers.index(t) if t else None for t in tiers],
        "lifecycle_kind": pa.array(kinds, pa.string()),
    })


def _clock_columns(ev: EventArrays, policy: Policy, as_of: datetime) -> dict[str, np.ndarray]:
    as_of_us = _to_us(as_of)
    start = int(ev.ts.min()) if len(ev.ts) else as_of_us
    calendars = Calendars.build(policy, start, max(as_of_us, int(ev.ts.max(initial=start))))
    columns: dict[str, np.ndarray] = {}
    for metric in policy.metrics:
        for name, values in clocks.run_clock(ev, policy, metric, calendars, as_of_us).items():
            columns[f"{metric.name}_{name}"] = values
    for wait in policy.waits:
        columns[f"waiting_{wait.name}_s"] = clocks.run_wait(ev, policy, wait, as_of_us)
    resolved = clocks.lookup(clocks.activity_flags(policy, policy.lifecycle.resolved), ev.act)
    columns.update(clocks.holder_facts(ev, resolved))
    columns["reopens"] = clocks.reopen_counts(ev, policy)
    for tier, counts in clocks.escalation_counts(ev, policy).items():
        columns[f"escalations_{column_slug(tier)}"] = counts
    return columns


def _pad(columns: dict[str, np.ndarray], n_total: int) -> dict[str, np.ndarray]:
    """Extend per-ticket columns to the tickets that have no event at all (listed last)."""
    missing = n_total - len(next(iter(columns.values())))
    if missing <= 0:
        return columns
    padded = {}
    for name, values in columns.items():
        if name.endswith("_at"):
            fill: object = NO_TIME
        elif name == "resolver":
            fill = -1
        elif values.dtype == object:
            fill = None
        elif values.dtype.kind == "f":
            fill = np.nan
        else:
            fill = 0
        padded[name] = np.concatenate([values, np.full(missing, fill, dtype=values.dtype)])
    return padded


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _timestamps(us: np.ndarray) -> pd.Series:
    """µs since the epoch → tz-aware UTC timestamps; the sentinels become NaT."""
    values = np.asarray(us, dtype=np.int64)
    invalid = (values == NO_TIME) | (values < 0)
    out = pd.Series(values.astype("datetime64[us]")).dt.tz_localize("UTC")
    out[invalid] = pd.NaT
    return out


def _assemble(con: duckdb.DuckDBPyConnection, policy: Policy, ev: EventArrays, values: dict,
              columns: dict[str, np.ndarray]) -> pd.DataFrame:
    n_total = values["n_tickets"]
    columns = _pad(columns, n_total)
    marts = con.execute(_sql("ticket_facts.sql")).fetch_df().set_index("tix").reindex(
        pd.RangeIndex(n_total))
    for name in ("events", "assignments", "reassignments", "escalations", "de_escalations",
                 "holds", "assignees"):
        marts[name] = marts[name].fillna(0)
    attrs = con.execute(_sql("ticket_attributes.sql"), {
        "team": CASE_ATTR_TEAM, "system": CASE_ATTR_SYSTEM, "channel": CASE_ATTR_CHANNEL,
        "csat": CASE_ATTR_CSAT, "made_sla": CASE_ATTR_SOURCE_SLA,
    }).fetch_df()
    tiers = con.execute(_sql("technician_tiers.sql"),
                        {"entry_tier": policy.lifecycle.entry_tier}).fetch_df()
    people = np.array(values["people"] + [None], dtype=object)
    tier_of_person = np.array([*list(tiers["tier"]), None], dtype=object)
    tier_by_name = dict(zip(tiers["person"], tiers["tier"], strict=True))
    values["technicians"] = pd.DataFrame({"technician": tiers["person"].astype(object),
                                          "tier": tiers["tier"].astype(object)})

    has_creation = marts["created_us"].notna().to_numpy()
    out = pd.DataFrame({"ticket_id": attrs["ticket_id"]})
    out["has_creation"] = has_creation
    out["excluded_reason"] = np.where(has_creation, None, NO_CREATION)
    out["status"] = _status(marts)
    for name in ("priority", "initial_priority", "category", "department"):
        out[name] = _text(marts[name])
    for name in ("team", "system", "channel"):
        out[name] = _text(attrs[name])
    out["csat"] = attrs["csat"].astype(np.float64)
    for name, source in (("created_at", "created_us"), ("first_response_at", "first_response_us"),
                         ("first_resolved_at", "first_resolved_us"),
                         ("resolved_at", "resolved_us"), ("closed_at", "closed_us"),
                         ("last_event_at", "last_event_us")):
        out[name] = _timestamps(marts[source].fillna(-1).astype(np.int64).to_numpy())
    out["events"] = marts["events"].astype(np.int64)
    for name in ("assignments", "reassignments", "escalations"):
        out[name] = marts[name].astype(np.int64)
    for name in [c for c in columns if c.startswith("escalations_")]:
        out[name] = columns[name]
    out["de_escalations"] = marts["de_escalations"].astype(np.int64)
    out["reopens"] = columns["reopens"]
    out["priority_changes"] = _pad({"c": clocks.priority_changes(ev, values["raw_prio"])},
                                   n_total)["c"]
    out["holds"] = marts["holds"].astype(np.int64)
    out["handoffs"] = columns["handoffs"]
    out["assignees"] = marts["assignees"].astype(np.int64)
    out["first_assignee"] = _text(marts["first_assignee"])
    out["final_assignee"] = _text(marts["final_assignee"])
    out["final_tier"] = _text(marts["final_assignee"].map(tier_by_name))
    resolver = columns["resolver"]
    out["resolver"] = clocks.lookup(people, resolver)
    out["resolving_tier"] = clocks.lookup(tier_of_person, resolver)
    resolved = out["resolved_at"].notna()
    fcr = (resolved & (out["escalations"] == 0) & (out["reassignments"] == 0)
           & (out["handoffs"] == 0) & (out["resolver"] == out["first_assignee"]))
    out["fcr"] = pd.array(np.where(resolved & out["resolver"].notna(), fcr, None),
                          dtype="boolean")
    for wait in policy.waits:
        out[f"waiting_{wait.name}_s"] = columns[f"waiting_{wait.name}_s"]
    for metric in policy.metrics:
        _metric_columns(out, policy, metric.name, columns, has_creation)
    out["source_made_sla"] = pd.array(
        [_parse_bool(v) for v in attrs["source_made_sla_text"]], dtype="boolean")
    values["unknown_priorities"] = _unknown_priorities(out, policy)
    return out


def _metric_columns(out: pd.DataFrame, policy: Policy, name: str,
                    columns: dict[str, np.ndarray], has_creation: np.ndarray) -> None:
    """Copy one metric's columns, blank for tickets excluded for want of a creation event."""
    excluded = ~has_creation
    prefix = f"{name}_"
    started = columns[f"{prefix}status"] != "not_started"
    blank = excluded | ~started
    for key in [k for k in columns if k.startswith(prefix)]:
        values = columns[key]
        if key.endswith("_at"):
            series = _timestamps(values)
            series[blank] = pd.NaT
        elif key.endswith("_status"):
            series = pd.Series(np.where(excluded, None, values), dtype=object)
        elif key.endswith("_breached"):
            series = pd.Series(pd.array(np.where(blank, None, values), dtype="boolean"))
        elif key.endswith("_calendar"):
            series = pd.Series(np.where(blank, None, values), dtype=object)
        elif key.endswith("_cycles"):
            series = pd.Series(pd.array(np.where(excluded, None, values), dtype="Int64"))
        else:
            series = pd.Series(np.where(blank, np.nan, values.astype(np.float64)))
        out[key] = series.array


def _text(values: pd.Series) -> np.ndarray:
    """Text as an object array with None for missing (never a float NaN column)."""
    return np.where(values.notna().to_numpy(), values.to_numpy(dtype=object), None)


def _status(marts: pd.DataFrame) -> np.ndarray:
    kind = marts["last_kind"]
    return np.where(kind == "closed", "closed", np.where(kind == "resolved", "resolved", "open"))


def _parse_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _unknown_priorities(out: pd.DataFrame, policy: Policy) -> dict[str, int]:
    known = set(policy.priorities)
    values = out.loc[out["has_creation"], "priority"].fillna("(none)")
    counts = values[~values.isin(known)].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


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
