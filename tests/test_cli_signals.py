"""Issue 10 §3 at the real command line: Ctrl-C and click's usage errors.

Run as subprocesses (the installed ``ticketlens`` script on this checkout's sources): a
SIGINT must reach the process as it would from a terminal, and usage errors are printed by
``main``, which click's test runner does not call.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ticketlens as tl

SCRIPT = shutil.which("ticketlens") or str(Path(sys.executable).parent / "ticketlens")


def _spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([SCRIPT, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())


@pytest.mark.parametrize(("args", "expected"), [
    (["ingest", "--bogus"], "error: No such option '--bogus'. (try 'ticketlens ingest --help')"),
    (["ingest", "x.csv", "--format", "nope"],
     "error: Invalid value for '--format': 'nope' is not one of 'auto', 'events', 'xes', 'csv', "
     "'servicenow', 'ticket-table'. (try 'ticketlens ingest --help')"),
    (["nosuch"], "error: No such command 'nosuch'. (try 'ticketlens --help')"),
    (["mine", "variants", "--top", "x"],
     "error: Invalid value for '--top': 'x' is not a valid integer range. "
     "(try 'ticketlens mine variants --help')"),
])
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    done = subprocess.run([SCRIPT, *args], cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stderr.strip(), done.stdout) == (2, expected, "")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated desk whose ingest takes a few seconds."""
    out = tmp_path_factory.mktemp("desk") / "desk"
    tl.generate(out, tickets=30_000, seed=3)
    return out


@pytest.mark.parametrize("after", [0.15, 0.6, 1.5])
def test_ctrl_c_during_ingest_prints_interrupted_and_leaves_nothing(
        desk: Path, tmp_path: Path, after: float) -> None:
    """0.15 s: while the command imports; later: while DuckDB reads and loads."""
    before = sorted(p.name for p in tmp_path.iterdir())
    started = time.monotonic()
    proc = _spawn("ingest", str(desk), "--db", "w.duckdb", cwd=tmp_path)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert time.monotonic() - started < 60
    assert (proc.returncode, err.strip()) == (130, "interrupted"), (out, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no workspace, no temp file
    assert sorted(p.name for p in desk.iterdir()) == sorted(
        ["business_impact.csv", "events.csv", "manifest.json", "ownership.csv",
         "sla-policy.toml", "sla_metrics.csv", "tickets.csv"])


def test_ctrl_c_leaves_an_existing_workspace_as_it_was(desk: Path, tmp_path: Path,
                                                     real_data: Path) -> None:
    done = subprocess.run([SCRIPT, "ingest", str(real_data / "helpdesk.csv"), "--db", "w.duckdb"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    proc = _spawn("ingest", str(desk), "--db", "w.duckdb", cwd=tmp_path)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.strip()) == (130, "interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
    info = subprocess.run([SCRIPT, "info", "--db", "w.duckdb", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    data = json.loads(info.stdout)
    assert (data["events"], data["cases"], len(data["sources"])) == (21_348, 4_580, 1)


def test_a_reader_that_leaves_early_is_no_internal_error(tmp_path: Path) -> None:
    """`ticketlens sla --list-policies | head -1`: the pipe closes before ticketlens writes."""
    proc = subprocess.Popen([SCRIPT, "sla", "--list-policies"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read() if proc.stderr else ""
    assert (proc.wait(timeout=60), err) == (141, "")


def test_a_swallowed_ctrl_c_still_stops_the_command(tmp_path, monkeypatch) -> None:
    """A KeyboardInterrupt raised inside a callback from C is printed and dropped (numba's
    compiler events do that: a 1 M-ticket `generate` interrupted while its queue kernel
    loaded ran to the end and published its output). The request is noted; the next chunk,
    and any commit of staged output, raise it again, and nothing is left behind."""
    import ticketlens
    from ticketlens.core import interrupt

    monkeypatch.setattr(interrupt, "_requested", [])
    with contextlib.suppress(KeyboardInterrupt):  # swallowed on the way
        interrupt._on_sigint(signal.SIGINT, None)
    with pytest.raises(KeyboardInterrupt):
        ticketlens.generate(tmp_path / "desk", tickets=200)
    assert list(tmp_path.iterdir()) == []


def test_a_swallowed_ctrl_c_leaves_no_traceback(monkeypatch, capsys) -> None:
    """llvmlite's ctypes callback (numba loading a kernel) reports a KeyboardInterrupt it
    cannot raise as "Exception ignored … Traceback": after Ctrl-C that report stays quiet (the
    one line "interrupted" follows); any other unraisable error is still reported."""
    import ctypes

    from ticketlens.core import interrupt

    monkeypatch.setattr(interrupt, "_requested", [True])
    monkeypatch.setattr(sys, "unraisablehook", interrupt._quiet_when_interrupted)

    def callback(error: type[BaseException]) -> ctypes.CFUNCTYPE:
        def raising() -> None:
            raise error
        return ctypes.CFUNCTYPE(None)(raising)

    callback(KeyboardInterrupt)()
    assert capsys.readouterr().err == ""
    callback(ValueError)()
    assert "ValueError" in capsys.readouterr().err
