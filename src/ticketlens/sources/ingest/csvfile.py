"""Read a delimited text file into a DuckDB temp table of text columns, every record accounted for.

The file is read by DuckDB's own parallel CSV reader (all columns VARCHAR, no type guessing);
records it cannot parse (wrong field count, broken quoting, invalid bytes) are captured through
``store_rejects`` and become quarantine rows. Every good record gets its physical line number
from :mod:`ticketlens.sources.ingest.scan`.

The result is a view ``<name>`` with ``source_row`` (1-based physical line) and the columns
``c0 .. cN`` (header names kept apart in ``RawTable.columns``, so no user text is ever spliced
into SQL as an identifier).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa

from ticketlens.core.errors import InputError
from ticketlens.sources.ingest.scan import FileScan, read_head, scan_file, utf8_source

DELIMITER_CANDIDATES = (",", ";", "\t", "|")
MAX_LINE_BYTES = 64 * 1024 * 1024

_REJECT_REASONS = {
    "MISSING COLUMNS": "fewer fields than the header ({detail}): wrong delimiter or a broken row",
    "TOO MANY COLUMNS": "more fields than the header ({detail}): wrong delimiter or an unquoted "
    "delimiter inside a field",
    "UNQUOTED VALUE": "malformed quoting: a quote that is not closed, or text after a closing quote",
    "INVALID ENCODING": "bytes that are not valid {encoding}: pass --encoding latin-1 (or the "
    "file's real encoding)",
    "INVALID UNICODE": "bytes that are not valid {encoding}: pass --encoding latin-1 (or the "
    "file's real encoding)",
    "LINE SIZE OVER MAXIMUM": "record longer than the maximum line size",
}


ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf16": "utf-16",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}


def reader_encoding(encoding: str | None) -> str:
    """The encoding name DuckDB's reader takes, or a clear refusal."""
    name = (encoding or "utf-8").lower().replace("_", "-")
    if name not in ENCODINGS:
        raise InputError(
            f"unknown or unsupported --encoding {encoding!r}: use utf-8, utf-16 or latin-1 "
            "(a Windows-1252 export reads as latin-1, except for symbols such as €)"
        )
    return ENCODINGS[name]


@dataclass
class RawTable:
    """A delimited file read into the connection as text columns."""

    view: str
    columns: list[str]
    delimiter: str
    rows_read: int
    rejects: str  # temp table: source_row BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR
    line_numbers: str  # "physical", or "record" when boundaries could not be reconciled
    sha256: str
    scan: FileScan | None = None
    renamed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def column_ref(self, name: str) -> str:
        """The internal column (c0, c1, ...) holding header column ``name``."""
        return f"c{self.columns.index(name)}"


def _decode_header(path: Path, scan: FileScan, encoding: str) -> str:
    head = scan.head
    if scan.records > 1 and scan.record_starts[1] <= len(head):
        head = head[: scan.record_starts[1]]
    elif len(head) >= 256 * 1024 and scan.records > 1:
        raise InputError(f"{path}: the header line is longer than 256 KB: is this a CSV file?")
    head = head[scan.record_starts[0]:] if scan.records else head
    python_encoding = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return head.decode(python_encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: the header line is not valid {encoding} (byte {exc.start}): "
            "pass --encoding latin-1 (or the file's real encoding)"
        ) from None
    except LookupError:
        raise InputError(f"unknown --encoding {encoding!r}: use utf-8, utf-16 or latin-1") from None


def _count_outside_quotes(text: str, char: str) -> int:
    count, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def detect_delimiter(header: str) -> str:
    """The candidate that splits the header into the most fields (comma on a tie or none)."""
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITER_CANDIDATES}
    best = max(DELIMITER_CANDIDATES, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def parse_header(header: str, delimiter: str, path: Path) -> tuple[list[str], list[str]]:
    """Column names, made unique (a repeated name gets ``_2``, ``_3``...); and the renames."""
    try:
        row = next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a field over csv's limit of 128 KiB: no column name
        raise InputError(
            f"{path}: the header line cannot be read as column names ({exc}): "
            "is the first line a header? (check --delimiter and the quoting)"
        ) from None
    return unique_names(row)


def unique_names(row: list[str]) -> tuple[list[str], list[str]]:
    """Header cells as column names: blank → ``column_N``, a repeat gets ``_2``, ``_3``...;
    and the renames made (shared by the CSV and the workbook readers)."""
    names: list[str] = []
    renamed: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(row, start=1):
        name = raw.strip() or f"column_{position}"
        base, k = name, 1
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        if name != base:
            renamed.append(f"{base!r} (column {position}) → {name!r}")
        seen.add(name)
        names.append(name)
    return names, renamed


def peek_header(path: Path, encoding: str = "utf-8") -> tuple[list[str], str]:
    """Header names and delimiter from the first bytes only (format detection)."""
    encoding = reader_encoding(encoding)
    source = utf8_source(path, encoding)
    if source != path:
        encoding = "utf-8"
    head = read_head(source, 256 * 1024)
    if not head.strip():
        raise InputError(f"{path}: the file holds only blank lines: nothing to ingest")
    stripped = head.lstrip(b"\r\n")
    first_line = stripped.split(b"\n", 1)[0]
    python_encoding = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") \
        else encoding
    try:
        first_line.decode(python_encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: the header line is not valid {encoding} (byte {exc.start}): "
            "pass --encoding latin-1 (or the file's real encoding)"
        ) from None
    text = stripped.decode(python_encoding, errors="replace")
    # A quoted header field may span lines; csv handles that given enough text.
    delimiter = detect_delimiter(text.split("\n", 1)[0])
    names, _ = parse_header(text, delimiter, path)
    return names, delimiter


def read_delimited(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    scan: FileScan | None = None,
) -> RawTable:
    """Read ``path`` into view ``name``; rejected records go to table ``<name>_rejects``.

    ``scan``: the file's scan when the caller already made it (one pass over the bytes).
    """
    encoding = reader_encoding(encoding)
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes): nothing to ingest")
    source = utf8_source(path, encoding)  # UTF-16 is read from a UTF-8 copy
    if source != path:
        encoding = "utf-8"
    scan = scan or scan_file(source, on_bytes=on_bytes)
    if scan.records == 0:
        raise InputError(f"{path}: the file holds only blank lines: nothing to ingest")
    header = _decode_header(path, scan, encoding)
    if delimiter is not None and len(delimiter) != 1:
        raise InputError(f"{path}: the delimiter must be one character, got {delimiter!r} "
                         "(a tab: --delimiter $'\\t')")
    delimiter = delimiter or detect_delimiter(header.split("\n", 1)[0])
    columns, renamed = parse_header(header, delimiter, path)
    table = f"{name}_text"
    good, reject_rows = _load_text(con, (path, source), name, table, scan, columns, delimiter,
                                   encoding)
    lines = _number_records(scan, good, reject_rows, encoding, delimiter)
    _refuse_swallowed_lines(path, scan, reject_rows, lines, len(columns), delimiter)
    con.register(f"{name}_lines_arrow", pa.table({"source_row": lines.good}))
    con.execute(f"CREATE TEMP TABLE {name}_lines AS SELECT * FROM {name}_lines_arrow")
    con.unregister(f"{name}_lines_arrow")
    con.execute(
        f"CREATE TEMP VIEW {name} AS SELECT l.source_row, t.* "
        f"FROM {table} t POSITIONAL JOIN {name}_lines l"
    )
    rejects = _create_rejects(con, name, reject_rows, lines.rejects, columns, encoding)
    rows_rejected = con.execute(f"SELECT count(*) FROM {rejects}").fetchall()[0][0]
    return RawTable(
        view=name,
        columns=columns,
        delimiter=delimiter,
        rows_read=good + rows_rejected if lines.kind == "record" else lines.data_records,
        rejects=rejects,
        line_numbers=lines.kind,
        sha256=scan.sha256,
        scan=scan,
        renamed=renamed,
        warnings=lines.warnings,
    )


def _load_text(
    con: duckdb.DuckDBPyConnection, paths: tuple[Path, Path], name: str, table: str,
    scan: FileScan, columns: list[str], delimiter: str, encoding: str,
) -> tuple[int, list[tuple]]:
    """DuckDB's reader into temp table ``table``, all text; returns the good-record count and
    the parser's rejects (line, byte position, column, error type, record text, message).
    ``paths``: the user's file (named in messages) and where its bytes are read."""
    path = paths[0]
    rejects_raw = f"{name}_duck_rejects"
    spec = {f"c{i}": "VARCHAR" for i in range(len(columns))}
    skip = int(scan.record_lines[0]) - 1  # blank lines above the header
    options = dict(
        auto_detect=False, header=True, delim=delimiter, quote='"', escape='"',
        store_rejects=True, rejects_table=rejects_raw, rejects_scan=f"{name}_duck_scan",
        encoding=encoding.lower(), max_line_size=MAX_LINE_BYTES, skip=skip,
    )
    _check_line_ends(paths, scan, spec, options)
    _read_csv(con, paths, table, spec, options)
    good = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    reject_rows = con.execute(
        f"SELECT line, line_byte_position, column_name, error_type, csv_line, error_message "
        f"FROM {rejects_raw} ORDER BY line_byte_position"
    ).fetchall()
    if good == 0 and not reject_rows:
        raise InputError(
            f"{path}: only a header line ({len(columns)} columns: {', '.join(columns[:12])}"
            f"{', ...' if len(columns) > 12 else ''}) and no data rows: nothing to ingest"
        )
    return good, reject_rows


class _Numbering(NamedTuple):
    good: np.ndarray     # source_row of each good record, in file order
    rejects: np.ndarray  # source_row of each parser reject, in the parser's order
    kind: str            # "physical" lines, or "record" numbers
    data_records: int
    warnings: list[str]


def _all_in_sorted(values: np.ndarray, ascending: np.ndarray) -> bool:
    """Every one of ``values`` is in ``ascending``: a binary search each (``np.isin`` would
    sort the file's millions of record starts for a handful of rejects)."""
    at = np.searchsorted(ascending, values)
    return bool((at < len(ascending)).all()
                and (ascending[np.minimum(at, len(ascending) - 1)] == values).all())


def _number_records(scan: FileScan, good: int, reject_rows: list[tuple], encoding: str,
                    delimiter: str) -> _Numbering:
    """Physical line numbers when the scan's record boundaries agree with the parser's, record
    numbers (with a warning) when they do not.

    The counts alone can agree by chance (a quote inside an unquoted field shifts boundaries
    one way, a reject another), so the boundaries must also be the parser's by construction:
    every quote at a field boundary, every rejected record starting at a scanned one."""
    data_records = scan.records - 1
    positions = np.array([r[1] for r in reject_rows], dtype=np.int64)
    record_idx = np.searchsorted(scan.record_starts, positions, side="right") - 1
    rejected_records = np.unique(record_idx)
    exact = (
        not scan.compressed or encoding.lower() in ("utf-8", "utf8", "latin-1")
    ) and good + len(rejected_records) == data_records and (record_idx >= 1).all() and (
        scan.quotes_agree(delimiter)
    ) and _all_in_sorted(positions - 1, scan.record_starts)  # DuckDB counts from 1 here
    if exact:
        is_good = np.ones(scan.records, dtype=bool)
        is_good[0] = False
        is_good[rejected_records] = False
        return _Numbering(scan.record_lines[is_good], scan.record_lines[record_idx], "physical",
                          data_records, [])
    # Quote characters inside unquoted fields make the byte-level boundaries disagree with
    # the parser; number records instead, and say so.
    reject_lines = np.array([r[0] for r in reject_rows], dtype=np.int64)
    # Good rows take the record numbers the parser's rejects do not use, in order.
    candidates = np.arange(2, 2 + good + len(reject_lines), dtype=np.int64)
    good_lines = candidates[~np.isin(candidates, reject_lines)][:good]
    return _Numbering(
        good_lines, reject_lines, "record", good + len({r[0] for r in reject_rows}),
        ["line numbers are record numbers (1 = header): quote characters inside unquoted "
         "fields or carriage-return line ends hide the physical lines"],
    )


def _refuse_swallowed_lines(path: Path, scan: FileScan, reject_rows: list[tuple],
                            lines: _Numbering, fields: int, delimiter: str) -> None:
    """Refuse a file where one rejected record runs over the lines of the rows after it.

    A stray quote at the start of a field opens a quoted field that the next quote (often
    none: the end of the file) closes; the parser then reads everything in between as one
    record, and the rows on those lines would vanish into one quarantined (or loaded) row. A
    record spanning several lines is that when one of its inner lines has a full row's worth
    of delimiters, or when it was rejected because its quote never closed; a genuine
    multi-line field (a note with line breaks) is neither.
    """
    if lines.kind == "physical":
        _refuse_row_like_fields(path, scan, delimiter)
    if not reject_rows:
        return
    spans = scan.record_spans() if lines.kind == "physical" else None
    for k, (_line, _pos, _column, error_type, csv_line, _message) in enumerate(reject_rows):
        first = int(lines.rejects[k])
        text = (csv_line or "").replace("\r\n", "\n").rstrip("\n")
        if spans is not None:
            index = int(np.searchsorted(scan.record_lines, first))
            span = int(spans[index]) if index < len(spans) else 1
        else:
            span = text.count("\n") + 1  # a lower bound: the parser keeps 10,000 characters
        if span <= 1:
            continue
        inner = text.split("\n")[1:]
        row_like = sum(1 for line in inner if line.count(delimiter) >= fields - 1)
        if error_type != "UNQUOTED VALUE" and not row_like:
            continue
        raise _swallowed(path, first, first + span - 1)


def _refuse_row_like_fields(path: Path, scan: FileScan, delimiter: str) -> None:
    """Refuse a file where a record (read or rejected) holds, inside a quoted field, a line
    with as many delimiters as the header: rows a pair of stray quotes enclosed."""
    inner = scan.row_like_inner_lines.get(ord(delimiter)) if len(delimiter) == 1 else None
    if inner is None or not len(inner):
        return
    record = int(np.searchsorted(scan.record_lines, int(inner[0]), side="right")) - 1
    first = int(scan.record_lines[max(record, 0)])
    last = first + int(scan.record_spans()[max(record, 0)]) - 1
    raise _swallowed(path, first, last)


def _swallowed(path: Path, first: int, last: int) -> InputError:
    return InputError(
        f"{path}: line {first} opens a quoted field that runs on to line {last}: the "
        f"{last - first:,} line{'s' if last - first > 1 else ''} after it would be lost inside "
        f"one row; nothing was loaded. A stray quote (\") on line {first}? Remove it, or "
        'double it ("") inside a quoted field, and ingest again'
    )


def _create_rejects(
    con: duckdb.DuckDBPyConnection, name: str, reject_rows: list[tuple],
    reject_lines: np.ndarray, columns: list[str], encoding: str,
) -> str:
    """Temp table ``<name>_rejects``: one row per rejected record, its reason in plain words."""
    rejects = f"{name}_rejects"
    con.execute(
        f'CREATE TEMP TABLE {rejects} (source_row BIGINT, "column" VARCHAR, value VARCHAR, '
        "reason VARCHAR)"
    )
    if not reject_rows:
        return rejects
    records = []
    for (_line, _pos, column, error_type, csv_line, message), line in zip(
        reject_rows, reject_lines, strict=True
    ):
        detail = (message or "").replace("Expected Number of Columns:", "expected").replace(
            "Found:", "found"
        )
        template = _REJECT_REASONS.get(error_type, f"unreadable record ({error_type})")
        reason = template.format(detail=detail.strip(), encoding=encoding)
        column_name = columns[int(column[1:])] if column and column[1:].isdigit() else None
        records.append((int(line), column_name, (csv_line or "").strip("\r\n"), reason))
    con.executemany(f"INSERT INTO {rejects} VALUES (?, ?, ?, ?)", records)
    # One rejected record may carry several errors; keep the first reason per record.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {rejects} AS SELECT * FROM {rejects} "
        "QUALIFY row_number() OVER (PARTITION BY source_row ORDER BY reason) = 1"
    )
    return rejects


def _check_line_ends(paths: tuple[Path, Path], scan: FileScan, spec: dict[str, str],
                     options: dict[str, object]) -> None:
    """Refuse, with the reason, a file DuckDB's strict parser cannot split into records.

    Mixed \\r\\n / \\n line ends or a bare carriage return stop the strict parser; the lenient
    one would silently truncate rows with extra fields, which is worse than stopping. The probe
    runs on a separate in-memory connection so the workspace transaction stays usable.
    """
    path, source = paths
    mixed = scan.crlf_records and scan.lf_records
    if scan.bare_cr_unquoted and (scan.crlf_records or scan.lf_records):
        # DuckDB ends a record at that \r, RFC 4180 (and this module's line map) does not:
        # one row would be read as two records, so the accounting could not hold.
        raise InputError(
            f"{path}: a carriage return (\\r) inside an unquoted field, first in the row on "
            f"line {scan.first_bare_cr_unquoted_line}, splits that row in two; nothing was "
            "loaded. Remove the stray \\r (or quote the field) and ingest again"
        )
    if not (mixed or scan.bare_cr):
        return
    probe = duckdb.connect()
    try:
        probe.execute(
            "SELECT count(*) FROM read_csv($path, columns := $columns, "
            + ", ".join(f"{k} := ${k}" for k in options if k not in ("rejects_table",
                                                                    "rejects_scan"))
            + ")",
            {"path": str(source), "columns": spec,
             **{k: v for k, v in options.items() if k not in ("rejects_table", "rejects_scan")}},
        ).fetchall()
    except duckdb.Error:
        if mixed:
            problem = (f"mixed line endings ({scan.crlf_records:,} records end in \\r\\n, "
                       f"{scan.lf_records:,} in \\n)")
        else:
            problem = (f"a carriage return (\\r) that does not end a line, first on line "
                       f"{scan.first_bare_cr_line}")
        raise InputError(
            f"{path}: {problem}, so the rows cannot be told apart reliably; nothing was loaded. "
            "Normalise the line endings (e.g. `dos2unix`) and ingest again"
        ) from None
    finally:
        probe.close()


def _read_csv(
    con: duckdb.DuckDBPyConnection, paths: tuple[Path, Path], table: str, spec: dict[str, str],
    options: dict[str, object],
) -> None:
    path, source = paths
    names = ", ".join(f"{k} := ${k}" for k in options)
    params = {"path": str(source), "columns": spec, **options}
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv($path, columns := $columns, "
            f"{names})",
            params,
        )
    except duckdb.Error as exc:
        message = str(exc).split("\n", 1)[0]
        raise InputError(
            f"{path}: cannot be read as a {options['delim']!r}-delimited CSV file: {message}"
        ) from None
