"""The DuckDB workspace: open, migrate, one transaction per write.

A workspace is one embedded DuckDB file (default ``./ticketlens.duckdb``). ``ingest`` writes
events into it; every analysis reads from it and may store its result tables in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ticketlens.core.errors import WorkspaceError
from ticketlens.core.schema import (
    CASE_ATTR_CHANNEL,
    CASE_ATTR_CSAT,
    CASE_ATTR_SOURCE_SLA,
    CASE_ATTR_SYSTEM,
    CASE_ATTR_TEAM,
    WORKSPACE_SCHEMA_VERSION,
)
from ticketlens.workspace import DEFAULT_DB
from ticketlens.workspace.sql import load_sql, run_script

# A DuckDB database file carries this magic at byte 8 (after the header checksum).
DUCKDB_MAGIC = b"DUCK"
DUCKDB_MAGIC_AT = 8

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
    for statement in load_sql(__name__, "views.sql").split(";\n"):
        if statement.strip():
            try:
                con.execute(statement)
            except duckdb.CatalogException:
                continue


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, upgrade an older workspace, check the schema version, define
    the connection's views."""
    con.execute(load_sql(__name__, "ddl.sql"))
    # fetchall, not fetchone: an unfinished result blocks the connection's next register()
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', $v)",
                    {"v": str(WORKSPACE_SCHEMA_VERSION)})
    elif int(row[0]) == 1:
        _upgrade_from_1(con)
    elif int(row[0]) != WORKSPACE_SCHEMA_VERSION:
        raise WorkspaceError(
            f"workspace schema version {row[0]} is not {WORKSPACE_SCHEMA_VERSION}: "
            "re-ingest your sources into a new workspace file"
        )
    create_views(con)


def _upgrade_from_1(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 1 -> 2: technicians record their origin (every earlier row came from a
    manifest), rows without a source are allowed, and the log's inferred tiers are added."""
    from ticketlens.workspace.roster import MANIFEST, refresh_inferred

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("ALTER TABLE technicians ADD COLUMN IF NOT EXISTS origin VARCHAR")
        con.execute("UPDATE technicians SET origin = $o WHERE origin IS NULL", {"o": MANIFEST})
        con.execute("ALTER TABLE technicians ALTER COLUMN source_id DROP NOT NULL")
        refresh_inferred(con)
        con.execute("UPDATE meta SET value = $v WHERE key = 'schema_version'",
                    {"v": str(WORKSPACE_SCHEMA_VERSION)})
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def refresh_event_index(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the derived event index (``event_index.sql``: events as integer codes in ticket
    order, and the case attributes analyses carry per ticket); ingest calls it inside the
    transaction that changed the events, ``workspace.events`` when it finds the index stale."""
    params = {"team": CASE_ATTR_TEAM, "system": CASE_ATTR_SYSTEM, "channel": CASE_ATTR_CHANNEL,
              "csat": CASE_ATTR_CSAT, "made_sla": CASE_ATTR_SOURCE_SLA,
              "version": EVENT_INDEX_VERSION}
    create_views(con)  # ingest drops every temporary object it staged with, these too
    run_script(con, load_sql(__name__, "event_index.sql"), params)


def open_workspace(
    path: str | Path = DEFAULT_DB, *, read_only: bool = False, must_exist: bool = False
) -> Workspace:
    """Open (and create or migrate, unless read-only) the workspace at ``path``."""
    path = Path(path)
    _check_name_length(path)
    if (read_only or must_exist) and not path.exists():
        raise WorkspaceError(
            f"no workspace at {path}: create one with `ticketlens ingest PATH --db {path}`"
        )
    check_workspace_file(path)
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


def check_workspace_file(path: Path) -> None:
    """Refuse an existing ``path`` that is not a DuckDB database (a CSV, a Parquet file, a
    folder, an empty file): DuckDB would otherwise fail obscurely, or not save at all."""
    if not path.exists():
        return  # a new workspace
    if path.is_dir():
        raise WorkspaceError(
            f"--db {path} is a folder, not a workspace file: pass a file path such as "
            f"{path / 'ticketlens.duckdb'}"
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(DUCKDB_MAGIC_AT + len(DUCKDB_MAGIC))
    except OSError as exc:
        raise WorkspaceError(f"cannot read workspace {path}: {exc.strerror or exc}") from None
    if head[DUCKDB_MAGIC_AT:] != DUCKDB_MAGIC:
        kind = "a Parquet file" if head[:4] == b"PAR1" else (
            "an empty file" if not head else "not a DuckDB database file")
        raise WorkspaceError(
            f"--db {path} is not a ticketlens workspace (it exists and is {kind}); nothing "
            "was read or written. Pass an existing workspace or a new path, e.g. "
            "--db ticketlens.duckdb"
        )


def _check_name_length(path: Path) -> None:
    """DuckDB writes ``<name>.wal`` beside the workspace: a name with no room for that suffix
    fails only at the first commit, so it is refused here."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(path.name)) + len(".wal") > limit:
        raise WorkspaceError(
            f"workspace name too long: {path.name[:40]}… is {len(os.fsencode(path.name))} "
            f"bytes; DuckDB adds '.wal' and this file system allows {limit}: choose a shorter "
            "--db name"
        )


# What every public function that reads or writes a workspace accepts: a path (opened and
# closed by the call), or an open workspace or DuckDB connection (borrowed: left open).
WorkspaceLike = str | os.PathLike[str] | Workspace | duckdb.DuckDBPyConnection


def borrowed(db: WorkspaceLike) -> bool:
    """Whether ``db`` is already open (the caller keeps it) rather than a path."""
    return isinstance(db, Workspace | duckdb.DuckDBPyConnection)


@contextmanager
def use_workspace(db: WorkspaceLike, *, read_only: bool = False,
                  must_exist: bool = False) -> Iterator[Workspace]:
    """The workspace ``db`` names: opened here (``open_workspace``) and closed at the end when
    it is a path; an open ``Workspace`` or connection is used as it is and left open."""
    if isinstance(db, Workspace):
        yield db
    elif isinstance(db, duckdb.DuckDBPyConnection):
        rows = db.execute("SELECT path FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchall()
        yield Workspace(path=Path(rows[0][0] if rows and rows[0][0] else ":memory:"), con=db)
    else:
        with open_workspace(db, read_only=read_only, must_exist=must_exist) as workspace:
            yield workspace
