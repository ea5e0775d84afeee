"""The facts as Arrow tables: per-ticket columns from numpy arrays and code dictionaries.

Text columns come back from integer codes by a dictionary ``take`` (C++), timestamps and
numbers wrap the numpy buffers, missing values become Arrow nulls (never NaN or a sentinel).
Grain and columns of each table are documented in docs/sla.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ticketlens.clock.clocks import NO_TIME, STATUS_NAMES
from ticketlens.clock.policy import Policy
from ticketlens.clock.tickets import CLOSED, RESOLVED, TicketTechnicians

NO_CREATION = "no creation event"
# Keys of the per-ticket "not measurable" masks facts_table takes (workspace/measurability.py
# decides them per source), besides the SLA metrics' names.
FIRST_RESPONSE = "first_response_time"
REOPENS = "reopens"
ESCALATIONS = "escalations"
FCR = "fcr"
TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass
class Dictionaries:
    """The data's distinct values per text column; codes index these."""

    activities: list[str]
    priorities: list[str]
    people: list[str]
    categories: list[str]
    departments: list[str]


def pad(values: np.ndarray, n_total: int, fill: object) -> np.ndarray:
    """Extend a per-ticket array to the tickets without any event (they come last)."""
    missing = n_total - len(values)
    if missing <= 0:
        return values
    return np.concatenate([values, np.full(missing, fill, dtype=values.dtype)])


def text(codes: np.ndarray, dictionary: Sequence[str | None]) -> pa.Array:
    """Codes → a dictionary-encoded string column (no copy of the text; DuckDB stores it as
    VARCHAR). -1 is NULL."""
    codes = np.asarray(codes, dtype=np.int32)
    if not len(dictionary):
        return pa.nulls(len(codes), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                          pa.array(list(dictionary), pa.string()))


# The first instant of year 1 and the last of year 9999: one outside (the deadline of a ticket
# opened in 9999's last days) cannot be shown or written by Python, pandas or a CSV reader, so
# it is stored as NULL. Instants before 1970 are negative and as real as any other.
FIRST_INSTANT_US = int(np.datetime64("0001-01-01", "us").astype(np.int64))
LAST_INSTANT_US = int(np.datetime64("10000-01-01", "us").astype(np.int64)) - 1


def instants(us: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """µs since the epoch → a UTC timestamp column; NO_TIME ("none") is NULL."""
    us = np.ascontiguousarray(us, dtype=np.int64)
    missing = (us == NO_TIME) | (us < FIRST_INSTANT_US) | (us > LAST_INSTANT_US)
    if blank is not None:
        missing |= blank
    return _with_nulls(us, TIMESTAMP, missing)


def numbers(values: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values) if blank is None else np.isnan(values) | blank
    return _with_nulls(values, pa.float64(), missing)


def _with_nulls(values: np.ndarray, type_: pa.DataType, missing: np.ndarray) -> pa.Array:
    """``values`` as an Arrow array of ``type_`` over the same memory (a million-row column
    is 8 MB that need not be copied); NULL where ``missing``."""
    data = pa.py_buffer(values)
    nulls = int(np.count_nonzero(missing))
    if not nulls:
        return pa.Array.from_buffers(type_, len(values), [None, data], null_count=0)
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(type_, len(values), [validity, data], null_count=nulls)


def flags(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), pa.bool_(), mask=~valid)


def metric_counts(clock: dict[str, np.ndarray], n_total: int, has_creation: np.ndarray,
                  source: np.ndarray | None,
                  unmeasured: np.ndarray | None = None) -> dict[str, int]:
    """What ``sla_summary`` reports for one metric (``source``: the source's own "made SLA"
    verdict per ticket, 1/0, -1 unknown; compared only for the resolution metric;
    ``unmeasured``: tickets whose source cannot measure the metric, counted apart)."""
    status = pad(clock["status"], n_total, 0)
    not_measurable = has_creation & unmeasured if unmeasured is not None \
        else np.zeros(n_total, dtype=bool)
    measured = has_creation & ~not_measurable
    verdict = pad(clock["has_verdict"], n_total, False) & measured & (status > 0)
    breached = pad(clock["breached"], n_total, False) & verdict
    is_open = measured & ((status == 1) | (status == 2))
    counts = {
        "tickets": n_total,
        "excluded_no_creation": int((~has_creation).sum()),
        "not_measurable": int(not_measurable.sum()),
        "not_started": int((measured & (status == 0)).sum()),
        "with_target": int(verdict.sum()),
        "no_target": int((measured & (status > 0) & ~verdict).sum()),
        "stopped": int((measured & (status == 3)).sum()),
        "open": int(is_open.sum()),
        "breached": int(breached.sum()),
        "open_breached": int((breached & is_open).sum()),
        "source_verdicts": 0,
        "agree_with_source": 0,
    }
    if source is not None:
        compared = verdict & (source >= 0)
        counts["source_verdicts"] = int(compared.sum())
        counts["agree_with_source"] = int((compared & ((source == 1) == ~breached)).sum())
    return counts


def facts_table(policy: Policy, n_total: int, ticket_ids: pa.Array,
                attributes: dict[str, pa.Array],
                life: dict[str, np.ndarray], held: TicketTechnicians, tiers: np.ndarray,
                escalations: dict[str, np.ndarray], waits: dict[str, np.ndarray],
                metrics: dict[str, dict[str, np.ndarray]], calendar_names: Sequence[str],
                d: Dictionaries,
                unmeasured: Mapping[str, np.ndarray] | None = None) -> pa.Table:
    """One row per ticket (``tix`` order). ``unmeasured``: per metric key (``FIRST_RESPONSE``,
    ``REOPENS``, ``ESCALATIONS``, ``FCR``, an SLA metric's name), the tickets whose source
    cannot measure it: NULL there, never a number borrowed from another event."""
    life = _padded(life, n_total)
    none = np.zeros(n_total, dtype=bool)
    masks = {k: pad(np.asarray(v, dtype=bool), n_total, False)
             for k, v in (unmeasured or {}).items()}
    no_escalations = masks.get(ESCALATIONS, none)
    resolver = pad(held.resolver, n_total, -1)
    handoffs = pad(held.handoffs, n_total, 0)
    assignees = pad(held.assignees, n_total, 0)
    has_creation = _has_creation(life)
    tier_names = list(policy.lifecycle.tiers)
    tier_of = np.append(tiers, -1)  # person code -1 → unknown tier

    columns: dict[str, pa.Array] = {
        "ticket_id": ticket_ids,
        "has_creation": pa.array(has_creation),
        "excluded_reason": text(np.where(has_creation, -1, 0), [NO_CREATION]),
        "status": text(np.where(life["last_kind"] == CLOSED, 2,
                                np.where(life["last_kind"] == RESOLVED, 1, 0)),
                       ["open", "resolved", "closed"]),
        "priority": text(life["priority"], d.priorities),
        "initial_priority": text(life["initial_priority"], d.priorities),
        "category": text(life["category"], d.categories),
        "department": text(life["department"], d.departments),
        "team": attributes["team"],
        "system": attributes["system"],
        "channel": attributes["channel"],
        "csat": attributes["csat"],
        "created_at": instants(life["created_us"]),
        "first_response_at": instants(life["first_response_us"], masks.get(FIRST_RESPONSE)),
        "first_resolved_at": instants(life["first_resolved_us"]),
        "resolved_at": instants(life["resolved_us"]),
        "closed_at": instants(life["closed_us"]),
        "last_event_at": instants(life["last_event_us"]),
        "events": pa.array(life["events"], pa.int64()),
        "assignments": pa.array(life["assignments"], pa.int64()),
        "reassignments": pa.array(life["reassignments"], pa.int64()),
        "escalations": pa.array(life["escalations"], pa.int64(), mask=no_escalations),
    }
    # one column per tier above the entry tier, whatever the source escalates to: a stable
    # schema (0 where a tier is never reached, NULL where escalations are not measurable)
    life_rules = policy.lifecycle
    entry = life_rules.entry_tier or (life_rules.tiers[0] if life_rules.tiers else None)
    for tier in (t for t in life_rules.tiers if t != entry):
        counts = escalations.get(tier, np.zeros(n_total, dtype=np.int64))
        columns[f"escalations_{_slug(tier)}"] = pa.array(pad(counts, n_total, 0), pa.int64(),
                                                         mask=no_escalations)
    for name in ("de_escalations", "reopens", "priority_changes", "holds"):
        mask = masks.get(ESCALATIONS if name == "de_escalations" else REOPENS, none) \
            if name in ("de_escalations", "reopens") else None
        columns[name] = pa.array(life[name], pa.int64(), mask=mask)
    resolved = life["resolved_us"] != NO_TIME
    fcr = ((life["escalations"] == 0) & (life["reassignments"] == 0) & (handoffs == 0)
           & (resolver == life["first_assignee"]))
    columns.update({
        "handoffs": pa.array(handoffs, pa.int64()),
        "assignees": pa.array(assignees, pa.int64()),
        "first_assignee": text(life["first_assignee"], d.people),
        "final_assignee": text(life["final_assignee"], d.people),
        "final_tier": text(tier_of[life["final_assignee"]], tier_names),
        "resolver": text(resolver, d.people),
        "resolving_tier": text(tier_of[resolver], tier_names),
        "fcr": flags(fcr, resolved & (resolver >= 0) & ~masks.get(FCR, none)),
    })
    for name, seconds in waits.items():
        columns[f"waiting_{name}_s"] = numbers(pad(seconds, n_total, 0.0))
    for name, clock in metrics.items():
        columns.update(_metric(name, clock, n_total, has_creation, calendar_names,
                               masks.get(name)))
    columns["source_made_sla"] = attributes["source_made_sla"]
    return pa.table(columns)


_CODES = ("priority", "initial_priority", "category", "department", "first_assignee",
          "final_assignee")


def _padded(life: dict[str, np.ndarray], n_total: int) -> dict[str, np.ndarray]:
    """Tickets without any event: no instants (NO_TIME), no codes (-1), zero counts."""
    return {k: pad(v, n_total, NO_TIME if k.endswith("_us") else -1 if k in _CODES else 0)
            for k, v in life.items()}


def _has_creation(life: dict[str, np.ndarray]) -> np.ndarray:
    return life["created_us"] != NO_TIME


def metric_table(n_total: int, ticket_ids: pa.Array, life: dict[str, np.ndarray],
                 name: str, clock: dict[str, np.ndarray], calendar_names: Sequence[str],
                 d: Dictionaries) -> pa.Table:
    """One row per ticket (``tix`` order): the ``facts_table`` columns of one metric with the
    ticket's creation, first response, last resolution and last priority (from
    ``tickets.key_instants``)."""
    life = _padded(life, n_total)
    has_creation = _has_creation(life)
    return pa.table({
        "ticket_id": ticket_ids,
        "has_creation": pa.array(has_creation),
        "priority": text(life["priority"], d.priorities),
        "created_at": instants(life["created_us"]),
        "first_response_at": instants(life["first_response_us"]),
        "resolved_at": instants(life["resolved_us"]),
        **_metric(name, clock, n_total, has_creation, calendar_names),
    })


def _metric(name: str, clock: dict[str, np.ndarray], n_total: int, has_creation: np.ndarray,
            calendar_names: Sequence[str],
            unmeasured: np.ndarray | None = None) -> dict[str, pa.Array]:
    """One metric's columns; blank for tickets excluded for want of a creation event or
    whose source cannot measure the metric, and (except status and cycles) for clocks that
    never started."""
    status = pad(clock["status"], n_total, 0)
    excluded = ~has_creation if unmeasured is None else ~has_creation | unmeasured
    blank = excluded | (status == 0)
    out: dict[str, pa.Array] = {}
    for key, values in clock.items():
        column = f"{name}_{key}"
        if key == "has_verdict":
            continue
        if key == "status":
            out[column] = text(np.where(excluded, -1, status), STATUS_NAMES)
        elif key == "calendar":
            out[column] = text(np.where(blank, -1, pad(values, n_total, -1)), calendar_names)
        elif key == "breached":
            valid = pad(clock["has_verdict"], n_total, False) & ~blank
            out[column] = flags(pad(values, n_total, False), valid)
        elif key == "cycles":
            out[column] = pa.array(pad(values, n_total, 0), pa.int64(), mask=excluded)
        elif key.endswith("_at"):
            out[column] = instants(pad(values, n_total, NO_TIME), blank)
        else:
            out[column] = numbers(pad(values, n_total, np.nan), blank)
    return out


def _slug(text_: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text_.lower()).strip("_")


def technicians_table(d: Dictionaries, tiers: np.ndarray, policy: Policy) -> pa.Table:
    """One row per person seen holding a ticket: their tier (from a roster, else as the log shows)."""
    return pa.table({"technician": pa.array(d.people, pa.string()),
                     "tier": text(tiers, list(policy.lifecycle.tiers))})


def ticket_technicians_table(held: TicketTechnicians, ticket_ids: pa.Array,
                             d: Dictionaries) -> pa.Table:
    """One row per ticket and person who held it: resolutions (and how many were later
    reopened) and escalations they raised on it."""
    return pa.table({
        "ticket_id": pa.DictionaryArray.from_arrays(pa.array(held.tix.astype(np.int32)),
                                                    ticket_ids),
        "technician": text(held.person, d.people),
        "resolutions": pa.array(held.resolutions, pa.int64()),
        "resolutions_reopened": pa.array(held.resolutions_reopened, pa.int64()),
        "escalations_raised": pa.array(held.escalations_raised, pa.int64()),
    })


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """pandas view of a facts table: plain strings, and nullable booleans and integers that
    keep their NULLs."""
    # Text goes straight to large_string, what pandas' str dtype holds (it would cast a string
    # column again: a second copy of every text). No split_blocks: its zero-copy columns are
    # read-only and pandas then fails to set values in them.
    nullable_ints = []
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type) or pa.types.is_string(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.large_string()))
        elif pa.types.is_integer(field.type) and table.column(i).null_count:
            nullable_ints.append(field.name)
    frame = table.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    for name in nullable_ints:
        column = table.column(name)
        frame[name] = column.to_pandas(types_mapper={column.type: pd.Int64Dtype()}.get)
    return frame
