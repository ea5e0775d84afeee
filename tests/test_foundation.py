"""Foundation contracts: schema vocabulary, error handling at the CLI boundary, workspace."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from ticketlens.cli import TicketlensGroup, cli
from ticketlens.core import schema
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.connection import open_workspace


def test_activity_vocabulary_is_the_briefs_twenty() -> None:
    """The activity names are exactly the brief's, in its order."""
    assert len(schema.ACTIVITIES) == 20
    assert schema.ACTIVITIES[0] == "Ticket Created"
    assert schema.ACTIVITIES[-1] == "Hold Released"


def test_mixes_sum_to_one() -> None:
    assert sum(schema.PRIORITY_MIX.values()) == pytest.approx(1.0)
    assert sum(schema.CATEGORY_MIX.values()) == pytest.approx(1.0)


def test_library_error_becomes_one_line_and_exit_2() -> None:
    """A TicketlensError is shown as `error: ...`, exit code 2, no traceback."""
    group = TicketlensGroup(name="t")

    @group.command()
    def boom() -> None:
        raise ConfigError("desk.toml: key 'tiers.L4' is unknown")

    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: desk.toml: key 'tiers.L4' is unknown"
    assert "Traceback" not in result.output


def test_every_command_has_help() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--help"]).exit_code == 0
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    assert names == ["demo", "generate", "info", "ingest", "kpi", "mine", "sla"]
    for name in names:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help, f"`ticketlens {name}` has no help text"


def test_workspace_rolls_back_a_failed_write(tmp_path) -> None:
    """One transaction per write: an error leaves nothing half-written."""
    with open_workspace(tmp_path / "ws.duckdb") as ws:
        with pytest.raises(RuntimeError), ws.transaction() as con:
            con.execute("INSERT INTO case_attributes VALUES ('T1', 'team', 'Net', 1)")
            raise RuntimeError("fail midway")
        assert ws.con.execute("SELECT count(*) FROM case_attributes").fetchone()[0] == 0
