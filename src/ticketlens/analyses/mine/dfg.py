"""Directly-follows graph: which activity follows which, how often, and how long it waits."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ticketlens.analyses.mine.source import check_fraction, event_log
from ticketlens.core.errors import AnalysisError
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike


@dataclass(frozen=True)
class DirectlyFollowsGraph:
    """The DFG of a segment. Every table is a pandas DataFrame.

    * ``edges`` — one row per edge: ``source``, ``target``, ``frequency`` (times the target
      directly follows the source), ``cases`` (tickets with the edge at least once) and, for a
      performance graph, ``mean_s``, ``median_s``, ``p90_s``, ``min_s``, ``max_s``, ``total_s``
      (waiting time between the two events, seconds);
    * ``activities`` — one row per activity: ``events``, ``cases``, ``start_cases``,
      ``end_cases``;
    * ``start_activities`` / ``end_activities`` — ``activity``, ``cases``: tickets starting /
      ending with that activity.

    ``cases`` and ``events`` count what the graph was built from (after the segment filter and
    the ``coverage`` slider); ``edges_hidden`` counts edges dropped by ``min_frequency``.
    """

    edges: pd.DataFrame
    activities: pd.DataFrame
    start_activities: pd.DataFrame
    end_activities: pd.DataFrame
    cases: int
    events: int
    edges_hidden: int
    segment: str

    @property
    def is_empty(self) -> bool:
        return self.cases == 0


def dfg(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    performance: bool = True,
    min_frequency: int = 1,
    coverage: float | None = None,
    progress: bool = False,
) -> DirectlyFollowsGraph:
    """The directly-follows graph of the tickets in ``segment``.

    Noise sliders as in Disco: ``coverage`` (a fraction, 0.8 = 80 %) first keeps only the tickets
    of the most frequent variants covering that share of tickets; ``min_frequency`` then hides
    edges seen fewer times. ``performance=False`` skips the waiting-time statistics (faster).

    >>> graph = dfg("ws.duckdb", min_frequency=50)  # doctest: +SKIP
    >>> graph.edges.head()  # doctest: +SKIP
    """
    if min_frequency < 1:
        raise AnalysisError(f"min_frequency must be at least 1, got {min_frequency}")
    check_fraction(coverage, "coverage")
    with event_log(db, segment, progress=progress) as log:
        if coverage is not None:
            log.keep_top_variants(coverage)
        else:
            log.prepare_traces()
        nodes = log.frame("dfg_nodes.sql")
        if performance:
            log.prepare_pairs()
            edges = log.frame("dfg_edges_performance.sql")
        else:  # frequencies follow from the variants alone: no pass over event pairs
            edges = log.frame("dfg_edges.sql")
        cases, events, described = log.cases, log.events, log.segment.describe()
    kept = edges[edges["frequency"] >= min_frequency].reset_index(drop=True)
    return DirectlyFollowsGraph(
        edges=kept,
        activities=nodes,
        start_activities=_bound(nodes, "start_cases"),
        end_activities=_bound(nodes, "end_cases"),
        cases=cases,
        events=events,
        edges_hidden=len(edges) - len(kept),
        segment=described,
    )


def _bound(nodes: pd.DataFrame, column: str) -> pd.DataFrame:
    bound = nodes.loc[nodes[column] > 0, ["activity", column]].rename(columns={column: "cases"})
    return bound.sort_values(["cases", "activity"], ascending=[False, True]).reset_index(drop=True)
