"""The reference model a log is checked against: declared when it has one, else discovered.

Only the ticketlens vocabulary has a declared model today: the shipped lifecycle
(``lifecycle.toml``), the generated desk's intended paths. A log whose activities take their
lifecycle roles from anywhere else (a source's mapping, a roles file, inference) has no declared
model, so checking it against the desk's lifecycle would report "0 of 4,580 fit" as a fact
about a process it never followed. Such a log gets a model *discovered* from its own behaviour
with Disco's two sliders, using the DFG and variants of this package:

* ``coverage`` (the paths slider): keep the most frequent variants until they cover that share
  of tickets (the variant crossing the line is kept);
* ``min_frequency`` (the noise slider): then drop directly-follows edges seen fewer times.

The model allows exactly the starts, ends and directly-follows steps of the kept tickets. Every
kept variant is a path of it, so with ``min_frequency = 1`` at least the covered share of
tickets fits; rarer variants fit too when they only recombine those steps. Edges dropped by
``min_frequency`` can leave an activity no ticket could finish from: such activities are trimmed
(the model keeps only steps on some start-to-end path).

Discovery reads the whole workspace, not a segment: the model describes the source, so a team's
or a month's tickets are compared with the same model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from ticketlens.analyses.mine.dfg import dfg
from ticketlens.analyses.mine.model import ReferenceModel, default_model_path, load_model
from ticketlens.analyses.mine.source import check_fraction, event_log
from ticketlens.analyses.mine.variants import variants
from ticketlens.core.errors import AnalysisError
from ticketlens.core.lifecycle import VOCABULARY_ORIGIN
from ticketlens.workspace.connection import WorkspaceLike
from ticketlens.workspace.roles import read_roles

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_COVERAGE = 0.8
DISCOVERED_NAME = "Discovered lifecycle"


def declared_model(db: WorkspaceLike) -> ReferenceModel | None:
    """The shipped lifecycle when the workspace's log speaks the ticketlens vocabulary (every
    activity with lifecycle roles has them from the vocabulary, and at least one has), else
    None: the log has no declared model."""
    with event_log(db) as log:
        activities = log.workspace_activities()
        roles = read_roles(log.con)
    entries = [entry for a in activities if (entry := roles.get(a)) is not None]
    if not entries or any(e.origin != VOCABULARY_ORIGIN for e in entries):
        return None
    shipped = load_model(default_model_path())
    return replace(shipped, kind="declared",
                   how="the shipped model of the ticketlens vocabulary this log speaks")


def discover_model(
    db: WorkspaceLike,
    *,
    coverage: float = DEFAULT_COVERAGE,
    min_frequency: int = 1,
    progress: bool = False,
) -> ReferenceModel:
    """Discover a reference model from the workspace's log: the starts, ends and
    directly-follows steps of the most frequent variants covering ``coverage`` of tickets
    (0.8 = 80 %), without edges seen fewer than ``min_frequency`` times.

    >>> model = discover_model("ws.duckdb", coverage=0.9)  # doctest: +SKIP
    >>> write_model(model, "model.toml")  # edit it, then conformance(..., model=...)  # doctest: +SKIP
    """
    check_fraction(coverage, "coverage")
    if min_frequency < 1:
        raise AnalysisError(f"min_frequency must be at least 1, got {min_frequency}")
    kept = variants(db, coverage=coverage, progress=progress)
    graph = dfg(db, coverage=coverage, min_frequency=min_frequency, performance=False,
                progress=progress)
    if kept.empty or graph.is_empty:
        raise AnalysisError("the workspace holds no tickets to discover a reference model from; "
                            "ingest a log first, or pass a model file")
    edges = {(s, t): int(c) for s, t, c in graph.edges[["source", "target", "cases"]]
             .itertuples(index=False)}
    starts = dict(zip(graph.start_activities["activity"], graph.start_activities["cases"],
                      strict=True))
    ends = dict(zip(graph.end_activities["activity"], graph.end_activities["cases"],
                    strict=True))
    keep = _on_a_path(starts, ends, edges)
    if not keep:
        raise AnalysisError(f"no start-to-end path is left once edges seen fewer than "
                            f"{min_frequency} times are dropped; lower min_frequency")
    seen = set(graph.activities["activity"])
    order = [a for a in graph.activities["activity"] if a in keep]  # most events first
    transitions: dict[str, tuple[str, ...]] = {}
    for source in order:
        targets = sorted(((t, c) for (s, t), c in edges.items() if s == source and t in keep),
                         key=lambda item: (-item[1], item[0]))
        if targets:
            transitions[source] = tuple(t for t, _ in targets)
    support = {**{("", a): int(c) for a, c in starts.items() if a in keep},
               **{(a, ""): int(c) for a, c in ends.items() if a in keep},
               **{edge: c for edge, c in edges.items() if edge[0] in keep and edge[1] in keep}}
    return ReferenceModel(
        name=DISCOVERED_NAME,
        source="discovered from the workspace's log",
        start=tuple(a for a in _by_support(starts) if a in keep),
        end=tuple(a for a in _by_support(ends) if a in keep),
        anywhere=(),
        transitions=transitions,
        kind="discovered",
        how=_how(kept, coverage, min_frequency, len(seen - keep)),
        support=support,
    )


def reference_model(
    db: WorkspaceLike,
    *,
    coverage: float | None = None,
    min_frequency: int | None = None,
    progress: bool = False,
) -> ReferenceModel:
    """The model conformance uses when none is given: the workspace's declared model, else one
    discovered with ``coverage`` (default 0.8) and ``min_frequency`` (default 1). Giving either
    slider asks for discovery even where a model is declared."""
    if coverage is None and min_frequency is None:
        declared = declared_model(db)
        if declared is not None:
            return declared
    return discover_model(db, coverage=DEFAULT_COVERAGE if coverage is None else coverage,
                          min_frequency=1 if min_frequency is None else min_frequency,
                          progress=progress)


def _on_a_path(starts: Mapping[str, int], ends: Mapping[str, int],
               edges: Mapping[tuple[str, str], int]) -> set[str]:
    """Activities on some start-to-end path of the graph (reachable and co-reachable)."""
    forward: dict[str, set[str]] = {}
    backward: dict[str, set[str]] = {}
    for source, target in edges:
        forward.setdefault(source, set()).add(target)
        backward.setdefault(target, set()).add(source)
    return _closure(starts, forward) & _closure(ends, backward)


def _closure(seeds: Iterable[str], graph: Mapping[str, set[str]]) -> set[str]:
    seen = set(seeds)
    todo = list(seen)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _by_support(counts: Mapping[str, int]) -> list[str]:
    return [a for a, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _how(kept: pd.DataFrame, coverage: float, min_frequency: int, trimmed: int) -> str:
    count = len(kept)
    covered = float(kept["cumulative_share"].iloc[-1])
    noun = "most frequent variant" if count == 1 else f"{count} most frequent variants"
    text = (f"discovered from the {noun} covering {_pct(covered)} of tickets "
            f"(coverage set to {_pct(coverage)}")
    if min_frequency > 1:
        text += f", edges seen fewer than {min_frequency} times dropped"
        if trimmed:
            text += f" and with them {trimmed} activit{'y' if trimmed == 1 else 'ies'}"
    return text + ")"


def _pct(share: float) -> str:
    return f"{100 * share:.1f}".removesuffix(".0") + " %"

