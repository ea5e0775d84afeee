"""The CLI starts fast: `ticketlens --help` and `ticketlens VERB --help` load no heavy library,
and the verb list `--help` prints without importing the verbs says what their help says.
(The times themselves are measured by benchmarks/bench_cli_start.py.)"""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from ticketlens.cli import VERBS, cli

HEAVY = ("duckdb", "numpy", "pandas", "pyarrow", "rich", "scipy")


def _top_level_modules(code: str) -> set[str]:
    """Top-level packages loaded by ``code`` in a fresh interpreter."""
    code += "\nimport sys\nprint(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return set(result.stdout.split())


def test_help_imports_no_verb_and_no_heavy_library() -> None:
    code = ("from ticketlens.cli import cli\n"
            "try:\n    cli(['--help'], prog_name='ticketlens')\nexcept SystemExit:\n    pass\n"
            "import sys\n"
            "assert not [m for m in sys.modules if m.startswith('ticketlens.cli.')], 'verb loaded'")
    loaded = _top_level_modules(code)
    assert "click" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_verb_modules_import_no_heavy_library() -> None:
    """What `ticketlens VERB --help` loads: `import ticketlens` and each verb's CLI module."""
    code = "import importlib, ticketlens\n" + "".join(
        f"importlib.import_module({verb.module!r})\n" for verb in VERBS.values())
    loaded = _top_level_modules(code)
    assert {"click", "ticketlens"} <= loaded
    assert sorted(loaded.intersection(HEAVY)) == [], "import these inside the functions using them"


@pytest.mark.parametrize("name", sorted(VERBS))
def test_verb_summary_is_the_first_paragraph_of_its_help(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help
    assert VERBS[name].summary == " ".join(command.help.partition("\n\n")[0].split())


@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_lists_the_verbs_as_their_commands_would(width: int) -> None:
    """The listing from VERBS equals click's listing over the loaded commands."""
    ctx = click.Context(cli)
    loaded = click.Group("ticketlens", commands={name: cli.get_command(ctx, name)
                                                 for name in sorted(VERBS)})
    expected = loaded.get_help(click.Context(loaded, terminal_width=width))
    listing = expected[expected.index("Commands:"):]
    output = CliRunner().invoke(cli, ["--help"], terminal_width=width).output
    assert output[output.index("Commands:"):].rstrip("\n") == listing
