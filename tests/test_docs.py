"""Every CLI command is documented: README.md or docs/*.md show `ticketlens <command>`."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from ticketlens.cli import cli

REPO = Path(__file__).resolve().parents[1]


def _command_paths(group: click.Group, prefix: str = "ticketlens") -> list[str]:
    paths = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the top group loads its verbs lazily
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, path))
    return paths


def _documentation() -> str:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def test_verbs_are_listed() -> None:
    names = cli.list_commands(click.Context(cli))
    assert names == ["demo", "generate", "info", "ingest", "kpi", "mine", "sla"]


@pytest.mark.parametrize("command_path", _command_paths(cli))
def test_command_is_documented(command_path: str) -> None:
    assert command_path in _documentation(), f"`{command_path}` appears in no doc page"


@pytest.mark.parametrize("command_path", ["ticketlens", *_command_paths(cli)])
def test_command_has_help(command_path: str) -> None:
    from click.testing import CliRunner

    args = [*command_path.split()[1:], "--help"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: click.Command | None = cli
    for name in command_path.split()[1:]:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)  # the top group is lazy
    assert command is not None and command.help, f"`{command_path}` has no help text"
