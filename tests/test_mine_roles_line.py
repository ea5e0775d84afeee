"""`ticketlens mine …` says first whose lifecycle roles it reads (issue 10 §1), and only when it
has output: a refusal stays one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import ticketlens as tl
from ticketlens.cli import cli


@pytest.fixture(scope="module")
def helpdesk(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hd") / "hd.duckdb"
    tl.ingest(real_data / "helpdesk.csv", db=db)
    return db


@pytest.mark.parametrize("verb", [["variants", "--top", "2"], ["dfg"], ["rework"],
                                  ["conformance"], ["bottlenecks"]])
def test_first_line_names_the_roles_in_force(helpdesk: Path, verb: list[str]) -> None:
    result = CliRunner().invoke(cli, ["mine", *verb, "--db", str(helpdesk)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "lifecycle roles: mapping helpdesk (14 activities)"


def test_json_and_refusals_stay_as_they_were(helpdesk: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["mine", "variants", "--db", str(helpdesk), "--json"])
    assert result.output.lstrip().startswith("{")
    broken = tmp_path / "model.toml"
    broken.write_text("not toml at all\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["mine", "conformance", "--db", str(helpdesk),
                                      "--model", str(broken)])
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    assert result.output.startswith("error: ")
