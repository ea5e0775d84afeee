"""The desk configuration: shipped default, overlays, and every invalid input rejected with a
message naming the key and the fix, exit code 2 and no output left behind."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib

import pytest
from click.testing import CliRunner

import ticketlens
from ticketlens.cli import cli
from ticketlens.sources.generate.config import default_toml_text, load_config

BRIEF_ROSTER = {
    "Chris Johnson": "L1", "Sam Williams": "L1", "Pat Anderson": "L1", "Alex Martinez": "L2",
    "Jordan Lee": "L2", "Taylor Chen": "L2", "Morgan Davis": "L2", "Casey Brown": "L3",
    "Riley Thompson": "L3",
}


def test_default_desk_is_the_briefs() -> None:
    desk = load_config()
    assert {t.name: t.tier for t in desk.technicians if t.tier != "Manager"} == BRIEF_ROSTER
    assert [t.tier for t in desk.technicians].count("Manager") == 1
    assert desk.window.start.isoformat() == "2024-01-01"
    assert desk.window.end.isoformat() == "2024-03-31"
    assert dict(zip(desk.mix.priority.names, desk.mix.priority.probs, strict=True)) == {
        "Critical": 0.05, "High": 0.15, "Medium": 0.5, "Low": 0.3}
    jordan = dict(next(t for t in desk.technicians if t.name == "Jordan Lee").skills)
    taylor = dict(next(t for t in desk.technicians if t.name == "Taylor Chen").skills)
    assert jordan["Network"] < taylor["Network"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        desk.window.tickets = 3  # type: ignore[misc]


def test_every_default_key_is_documented() -> None:
    """Each key of the shipped TOML (outside the plain [mix.*] share tables and the technician
    blocks, documented once above them) sits in a block that opens with a comment."""
    text = default_toml_text()
    tomllib.loads(text)
    section, block_has_comment = "", False
    undocumented = []
    for line in (x.strip() for x in text.splitlines()):
        if line.startswith("["):
            section, block_has_comment = line, False
        elif not line:
            block_has_comment = False
        elif line.startswith("#"):
            block_has_comment = True
        elif not block_has_comment and not (section.startswith("[mix.")
                                            or section == "[[technician]]"):
            undocumented.append(f"{section} {line.split('=')[0].strip()}")
    assert undocumented == []
    assert text.splitlines().count("[[technician]]") == 10


def test_a_partial_file_overrides_only_its_keys(tmp_path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text("[patterns]\nzombie_rate = 0.1\n[window]\ntickets = 77\n")
    desk = load_config(path)
    default = load_config()
    assert desk.patterns.zombie_rate == 0.1 and desk.window.tickets == 77
    assert desk.patterns.vip_rate == default.patterns.vip_rate
    assert desk.technicians == default.technicians
    assert desk.source_sha256 and desk.source_sha256 != default.source_sha256


TECH = {"name": "Solo", "tier": "L1", "team": "Desk", "experience_years": 1.0,
        "skills": {"Access": 1.0}, "escalation_factor": 1.0, "mistake_factor": 1.0}


def roster(**change) -> list[dict]:
    techs = [dict(TECH, name=f"T{tier}", tier=tier) for tier in ("L1", "L2", "L3", "Manager")]
    techs[0] = dict(techs[0], **change)
    return techs


BAD = [
    ({"windoww": {}}, r"unknown key\(s\) windoww"),
    ({"patterns": {"zombie_ratee": 0.1}}, r"\[patterns\]: unknown key\(s\) zombie_ratee; allowed"),
    ({"technician": roster(tier="L4")}, r"tier = 'L4' is not a tier; use one of L1, L2, L3"),
    ({"technician": roster(skills={})}, r"TL1\).*skills is empty; give at least one category"),
    ({"technician": roster(skills={"Plumbing": 1.0})}, r"unknown category 'Plumbing'"),
    ({"technician": roster(favourite="tea")}, r"unknown key\(s\) favourite"),
    ({"technician": roster(tier="L2")}, r"nobody at tier L1; add at least one"),
    ({"technician": [*roster(), dict(TECH, name="TL2")]}, r"names must be unique"),
    ({"mix": {"priority": {"Critical": 0.1, "High": 0.1, "Medium": 0.5, "Low": 0.25}}},
     r"\[mix.priority\]: the shares sum to 0.95, not 1"),
    ({"mix": {"category": {"Software": 1.0, "Plumbing": 0.0}}}, r"unknown key\(s\) Plumbing"),
    ({"window": {"start": "2024-03-01", "end": "2024-02-01"}},
     r"ends \(2024-02-01\) before it starts \(2024-03-01\); set end on or after start"),
    ({"window": {"tickets": -5}}, r"\[window\] tickets = -5: tickets cannot be negative"),
    ({"window": {"tickets": 2.5}}, r"tickets must be a whole number"),
    ({"window": {"timezone": "Mars/Olympus"}}, r"not a known time zone"),
    ({"window": {"start": "01/02/2024"}}, r"\[window\] start = '01/02/2024' is not a date; "
                                          r"write it as YYYY-MM-DD"),
    ({"workload": {"capacity": {"L1": -1, "L2": 1, "L3": 1, "Manager": 1}}},
     r"capacity.L1 = -1: capacity cannot be negative"),
    ({"workload": {"capacity": {"L1": 1, "L2": 1, "L3": 1, "Manager": 1, "L5": 2}}},
     r"unknown tier\(s\) L5"),
    ({"workload": {"tickets_per_team_day": 0}}, r"tickets_per_team_day = 0 must be greater"),
    ({"patterns": {"vip_rate": 1.5}}, r"vip_rate = 1.5 is not a probability; use a value"),
    ({"patterns": {"l1_escalation": {"simple": 0.1}}}, r"missing medium, complex"),
    ({"timing": {"assign_minutes": [120, 15]}}, r"low is above high; write it as \[15, 120\]"),
    ({"timing": {"assign_minutes": 15}}, r"give a range as \[low, high\]"),
    ({"calendar": {"business_hours": [17, 9]}}, r"low is above high; write it as \[9, 17\]"),
    ({"calendar": {"business_hours": [9, 25]}}, r"0 <= start < end <= 24"),
]


@pytest.mark.parametrize(("config", "message"), BAD)
def test_invalid_config_names_the_key_and_the_fix(tmp_path, config, message) -> None:
    out = tmp_path / "desk"
    with pytest.raises(ticketlens.ConfigError, match=message):
        ticketlens.generate(out, config=config)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("options", "message"), [
    (["--tickets", "-3"], "tickets cannot be negative"),
    (["--start", "2024-05-01", "--end", "2024-04-01"], "before it starts"),
    (["--format", "csv,xlsx"], "unknown format"),
    (["--config", "missing.toml"], "config file not found"),
])
def test_cli_errors_are_one_line_exit_2_and_leave_nothing(tmp_path, options, message) -> None:
    out = tmp_path / "desk"
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), *options])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_bad_toml_file_with_its_name(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[patterns]\nvip_rate = 2\n")
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "o"), "--config",
                                      str(bad)])
    assert result.exit_code == 2
    assert re.search(r"bad\.toml: \[patterns\] vip_rate = 2 is not a probability", result.output)
    broken = tmp_path / "broken.toml"
    broken.write_text("[patterns\n")
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "o"), "--config",
                                      str(broken)])
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_an_error_midway_leaves_no_half_written_output(tmp_path, monkeypatch) -> None:
    """A failure after files were started removes the temporary folder; the target folder and
    an earlier desk in it stay as they were."""
    out = tmp_path / "desk"
    ticketlens.generate(out, tickets=40, seed=1)
    before = (out / "events.csv").read_bytes()
    from ticketlens.sources.generate import api

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(api, "ownership_table", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ticketlens.generate(out, tickets=400, seed=2)
    assert (out / "events.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk"]


def test_print_config_writes_the_default_toml() -> None:
    result = CliRunner().invoke(cli, ["generate", "--print-config"])
    assert result.exit_code == 0
    assert result.output == default_toml_text()


def test_cli_generates_and_reports_json(tmp_path) -> None:
    out = tmp_path / "desk"
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), "--tickets", "150",
                                      "--seed", "9", "--start", "2024-02-01", "--end",
                                      "2024-02-29", "--format", "csv,parquet", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["row_counts"]["tickets"] == 150 and report["seed"] == 9
    assert (report["start"], report["end"]) == ("2024-02-01", "2024-02-29")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.{f}" for t in ("events", "tickets", "sla_metrics", "ownership", "business_impact")
         for f in ("csv", "parquet")] + ["manifest.json", "sla-policy.toml"])
    assert report["sla_policy"] == {"name": "generated-desk",
                                    "file": str(out / "sla-policy.toml")}
    same = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "again"), "--tickets",
                                    "150", "--seed", "9", "--start", "2024-02-01", "--end",
                                    "2024-02-29", "--format", "csv,parquet"])
    assert same.exit_code == 0 and "150" in same.output
    assert (out / "events.csv").read_bytes() == (tmp_path / "again" / "events.csv").read_bytes()
