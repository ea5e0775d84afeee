"""The house rules of the layout (docs/architecture.md): the import rule between layers, and
the size limits of folders, modules and functions."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "ticketlens"

MAX_FOLDER_DEPTH = 3
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# Known offenders of the size limits. These lists only shrink: split an offender, then delete
# its entry (the tests below fail on an entry that no longer offends). Never add to them.
MODULES_OVER_LIMIT: set[str] = set()
FUNCTIONS_OVER_LIMIT: set[str] = set()


def _lint_imports() -> str:
    script = Path(sys.executable).with_name("lint-imports")
    return str(script) if script.exists() else shutil.which("lint-imports") or "lint-imports"


def test_import_contracts_are_kept() -> None:
    """pyproject.toml's [tool.importlinter] contracts: lower layers never import higher ones
    (function-level and TYPE_CHECKING imports included), kpi is read by nothing in analyses,
    ingest and generate are independent."""
    result = subprocess.run(
        [_lint_imports(), "--no-cache", "--no-logo"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    report = result.stdout.partition("Broken contracts")
    assert result.returncode == 0, f"import contracts broken:\n{''.join(report[1:]) or report[0]}" \
        f"\n{result.stderr}"
    assert "Contracts: 4 kept, 0 broken." in result.stdout, result.stdout


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_folders_at_most_three_levels_deep() -> None:
    deep = [_name(folder) for folder in PACKAGE.rglob("*")
            if folder.is_dir() and folder.name != "__pycache__"
            and len(folder.relative_to(PACKAGE).parts) > MAX_FOLDER_DEPTH]
    assert deep == [], f"folders more than {MAX_FOLDER_DEPTH} levels below ticketlens/: {deep}"


def test_no_module_over_500_lines() -> None:
    long = {_name(path) for path in _modules()
            if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES}
    assert long - MODULES_OVER_LIMIT == set(), f"modules over {MAX_MODULE_LINES} lines"
    assert MODULES_OVER_LIMIT - long == set(), "no longer over the limit: remove from the list"


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, lines from `def` to the last line) of every function, nested too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node.end_lineno - node.lineno + 1  # type: ignore[operator]
            yield from _functions(node, f"{name}.")
        else:
            yield from _functions(node, prefix)


def test_no_function_over_80_lines() -> None:
    long = {f"{_name(path)}:{name}": lines for path in _modules()
            for name, lines in _functions(ast.parse(path.read_text(encoding="utf-8")))
            if lines > MAX_FUNCTION_LINES}
    new = {name: lines for name, lines in long.items() if name not in FUNCTIONS_OVER_LIMIT}
    assert new == {}, f"functions over {MAX_FUNCTION_LINES} lines (split them)"
    fixed = FUNCTIONS_OVER_LIMIT - set(long)
    assert fixed == set(), "no longer over the limit: remove from FUNCTIONS_OVER_LIMIT"
