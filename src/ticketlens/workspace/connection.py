"""The DuckDB workspace: open, migrate, one transaction per write.

A workspace is one embedded DuckDB file (default ``./ticketlens.duckdb``). ``ingest`` writes
events into it; every analysis reads from it and may store its result tables in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import duckdb

from ticketlens.core.errors import WorkspaceError
from ticketlens.core.schema import (
    CASE_ATTR_CHANNEL,
    CASE_ATTR_CSAT,
    CASE_ATTR_SOURCE_SLA,
    CASE_ATTR_SYSTEM,
    CASE_ATTR_TEAM,
    SCHEMA_VERSION,
)

DEFAULT_DB = Path("ticketlens.duckdb")
# What event_index.sql builds; version 2 added the attribute-only tickets and the
# case-attribute count a reader checks (``workspace.events.ensure_event_index``).
EVENT_INDEX_VERSION = "2"


@dataclass
class Workspace:
    """An open workspace. Use as a context manager, or call ``close()``."""

    path: Path
    con: duckdb.DuckDBPyConnection

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing write: commits on success, rolls back on any exception."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def event_count(self) -> int:
        # fetchall, not fetchone: DuckDB keeps a half-read result open, which blocks a later
        # register() on the same connection.
        return self.con.execute("SELECT count(*) FROM events").fetchall()[0][0]

    def require_events(self) -> None:
        """Raise a clear error when there is nothing to analyse yet."""
        if self.event_count() == 0:
            raise WorkspaceError(
                f"workspace {self.path} holds no events: load some first with "
                f"`ticketlens ingest PATH --db {self.path}`"
            )


def _configure(con: duckdb.DuckDBPyConnection) -> None:
    # Timestamps are absolute instants; render and truncate them in UTC unless asked otherwise.
    con.execute("SET TimeZone = 'UTC'")


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the workspace schema, for pipelines that need no file."""
    con = duckdb.connect()
    _configure(con)
    migrate(con)
    return con


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The connection's views over the workspace tables (``views.sql``); a view whose table
    the workspace lacks (one written by an older ticketlens, opened read-only) is left out."""
    sql = files("ticketlens.workspace").joinpath("views.sql").read_text(encoding="utf-8")
    for statement in sql.split(";\n"):
        if statement.strip():
            try:
                con.execute(statement)
            except duckdb.CatalogException:
                continue


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, check the schema version, define the connection's views."""
    ddl = files("ticketlens.workspace").joinpath("ddl.sql").read_text(encoding="utf-8")
    con.execute(ddl)
    # fetchall, not fetchone: an unfinished result blocks the connection's next register()
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    elif int(row[0]) != SCHEMA_VERSION:
        raise WorkspaceError(
            f"workspace schema version {row[0]} is not {SCHEMA_VERSION}: "
            "re-ingest your sources into a new workspace file"
        )
    create_views(con)


def refresh_event_index(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the derived event index (``event_index.sql``: events as integer codes in ticket
    order, and the case attributes analyses carry per ticket); ingest calls it inside the
    transaction that changed the events, ``workspace.events`` when it finds the index stale."""
    params = {"team": CASE_ATTR_TEAM, "system": CASE_ATTR_SYSTEM, "channel": CASE_ATTR_CHANNEL,
              "csat": CASE_ATTR_CSAT, "made_sla": CASE_ATTR_SOURCE_SLA,
              "version": EVENT_INDEX_VERSION}
    create_views(con)  # ingest drops every temporary object it staged with, these too
    sql = files("ticketlens.workspace").joinpath("event_index.sql").read_text(encoding="utf-8")
    for statement in sql.split(";\n"):
        if statement.strip():
            # a statement takes only the parameters it names
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})


def open_workspace(
    path: str | Path = DEFAULT_DB, *, read_only: bool = False, must_exist: bool = False
) -> Workspace:
    """Open (and create or migrate, unless read-only) the workspace at ``path``."""
    path = Path(path)
    if (read_only or must_exist) and not path.exists():
        raise WorkspaceError(
            f"no workspace at {path}: create one with `ticketlens ingest PATH --db {path}`"
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise WorkspaceError(f"cannot open workspace {path}: {exc}") from exc
    _configure(con)
    if not read_only:
        migrate(con)
    else:
        create_views(con)
    return Workspace(path=path, con=con)
