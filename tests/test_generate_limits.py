"""What the generator cannot do it refuses in one line (exit 2, nothing left behind); what it
accepts, even at the edges, gives valid data (issue 10 §4).

* ticket counts whose output would not fit the free disk of the output folder;
* windows outside 1970-01-01 .. 2399-12-31 (before 1970 gave an IndexError, or closed tickets
  without ``closed_at`` and ``uptime_impact_minutes = -9223372036854775808``);
* durations beyond a year (``[15, 1e300]`` gave an IndexError);
* a day denser than a chunk is split into bounded chunks, not simulated in one piece.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import ticketlens
from test_generate_support import grammar_violations
from ticketlens.cli import cli
from ticketlens.sources.generate import api, simulate, writer
from ticketlens.sources.generate.config import load_config
from ticketlens.sources.generate.config_values import span_limit


def _one_error_line(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- ticket counts that cannot fit the disk ---------------------------------------------------

def test_a_trillion_tickets_is_refused_at_once_with_the_estimate(tmp_path) -> None:
    out = tmp_path / "huge"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), "--tickets",
                                      "1000000000000"])
    line = _one_error_line(result, "--tickets 1,000,000,000,000", "estimated", "free")
    assert time.monotonic() - started < 10  # refused before any simulation or allocation
    assert "PB" in line or "TB" in line
    assert list(tmp_path.iterdir()) == []


def test_the_estimate_follows_the_formats_and_the_free_space(tmp_path, monkeypatch) -> None:
    """100,000 tickets need about 130 MB of CSV: refused on a disk with 50 MB free, with the
    estimate and the free space in the message; CSV + Parquet needs more than CSV alone."""
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(writer.shutil, "disk_usage", lambda _p: usage(10**9, 0, 50 * 10**6))
    with pytest.raises(ticketlens.InputError, match=r"--tickets 100,000: the output needs "
                       r"an estimated 1\d\d MB .* only 50 MB free"):
        ticketlens.generate(tmp_path / "d", tickets=100_000)
    assert writer.estimate_bytes(100_000, ("csv", "parquet")) > writer.estimate_bytes(100_000, ("csv",))
    # a count that fits is generated (the check costs nothing on an ordinary run)
    ticketlens.generate(tmp_path / "small", tickets=200, seed=1)
    assert list(tmp_path.iterdir()) == [tmp_path / "small"]


def test_the_estimate_is_an_upper_bound_of_what_is_written(tmp_path) -> None:
    result = ticketlens.generate(tmp_path / "d", tickets=3_000, seed=3,
                                 formats=("csv", "parquet"))
    written = sum(p.stat().st_size for p in result.out.iterdir())
    estimate = writer.estimate_bytes(3_000, ("csv", "parquet"))
    assert written <= estimate <= 2 * written


def test_ctrl_c_during_generate_says_interrupted_and_leaves_nothing(tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(ticketlens.__file__).parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "ticketlens", "generate", "--out",
                             str(tmp_path / "big"), "--tickets", "1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".big.partial-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)  # well inside the simulation
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_inside_a_duckdb_query_is_an_interrupt_too(tmp_path, monkeypatch) -> None:
    """Ctrl-C while DuckDB computes sla_metrics surfaced as "internal error: RuntimeError:
    Query interrupted" (exit 1): it is an interrupt like any other."""
    import duckdb

    from ticketlens.clock import facts

    def interrupted(*args, **kwargs):
        raise duckdb.InterruptException("Query interrupted")

    monkeypatch.setattr(facts, "metric_facts", interrupted)
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "d"), "--tickets",
                                      "300"])
    assert result.exit_code == 130 and result.output.strip() == "interrupted", result.output
    assert list(tmp_path.iterdir()) == []


# --- windows ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "option"), [
    ("1969-12-01", "1969-12-31", "--start = 1969-12-01"),
    ("1969-12-20", "1970-01-10", "--start = 1969-12-20"),
    ("0001-01-01", "0001-01-31", "--start = 0001-01-01"),
    ("9999-12-01", "9999-12-31", "--start = 9999-12-01"),
    ("2024-01-01", "2400-01-01", "--end = 2400-01-01"),
])
def test_a_window_outside_the_supported_years_is_one_line(tmp_path, start, end, option) -> None:
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "d"), "--tickets",
                                      "300", "--start", start, "--end", end])
    _one_error_line(result, option, "1970-01-01", "2399-12-31")
    assert list(tmp_path.iterdir()) == []


def test_a_config_window_outside_the_supported_years_names_its_key(tmp_path) -> None:
    with pytest.raises(ticketlens.ConfigError, match=r"\[window\] start = 1900-01-01.*"
                       r"1970-01-01 and 2399-12-31"):
        ticketlens.generate(tmp_path / "d", config={"window": {"start": "1900-01-01"}})


def _check_valid(out: Path, start: str, end: str) -> None:
    """The checks that failed before 1970: every closed ticket has its closed_at, no sentinel
    leaks into a number, every event inside the window, the grammar holds."""
    manifest = json.loads((out / "manifest.json").read_text())
    tiers = {t["name"]: t["tier"] for t in manifest["roster"]}
    events = pd.read_csv(out / "events.csv", parse_dates=["timestamp"])
    tickets = pd.read_csv(out / "tickets.csv", parse_dates=["created_at", "closed_at"])
    sla = pd.read_csv(out / "sla_metrics.csv")
    window_end = pd.Timestamp(end) + pd.Timedelta(days=1)
    assert len(tickets) and len(events) > len(tickets)
    violations = grammar_violations(events, tiers, window_end)
    assert violations == dict.fromkeys(violations, 0)
    assert events["timestamp"].min() >= pd.Timestamp(start)
    closed = tickets["status"] == "Closed"
    assert closed.any() and tickets.loc[closed, "closed_at"].notna().all()
    assert tickets.loc[~closed, "closed_at"].isna().all()
    assert (tickets.loc[closed, "closed_at"] >= tickets.loc[closed, "created_at"]).all()
    assert sla["uptime_impact_minutes"].between(0, 10**9).all()
    assert (sla["resolution_hours"].dropna() > 0).all()
    assert (sla["first_response_minutes"].dropna() > 0).all()
    assert sla["sla_limit_hours"].isin([4, 8, 24, 72]).all()


@pytest.mark.parametrize(("start", "end"), [("1970-01-01", "1970-01-31"),
                                            ("2399-12-01", "2399-12-31")])
def test_the_first_and_last_supported_months_give_valid_data(tmp_path, start, end) -> None:
    result = ticketlens.generate(tmp_path / "d", tickets=600, seed=2, start=start, end=end)
    _check_valid(result.out, start, end)


# --- durations ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("timing", "assign_minutes", [15, 1e300],
     r"\[timing\] assign_minutes = \[15, 1e\+300\]: the high end is above 525,600 minutes"),
    ("timing", "user_response_hours", [1, 10_000], r"above 8,760 hours \(a year\)"),
    ("timing", "resolution_complex_hours", [16, 5_000],
     r"resolution_complex_hours .* above 2,080 working hours"),
    ("timing", "close_business_days", [1, 1_000], r"above 260 business days"),
    ("timing", "escalation_extra", [0.5, 50], r"escalation_extra .* above 10"),
    ("patterns", "zombie_weeks", [3, 1e6], r"\[patterns\] zombie_weeks .* above 52 weeks"),
    ("patterns", "vip_assign_minutes", [5, float("inf")], r"vip_assign_minutes .* not a number"),
])
def test_an_absurd_duration_range_names_the_key_and_the_allowed_range(
        tmp_path, section, key, value, message) -> None:
    with pytest.raises(ticketlens.ConfigError, match=message):
        ticketlens.generate(tmp_path / "d", config={section: {key: value}})
    assert list(tmp_path.iterdir()) == []


def test_an_absurd_duration_in_a_toml_file_is_one_cli_line(tmp_path) -> None:
    toml = tmp_path / "absurd.toml"
    toml.write_text("[timing]\nassign_minutes = [15, 1e300]\n")
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "d"), "--config",
                                      str(toml)])
    _one_error_line(result, "absurd.toml: [timing] assign_minutes", "525,600 minutes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["absurd.toml"]


def test_every_duration_at_its_limit_on_the_last_month_gives_valid_data(tmp_path) -> None:
    """The longest accepted durations at the latest accepted window: valid data (the times stay
    within the clock's 34-bit range)."""
    desk = load_config()
    timing = {f: [span_limit(f), span_limit(f)] for f in desk.to_dict()["timing"]}
    patterns = {f: [span_limit(f), span_limit(f)]
                for f in ("parts_backorder_business_days", "vip_assign_minutes", "zombie_weeks")}
    start, end = "2399-12-01", "2399-12-31"
    result = ticketlens.generate(tmp_path / "d", tickets=400, seed=8, start=start, end=end,
                                 config={"timing": timing, "patterns": patterns})
    events = pd.read_csv(result.out / "events.csv", parse_dates=["timestamp"])
    manifest = json.loads((result.out / "manifest.json").read_text())
    tiers = {t["name"]: t["tier"] for t in manifest["roster"]}
    violations = grammar_violations(events, tiers, pd.Timestamp("2400-01-01"))
    assert violations == dict.fromkeys(violations, 0)
    sla = pd.read_csv(result.out / "sla_metrics.csv")
    assert sla["uptime_impact_minutes"].between(0, 10**9).all()


# --- dense days ---------------------------------------------------------------------------------

def test_a_day_denser_than_a_chunk_is_split_into_bounded_chunks(tmp_path, monkeypatch) -> None:
    """3,000 tickets on one day with chunks of 400: every chunk holds at most 400 tickets (the
    day used to be one chunk of 3,000); ids stay unique and numbered 0001-3000 in time order;
    the grammar holds and two runs are byte-identical."""
    desk = load_config().with_overrides(tickets=3_000, start="2024-03-04", end="2024-03-05",
                                        seed=4)
    sim = simulate.prepare(desk, chunk_tickets=400)
    sizes = [chunk.tickets for chunk in simulate.run(sim)]
    assert sum(sizes) == 3_000 and max(sizes) <= 400 and len(sizes) >= 8

    monkeypatch.setattr(api, "prepare", functools.partial(simulate.prepare, chunk_tickets=400))
    a = ticketlens.generate(tmp_path / "a", tickets=3_000, seed=4, start="2024-03-04",
                            end="2024-03-05")
    b = ticketlens.generate(tmp_path / "b", tickets=3_000, seed=4, start="2024-03-04",
                            end="2024-03-05")
    for name in ("events.csv", "tickets.csv", "sla_metrics.csv"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes()
    tickets = pd.read_csv(a.out / "tickets.csv", parse_dates=["created_at"])
    assert tickets["ticket_id"].is_unique
    monday = tickets[tickets["ticket_id"].str.startswith("TKT-20240304-")]
    numbers = monday["ticket_id"].str[-4:].astype(int).to_numpy()
    assert np.array_equal(numbers, np.arange(1, len(monday) + 1))
    assert monday["created_at"].is_monotonic_increasing
    _check_valid(a.out, "2024-03-04", "2024-03-05")
