"""The event log every mining analysis reads: a workspace, narrowed to a segment of tickets.

``event_log(db, segment)`` opens the workspace read-only and defines two temporary views on its
connection, the staging layer of every analysis:

* ``mine_events`` — one row per event of the tickets in the segment, with the timestamp also as
  epoch microseconds (``t_us``) and the holder of the ticket as ``resource``;
* ``mine_steps`` — one row per event with the next event of the same ticket beside it
  (``lead()`` over ``event_seq``, which ingest assigned once: no analysis sorts by timestamp again).

The marts (one ``.sql`` file per table, beside the module that runs it) read only these views.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ticketlens.errors import AnalysisError, WorkspaceError
from ticketlens.filters import TicketFilter
from ticketlens.workspace import open_workspace

DbLike = str | os.PathLike[str] | duckdb.DuckDBPyConnection

_STAGING = ("stg_events.sql", "stg_steps.sql")
# Dropped again when the caller lent us its own connection (dependents first).
_TEMP_VIEWS = (
    "mine_traces", "mine_activity_codes", "mine_steps", "mine_events", "mine_segment_events",
)


def load_sql(name: str) -> str:
    """The text of ``mine/<name>`` shipped in the package."""
    return files("ticketlens.mine").joinpath(name).read_text(encoding="utf-8")


@dataclass
class EventLog:
    """An open, segmented event log: run the package's SQL files against it."""

    con: duckdb.DuckDBPyConnection
    segment: TicketFilter
    progress: Any = None  # a rich Progress while progress=True, else None
    registered: list[str] = field(default_factory=list)
    _counts: tuple[int, int] | None = None

    @property
    def cases(self) -> int:
        """Tickets in the log (counted once, on first use: a full pass over the events)."""
        return self._count()[0]

    @property
    def events(self) -> int:
        return self._count()[1]

    @property
    def is_empty(self) -> bool:
        return self.cases == 0

    def _count(self) -> tuple[int, int]:
        if self._counts is None:
            # fetchall, not fetchone: DuckDB keeps a half-read result open and then refuses
            # to register tables on the connection.
            ((cases, events),) = self.con.execute(
                "SELECT count(DISTINCT ticket_id), count(*) FROM mine_events"
            ).fetchall()
            self._counts = (int(cases), int(events))
        return self._counts

    def frame(self, sql_file: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one mart file and return its rows as a pandas DataFrame."""
        with self.step(sql_file):
            # Through Arrow: DuckDB's own .df() trips a pandas deprecation on time zones.
            reader = self.con.sql(load_sql(sql_file), params=dict(params or {})).arrow()
            return reader.read_all().to_pandas()

    def frame_sql(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> pd.DataFrame:
        return self.con.execute(sql, params).df()

    def activities(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT activity FROM mine_events ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def workspace_activities(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT activity FROM events ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def run_script(self, sql_file: str) -> None:
        """Run a staging file that (re)defines temporary views."""
        self.con.execute(load_sql(sql_file))

    def keep_top_variants(self, coverage: float) -> None:
        """Narrow the log to the tickets of the most frequent variants covering ``coverage``."""
        self.run_script("stg_traces.sql")
        self.con.execute(load_sql("keep_variants.sql"), {"coverage": coverage})
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW mine_segment_events AS "
            "SELECT e.* FROM events e SEMI JOIN mine_kept USING (ticket_id)"
        )
        self._counts = None

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a small Python-side table (roster, state map, model) visible to the SQL."""
        self.con.register(name, frame)
        self.registered.append(name)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label`` as one step of the progress display while the block runs."""
        if self.progress is None:
            yield
            return
        task = self.progress.add_task(label.removesuffix(".sql").replace("_", " "), total=1)
        try:
            yield
        finally:
            self.progress.update(task, completed=1)


def _connect(db: DbLike) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A connection to the workspace and whether we own it (and must close it)."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        return db, False
    path = Path(db)
    workspace = open_workspace(path, read_only=True)
    workspace.require_events()
    return workspace.con, True


def _define_views(con: duckdb.DuckDBPyConnection, segment: TicketFilter) -> None:
    if segment.is_empty:
        con.execute("CREATE OR REPLACE TEMP VIEW mine_segment_events AS SELECT * FROM events")
    else:
        sql, params = segment.events_sql("events")
        # Views cannot hold parameters, so the segment's tickets are materialised once.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE mine_segment AS SELECT DISTINCT ticket_id FROM ({sql})",
            params,
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW mine_segment_events AS "
            "SELECT e.* FROM events e SEMI JOIN mine_segment USING (ticket_id)"
        )
    for name in _STAGING:
        con.execute(load_sql(name))


def _drop_views(con: duckdb.DuckDBPyConnection) -> None:
    for view in _TEMP_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("mine_segment", "mine_kept"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


@contextmanager
def event_log(
    db: DbLike, segment: TicketFilter | None = None, *, progress: bool = False
) -> Iterator[EventLog]:
    """Open ``db`` (a workspace path or an open DuckDB connection) narrowed to ``segment``."""
    segment = segment or TicketFilter()
    con, owned = _connect(db)
    log: EventLog | None = None
    try:
        try:
            _define_views(con, segment)
        except duckdb.CatalogException as exc:
            raise WorkspaceError(
                f"not a ticketlens workspace (no events table): {exc}; "
                "create one with `ticketlens ingest PATH --db FILE`"
            ) from None
        log = EventLog(con, segment)
        with _progress(progress) as bar:
            log.progress = bar
            yield log
    finally:
        if owned:
            con.close()
        else:
            _drop_views(con)
            for name in log.registered if log else ():
                con.unregister(name)


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as bar:
        yield bar


def check_fraction(value: float | None, name: str) -> None:
    """Fractions (coverage sliders) must lie in (0, 1]."""
    if value is not None and not 0 < value <= 1:
        raise AnalysisError(
            f"{name} must be a fraction in (0, 1], got {value!r} (for 80 % pass 0.8)"
        )
