"""SQL files and how they run: one loader, one runner, identifiers checked in one place.

SQL lives in ``.sql`` files beside the module that runs it (each states its grain in its first
comment). ``load_sql(__name__, "file.sql")`` reads one, once per process. Values are always
bound, never formatted into the text: named ``$param`` dicts, the one way. Names that must go
into SQL text (a table, a metric's column prefix, a column of a user's file) pass through
``check_identifier`` or ``quote_ident`` first.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

import duckdb

from ticketlens.core.errors import ConfigError

Params = Mapping[str, Any]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def load_sql(anchor: str, name: str) -> str:
    """The text of the SQL file ``name`` that lives beside module (or package) ``anchor``:
    pass ``__name__``. Read once per process."""
    module = sys.modules.get(anchor)
    package = anchor if module is None or hasattr(module, "__path__") else (
        anchor.rpartition(".")[0])
    return _read(package, name)


@cache
def _read(package: str, name: str) -> str:
    return files(package).joinpath(name).read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, sql: str,
        params: Params | None = None) -> duckdb.DuckDBPyConnection:
    """Execute one statement with its named ``$params`` bound; returns the connection (fetch
    from it)."""
    return con.execute(sql, dict(params or {}))


def run_script(con: duckdb.DuckDBPyConnection, sql: str, params: Params | None = None) -> None:
    """Execute each statement of a script (statements end with ``;`` at a line end), binding
    to each the ``$params`` it names (DuckDB refuses unused ones)."""
    given = dict(params or {})
    for statement in sql.split(";\n"):
        if statement.strip():
            named = set(_PARAMETER.findall(statement))
            con.execute(statement, {k: v for k, v in given.items() if k in named})


def tables_exist(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether every table or view in ``names`` exists (workspace or temporary): a workspace
    written by an older ticketlens, or opened read-only, may lack the newer ones."""
    found = con.execute(
        "SELECT count(DISTINCT table_name) FROM information_schema.tables "
        "WHERE list_contains($names, table_name)", {"names": list(names)}).fetchall()[0][0]
    return found == len(set(names))


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column``: a workspace of an older ticketlens opened read-only
    lacks the columns added since."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = $t "
        "AND column_name = $c", {"t": table, "c": column}).fetchall()[0][0])


def is_identifier(name: str) -> bool:
    """Whether ``name`` is a plain lower-case SQL identifier (letters, digits, ``_``), safe to
    put into SQL text unquoted."""
    return bool(_IDENTIFIER.match(name))


def check_identifier(name: str, what: str = "name") -> str:
    """``name`` if ``is_identifier(name)``; a clear error otherwise."""
    if not is_identifier(name):
        raise ConfigError(f"{what} {name!r} is not a plain identifier: use lower-case "
                          "letters, digits and _ (starting with a letter)")
    return name


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (any text, e.g. a column of a user's file)."""
    return '"' + name.replace('"', '""') + '"'


__all__ = ["Params", "check_identifier", "has_column", "is_identifier", "load_sql", "quote_ident",
           "run", "run_script"]
