"""Read one sheet of a workbook into the same text-column shape as a CSV (``csvfile.RawTable``).

Workbooks are recognised by their content, whatever their name: a ZIP holding
``[Content_Types].xml`` and ``xl/`` (.xlsx, .xlsm, .xlsb), an OpenDocument ZIP whose
``mimetype`` says spreadsheet (.ods), or the OLE2 compound-file magic (.xls). They are read by
python-calamine (bindings to the Rust calamine reader: maintained, read-only, several times
faster than openpyxl, and one reader for all four formats).

Cells become text that keeps their meaning, so one mapping and one validation path serve CSV,
Parquet and workbooks alike:

* text as it is; an empty cell is missing (NULL), as an empty CSV field;
* a number: a whole number as digits (``42``, not ``42.0``), else its shortest exact form;
* a boolean: ``TRUE`` / ``FALSE``, as Excel shows it;
* a date cell: ISO text without an offset (``2016-02-29 01:16:00``; ``2016-02-29`` for a whole
  day — ``2016-02-29 00:00:00`` when other cells of the column carry a time, so one timestamp
  pattern fits the column). Excel stores no time zone, so it is read in the ingest time zone (``--tz``, default UTC)
  exactly like a CSV timestamp without an offset. The workbook's date system (1900 or 1904)
  is applied by the reader;
* a duration cell: ``H:MM:SS`` (hours may exceed 24).

``source_row`` is the sheet's row number (as Excel shows it at the left). The header is the
first row holding any value; rows with no value at all are not rows (as blank lines in a CSV).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ticketlens.core.errors import ConfigError, InputError
from ticketlens.sources.ingest.csvfile import RawTable, unique_names

if TYPE_CHECKING:
    from python_calamine import CalamineSheet

WORKBOOK_KINDS = {
    "xlsx": "Excel workbook",
    "xlsb": "Excel binary workbook",
    "xls": "Excel 97-2003 workbook",
    "ods": "OpenDocument spreadsheet",
}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Rows converted per Arrow batch: bounds the Python objects alive at once.
BATCH_ROWS = 50_000


def workbook_kind(path: Path) -> str | None:
    """``xlsx``, ``xlsb``, ``ods`` or ``xls`` when ``path`` holds a workbook, by its content;
    None when it is no ZIP or OLE2 file. A ZIP that holds no workbook is refused here: no
    other reader can make sense of it either."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _OLE2_MAGIC:
        return "xls"
    if head[:4] != _ZIP_MAGIC:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").startswith(_ODS_MIMETYPE):
                return "ods"
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: starts like a ZIP archive or an .xlsx workbook but cannot be "
                         f"opened as one ({exc}): is the file complete?") from None
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsb" if "xl/workbook.bin" in names else "xlsx"
    shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
    raise InputError(f"{path}: a ZIP archive, not a CSV file or a workbook (it holds {shown}); "
                     "unpack it and ingest the file inside")


@dataclass(frozen=True)
class SheetChoice:
    """The sheet of a workbook that is read: its name and 1-based position."""

    name: str
    position: int
    count: int


def _workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types and Rust-side errors alike
        raise InputError(f"{path}: cannot be read as a workbook ({_first_line(exc)}); a "
                         "password-protected workbook must be saved without a password") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def choose_sheet(path: Path, sheet: str | int | None) -> SheetChoice:
    """The sheet ``sheet`` names (a name, or a number counted from 1; default the first).
    A name that is no sheet but a number is taken as a position."""
    names = list(_workbook(path).sheet_names)
    if not names:
        raise InputError(f"{path}: the workbook has no sheets: nothing to ingest")
    if sheet is None:
        return SheetChoice(names[0], 1, len(names))
    text = str(sheet) if str(sheet) in names else str(sheet).strip()
    if text in names:
        return SheetChoice(text, names.index(text) + 1, len(names))
    if text.isdigit() and 1 <= int(text) <= len(names):
        return SheetChoice(names[int(text) - 1], int(text), len(names))
    listed = ", ".join(f"{i} {n!r}" for i, n in enumerate(names, start=1))
    raise ConfigError(f"{path}: no sheet {text!r} in the workbook; its sheets: {listed} "
                      "(--sheet NAME or NUMBER)")


# One loaded sheet, kept between format detection (its header) and reading (its rows), so a
# large sheet is parsed once. Key: path, size, modification time, sheet.
_LOADED: dict[tuple[str, int, int, str], CalamineSheet] = {}


def _sheet(path: Path, sheet: str, keep: bool) -> CalamineSheet:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, sheet)
    loaded = _LOADED.pop(key, None)
    if loaded is None:
        book = _workbook(path)
        try:
            loaded = book.get_sheet_by_name(sheet)
        except Exception as exc:  # a damaged sheet inside a readable workbook
            raise InputError(f"{path}: sheet {sheet!r} cannot be read ({_first_line(exc)})"
                             ) from None
    _LOADED.clear()
    if keep:
        _LOADED[key] = loaded
    return loaded


def release_sheets() -> None:
    """Forget a sheet loaded for detection and not read (an ingest that stopped before)."""
    _LOADED.clear()


def _header(rows: Iterator[list[Any]], path: Path, sheet: str) -> tuple[int, list[str]]:
    for number, row in enumerate(rows, start=1):
        if any(cell != "" for cell in row):
            return number, [cell_text(cell) or "" for cell in row]
    raise InputError(f"{path}: sheet {sheet!r} is empty: nothing to ingest (--sheet to choose "
                     "another)")


def sheet_header(path: Path, sheet: str) -> list[str]:
    """Column names of ``sheet`` (format detection); the loaded sheet is kept for reading."""
    _, header = _header(iter(_sheet(path, sheet, keep=True).iter_rows()), path, sheet)
    return unique_names(header)[0]


def sheet_identity(file_sha256: str, sheet: str) -> str:
    """The content identity of one sheet: two sheets of a workbook are two sources."""
    return hashlib.sha256(f"{file_sha256}\0{sheet}".encode()).hexdigest()


def cell_text(cell: Any) -> str | None:
    """A cell's value as text that keeps its meaning (see the module docstring)."""
    kind = type(cell)
    if kind is str:
        return cell or None
    if kind is float:
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e16 else repr(cell)
    if kind is bool:
        return "TRUE" if cell else "FALSE"
    if kind is datetime or kind is date or kind is time:
        return cell.isoformat(sep=" ") if kind is datetime else cell.isoformat()
    if kind is timedelta:
        seconds = int(cell.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return None if cell is None else str(cell)


def column_text(column: Sequence[Any]) -> list[str | None]:
    """The cells of one column as text; a whole day among date-times is written as midnight
    (the reader gives a date for a date-time cell at 00:00, whatever its format)."""
    kinds = set(map(type, column))
    if kinds == {str}:  # the common case, without a call per cell
        return [cell or None for cell in column]
    texts = [cell_text(cell) for cell in column]
    if date in kinds and datetime in kinds:
        texts = [f"{cell.isoformat()} 00:00:00" if type(cell) is date else text
                 for cell, text in zip(column, texts, strict=True)]
    return texts


def _batches(rows: Iterable[list[Any]], first: int, width: int
             ) -> Iterator[tuple[list[int], list[list[Any]]]]:
    """Non-empty rows with their sheet row numbers, ``BATCH_ROWS`` at a time, each padded or
    cut to ``width`` cells (cells past the header's columns are kept by widening it first)."""
    numbers: list[int] = []
    batch: list[list[Any]] = []
    for number, row in enumerate(rows, start=first):
        if row.count("") == len(row):  # no value at all: not a row (as a blank line)
            continue
        numbers.append(number)
        batch.append(row if len(row) == width else (list(row) + [""] * width)[:width])
        if len(batch) == BATCH_ROWS:
            yield numbers, batch
            numbers, batch = [], []
    if batch:
        yield numbers, batch


def read_sheet(con: duckdb.DuckDBPyConnection, path: Path, name: str, sheet: str,
               on_bytes: Callable[[int], None] | None = None) -> RawTable:
    """Expose ``sheet`` of the workbook ``path`` as view ``name`` (source_row, c0..cN text)."""
    loaded = _sheet(path, sheet, keep=False)
    rows = iter(loaded.iter_rows())
    header_row, header = _header(rows, path, sheet)
    columns, renamed = unique_names(header)
    table = f"{name}_text"
    types = ", ".join(["source_row BIGINT", *(f"c{i} VARCHAR" for i in range(len(columns)))])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({types})")
    schema = pa.schema([("source_row", pa.int64()),
                        *((f"c{i}", pa.string()) for i in range(len(columns)))])
    rows_read = 0
    for numbers, batch in _batches(rows, header_row + 1, len(columns)):
        cells = [column_text(column) for column in zip(*batch, strict=True)]
        con.register(f"{name}_batch", pa.table([pa.array(numbers, pa.int64()), *cells],
                                               schema=schema))
        con.execute(f"INSERT INTO {table} SELECT * FROM {name}_batch")
        con.unregister(f"{name}_batch")
        rows_read += len(batch)
    if rows_read == 0:
        raise InputError(f"{path}: sheet {sheet!r} holds only a header row ({len(columns)} "
                         f"columns: {', '.join(columns[:12])}{', ...' if len(columns) > 12 else ''}"
                         ") and no data rows: nothing to ingest")
    if on_bytes is not None:
        on_bytes(path.stat().st_size)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {table}")
    rejects = f"{name}_rejects"
    con.execute(f'CREATE OR REPLACE TEMP TABLE {rejects} (source_row BIGINT, "column" VARCHAR, '
                "value VARCHAR, reason VARCHAR)")
    return RawTable(view=name, columns=columns, delimiter="", rows_read=rows_read,
                    rejects=rejects, line_numbers="sheet row", sha256="", renamed=renamed)
