"""One progress display for every verb: on stderr only (stdout carries tables and --json), and
showing it changes no result."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ticketlens
from ticketlens.core.progress import Display, IngestProgress, progress_steps


def test_the_display_never_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with Display(enabled=True) as display:
        display.task("generating tickets", total=10, unit="count").advance(4)
        display.task("events.csv", total=1000, unit="bytes").update(completed=500)
        with display.step("variants"):
            pass
    with progress_steps("sla", 2, enabled=True) as step:
        step("staging events")
        step("running clocks")
    with IngestProgress(enabled=True) as bar:
        bar.source("events.csv", 100)
        bar.bytes_done(100)
        bar.step("loading")
    assert capsys.readouterr().out == ""


def test_a_disabled_display_shows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with Display(enabled=False) as display:
        task = display.task("x", total=3)
        task.advance()
        task.finish()
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_every_verb_gives_the_same_result_with_progress_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quiet, shown = tmp_path / "quiet", tmp_path / "shown"
    ticketlens.generate(quiet / "desk", tickets=200, seed=3)
    ticketlens.generate(shown / "desk", tickets=200, seed=3, progress=True)
    for name in ("events.csv", "tickets.csv", "manifest.json"):
        assert (quiet / "desk" / name).read_bytes() == (shown / "desk" / name).read_bytes()
    ticketlens.ingest(quiet / "desk", db=quiet / "ws.duckdb")
    ticketlens.ingest(shown / "desk", db=shown / "ws.duckdb", progress=True)
    pd.testing.assert_frame_equal(ticketlens.sla(quiet / "ws.duckdb"),
                                  ticketlens.sla(shown / "ws.duckdb", progress=True))
    kpi_shown = ticketlens.kpi(shown / "ws.duckdb", progress=True).tables
    for table, frame in ticketlens.kpi(quiet / "ws.duckdb").tables.items():
        pd.testing.assert_frame_equal(frame, kpi_shown[table])
    pd.testing.assert_frame_equal(ticketlens.mine.variants(quiet / "ws.duckdb"),
                                  ticketlens.mine.variants(shown / "ws.duckdb", progress=True))
    assert capsys.readouterr().out == ""
