"""`ticketlens demo`: the whole pipeline on a generated desk, from one command."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ticketlens.analyses import mine
from ticketlens.cli import cli
from ticketlens.demo import demo


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    return demo(tmp_path_factory.mktemp("demo") / "out", tickets=400, seed=3)


def test_demo_writes_desk_workspace_and_kpis(demo_result) -> None:
    """The demo leaves the generated desk, a workspace and the KPI files behind."""
    assert (demo_result.desk / "events.csv").exists()
    assert (demo_result.desk / "manifest.json").exists()
    assert demo_result.row_counts["tickets"] == 400
    assert demo_result.tickets == 400
    assert any((demo_result.out / "kpi").glob("kpi_breach.*"))


def test_demo_headline_matches_the_workspace(demo_result) -> None:
    """The breach figures it prints are the workspace's own SLA facts, not a second count."""
    con = duckdb.connect(str(demo_result.db), read_only=True)
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    assert events == demo_result.events_loaded == demo_result.row_counts["events"]
    resolution = demo_result.breach.set_index("metric").loc["resolution"]
    assert resolution["breached"] == demo_result.by_priority["breached"].sum()
    assert list(demo_result.by_priority["value"]) == ["Critical", "High", "Medium", "Low"]


def test_demo_refuses_a_folder_it_did_not_make(tmp_path) -> None:
    """A non-empty folder that is not an earlier demo is never overwritten."""
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path), "--tickets", "50"])
    assert result.exit_code == 2
    assert "not a ticketlens demo folder" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_demo_draws_its_map_without_graphviz(tmp_path, monkeypatch) -> None:
    """No `dot` on PATH: the demo still draws process-map.svg (builtin renderer), says so,
    and exits 0."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--tickets", "150"])
    assert result.exit_code == 0, result.output
    svg = (out / "process-map.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Ticket Created" in svg
    packed = "".join(result.output.split())  # rich wraps long paths anywhere
    assert "process-map.svg(drawnwithoutGraphviz;`apt-getinstallgraphviz`" in packed
    # the lifecycles are the top 5: it says of how many
    every = mine.variants(out / "ticketlens.duckdb")
    assert len(every) > 5
    assert f"Most common lifecycles (5 of {len(every):,} variants)" in " ".join(result.output.split())


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_demo_figures() -> list[str]:
    """Every figure in README.md's "What the demo prints" block (counts, rates, hours)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## What the demo prints.*?```\n(.*?)```", text, flags=re.DOTALL)
    assert block, "README.md has a 'What the demo prints' code block"
    return re.findall(r"\d[\d,]*(?:\.\d+)?(?: ?%| h\b)?", block.group(1))


def test_readme_demo_figures_are_what_the_demo_prints(tmp_path) -> None:
    """The README's demo output is the demo's real output: every figure in it appears in what
    `ticketlens demo` (default tickets and seed) prints, so the README cannot go stale."""
    figures = _readme_demo_figures()
    assert len(figures) >= 15  # the block was found and parsed
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    missing = [figure for figure in figures if figure not in printed]
    assert not missing, f"README.md demo figures the demo no longer prints: {missing}"
