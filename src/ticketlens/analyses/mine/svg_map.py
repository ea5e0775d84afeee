"""The process map as SVG without Graphviz: the same boxes and arrows as the DOT text
(``process_map.styled``), laid out by grandalf and written as SVG text.

grandalf is a pure-Python implementation of the layered (Sugiyama) layout Graphviz's ``dot``
uses: ranks, cycles broken by reversing arrows, crossings reduced by ordering, arrows routed
through the layers. It needs no system package, so a fresh ``pip install`` draws maps; Graphviz
draws them prettier (spline arrows, label placement) and stays the default where installed.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from ticketlens.analyses.mine.dfg import DirectlyFollowsGraph
from ticketlens.analyses.mine.process_map import Arrow, Box, MapKind, Statistic, styled

_FONT = "Helvetica, Arial, sans-serif"
_CHAR = 6.4      # px per character of the 11 px box font (an estimate: no font metrics here)
_MARGIN = 24


class _View:
    """A vertex's size and, after the layout, its centre (grandalf's view protocol)."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


class _EdgeView:
    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = pts


def to_svg(graph: DirectlyFollowsGraph, *, kind: MapKind = "frequency",
           statistic: Statistic = "median") -> str:
    """The SVG text of a process map (deterministic: same graph, same bytes)."""
    title, boxes, arrows = styled(graph, kind=kind, statistic=statistic)
    sizes = {"start": (18.0, 18.0), "end": (18.0, 18.0)}
    for box in boxes:
        width = max(len(box.name), len(f"{box.events:,}")) * _CHAR + 24
        sizes[box.id] = (round(width, 1), 36.0)
    centres, paths = _layout(sizes, [(a.source, a.target) for a in arrows
                                     if a.source != a.target])
    top = _MARGIN + 22  # room for the title
    # the drawing's extent: every box, and every arrow's bends (long arrows go round)
    bends = [p for path in paths.values() for p in path]
    xs = [x - sizes[v][0] / 2 for v, (x, _y) in centres.items()] + [x for x, _y in bends]
    ys = [y - sizes[v][1] / 2 for v, (_x, y) in centres.items()] + [y for _x, y in bends]
    right = [x + sizes[v][0] / 2 + 30 for v, (x, _y) in centres.items()] + \
        [x + 40 for x, _y in bends]  # + loops and labels on the right
    bottom = [y + sizes[v][1] / 2 for v, (_x, y) in centres.items()] + [y for _x, y in bends]
    dx, dy = _MARGIN - min(xs), top - min(ys)
    width = max(right) + dx + _MARGIN
    height = max(bottom) + dy + _MARGIN

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] + dx, point[1] + dy

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="{_MARGIN + 4}" font-size="12" text-anchor="middle">'
        f"{escape(title)}</text>",
    ]
    for arrow in arrows:
        if arrow.source == arrow.target:
            parts.append(_loop(arrow, at(centres[arrow.source]), sizes[arrow.source]))
        else:
            parts.append(_arrow(arrow, [at(p) for p in paths[(arrow.source, arrow.target)]]))
    for vertex in ("start", "end"):
        if vertex in centres:
            parts.append(_dot(vertex, at(centres[vertex])))
    for box in boxes:
        parts.append(_box(box, at(centres[box.id]), sizes[box.id]))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _layout(sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]],
            ) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], list[Any]]]:
    """Centres of the vertices and the routed points of each edge, from source to target;
    connected parts side by side, left to right."""
    from grandalf.graphs import Edge, Vertex, graph_core
    from grandalf.layouts import SugiyamaLayout
    from grandalf.routing import route_with_lines

    vertices = {}
    for name, (w, h) in sizes.items():
        vertices[name] = Vertex(name)
        vertices[name].view = _View(w, h)
    links = {}
    for source, target in edges:
        links[(source, target)] = Edge(vertices[source], vertices[target])
        links[(source, target)].view = _EdgeView()
    # The connected parts, built here in a fixed order: grandalf's own Graph collects each
    # part's edges in a set (ordered by memory address), and the layout would vary per run.
    parts = []
    for names in _parts(list(sizes), edges):
        members = set(names)
        parts.append(graph_core([vertices[n] for n in names],
                                [link for (source, _t), link in links.items()
                                 if source in members]))
    centres: dict[str, tuple[float, float]] = {}
    offset = 0.0
    for part in parts:
        layout = SugiyamaLayout(part)
        layout.xspace, layout.yspace = 28, 46  # room for the arrows' labels between layers
        roots = [v for v in part.sV if v.data == "start"]
        layout.init_all(roots=roots or None)
        layout.route_edge = route_with_lines
        layout.draw(3)
        left = min(v.view.xy[0] - v.view.w / 2 for v in part.sV)
        right = max(v.view.xy[0] + v.view.w / 2 for v in part.sV)
        for v in part.sV:
            centres[v.data] = (v.view.xy[0] - left + offset, v.view.xy[1])
        shift = offset - left
        for link in links.values():
            if link.v[0] in part.sV:
                link.view.pts = [(x + shift, y) for x, y in link.view.pts]
        offset += right - left + 40
    paths = {}
    for (source, target), link in links.items():
        points = list(link.view.pts)
        # a reversed (cycle-breaking) edge is routed from its target: point it the right way
        if _dist(points[0], centres[source]) > _dist(points[-1], centres[source]):
            points.reverse()
        paths[(source, target)] = points
    if centres.get("start", (0.0, 0.0))[1] > centres.get("end", (0.0, 1.0))[1]:
        centres = {v: (x, -y) for v, (x, y) in centres.items()}  # start at the top
        paths = {k: [(x, -y) for x, y in p] for k, p in paths.items()}
    return centres, paths


def _parts(names: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """The connected parts of the graph (ignoring direction), each in ``names`` order."""
    part = {name: name for name in names}

    def root(name: str) -> str:
        while part[name] != name:
            name = part[name]
        return name

    for source, target in edges:
        part[root(source)] = root(target)
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(root(name), []).append(name)
    return list(groups.values())


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _arrow(arrow: Arrow, points: list[tuple[float, float]]) -> str:
    width = 1.0 if arrow.width is None else arrow.width
    dash = ' stroke-dasharray="5 3"' if arrow.width is None else ""
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    size = 6 + width
    head = [(x1, y1)] + [(x1 - size * math.cos(angle + turn), y1 - size * math.sin(angle + turn))
                         for turn in (0.4, -0.4)]
    middle = points[len(points) // 2] if len(points) > 2 else \
        ((x0 + x1) / 2, (y0 + y1) / 2)
    font = arrow.font or "#333333"
    return (f'<g><polyline points="{line}" fill="none" stroke="{arrow.colour}" '
            f'stroke-width="{width:.2f}"{dash}/>'
            f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in head)}" '
            f'fill="{arrow.colour}"/>'
            + _label(arrow.label, middle[0] + 4 + width / 2, middle[1] + 3, font) + "</g>")


def _label(text: str, x: float, y: float, colour: str) -> str:
    """An arrow's label on a white halo (drawn twice: paint-order is not everywhere)."""
    where = f'x="{x:.1f}" y="{y:.1f}" font-size="9"'
    return (f'<text {where} fill="white" stroke="white" stroke-width="3">{escape(text)}</text>'
            f'<text {where} fill="{colour}">{escape(text)}</text>')


def _loop(arrow: Arrow, centre: tuple[float, float], size: tuple[float, float]) -> str:
    """An activity directly followed by itself: a small loop on the box's right side."""
    x, y = centre[0] + size[0] / 2, centre[1]
    width = 1.0 if arrow.width is None else arrow.width
    return (f'<g><path d="M{x:.1f},{y - 8:.1f} C{x + 26:.1f},{y - 18:.1f} {x + 26:.1f},'
            f'{y + 18:.1f} {x:.1f},{y + 8:.1f}" fill="none" stroke="{arrow.colour}" '
            f'stroke-width="{width:.2f}"/>'
            f'<polygon points="{x:.1f},{y + 8:.1f} {x + 7:.1f},{y + 4:.1f} {x + 6:.1f},'
            f'{y + 12:.1f}" fill="{arrow.colour}"/>'
            + _label(arrow.label, x + 24, y + 3, arrow.font or "#333333") + "</g>")


def _dot(vertex: str, centre: tuple[float, float]) -> str:
    x, y = centre
    if vertex == "start":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#3a9d5d" stroke="#2d7a48"/>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="white" stroke="#8e2a20"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6.5" fill="#c0392b" stroke="#8e2a20"/>')


def _box(box: Box, centre: tuple[float, float], size: tuple[float, float]) -> str:
    (x, y), (w, h) = centre, size
    return (f'<g><rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'rx="6" fill="{box.fill}" stroke="#4a4a4a" stroke-width="1.2"/>'
            f'<text x="{x:.1f}" y="{y - 3:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{box.font}">{escape(box.name)}</text>'
            f'<text x="{x:.1f}" y="{y + 11:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{box.font}">{box.events:,}</text></g>')
