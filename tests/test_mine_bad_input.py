"""Bad input gets a clear message or a correct empty answer, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_support import workspace_file, workspace_with
from ticketlens.analyses import mine
from ticketlens.cli import cli
from ticketlens.core.errors import AnalysisError, ConfigError, InputError, WorkspaceError
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import open_workspace

C, A, WS = "Ticket Created", "Ticket Assigned", "Work Started"


def _file_workspace(tmp_path: Path, rows: list[tuple[object, ...]]) -> Path:
    return workspace_file(tmp_path / "ws.duckdb", rows)


def test_one_event_per_ticket() -> None:
    """No edges, start = end activity, one-step variants, no handovers, zero life."""
    db = workspace_with([("T1", 0, C, None), ("T2", 5, C, None), ("T3", 9, "Odd", "x")])
    graph = mine.dfg(db)
    assert graph.edges.empty and graph.cases == 3
    assert dict(zip(graph.start_activities["activity"], graph.start_activities["cases"],
                    strict=True)) == {C: 2, "Odd": 1}
    assert graph.end_activities.equals(graph.start_activities)
    assert list(mine.variants(db)["length"]) == [1, 1]
    assert mine.handover(db).network.empty
    split = mine.bottlenecks(db).time_split
    assert (split["life_s"] == 0).all()
    assert mine.bottlenecks(db).transitions.empty
    result = mine.conformance(db)
    assert list(result.tickets["fitting"]) == [True, True, False]  # open prefixes fit; Odd not


def test_identical_timestamps_keep_source_order_and_wait_zero() -> None:
    rows = [("T1", 0, C, None), ("T1", 0, A, "x"), ("T1", 0, WS, "x")]
    db = workspace_with(rows)
    assert list(mine.variants(db).loc[0, "activities"]) == [C, A, WS]
    edges = mine.dfg(db).edges
    assert (edges["mean_s"] == 0).all() and (edges["max_s"] == 0).all()
    assert mine.bottlenecks(db).time_split.loc[0, "life_s"] == 0


def test_empty_filter_result_is_an_empty_answer() -> None:
    db = workspace_with([("T1", 0, C, None, "Network", "High"), ("T1", 5, A, "x")])
    # a window no ticket was created in (a value the data lacks is refused: test_segment_filters)
    nobody = TicketFilter(start=datetime(2100, 1, 1, tzinfo=UTC))
    graph = mine.dfg(db, segment=nobody)
    assert graph.is_empty and graph.edges.empty and graph.start_activities.empty
    frame = mine.variants(db, segment=nobody)
    assert frame.empty and "cases" in frame.columns
    assert mine.rework(db, segment=nobody).reopens.empty
    assert mine.handover(db, segment=nobody).network.empty
    assert mine.bottlenecks(db, segment=nobody).time_split.empty
    result = mine.conformance(db, segment=nobody)
    assert result.tickets.empty and result.cases == 0
    with pytest.raises(AnalysisError, match="no tickets match"):
        mine.process_map(db, "never.dot", segment=nobody)


def test_empty_filter_result_in_the_cli(tmp_path: Path) -> None:
    db = _file_workspace(tmp_path, [("T1", 0, C, None, "Network", "High")])
    runner = CliRunner()
    for verb in ("variants", "dfg", "bottlenecks", "rework", "handover", "conformance"):
        result = runner.invoke(cli, ["mine", verb, "--db", str(db), "--from", "2100-01-01"])
        assert result.exit_code == 0, (verb, result.output)
        assert "no tickets match the filter (created from 2100-01-01 00:00)" in result.output
    export = runner.invoke(cli, ["mine", "export", "--db", str(db), "--from", "2100-01-01",
                                 "--out", str(tmp_path / "x.xes")])
    assert export.exit_code == 2 and "nothing to export" in export.output
    assert not (tmp_path / "x.xes").exists()


def _model(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_activity_in_the_model_is_a_clear_error(tmp_path: Path) -> None:
    model = _model(tmp_path, """
[model]
start = ["Ticket Created"]
end = ["Ticket Closd"]
[transitions]
"Ticket Created" = ["Ticket Closd"]
""")
    db = workspace_with([("T1", 0, C, None)])
    with pytest.raises(ConfigError, match=r"unknown activity 'Ticket Closd'.*did you mean "
                                          r"'Ticket Closed'"):
        mine.conformance(db, model=model)


@pytest.mark.parametrize(("text", "message"), [
    ("[model]\nstart=['A']\nend=['B']\n", r"\[transitions\] is missing"),
    ("[model]\nstart=['A']\nend=['B']\ncolour='red'\n[transitions]\nA=['B']\n",
     "unknown key"),
    ("[model]\nstart=[]\nend=['B']\n[transitions]\nA=['B']\n", "start is empty"),
    ("[model]\nstart=['A']\nend=['C']\n[transitions]\nA=['B']\n",
     "'B' can be reached but has no"),
    ("[model]\nstart=['A']\nend=['B']\nanywhere=['A']\n[transitions]\nA=['B']\n",
     "both an `anywhere` step"),
    ("[model]\nstart='A'\nend=['B']\n[transitions]\nA=['B']\n", "must be a list"),
    ("not toml at all [", "not valid TOML"),
])
def test_invalid_model_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        mine.load_model(_model(tmp_path, text))


def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    db = _file_workspace(tmp_path, [("T1", 0, C, None)])
    model = _model(tmp_path, "[model]\nstart=['Nope']\nend=['Nope']\n[transitions]\n")
    runner = CliRunner()
    cases = [
        (["mine", "conformance", "--db", str(db), "--model", str(model)], "unknown activity"),
        (["mine", "dfg", "--db", str(tmp_path / "missing.duckdb")], "no workspace at"),
        (["mine", "map", "--db", str(db), "--out", str(tmp_path / "map.gif")], ".svg, .png"),
        (["mine", "dfg", "--db", str(db), "--out", str(tmp_path / "x.txt")], "cannot tell"),
        (["mine", "export", "--db", str(db), "--out", str(tmp_path / "x.csv")], ".xes"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: ") and message in result.output
        assert "Traceback" not in result.output


def test_workspace_without_events(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    open_workspace(db).close()
    with pytest.raises(WorkspaceError, match="holds no events"):
        mine.variants(db)


def test_sliders_out_of_range() -> None:
    db = workspace_with([("T1", 0, C, None)])
    with pytest.raises(AnalysisError, match="fraction"):
        mine.variants(db, coverage=80)
    with pytest.raises(AnalysisError, match="positive"):
        mine.variants(db, top=0)
    with pytest.raises(AnalysisError, match="at least 1"):
        mine.dfg(db, min_frequency=0)


def test_map_without_graphviz_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    db = workspace_with([("T1", 0, C, None), ("T1", 1, A, "x")])
    with pytest.raises(AnalysisError, match="apt-get install graphviz"):
        mine.process_map(db, tmp_path / "map.svg")
    assert mine.process_map(db, tmp_path / "map.dot").read_text().startswith("digraph")


def test_export_needs_an_xes_name() -> None:
    with pytest.raises(InputError, match=r"\.xes or \.xes\.gz"):
        mine.export_xes(workspace_with([("T1", 0, C, None)]), "out.csv")
