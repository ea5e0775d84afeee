"""Process maps: the directly-follows graph drawn by Graphviz as SVG or PNG (or its DOT text).

Two kinds, as in Disco:

* **frequency** — boxes show how many events each activity has (darker = more), arrows how
  often one activity directly follows another (thicker = more), with the count on the arrow;
* **performance** — arrows show the waiting time between the two events (median by default,
  or mean / p90 / max), thicker and redder = longer; boxes still show event counts.

A start dot leads to the activities tickets begin with and an end dot collects where they end,
each arrow labelled with its number of tickets. The noise sliders of ``dfg`` apply.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Literal

from ticketlens.analyses.mine.dfg import DirectlyFollowsGraph, dfg
from ticketlens.analyses.mine.duration import human_duration
from ticketlens.core.errors import AnalysisError, InputError
from ticketlens.core.files import atomic_file
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

MapKind = Literal["frequency", "performance"]
Statistic = Literal["median", "mean", "p90", "max"]
FORMATS = ("svg", "png", "dot")
_BLUES = ("#eef4fb", "#d3e3f3", "#b0cde8", "#84b1da", "#5993c9", "#3474b3", "#1c568f")
_REDS = ("#fbeee9", "#f6cfc2", "#eea58f", "#e4775d", "#d34a35", "#b3261e", "#86130f")
_FONT = "Helvetica"


def process_map(
    db: WorkspaceLike,
    out: str | Path,
    *,
    kind: MapKind = "frequency",
    statistic: Statistic = "median",
    segment: TicketFilter | None = None,
    min_frequency: int = 1,
    coverage: float | None = None,
    progress: bool = False,
) -> Path:
    """Draw the process map of ``segment`` into ``out`` (``.svg``, ``.png`` or ``.dot``).

    Returns the path written. Needs Graphviz's ``dot`` for SVG and PNG.

    >>> process_map("ws.duckdb", "map.svg", kind="performance")  # doctest: +SKIP
    """
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(f"cannot tell the picture format of {out}: name it .svg, .png or .dot")
    if kind not in ("frequency", "performance"):
        raise AnalysisError(f"map kind must be 'frequency' or 'performance', got {kind!r}")
    if statistic not in ("median", "mean", "p90", "max"):
        raise AnalysisError(f"statistic must be median, mean, p90 or max, got {statistic!r}")
    dot_path = shutil.which("dot") if fmt != "dot" else None
    if fmt != "dot" and dot_path is None:
        raise AnalysisError(
            "Graphviz `dot` was not found on PATH: install Graphviz (Debian/Ubuntu: "
            "`apt-get install graphviz`), or write the DOT text with an --out name ending .dot"
        )
    graph = dfg(db, segment=segment, performance=kind == "performance",
                min_frequency=min_frequency, coverage=coverage, progress=progress)
    if graph.is_empty:
        raise AnalysisError(f"no tickets match the filter ({graph.segment}): nothing to draw")
    source = to_dot(graph, kind=kind, statistic=statistic)
    _write(out, fmt, source, dot_path)
    return out


def to_dot(graph: DirectlyFollowsGraph, *, kind: MapKind = "frequency",
           statistic: Statistic = "median") -> str:
    """The Graphviz DOT text of a process map (deterministic: sorted nodes and edges)."""
    nodes = graph.activities.sort_values("activity")
    ids = {name: f"a{i}" for i, name in enumerate(nodes["activity"])}
    most = max(int(nodes["events"].max()), 1)
    title = (f"{kind} map · {graph.cases:,} tickets · {graph.events:,} events"
             + (f" · {statistic} waiting time on arrows" if kind == "performance" else "")
             + (f" · {graph.edges_hidden} rare arrows hidden" if graph.edges_hidden else ""))
    lines = [
        "digraph process_map {",
        f'  graph [rankdir=TB, nodesep=0.35, ranksep=0.5, fontname="{_FONT}", fontsize=12, '
        f'labelloc=t, label="{_escape(title)}", bgcolor="white"];',
        f'  node [shape=box, style="rounded,filled", fontname="{_FONT}", fontsize=11, '
        'margin="0.15,0.06", penwidth=1.2, color="#4a4a4a"];',
        f'  edge [fontname="{_FONT}", fontsize=9, arrowsize=0.7, color="#555555"];',
        '  start [shape=circle, label="", width=0.25, style=filled, fillcolor="#3a9d5d", '
        'color="#2d7a48"];',
        '  end [shape=doublecircle, label="", width=0.2, style=filled, fillcolor="#c0392b", '
        'color="#8e2a20"];',
    ]
    for name, events in zip(nodes["activity"], nodes["events"], strict=True):
        shade = _scale(_BLUES, math.log1p(events) / math.log1p(most))
        font = "white" if _BLUES.index(shade) >= 4 else "black"
        lines.append(f'  {ids[name]} [label="{_escape(name)}\\n{events:,}", '
                     f'fillcolor="{shade}", fontcolor="{font}"];')
    lines.extend(_bound_edges(graph, ids))
    lines.extend(_edges(graph, ids, kind, statistic))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _bound_edges(graph: DirectlyFollowsGraph, ids: dict[str, str]) -> list[str]:
    lines = []
    for frame, template in ((graph.start_activities, "  start -> {node}"),
                            (graph.end_activities, "  {node} -> end")):
        for name, cases in zip(frame["activity"], frame["cases"], strict=True):
            lines.append(template.format(node=ids[name]) + f' [label="{cases:,}", '
                         'style=dashed, color="#8a8a8a", fontcolor="#6a6a6a"];')
    return sorted(lines)


def _edges(graph: DirectlyFollowsGraph, ids: dict[str, str], kind: MapKind,
           statistic: Statistic) -> list[str]:
    edges = graph.edges.sort_values(["source", "target"])
    if edges.empty:
        return []
    lines = []
    if kind == "frequency":
        most = max(int(edges["frequency"].max()), 1)
        for source, target, count in zip(edges["source"], edges["target"], edges["frequency"],
                                         strict=True):
            weight = count / most
            lines.append(f'  {ids[source]} -> {ids[target]} [label="{count:,}", '
                         f"penwidth={0.6 + 5.4 * weight:.2f}, "
                         f'color="{_grey(weight)}", weight={max(1, round(10 * weight))}];')
        return lines
    values = edges[f"{statistic}_s"].astype(float).clip(lower=0.0)
    low, high = math.log1p(float(values.min())), math.log1p(float(values.max()))
    most = max(int(edges["frequency"].max()), 1)
    for source, target, seconds, count in zip(edges["source"], edges["target"], values,
                                              edges["frequency"], strict=True):
        # Colour by where the waiting time sits between the shortest and the longest arrow (log
        # scale: minutes and weeks on one map); layout weight by frequency, as on the
        # frequency map, so both maps of one log have the same shape.
        share = (math.log1p(seconds) - low) / (high - low) if high > low else 0.0
        colour = _scale(_REDS, share)
        lines.append(f'  {ids[source]} -> {ids[target]} [label="{human_duration(seconds)}", '
                     f'penwidth={0.8 + 3.2 * share:.2f}, color="{colour}", '
                     f'fontcolor="{colour if share > 0.5 else "#555555"}", '
                     f"weight={max(1, round(10 * count / most))}];")
    return lines


def _scale(palette: tuple[str, ...], fraction: float) -> str:
    return palette[min(len(palette) - 1, max(0, int(fraction * len(palette))))]


def _grey(weight: float) -> str:
    level = int(170 - 140 * weight)
    return f"#{level:02x}{level:02x}{level:02x}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _write(out: Path, fmt: str, source: str, dot_path: str | None) -> None:
    """Write to a temporary file beside ``out`` and move it into place: no partial picture."""
    with atomic_file(out) as temp:
        if fmt == "dot":
            temp.write_text(source, encoding="utf-8")
            return
        assert dot_path is not None
        done = subprocess.run([dot_path, f"-T{fmt}", "-o", str(temp)], input=source.encode(),
                              capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            raise AnalysisError(f"Graphviz dot failed drawing {out}: "
                                f"{done.stderr.decode(errors='replace').strip()}")
