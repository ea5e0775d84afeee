"""One workspace handle: every public function that takes a workspace accepts a path or an open
``Workspace`` (borrowed: left open), and gives the same result either way."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import ticketlens
from ticketlens.workspace.connection import open_workspace


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handle") / "desk"
    ticketlens.generate(out, tickets=300, seed=5)
    return out


@pytest.fixture(scope="module")
def db(desk: Path) -> Path:
    path = desk.parent / "ws.duckdb"
    ticketlens.ingest(desk, db=path)
    ticketlens.sla(path)  # kpi below then reuses the same stored facts both ways
    return path


def _assert_same(by_path: object, by_workspace: object) -> None:
    if isinstance(by_path, pd.DataFrame):
        pd.testing.assert_frame_equal(by_path, by_workspace, check_exact=True)
    elif dataclasses.is_dataclass(by_path):
        for field in dataclasses.fields(by_path):
            _assert_same(getattr(by_path, field.name), getattr(by_workspace, field.name))
    elif isinstance(by_path, dict):
        assert by_path.keys() == by_workspace.keys()
        for key in by_path:
            _assert_same(by_path[key], by_workspace[key])
    else:
        assert by_path == by_workspace


ANALYSES = {
    "sla": lambda db: ticketlens.sla(db),
    "kpi": lambda db: ticketlens.kpi(db).tables,
    "info": lambda db: ticketlens.info(db),
    "mine.variants": lambda db: ticketlens.mine.variants(db, top=5),
    "mine.dfg": lambda db: ticketlens.mine.dfg(db),
    "mine.bottlenecks": lambda db: ticketlens.mine.bottlenecks(db),
    "mine.rework": lambda db: ticketlens.mine.rework(db),
    "mine.handover": lambda db: ticketlens.mine.handover(db),
    "mine.conformance": lambda db: ticketlens.mine.conformance(db),
}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_an_open_workspace_gives_the_same_result_as_its_path(db: Path, name: str) -> None:
    analysis = ANALYSES[name]
    by_path = analysis(db)
    with open_workspace(db) as ws:
        by_workspace = analysis(ws)
        assert ws.con.execute("SELECT count(*) FROM events").fetchall()[0][0] > 0  # still open
    _assert_same(by_path, by_workspace)


def test_export_xes_writes_the_same_file_from_an_open_workspace(db: Path, tmp_path: Path) -> None:
    ticketlens.mine.export_xes(db, tmp_path / "a.xes")
    with open_workspace(db, read_only=True) as ws:
        ticketlens.mine.export_xes(ws, tmp_path / "b.xes")
    assert (tmp_path / "a.xes").read_bytes() == (tmp_path / "b.xes").read_bytes()


def test_ingest_into_an_open_workspace_loads_the_same_events(desk: Path, tmp_path: Path) -> None:
    by_path = ticketlens.ingest(desk, db=tmp_path / "a.duckdb")
    with open_workspace(tmp_path / "b.duckdb") as ws:
        by_workspace = ticketlens.ingest(desk, db=ws)
        events = ws.con.execute("SELECT * EXCLUDE (attributes) FROM events "
                                "ORDER BY ticket_id, event_seq").df()
    assert by_workspace.db == str(tmp_path / "b.duckdb")
    assert (by_path.workspace_events, by_path.workspace_cases) == (
        by_workspace.workspace_events, by_workspace.workspace_cases) == (events.shape[0], 300)
    with open_workspace(tmp_path / "a.duckdb", read_only=True) as ws:
        expected = ws.con.execute("SELECT * EXCLUDE (attributes) FROM events "
                                  "ORDER BY ticket_id, event_seq").df()
    pd.testing.assert_frame_equal(events, expected, check_exact=True)
