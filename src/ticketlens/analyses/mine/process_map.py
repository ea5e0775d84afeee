"""Process maps: the directly-follows graph drawn by Graphviz as SVG or PNG (or its DOT text),
or drawn as SVG without Graphviz (``renderer="builtin"``, ``svg_map``): one description of
what the map shows (``styled``: title, boxes, arrows), two renderers.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ticketlens.analyses.mine.dfg import DirectlyFollowsGraph, dfg
from ticketlens.analyses.mine.duration import human_duration
from ticketlens.core.errors import AnalysisError, InputError
from ticketlens.core.files import atomic_file
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

MapKind = Literal["frequency", "performance"]
Renderer = Literal["graphviz", "builtin"]
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
    renderer: Renderer = "graphviz",
    progress: bool = False,
) -> Path:
    """Draw the process map of ``segment`` into ``out`` (``.svg``, ``.png`` or ``.dot``).

    Returns the path written. ``renderer="graphviz"`` needs Graphviz's ``dot`` for SVG and
    PNG; ``"builtin"`` draws SVG with no system package (``svg_map``: grandalf's layout).

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
    if renderer not in ("graphviz", "builtin"):
        raise AnalysisError(f"renderer must be 'graphviz' or 'builtin', got {renderer!r}")
    if renderer == "builtin" and fmt != "svg":
        raise InputError(f"the builtin renderer draws SVG only: name {out} .svg, or use "
                         "Graphviz for .png")
    dot_path = shutil.which("dot") if fmt != "dot" and renderer == "graphviz" else None
    if fmt != "dot" and renderer == "graphviz" and dot_path is None:
        raise AnalysisError(
            "Graphviz `dot` was not found on PATH: install Graphviz (Debian/Ubuntu: "
            "`apt-get install graphviz`), draw the SVG without it (--renderer builtin), or "
            "write the DOT text with an --out name ending .dot"
        )
    graph = dfg(db, segment=segment, performance=kind == "performance",
                min_frequency=min_frequency, coverage=coverage, progress=progress)
    if graph.is_empty:
        raise AnalysisError(f"no tickets match the filter ({graph.segment}): nothing to draw")
    if renderer == "builtin":
        from ticketlens.analyses.mine.svg_map import to_svg

        _write(out, fmt, to_svg(graph, kind=kind, statistic=statistic), None)
        return out
    source = to_dot(graph, kind=kind, statistic=statistic)
    _write(out, fmt, source, dot_path)
    return out


@dataclass(frozen=True)
class Box:
    """An activity's box: its name, events, fill and text colour."""

    id: str
    name: str
    events: int
    fill: str
    font: str


@dataclass(frozen=True)
class Arrow:
    """An arrow between two boxes (or the start / end dots), as both renderers draw it."""

    source: str
    target: str
    label: str
    width: float | None  # None: the thin dashed arrows from the start / to the end dot
    colour: str
    font: str | None  # None: the default label colour
    weight: int | None  # layout weight (Graphviz): frequent arrows are kept straight


def styled(graph: DirectlyFollowsGraph, *, kind: MapKind = "frequency",
           statistic: Statistic = "median") -> tuple[str, list[Box], list[Arrow]]:
    """What a process map shows, renderer aside: its title, boxes and arrows (sorted)."""
    nodes = graph.activities.sort_values("activity")
    ids = {name: f"a{i}" for i, name in enumerate(nodes["activity"])}
    most = max(int(nodes["events"].max()), 1)
    title = (f"{kind} map · {graph.cases:,} tickets · {graph.events:,} events"
             + (f" · {statistic} waiting time on arrows" if kind == "performance" else "")
             + (f" · {graph.edges_hidden} rare arrows hidden" if graph.edges_hidden else ""))
    boxes = []
    for name, events in zip(nodes["activity"], nodes["events"], strict=True):
        shade = _scale(_BLUES, math.log1p(events) / math.log1p(most))
        boxes.append(Box(ids[name], name, int(events), shade,
                         "white" if _BLUES.index(shade) >= 4 else "black"))
    return title, boxes, _bound_edges(graph, ids) + _edges(graph, ids, kind, statistic)


def to_dot(graph: DirectlyFollowsGraph, *, kind: MapKind = "frequency",
           statistic: Statistic = "median") -> str:
    """The Graphviz DOT text of a process map (deterministic: sorted nodes and edges)."""
    title, boxes, arrows = styled(graph, kind=kind, statistic=statistic)
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
    for box in boxes:
        lines.append(f'  {box.id} [label="{_escape(box.name)}\\n{box.events:,}", '
                     f'fillcolor="{box.fill}", fontcolor="{box.font}"];')
    for arrow in arrows:
        if arrow.width is None:
            lines.append(f'  {arrow.source} -> {arrow.target} [label="{arrow.label}", '
                         f'style=dashed, color="{arrow.colour}", fontcolor="{arrow.font}"];')
            continue
        font = f'fontcolor="{arrow.font}", ' if arrow.font else ""
        lines.append(f'  {arrow.source} -> {arrow.target} [label="{arrow.label}", '
                     f'penwidth={arrow.width:.2f}, color="{arrow.colour}", {font}'
                     f"weight={arrow.weight}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _bound_edges(graph: DirectlyFollowsGraph, ids: dict[str, str]) -> list[Arrow]:
    arrows = []
    for frame, at_start in ((graph.start_activities, True), (graph.end_activities, False)):
        for name, cases in zip(frame["activity"], frame["cases"], strict=True):
            source, target = ("start", ids[name]) if at_start else (ids[name], "end")
            arrows.append(Arrow(source, target, f"{cases:,}", None, "#8a8a8a", "#6a6a6a", None))
    # the order of their DOT lines, as before: sorted as text
    return sorted(arrows, key=lambda a: f"  {a.source} -> {a.target} [label=\"{a.label}\"")


def _edges(graph: DirectlyFollowsGraph, ids: dict[str, str], kind: MapKind,
           statistic: Statistic) -> list[Arrow]:
    edges = graph.edges.sort_values(["source", "target"])
    if edges.empty:
        return []
    arrows = []
    if kind == "frequency":
        most = max(int(edges["frequency"].max()), 1)
        for source, target, count in zip(edges["source"], edges["target"], edges["frequency"],
                                         strict=True):
            weight = count / most
            arrows.append(Arrow(ids[source], ids[target], f"{count:,}", 0.6 + 5.4 * weight,
                                _grey(weight), None, max(1, round(10 * weight))))
        return arrows
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
        arrows.append(Arrow(ids[source], ids[target], human_duration(seconds),
                            0.8 + 3.2 * share, colour, colour if share > 0.5 else "#555555",
                            max(1, round(10 * count / most))))
    return arrows


def _scale(palette: tuple[str, ...], fraction: float) -> str:
    return palette[min(len(palette) - 1, max(0, int(fraction * len(palette))))]


def _grey(weight: float) -> str:
    level = int(170 - 140 * weight)
    return f"#{level:02x}{level:02x}{level:02x}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _write(out: Path, fmt: str, source: str, dot_path: str | None) -> None:
    """Write to a temporary file beside ``out`` and move it into place: no partial picture.
    Without ``dot_path``, ``source`` is the file's text (DOT, or SVG drawn without Graphviz)."""
    with atomic_file(out) as temp:
        if dot_path is None:
            temp.write_text(source, encoding="utf-8")
            return
        done = subprocess.run([dot_path, f"-T{fmt}", "-o", str(temp)], input=source.encode(),
                              capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            raise AnalysisError(f"Graphviz dot failed drawing {out}: "
                                f"{done.stderr.decode(errors='replace').strip()}")
