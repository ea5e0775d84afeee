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

from ticketlens.analyses.mine.alignment import Alignments, align, build_automaton
from ticketlens.analyses.mine.discover import reference_model
from ticketlens.analyses.mine.model import (
    ModelKind,
    ReferenceModel,
    check_activities,
    load_model,
)
from ticketlens.analyses.mine.source import event_log
from ticketlens.core.errors import AnalysisError
from ticketlens.core.schema import CASE_ATTR_TEAM
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

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
    ``model_kind`` says where the model came from: ``file`` (the caller's), ``declared`` (the
    shipped lifecycle of the ticketlens vocabulary) or ``discovered`` (from the log itself, for
    a log without a declared model); ``model_how`` says how it was chosen or made.
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
    model_kind: ModelKind = "file"
    model_how: str = ""

    @property
    def fitting(self) -> int:
        return int(self.tickets["fitting"].sum())

    @property
    def rate(self) -> float:
        return self.fitting / len(self.tickets) if len(self.tickets) else float("nan")


def conformance(
    db: WorkspaceLike,
    *,
    model: str | Path | ReferenceModel | None = None,
    segment: TicketFilter | None = None,
    strict_end: bool = False,
    coverage: float | None = None,
    min_frequency: int | None = None,
    progress: bool = False,
) -> Conformance:
    """Check every ticket of ``segment`` against ``model`` (a TOML path or a ``ReferenceModel``).
    Without one: the workspace's declared model (the shipped lifecycle, for a log in the
    ticketlens vocabulary), else a model discovered from the whole log with ``coverage``
    (default 0.8) and ``min_frequency`` (default 1); either slider asks for discovery
    (``discover.py``). Open tickets are checked as far as they got unless ``strict_end``.

    >>> result = conformance("ws.duckdb")  # doctest: +SKIP
    >>> result.model_kind, result.rate, result.by_team  # doctest: +SKIP
    """
    reference = _reference(db, model, coverage, min_frequency, progress)
    with event_log(db, segment, progress=progress) as log:
        check_activities(reference, log.workspace_activities())
        log.prepare_traces(skip=reference.anywhere)
        log.run_script("stg_conformance.sql")
        traces = log.frame("conformance_traces.sql")
        automaton = build_automaton(reference, strict_end=strict_end)
        encoded, extra = _encode(traces["activities"], reference)
        with log.step("alignments"):
            aligned = align(encoded, automaton, extra)
        results, deviations = _per_trace(traces, aligned, reference)
        log.register("mine_conformance_results", results)
        params = {"team_attribute": CASE_ATTR_TEAM}
        tickets = log.frame("conformance_tickets.sql", params)
        by_team = log.frame("conformance_by_team.sql", params)
        by_technician = log.frame("conformance_by_technician.sql")
        cases, described = log.cases, log.segment.describe()
        activities = log.activities()
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
        model_kind=reference.kind,
        model_how=reference.how,
    )


def _reference(db: WorkspaceLike, model: str | Path | ReferenceModel | None,
               coverage: float | None, min_frequency: int | None,
               progress: bool) -> ReferenceModel:
    if model is None:
        return reference_model(db, coverage=coverage, min_frequency=min_frequency,
                               progress=progress)
    if coverage is not None or min_frequency is not None:
        raise AnalysisError("coverage and min_frequency discover a model from the log; they "
                            "cannot apply to a model that is given: pass one or the other")
    return model if isinstance(model, ReferenceModel) else load_model(model)


def _encode(traces: pd.Series, model: ReferenceModel
            ) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Activity sequences → arrays of model indices (log-only activities after the model's)."""
    index = {name: i for i, name in enumerate(model.activities)}
    seen = sorted({a for trace in traces for a in trace} - set(index))
    index.update({name: len(model.activities) + k for k, name in enumerate(seen)})
    return [np.array([index[a] for a in trace], dtype=np.int64) for trace in traces], tuple(seen)


def _per_trace(traces: pd.DataFrame, aligned: Alignments, model: ReferenceModel
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    deviations = aligned.deviations
    count = len(traces)
    counts = (pd.crosstab(deviations["trace"], deviations["kind"])
              .reindex(index=range(count), columns=list(KINDS), fill_value=0))
    labels = deviations["kind"].str.replace("_", "-") + " " + deviations["activity"]
    text = labels.groupby(deviations["trace"]).agg(", ".join)
    ends = set(model.end)
    results = pd.DataFrame({
        "trace_id": traces["trace_id"].to_numpy(),
        "fitting": aligned.cost == 0,
        "cost": aligned.cost,
        "inserted": counts["inserted"].to_numpy(),
        "skipped": counts["skipped"].to_numpy(),
        "out_of_order": counts["out_of_order"].to_numpy(),
        "complete": [len(t) > 0 and t[-1] in ends for t in traces["activities"]],
        "deviations": text.reindex(range(count), fill_value="").to_numpy(),
    })
    index = deviations["trace"].to_numpy()
    activities = traces["activities"].to_numpy()
    detail = deviations.assign(
        trace_rank=traces["trace_id"].to_numpy()[index],
        cases=traces["cases"].to_numpy()[index],
        trace=[list(activities[i]) for i in index],
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
