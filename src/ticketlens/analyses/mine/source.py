"""The event log every mining analysis reads: a workspace, narrowed to a segment of tickets.

``event_log(db, segment)`` opens the workspace read-only and defines the staging layer of the
analyses as temporary views and small tables on its connection:

* ``mine_events`` — one row per event of the tickets in the segment (``stg_events.sql``);
* ``mine_activity_codes`` — a small integer per activity (``stg_codes.sql``);
* ``mine_pairs`` — one row per pair of consecutive events of a ticket (``stg_pairs.sql``);
* ``mine_ticket_keys`` / ``mine_variant_keys`` — each ticket's activity sequence as an exact
  key, and one row per distinct key with its tickets (``stg_keys_*.sql``,
  ``stg_variant_keys.sql``).

Events are ordered once, at ingest (``event_seq``). No analysis sorts the whole log again: each
is one hash aggregation by ticket — either order-free (sequence fingerprints) or with a sort
of the few events inside each ticket. The marts (one ``.sql`` file per table, beside the module
that runs it) read only this staging layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ticketlens.core.errors import AnalysisError, WorkspaceError
from ticketlens.core.progress import Display
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike, borrowed, use_workspace
from ticketlens.workspace.segment import resolve_segment
from ticketlens.workspace.sql import load_sql, quote_ident

# A fingerprint holds two 126-bit halves of fixed-width code slots (see stg_slots.sql).
_FINGERPRINT_BITS = 126


@dataclass
class EventLog:
    """An open, segmented event log: run the package's SQL files against it."""

    con: duckdb.DuckDBPyConnection
    segment: TicketFilter
    progress: Display = field(default_factory=lambda: Display(False))
    registered: list[str] = field(default_factory=list)
    _counts: tuple[int, int] | None = None
    _codes: bool = False
    _skip: tuple[str, ...] | None = None  # activities left out of the traces prepared last

    @property
    def cases(self) -> int:
        """Tickets in the log (counted once, on first use)."""
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
                "SELECT count(*) FILTER (WHERE event_seq = 0), count(*) FROM mine_events"
            ).fetchall()
            self._counts = (int(cases), int(events))
        return self._counts

    def frame(self, sql_file: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one mart file and return its rows as a pandas DataFrame."""
        with self.step(sql_file):
            # Through Arrow: DuckDB's own .df() trips a pandas deprecation on time zones.
            reader = self.con.sql(load_sql(__name__, sql_file), params=dict(params or {})).arrow()
            return reader.read_all().to_pandas()

    def activities(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT activity FROM mine_events ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def workspace_activities(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT activity FROM events ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def run_script(self, sql_file: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a staging file that (re)defines temporary views or tables."""
        self.con.execute(load_sql(__name__, sql_file), dict(params or {}))

    def prepare_codes(self) -> None:
        if not self._codes:
            self.run_script("stg_codes.sql")
            self._codes = True

    def prepare_pairs(self, *, reused: bool = False) -> None:
        """Define ``mine_pairs`` (consecutive event pairs with their waiting times),
        ``mine_variant_edges`` (the tickets showing each pair, from the variants) and
        ``mine_edge_waits`` (per edge: frequency, tickets, waiting-time statistics). ``reused``:
        several marts read the pairs, so compute them once into a temporary table."""
        if self._skip != ():
            self.prepare_traces()
        self.run_script("stg_variant_edges.sql")
        self.run_script("stg_pairs.sql")
        if reused:
            with self.step("event pairs"):
                self.con.execute("CREATE OR REPLACE TEMP TABLE mine_pairs_kept AS "
                                 "SELECT * FROM mine_pairs")
                self.con.execute("CREATE OR REPLACE TEMP VIEW mine_pairs AS "
                                 "SELECT * FROM mine_pairs_kept")
        self.run_script("stg_edge_waits.sql")

    def prepare_traces(self, skip: Sequence[str] = ()) -> dict[str, int]:
        """Define ``mine_ticket_keys`` and build ``mine_variant_keys`` (activities in ``skip``
        left out of the sequences). Returns the decoding parameters the marts need."""
        self.prepare_codes()
        with self.step("variants"):
            self.run_script("stg_trace_codes.sql", {"skip": list(skip)})
            ((codes, longest),) = self.con.execute(
                "SELECT (SELECT count(*) FROM mine_trace_codes), "
                "(SELECT coalesce(max(event_seq), 0) + 1 FROM mine_events)"
            ).fetchall()
            bits = max(1, int(codes).bit_length())
            per = _FINGERPRINT_BITS // bits
            decode = {"bits": bits, "per": per, "mask": (1 << bits) - 1}
            if longest <= 2 * per:
                self.run_script("stg_slots.sql", {"bits": bits, "per": per})
                self.run_script("stg_keys_fingerprint.sql")
            else:  # traces too long for the fingerprint: sort within each ticket instead
                self.run_script("stg_keys_sorted.sql")
            self.run_script("stg_variant_keys.sql", decode)
        self._skip = tuple(skip)
        return decode

    def keep_top_variants(self, coverage: float) -> None:
        """Narrow the log to the tickets of the most frequent variants covering ``coverage``."""
        self.prepare_traces()
        self.con.execute(load_sql(__name__, "keep_variants.sql"), {"coverage": coverage})
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW mine_segment_events AS "
            "SELECT e.* FROM events e SEMI JOIN mine_kept USING (ticket_id)"
        )
        self._counts = None
        self.prepare_traces()  # the variants of the narrowed log

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        """Make a small Python-side table (roster, state map, results) visible to the SQL."""
        self.con.register(name, frame)
        self.registered.append(name)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label`` as one step of the progress display while the block runs."""
        with self.progress.step(label.removesuffix(".sql").replace("_", " ")):
            yield


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
    con.execute(load_sql(__name__, "stg_events.sql"))


def _drop_temporaries(con: duckdb.DuckDBPyConnection) -> None:
    """Leave a lent connection as we found it: drop every mine_* temporary view and table."""
    views = con.execute("SELECT view_name FROM duckdb_views() "
                        "WHERE temporary AND starts_with(view_name, 'mine_')").fetchall()
    tables = con.execute("SELECT table_name FROM duckdb_tables() "
                         "WHERE temporary AND starts_with(table_name, 'mine_')").fetchall()
    for kind, names in (("VIEW", views), ("TABLE", tables)):
        for (name,) in names:
            con.execute(f"DROP {kind} IF EXISTS {quote_ident(name)} CASCADE")


@contextmanager
def event_log(
    db: WorkspaceLike, segment: TicketFilter | None = None, *, progress: bool = False
) -> Iterator[EventLog]:
    """Open ``db`` (a workspace path, or an open workspace or DuckDB connection, borrowed)
    narrowed to ``segment``."""
    segment = segment or TicketFilter()
    owned = not borrowed(db)
    with use_workspace(db, read_only=True) as workspace:
        if owned:
            workspace.require_events()
            # DuckDB's own progress bar writes to stdout (it would corrupt --json output); long
            # work shows the rich progress display instead, on stderr.
            workspace.con.execute("SET enable_progress_bar = false")
        with _segmented(workspace.con, segment, progress, owned) as log:
            yield log


@contextmanager
def _segmented(con: duckdb.DuckDBPyConnection, segment: TicketFilter, progress: bool,
               owned: bool) -> Iterator[EventLog]:
    log: EventLog | None = None
    try:
        try:
            segment = resolve_segment(con, segment)  # a value no ticket has is refused
            _define_views(con, segment)
        except duckdb.CatalogException as exc:
            raise WorkspaceError(
                f"not a ticketlens workspace (no events table): {exc}; "
                "create one with `ticketlens ingest PATH --db FILE`"
            ) from None
        log = EventLog(con, segment)
        with Display(progress) as display:
            log.progress = display
            yield log
    finally:
        if not owned:  # leave a lent connection as it was (an owned one is closed)
            for name in log.registered if log else ():
                con.unregister(name)
            _drop_temporaries(con)


def check_fraction(value: float | None, name: str) -> None:
    """Fractions (coverage sliders) must lie in (0, 1]."""
    if value is not None and not 0 < value <= 1:
        raise AnalysisError(
            f"{name} must be a fraction in (0, 1], got {value!r} (for 80 % pass 0.8)"
        )
