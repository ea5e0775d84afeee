"""Conformance: every ticket checked against the reference model of the intended lifecycle.

Each distinct trace (activity sequence without the model's ``anywhere`` steps) is aligned once
with the model (``alignment.py``); tickets inherit their trace's result. A ticket is *fitting*
when its alignment costs nothing: it starts with a start activity, every step is allowed after
the one before, and (with ``strict_end``, or when the ticket is finished) it ends with an end
activity. Deviations are *skipped* (a step the model requires that never happened), *inserted*
(a step the model does not allow there, or does not know), and *out_of_order* (a step that
happened, but at a place the model does not allow it, where it was also missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ticketlens.filters import TicketFilter
from ticketlens.mine.alignment import Alignments, align, build_automaton
from ticketlens.mine.model import ReferenceModel, check_activities, load_model
from ticketlens.mine.source import DbLike, EventLog, event_log, load_sql
from ticketlens.schema import CASE_ATTR_TEAM

_CODE_BASE = 256  # trace characters are chr(256 + code): see stg_conformance_traces.sql
KINDS = ("skipped", "inserted", "out_of_order")


@dataclass(frozen=True)
class Conformance:
    """Conformance of a segment to a reference model. Every table is a pandas DataFrame.

    * ``tickets`` — one row per ticket: ``team``, ``fitting``, ``cost`` (deviations in the
      optimal alignment), ``inserted``, ``skipped``, ``out_of_order`` (counts), ``complete``
      (reached an end activity), ``deviations`` (text, e.g. ``skipped Ticket Assigned``);
    * ``deviations`` — one row per deviation of a distinct trace: ``trace_rank`` (1 = the
      most common trace), ``trace`` (activities),
      ``cases`` (tickets with that trace), ``position`` (0-based index in the trace without
      anywhere steps), ``kind``, ``activity``;
    * ``deviation_summary`` — one row per (``kind``, ``activity``): ``tickets``,
      ``occurrences``, ``share`` of the segment's tickets;
    * ``by_team`` / ``by_technician`` — ``tickets``, ``fitting``, ``conformance_rate``,
      ``with_inserted``, ``with_skipped``, ``with_out_of_order``; a technician counts every
      ticket they held at any event.

    ``unmodelled`` lists the log's activities the model does not name (always inserted).
    """

    tickets: pd.DataFrame
    deviations: pd.DataFrame
    deviation_summary: pd.DataFrame
    by_team: pd.DataFrame
    by_technician: pd.DataFrame
    model: str
    unmodelled: list[str]
    cases: int
    segment: str

    @property
    def fitting(self) -> int:
        return int(self.tickets["fitting"].sum())

    @property
    def rate(self) -> float:
        return self.fitting / len(self.tickets) if len(self.tickets) else float("nan")


def conformance(
    db: DbLike,
    *,
    model: str | Path | ReferenceModel | None = None,
    segment: TicketFilter | None = None,
    strict_end: bool = False,
    progress: bool = False,
) -> Conformance:
    """Check every ticket of ``segment`` against ``model`` (a TOML path; default: the shipped
    ticket lifecycle). Open tickets are checked as far as they got unless ``strict_end``.

    >>> result = conformance("ws.duckdb")  # doctest: +SKIP
    >>> result.rate, result.by_team  # doctest: +SKIP
    """
    reference = model if isinstance(model, ReferenceModel) else load_model(model)
    with event_log(db, segment, progress=progress) as log:
        check_activities(reference, log.workspace_activities())
        activities = log.activities()
        log.con.execute(load_sql("stg_conformance_traces.sql"),
                        {"anywhere": list(reference.anywhere)})
        variants = log.frame("conformance_variants.sql")
        traces, extra = _decode(variants["trace"], activities, reference)
        automaton = build_automaton(reference, strict_end=strict_end)
        with log.step("alignments"):
            aligned = align(traces, automaton, extra)
        results, deviations = _per_trace(variants, aligned, activities)
        log.register("mine_conformance_results", results)
        params = {"team_attribute": CASE_ATTR_TEAM}
        tickets = log.frame("conformance_tickets.sql", {**params, "end": list(reference.end)})
        by_team = log.frame("conformance_by_team.sql", params)
        by_technician = log.frame("conformance_by_technician.sql")
        cases, described = log.cases, log.segment.describe()
        _drop(log)
    modelled = set(reference.activities) | set(reference.anywhere)
    return Conformance(
        tickets=tickets,
        deviations=deviations,
        deviation_summary=_summary(deviations, cases),
        by_team=by_team,
        by_technician=by_technician,
        model=f"{reference.name} ({reference.source})",
        unmodelled=sorted(set(activities) - modelled),
        cases=cases,
        segment=described,
    )


def _drop(log: EventLog) -> None:
    log.con.execute("DROP TABLE IF EXISTS mine_conformance_traces")


def _decode(trace_codes: pd.Series, activities: list[str], model: ReferenceModel
            ) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Trace strings → arrays of model indices (log-only activities after the model's)."""
    model_index = {name: i for i, name in enumerate(model.activities)}
    extra = tuple(a for a in activities if a not in model_index and a not in model.anywhere)
    lookup = np.array([model_index.get(a, len(model_index) + extra.index(a) if a in extra else -1)
                       for a in activities], dtype=np.int64)
    texts = trace_codes.tolist()
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    codes = lookup[points.astype(np.int64) - _CODE_BASE]
    return np.split(codes, np.cumsum(lengths)[:-1]) if len(texts) else [], extra


def _per_trace(variants: pd.DataFrame, aligned: Alignments, activities: list[str]
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    deviations = aligned.deviations
    counts = (pd.crosstab(deviations["trace"], deviations["kind"])
              .reindex(index=range(len(variants)), columns=list(KINDS), fill_value=0))
    labels = deviations["kind"].str.replace("_", "-") + " " + deviations["activity"]
    text = labels.groupby(deviations["trace"]).agg(", ".join)
    results = pd.DataFrame({
        "trace": variants["trace"],
        "fitting": aligned.cost == 0,
        "cost": aligned.cost,
        "inserted": counts["inserted"].to_numpy(),
        "skipped": counts["skipped"].to_numpy(),
        "out_of_order": counts["out_of_order"].to_numpy(),
        "deviations": text.reindex(range(len(variants)), fill_value="").to_numpy(),
    })
    names = np.array(activities, dtype=object)
    decoded = [list(names[np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32) - _CODE_BASE])
               for t in variants["trace"]]
    index = deviations["trace"].to_numpy()
    detail = deviations.assign(
        trace_rank=index + 1,
        cases=variants["cases"].to_numpy()[index],
        trace=[decoded[i] for i in index],
    )[["trace_rank", "trace", "cases", "position", "kind", "activity"]]
    return results, detail


def _summary(deviations: pd.DataFrame, cases: int) -> pd.DataFrame:
    if deviations.empty:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "activity": pd.Series(dtype="str"),
                             "tickets": pd.Series(dtype="int64"),
                             "occurrences": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype="float64")})
    occurrences = deviations.groupby(["kind", "activity"])["cases"].sum()
    tickets = (deviations.drop_duplicates(["trace_rank", "kind", "activity"])
               .groupby(["kind", "activity"])["cases"].sum())
    summary = pd.DataFrame({"tickets": tickets, "occurrences": occurrences}).reset_index()
    summary["share"] = summary["tickets"] / cases if cases else float("nan")
    return summary.sort_values(["tickets", "kind", "activity"], ascending=[False, True, True],
                               ignore_index=True)
