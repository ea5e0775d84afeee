"""Files and commands: process maps, the XES export (read back by pm4py), the CLI's tables,
and conformance on a generated desk."""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mine_support import generated_desk, ingested, workspace_with
from ticketlens.analyses import mine
from ticketlens.analyses.mine.alignment import align, build_automaton
from ticketlens.cli import cli
from ticketlens.core.schema import ACTIVITIES

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz dot not installed (apt-get install graphviz)")


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp()
    return Path(str(ingested(folder, "generated", generated_desk(folder))))


# --- process maps ----------------------------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("kind", ["frequency", "performance"])
def test_svg_map_of_the_20_activity_log_shows_every_activity(desk_db: Path, tmp_path: Path,
                                                              kind: str) -> None:
    out = mine.process_map(desk_db, tmp_path / f"{kind}.svg", kind=kind)
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<!DOCTYPE", "<svg"))
    labels = {html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg)}
    assert set(ACTIVITIES) <= labels  # the generated desk uses all 20 activities
    if kind == "performance":
        assert any(re.fullmatch(r"[\d.]+ (s|min|h|d)", label) for label in labels)


@needs_dot
def test_png_map_is_a_png(desk_db: Path, tmp_path: Path) -> None:
    out = mine.process_map(desk_db, tmp_path / "map.png", min_frequency=20)
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert 600 < width < 4000 and 600 < height < 4000  # legible, not a postage stamp


@pytest.mark.parametrize("kind", ["frequency", "performance"])
def test_builtin_svg_map_needs_no_graphviz(desk_db: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Without `dot` on PATH the builtin renderer draws every activity, count and arrow."""
    import xml.etree.ElementTree as ET

    monkeypatch.setenv("PATH", str(tmp_path))
    out = mine.process_map(desk_db, tmp_path / f"{kind}.svg", kind=kind, renderer="builtin")
    svg = out.read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed SVG
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    labels = {html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", svg)}
    assert set(ACTIVITIES) <= labels
    graph = mine.dfg(desk_db, performance=True)
    counts = {f"{n:,}" for n in graph.activities["events"]}
    assert counts <= labels
    if kind == "frequency":
        assert {f"{n:,}" for n in graph.edges["frequency"]} <= labels
    else:
        assert any(re.fullmatch(r"[\d.]+ (s|min|h|d)", label) for label in labels)
    # every arrow drawn: one polyline per edge between two activities, per start and end arrow
    lines = svg.count("<polyline")
    selfloops = int((graph.edges["source"] == graph.edges["target"]).sum())
    assert lines == (len(graph.edges) - selfloops + len(graph.start_activities)
                     + len(graph.end_activities))
    width, height = float(root.get("width")), float(root.get("height"))
    points = [float(v) for pts in re.findall(r'points="([^"]+)"', svg)
              for pair in pts.split() for v in pair.split(",")]
    assert min(points) >= 0 and max(points[0::2]) <= width and max(points[1::2]) <= height


def test_builtin_svg_map_is_deterministic(desk_db: Path, tmp_path: Path) -> None:
    """Same workspace, same bytes: also across processes with different hash seeds."""
    import os
    import subprocess
    import sys

    script = ("import sys; from ticketlens.analyses import mine; "
              "mine.process_map(sys.argv[1], sys.argv[2], renderer='builtin')")
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"map{seed}.svg"
        subprocess.run([sys.executable, "-c", script, str(desk_db), str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_builtin_renderer_draws_svg_only(desk_db: Path, tmp_path: Path) -> None:
    from ticketlens.core.errors import InputError

    with pytest.raises(InputError, match="SVG only"):
        mine.process_map(desk_db, tmp_path / "map.png", renderer="builtin")


def test_dot_text_is_deterministic_and_counts_edges(desk_db: Path, tmp_path: Path) -> None:
    first = mine.process_map(desk_db, tmp_path / "a.dot").read_text()
    second = mine.process_map(desk_db, tmp_path / "b.dot").read_text()
    assert first == second
    graph = mine.dfg(desk_db)
    arrows = re.findall(r"^  a\d+ -> a\d+ ", first, flags=re.MULTILINE)
    assert len(arrows) == len(graph.edges)


# --- XES export --------------------------------------------------------------------------------

def test_xes_round_trip_through_pm4py(desk_db: Path, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    out = mine.export_xes(desk_db, tmp_path / "desk.xes.gz")
    back = pm4py.read_xes(str(out))
    with duckdb.connect(str(desk_db), read_only=True) as con:
        ours = con.execute(
            """SELECT ticket_id, event_seq, activity, "timestamp", coalesce(assigned_to, '')
               FROM events ORDER BY ticket_id, event_seq"""
        ).fetchall()
        teams = dict(con.execute(
            "SELECT ticket_id, min(value) FROM case_attributes WHERE name = 'team' GROUP BY 1"
        ).fetchall())
    back["seq"] = back.groupby("case:concept:name").cumcount()
    back = back.sort_values(["case:concept:name", "seq"], kind="stable")
    theirs = list(zip(back["case:concept:name"], back["seq"], back["concept:name"],
                      back["time:timestamp"], back["org:resource"].fillna(""), strict=True))
    assert len(theirs) == len(ours)
    assert theirs == [(t, s, a, pd.Timestamp(ts), r) for t, s, a, ts, r in ours]
    exported_teams = back.groupby("case:concept:name")["case:team"].first().dropna().to_dict()
    assert exported_teams == teams


def test_xes_export_is_byte_identical_and_escapes_text(tmp_path: Path) -> None:
    db = workspace_with([("T<1>", 0, "Fix \"A\" & <B>", "O'Brien"), ("T<1>", 5, "Done", None)],
                        attributes=[("T<1>", "team", "Ops & Dev")])
    first = mine.export_xes(db, tmp_path / "a.xes.gz").read_bytes()
    second = mine.export_xes(db, tmp_path / "b.xes.gz").read_bytes()
    assert first == second
    text = gzip.decompress(first).decode()
    assert '<string key="concept:name" value="Fix &quot;A&quot; &amp; &lt;B&gt;"/>' in text
    assert '<string key="org:resource" value="O&apos;Brien"/>' in text
    assert '<string key="team" value="Ops &amp; Dev"/>' in text
    assert text.count("<event>") == 2 and "org:resource" not in text.split("<event>")[2]


# --- conformance on the generated desk ------------------------------------------------------

def test_generated_desk_conformance(desk_db: Path) -> None:
    """Happy paths fit; every reopened ticket deviates (Ticket Reopened is not intended)."""
    result = mine.conformance(desk_db)
    reopened = set(mine.rework(desk_db).reopens["ticket_id"])
    tickets = result.tickets.set_index("ticket_id")
    assert not tickets.loc[sorted(reopened), "fitting"].any()
    assert tickets.drop(index=sorted(reopened))["fitting"].mean() > 0.99
    assert result.unmodelled == ["Ticket Reopened"]
    assert result.by_team["tickets"].sum() == result.cases
    summary = result.deviation_summary.set_index(["kind", "activity"])
    assert summary.loc[("inserted", "Ticket Reopened"), "tickets"] == len(reopened)


def test_generated_desk_rework_finds_the_messy_patterns(desk_db: Path) -> None:
    result = mine.rework(desk_db)
    assert result.roster.any_known and not result.roster.unknown
    pairs = result.ping_pong[(result.ping_pong["level"] == "technician")
                             & (result.ping_pong["kind"] == "direct")]
    assert len(pairs) > 0
    chains = set(result.escalation_chains["chain"])
    assert {"L1 → L2", "L1 → L2 → L3"} <= chains


# --- alignment properties ------------------------------------------------------------------

_MODEL = mine.load_model()
_AUTOMATON = build_automaton(_MODEL, strict_end=True)
_INDEX = {name: i for i, name in enumerate(_MODEL.activities)}


@st.composite
def _walks(draw: st.DrawFn) -> list[str]:
    """A random walk through the shipped lifecycle model, from a start to an end activity."""
    walk = [draw(st.sampled_from(_MODEL.start))]
    while walk[-1] not in _MODEL.end or (walk[-1] in _MODEL.transitions and draw(st.booleans())):
        if len(walk) > 25:
            walk.append(draw(st.sampled_from(sorted(_MODEL.transitions))))
            return []
        walk.append(draw(st.sampled_from(_MODEL.transitions[walk[-1]])))
    return walk


@settings(max_examples=60, deadline=None)
@given(walk=_walks(), slot=st.integers(min_value=0, max_value=30))
def test_model_walks_fit_and_a_foreign_step_costs_one(walk: list[str], slot: int) -> None:
    if not walk:
        return
    codes = [_INDEX[a] for a in walk]
    foreign = len(_INDEX)  # an activity the model does not know
    spliced = [*codes[: slot % (len(codes) + 1)], foreign, *codes[slot % (len(codes) + 1):]]
    result = align([pd.array(codes).to_numpy(), pd.array(spliced).to_numpy()], _AUTOMATON,
                   ("Foreign",))
    assert list(result.cost) == [0, 1]
    assert result.deviations[["trace", "kind", "activity"]].values.tolist() == [
        [1, "inserted", "Foreign"]]


# --- CLI --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("verb", "keys"), [
    ("variants", {"variants"}),
    ("dfg", {"edges", "activities", "start_activities", "end_activities", "cases"}),
    ("bottlenecks", {"transitions", "activities", "split_summary"}),
    ("rework", {"reopens", "ping_pong", "escalation_chains", "roster"}),
    ("handover", {"network", "skill_mismatch", "roster"}),
    ("conformance", {"by_team", "by_technician", "deviation_summary", "conformance_rate"}),
])
def test_cli_json(desk_db: Path, verb: str, keys: set[str]) -> None:
    result = CliRunner().invoke(cli, ["mine", verb, "--db", str(desk_db), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert keys <= set(payload)
    assert "time_split" not in payload and "tickets" not in payload  # per-ticket: --out only


def test_cli_tables_and_files(desk_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["mine", "variants", "--db", str(desk_db), "--top", "3"])
    assert shown.exit_code == 0 and "Ticket Created → Ticket Assigned" in shown.output
    folder = tmp_path / "bottlenecks"
    assert runner.invoke(cli, ["mine", "bottlenecks", "--db", str(desk_db), "--out",
                               str(folder)]).exit_code == 0
    split = pd.read_csv(folder / "time_split.csv")
    assert len(split) == mine.dfg(desk_db).cases
    assert runner.invoke(cli, ["mine", "dfg", "--db", str(desk_db), "--priority", "Critical",
                               "--out", str(tmp_path / "edges.csv")]).exit_code == 0
    edges = pd.read_csv(tmp_path / "edges.csv")
    assert {"source", "target", "frequency", "median_s"} <= set(edges.columns)
    copied = tmp_path / "my-model.toml"
    assert runner.invoke(cli, ["mine", "model", "--out", str(copied)]).exit_code == 0
    assert mine.load_model(copied).activities == _MODEL.activities


def test_long_trace_path_gives_the_same_answers(desk_db: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Traces too long for the sequence fingerprint are sorted within each ticket instead:
    forcing that path must not change a single number."""
    from ticketlens.analyses.mine import source

    fast_variants, fast_dfg = mine.variants(desk_db), mine.dfg(desk_db)
    fast_conformance = mine.conformance(desk_db).tickets
    monkeypatch.setattr(source, "_FINGERPRINT_BITS", 10)  # 2 x 2 slots: every ticket is longer
    slow_variants, slow_dfg = mine.variants(desk_db), mine.dfg(desk_db)
    pd.testing.assert_frame_equal(
        fast_variants.assign(activities=fast_variants["activities"].map(list)),
        slow_variants.assign(activities=slow_variants["activities"].map(list)))
    pd.testing.assert_frame_equal(fast_dfg.edges, slow_dfg.edges)
    pd.testing.assert_frame_equal(fast_dfg.activities, slow_dfg.activities)
    pd.testing.assert_frame_equal(fast_conformance, mine.conformance(desk_db).tickets)
