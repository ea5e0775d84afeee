"""What each source can measure, decided once per source and metric from its roles and events.

A figure a source cannot support is "not measurable" with a reason, never a number borrowed
from another event (a response time that is the resolution time, a 0.0 % reopen rate from a
table with no history):

* a first-response metric (FRT, an SLA metric stopped by ``first_response``) needs an event
  that can be a first response other than the resolution or closure itself, for some ticket
  (a ticket resolved at first contact in a source that records responses still counts);
* reopens need a reopen activity (by its roles, or among its events), escalations an
  escalation activity; a ticket table (one row per ticket) has no history for either, nor for
  first-contact resolution.

``measurability`` returns the table stored beside the SLA facts (one row per source and
metric) and, per metric, which tickets to leave NULL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ticketlens.clock.assemble import ESCALATIONS, FCR, FIRST_RESPONSE, REOPENS
from ticketlens.clock.policy import DEFAULT_PRESET, Policy, load_policy
from ticketlens.workspace.roles import read_roles
from ticketlens.workspace.sql import tables_exist

TABLE = "measurability"
NO_RESPONSES = "the source has no first-response events"
NO_HISTORY = "the source has no history"
NO_REOPENS = "the source records no reopens"
NO_ESCALATIONS = "the source records no escalations"
COLUMNS = ("source_id", "source", "metric", "measurable", "reason")


@dataclass(frozen=True)
class Measurability:
    """Per source and metric: measurable, or why not (``table``); per metric not measurable
    in some source, the reason shown (the first source's) and the sources concerned."""

    table: pd.DataFrame
    not_measurable: dict[str, str] = field(default_factory=dict)  # metric -> reason
    everywhere: frozenset[str] = frozenset()  # metrics no source measures
    sources: dict[str, tuple[int, ...]] = field(default_factory=dict)  # metric -> source ids

    def reason(self, metric: str) -> str | None:
        """``not measurable: …`` when no source measures ``metric``, else None."""
        return f"not measurable: {self.not_measurable[metric]}" \
            if metric in self.everywhere else None

    def ticket_masks(self, con: duckdb.DuckDBPyConnection,
                     ids: pa.Array) -> dict[str, np.ndarray]:
        """Per metric not measurable somewhere, per ticket (``ids`` order): True where every
        source of the ticket's events cannot measure it. One pass over the events per distinct
        set of sources (metrics not measured by the same sources share it)."""
        by_sources: dict[tuple[int, ...], np.ndarray] = {}
        masks = {}
        for metric, sources in self.sources.items():
            if metric in self.everywhere:
                masks[metric] = np.ones(len(ids), dtype=bool)
                continue
            if sources not in by_sources:
                tickets = con.sql(
                    "SELECT ticket_id FROM events GROUP BY ticket_id "
                    "HAVING bool_and(list_contains($s, source_id))",
                    params={"s": list(sources)}).to_arrow_table().column(0)
                found = pc.is_in(ids.cast(pa.string()), value_set=tickets.combine_chunks()
                                 .cast(pa.string()))
                by_sources[sources] = found.fill_null(False).to_numpy(zero_copy_only=False)
            masks[metric] = by_sources[sources]
        return masks

    def reasons(self) -> dict[str, str | None]:
        """metric -> ``not measurable: …`` or None, for JSON output."""
        return {m: self.reason(m) for m in self.table["metric"].unique()} \
            if len(self.table) else {}


def response_metrics(policy: Policy) -> tuple[str, ...]:
    """The policy's SLA metrics stopped by a first response (not by a resolution or closure):
    read from the roles its TOML names, as the bound activity sets may overlap."""
    names = []
    for metric in policy.metrics:
        raw = policy.raw.get("metrics", {}).get(metric.name, {}) if policy.raw else {}
        stop = set(raw.get("stop", []))
        if "first_response" in stop and not stop & {"resolution", "closure"}:
            names.append(metric.name)
    return tuple(names)


def measurability(con: duckdb.DuckDBPyConnection, policy: Policy) -> Measurability:
    """Decide, per source with events, which metrics of ``policy`` (bound to the workspace's
    roles) it can measure (see the module's docstring)."""
    life = policy.lifecycle
    ends = life.resolved | life.closed
    sources = _sources(con)
    declared = _declared_roles(con)
    rows = []
    for source_id, name, events, grain in sources:
        roles = declared.get(source_id, {})
        history = grain != "ticket"
        # what the source can record: an event log, every activity its roles declare (all
        # the policy's when none are stored for it); a ticket table, only the events it has
        activities = events | (roles.get("*", set(policy.activities)) if history else set())
        found = {
            FIRST_RESPONSE: (bool((life.first_response - ends) & activities), NO_RESPONSES),
            REOPENS: (history and bool(roles.get("reopen", set()) | (life.reopened & activities)),
                      NO_HISTORY if not history else NO_REOPENS),
            ESCALATIONS: (history and bool(roles.get("escalation", set())
                                           | (set(life.escalated) & activities)),
                          NO_HISTORY if not history else NO_ESCALATIONS),
            FCR: (history, NO_HISTORY),
        }
        for metric in response_metrics(policy):
            stop = policy.metric(metric).stop  # type: ignore[union-attr]
            found[metric] = (bool((stop - ends) & activities), NO_RESPONSES)
        for metric, (ok, why) in found.items():
            rows.append((source_id, name, metric, ok, None if ok else why))
    return _summarised(pd.DataFrame(rows, columns=list(COLUMNS)))


def _summarised(table: pd.DataFrame) -> Measurability:
    """Per metric not measurable somewhere: its reason (each source's, named, when they
    differ) and the sources concerned."""
    bad = table[~table["measurable"].astype(bool)] if len(table) else table
    not_measurable, by_metric = {}, {}
    for metric, group in bad.groupby("metric"):
        reasons = list(dict.fromkeys(group["reason"].astype(str)))
        not_measurable[metric] = reasons[0] if len(reasons) == 1 else "; ".join(
            f"{name}: {reason}" for name, reason in zip(group["source"], group["reason"],
                                                         strict=True))
        by_metric[metric] = tuple(int(s) for s in group["source_id"])
    sources = table["source_id"].nunique() if len(table) else 0
    everywhere = frozenset(m for m, ids in by_metric.items() if len(ids) == sources)
    return Measurability(table, not_measurable, everywhere, by_metric)


def _sources(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, set[str], str]]:
    """(source id, name, activities of its events, row grain) per source with events."""
    has_sources = tables_exist(con, "sources")
    join = ("LEFT JOIN sources s USING (source_id)" if has_sources else "")
    name = "coalesce(s.name, 'source #' || e.source_id)" if has_sources \
        else "'source #' || e.source_id"
    details = "any_value(s.details)" if has_sources else "NULL"
    rows = con.execute(f"""
        SELECT e.source_id, any_value({name}), list(DISTINCT e.activity), {details}
        FROM events e {join} GROUP BY e.source_id ORDER BY e.source_id""").fetchall()
    return [(int(s), str(n), set(a), _grain(d)) for s, n, a, d in rows]


def _grain(details: str | None) -> str:
    try:
        return str(json.loads(details).get("row_grain", "event")) if details else "event"
    except (ValueError, AttributeError):
        return "event"


def _declared_roles(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, set[str]]]:
    """source id -> role -> activities its stored roles give it (``*``: every activity they
    declare)."""
    if not tables_exist(con, "activity_roles"):
        return {}
    out: dict[int, dict[str, set[str]]] = {}
    for source_id, role, activity in con.execute(
            "SELECT source_id, role, activity FROM activity_roles").fetchall():
        roles = out.setdefault(int(source_id), {})
        roles.setdefault("*", set()).add(activity)
        if role in ("reopen", "escalation"):
            roles.setdefault(role, set()).add(activity)
    return out


def history_not_measurable(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """``reopens`` / ``escalations`` -> ``not measurable: …`` when no source of the workspace
    can record them (for ``mine``, which runs no SLA policy: the roles decide alone)."""
    measured = measurability(con, load_policy(DEFAULT_PRESET, read_roles(con)))
    return {m: r for m in (REOPENS, ESCALATIONS) if (r := measured.reason(m))}


__all__ = ["ESCALATIONS", "FCR", "FIRST_RESPONSE", "REOPENS", "TABLE", "Measurability",
           "history_not_measurable", "measurability", "response_metrics",
           "stored_measurability"]


def stored_measurability(con: duckdb.DuckDBPyConnection) -> Measurability:
    """The ``measurability`` table the SLA facts were stored with (empty when absent: a
    workspace of an older ticketlens, where every metric counts as measurable)."""
    if not tables_exist(con, TABLE):
        return Measurability(pd.DataFrame(columns=list(COLUMNS)))
    return _summarised(con.execute(f"SELECT * FROM {TABLE} ORDER BY source_id, metric")
                       .fetch_df())
