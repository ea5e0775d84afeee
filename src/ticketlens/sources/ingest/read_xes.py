"""XES (IEEE 1849) event logs, plain or gzip, streamed.

The file is parsed with expat as a stream of start/end callbacks (never a tree in memory);
events are batched into Arrow tables of text and handed to DuckDB, which parses timestamps and
validates in bulk like every other format. ``source_row`` is the physical line of the
``<event>`` tag.

Mapping: trace ``concept:name`` → ticket id, event ``concept:name`` → activity,
``time:timestamp`` → timestamp, ``org:resource`` → assigned to; every other event attribute is
kept in ``attributes``, every other trace attribute becomes a case attribute. Nested attribute
values are kept under ``parent/child`` keys (lists and containers keep their children);
``<global>`` defaults and classifiers are not event data and are skipped.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

import duckdb
import pyarrow as pa

from ticketlens.core.errors import InputError
from ticketlens.sources.ingest.scan import GZIP_ERRORS, gzip_error
from ticketlens.sources.ingest.stage import EVENT_COLUMNS_DDL, Params, ReadOptions, Staged
from ticketlens.sources.ingest.timestamps import TimestampFormat, parse_sql

BATCH_EVENTS = 50_000
VALUE_TAGS = {"string", "date", "int", "float", "boolean", "id"}
NESTING_TAGS = {"list", "container", "values"}
# ISO 8601 as XES writes it, with or without fraction and offset.
XES_FORMATS = TimestampFormat(
    formats=("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f%z",
             "%Y-%m-%d %H:%M:%S%z"),
    aware=True, family="XES ISO 8601", evidence="XES date attributes",
)
XES_NAIVE = TimestampFormat(
    formats=("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
             "%Y-%m-%d %H:%M:%S"),
    aware=False, family="XES ISO 8601 without offset", evidence="XES date attributes",
)
_SCHEMA = pa.schema([
    ("source_row", pa.int64()), ("trace_row", pa.int64()), ("ticket_id", pa.string()),
    ("activity", pa.string()), ("ts_text", pa.string()), ("assigned_to", pa.string()),
    ("attributes", pa.map_(pa.string(), pa.string())),
])


class _HashingReader:
    def __init__(self, raw: BinaryIO, digest: hashlib._Hash) -> None:
        self._raw, self._digest = raw, digest

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        return data


class _XesStream:
    """Expat callbacks → batches of event rows, plus trace attributes as case attributes."""

    def __init__(self, flush: Callable[[dict[str, list]], None]) -> None:
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.flush_batch = flush
        self.batch: dict[str, list] = {name: [] for name in _SCHEMA.names}
        self.case_rows: list[tuple[str, str, str]] = []
        self.in_trace = False
        self.trace_line = 0
        self.trace_attrs: dict[str, str] = {}
        self.trace_events: list[int] = []  # batch positions of the current trace's events
        self.event: dict[str, str] | None = None
        self.event_line = 0
        self.path: list[str] = []  # keys of enclosing nested attributes
        self.depth_stack: list[str] = []
        self.events = 0
        self.traces = 0
        # <event>s that are no event of a trace (nested in an event, or outside any trace):
        # (line, reason), read and quarantined so the accounting sees them.
        self.strays: list[tuple[int, str]] = []
        self.stray_depth = 0  # > 0 while inside such an element

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rsplit(":", 1)[-1]
        self.depth_stack.append(tag)
        if tag == "trace":
            self.in_trace, self.trace_attrs, self.trace_events = True, {}, []
            self.trace_line = self.parser.CurrentLineNumber
            self.traces += 1
        elif tag == "event" and (self.stray_depth or self.event is not None
                                 or not self.in_trace):
            self._stray_event()
        elif tag == "event":
            self.event, self.event_line = {}, self.parser.CurrentLineNumber
        elif tag in VALUE_TAGS or tag in NESTING_TAGS:
            key = attrs.get("key", "")
            if (tag in VALUE_TAGS and "value" in attrs and not self.stray_depth
                    and self._inside_log_element()):
                full = "/".join(p for p in (*self.path, key) if p) if self.path else key
                target = self.event if self.event is not None else self.trace_attrs
                target[full] = attrs["value"]
            self.path.append(key)

    def _stray_event(self) -> None:
        line = self.parser.CurrentLineNumber
        if self.stray_depth or self.event is not None:
            where = (f"nested inside the <event> on line {self.event_line}"
                     if self.event is not None else "nested inside another misplaced <event>")
            reason = f"<event> {where}: XES events do not nest; its attributes were not read"
        else:
            reason = "<event> outside any <trace>: it belongs to no ticket"
        self.strays.append((line, reason))
        self.stray_depth += 1

    def _inside_log_element(self) -> bool:
        # Attributes count only inside a trace or event (not <global>, <classifier>, log level).
        return self.in_trace and "global" not in self.depth_stack

    def end(self, tag: str) -> None:
        tag = tag.rsplit(":", 1)[-1]
        self.depth_stack.pop()
        if tag in VALUE_TAGS or tag in NESTING_TAGS:
            if self.path:
                self.path.pop()
        elif tag == "event" and self.stray_depth:
            self.stray_depth -= 1
        elif tag == "event" and self.event is not None:
            self._add_event(self.event)
            self.event = None
        elif tag == "trace" and self.in_trace:
            self._close_trace()
            self.in_trace = False

    def _add_event(self, event: dict[str, str]) -> None:
        b = self.batch
        b["source_row"].append(self.event_line)
        b["trace_row"].append(self.trace_line)
        b["ticket_id"].append(None)  # known only at </trace> (concept:name may come last)
        b["activity"].append(event.pop("concept:name", None))
        b["ts_text"].append(event.pop("time:timestamp", None))
        b["assigned_to"].append(event.pop("org:resource", None))
        b["attributes"].append(list(event.items()) or None)
        self.trace_events.append(len(b["source_row"]) - 1)
        self.events += 1

    def _close_trace(self) -> None:
        case_id = self.trace_attrs.pop("concept:name", None)
        for position in self.trace_events:
            self.batch["ticket_id"][position] = case_id
        if case_id is not None:
            self.case_rows.extend((case_id, k, v) for k, v in self.trace_attrs.items())
        if len(self.batch["source_row"]) >= BATCH_EVENTS:
            self.flush_batch(self.batch)
            self.batch = {name: [] for name in _SCHEMA.names}


def stage_xes(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions,
    on_bytes: Callable[[int], None] | None = None,
) -> Staged:
    """Stream ``path`` into the staging tables."""
    con.execute(
        "CREATE TEMP TABLE xes_raw (source_row BIGINT, trace_row BIGINT, ticket_id VARCHAR, "
        "activity VARCHAR, ts_text VARCHAR, assigned_to VARCHAR, "
        "attributes MAP(VARCHAR, VARCHAR))"
    )

    def flush(batch: dict[str, list]) -> None:
        table = pa.table(batch, schema=_SCHEMA)
        con.register("xes_batch", table)
        con.execute("INSERT INTO xes_raw SELECT * FROM xes_batch")
        con.unregister("xes_batch")

    stream = _XesStream(flush)
    digest = hashlib.sha256()
    raw = path.open("rb")
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    source: BinaryIO = (gzip.GzipFile(fileobj=_HashingReader(raw, digest))  # type: ignore[arg-type]
                        if compressed else raw)
    try:
        while True:
            chunk = source.read(4 * 1024 * 1024)
            if not compressed:
                digest.update(chunk)
            stream.parser.Parse(chunk, not chunk)
            if on_bytes is not None:
                on_bytes(raw.tell())
            if not chunk:
                break
    except expat.ExpatError as exc:
        raise InputError(
            f"{path}: not well-formed XML at line {exc.lineno}, column {exc.offset}: "
            f"{expat.ErrorString(exc.code)}; nothing was loaded"
        ) from None
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None
    finally:
        source.close()
        raw.close()
    if stream.in_trace:
        raise InputError(f"{path}: the file ends inside a <trace> (truncated?); nothing was loaded")
    if stream.batch["source_row"]:
        flush(stream.batch)
    if stream.events == 0:
        misplaced = f", {len(stream.strays):,} misplaced <event>s" if stream.strays else ""
        raise InputError(f"{path}: the XES log holds no events ({stream.traces} traces"
                         f"{misplaced})")
    return _stage(con, stream, options, digest.hexdigest())


def _stage(
    con: duckdb.DuckDBPyConnection, stream: _XesStream, options: ReadOptions, sha256: str
) -> Staged:
    staged = Staged(prefix="stage", rows_read=stream.events + len(stream.strays), sha256=sha256,
                    line_numbers="physical", timestamp_format=XES_FORMATS.describe(),
                    timestamp_evidence=XES_FORMATS.evidence)
    params = Params()
    aware = f"try_strptime(ts_text, {params.add(list(XES_FORMATS.formats))})"
    naive = parse_sql("ts_text", XES_NAIVE, params.add(options.tz),
                      params.add(list(XES_NAIVE.formats)))
    con.execute(
        "CREATE TEMP TABLE xes_typed AS SELECT *, "
        f"coalesce({aware.replace('ts_text', _clean('ts_text'))}, {naive}) AS ts FROM xes_raw",
        params.values,
    )
    con.execute(f"CREATE TEMP TABLE {staged.rejects} (source_row BIGINT, \"column\" VARCHAR, "
                "value VARCHAR, reason VARCHAR)")
    con.execute(
        f"""
        INSERT INTO {staged.rejects}
        SELECT source_row, 'trace concept:name', NULL,
               'the event''s trace (line ' || trace_row || ') has no concept:name'
        FROM xes_typed WHERE ticket_id IS NULL
        UNION ALL
        SELECT source_row, 'concept:name', NULL, 'event without concept:name (activity)'
        FROM xes_typed WHERE ticket_id IS NOT NULL AND activity IS NULL
        UNION ALL
        SELECT source_row, 'time:timestamp', NULL, 'event without time:timestamp'
        FROM xes_typed WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts_text IS NULL
        UNION ALL
        SELECT source_row, 'time:timestamp', ts_text, 'not an ISO 8601 date-time'
        FROM xes_typed WHERE ticket_id IS NOT NULL AND activity IS NOT NULL
          AND ts_text IS NOT NULL AND ts IS NULL
        """
    )
    if stream.strays:
        con.register("xes_strays", pa.table({"line": [r[0] for r in stream.strays],
                                             "reason": [r[1] for r in stream.strays]}))
        con.execute(f"INSERT INTO {staged.rejects} SELECT line, 'event', NULL, reason "
                    "FROM xes_strays")
        con.unregister("xes_strays")
    con.execute(
        f"CREATE TEMP TABLE {staged.events} ({EVENT_COLUMNS_DDL}); "
        f"INSERT INTO {staged.events} SELECT source_row, ticket_id, ts, activity, assigned_to, "
        "NULL, NULL, NULL, NULL, NULL, attributes, 0 FROM xes_typed "
        "WHERE ticket_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL"
    )
    con.execute(f"CREATE TEMP TABLE {staged.case} (ticket_id VARCHAR, name VARCHAR, value VARCHAR)")
    if stream.case_rows:
        con.register("xes_case_rows", pa.table(
            {"position": list(range(len(stream.case_rows))),
             "ticket_id": [r[0] for r in stream.case_rows],
             "name": [r[1] for r in stream.case_rows],
             "value": [r[2] for r in stream.case_rows]}))
        # A trace id repeated in the file: its last trace's attribute value wins.
        con.execute(f"INSERT INTO {staged.case} SELECT ticket_id, name, "
                    "last(value ORDER BY position) FROM xes_case_rows GROUP BY ticket_id, name")
        con.unregister("xes_case_rows")
    con.execute(f"CREATE TEMP TABLE {staged.created} (ticket_id VARCHAR, created TIMESTAMPTZ)")
    naive_count = con.execute(
        f"SELECT count(*) FROM xes_typed WHERE ts IS NOT NULL AND "
        f"{aware.replace('ts_text', _clean('ts_text'))} IS NULL",
        {k: v for k, v in params.values.items() if k == "p0"},
    ).fetchall()[0][0]
    staged.details["traces"] = stream.traces
    if naive_count:
        staged.warnings.append(f"{naive_count:,} timestamps had no UTC offset: read in "
                               f"{options.tz}")
    return staged


def _clean(value: str) -> str:
    return (f"CASE WHEN suffix({value}, 'Z') THEN {value}[:-2] || '+00:00' ELSE {value} END")
