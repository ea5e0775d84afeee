"""Variants: the distinct activity sequences of tickets, with their frequency and duration."""

from __future__ import annotations

import pandas as pd

from ticketlens.analyses.mine.source import check_fraction, event_log
from ticketlens.core.errors import AnalysisError
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

VARIANT_COLUMNS = (
    "variant", "activities", "length", "cases", "share", "cumulative_share",
    "mean_throughput_s", "median_throughput_s", "example_ticket",
)


def variants(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    top: int | None = None,
    coverage: float | None = None,
    collapse_loops: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Variants of the tickets in ``segment``, most frequent first: a pandas DataFrame.

    One row per variant with columns ``variant`` (rank, 1 = most frequent), ``activities``
    (list of activity names in order), ``length`` (events), ``cases`` (tickets), ``share`` and
    ``cumulative_share`` (of the segment's tickets, 0–1), ``mean_throughput_s`` and
    ``median_throughput_s`` (first to last event, seconds) and ``example_ticket``.

    ``top`` keeps the k most frequent variants; ``coverage`` (a fraction, 0.8 = 80 %) keeps the
    most frequent variants until they cover that share of tickets. ``collapse_loops`` counts a
    run of one activity repeated back to back once (A A B = A B), as Celonis does.

    >>> variants("ws.duckdb", top=10)  # doctest: +SKIP
    """
    if top is not None and top < 1:
        raise AnalysisError(f"top must be a positive number of variants, got {top}")
    check_fraction(coverage, "coverage")
    with event_log(db, segment, progress=progress) as log:
        log.prepare_traces()
        rows = "mine_variant_keys"
        if collapse_loops:
            log.run_script("stg_variants_collapsed.sql")
            rows = "mine_variants_collapsed"
        log.con.execute(f"CREATE OR REPLACE TEMP VIEW mine_variant_rows AS "
                        f"SELECT seq, cases, mean_throughput_s, median_throughput_s, "
                        f"example_ticket FROM {rows}")
        frame = log.frame("variants.sql", {"top": top, "coverage": coverage})
    return frame[list(VARIANT_COLUMNS)]
