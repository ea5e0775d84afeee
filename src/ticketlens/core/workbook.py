"""Tables as one Excel workbook (.xlsx): a sheet per table, written atomically.

Written with openpyxl (maintained, pure Python, the writer pandas itself uses for .xlsx) in
its streaming write-only mode. Excel has rules a table must be bent to, each applied openly:

* sheet names: at most 31 characters, none of ``[]:*?/\\``, unique — a table whose name does
  not fit gets a shortened name, and the ``about`` sheet lists every sheet with its table;
* instants: Excel has no time zones, so a zone-aware column is written in UTC and its header
  says ``(UTC)``;
* text is never run as a formula (``=...`` stays text); control characters, which the file
  format cannot hold, are dropped; lists and mappings are written as JSON text;
* at most 1,048,575 data rows per sheet: a larger table is refused, not cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketlens.core.errors import InputError
from ticketlens.core.files import atomic_file

if TYPE_CHECKING:
    import pandas as pd

SHEET_NAME_MAX = 31
SHEET_ROWS_MAX = 1_048_576 - 1  # one row is the header
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# What the XML of a cell cannot hold (openpyxl refuses it rather than write a broken file).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def sheet_names(names: Sequence[str]) -> list[str]:
    """A valid, unique sheet name for each table name, in order."""
    taken: set[str] = {"about"}
    chosen = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "table"
        candidate, k = base[:SHEET_NAME_MAX], 1
        while candidate.lower() in taken:  # Excel compares sheet names case-insensitively
            k += 1
            suffix = f"~{k}"
            candidate = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        chosen.append(candidate)
    return chosen


def check_workbook_path(out: Path) -> None:
    """Refuse, before any work, a workbook name without ``.xlsx`` or in a missing folder."""
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"cannot write {out}: an Excel workbook is written as .xlsx; name the "
                         f"file {out.with_suffix('.xlsx').name}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {out}: folder {folder} does not exist")


def write_workbook(tables: Mapping[str, pd.DataFrame], out: str | Path,
                   about: Sequence[tuple[str, Any]] = (), *,
                   max_rows: int = SHEET_ROWS_MAX) -> Path:
    """Write ``tables`` to ``out``: first an ``about`` sheet (``about``'s pairs, then each
    sheet's table and row count), then one sheet per table. All of it appears, or nothing."""
    out = Path(out)
    for name, frame in tables.items():
        if len(frame) > max_rows:
            raise InputError(f"cannot write {out}: table {name} has {len(frame):,} rows, more "
                             f"rows than a sheet holds ({max_rows:,}); write it with --out "
                             "as Parquet or CSV instead")
    with atomic_file(out) as temp:  # first: an unwritable place is refused before any work
        _build(tables, about).save(temp)
    return out


def _build(tables: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, Any]]) -> Any:
    from openpyxl import Workbook

    names = sheet_names(list(tables))
    book = Workbook(write_only=True)
    info = book.create_sheet("about")
    for key, value in about:
        info.append([_value(info, key), _value(info, value)])
    info.append([])
    info.append(["sheet", "table", "rows"])
    for sheet, (name, frame) in zip(names, tables.items(), strict=True):
        info.append([sheet, name, len(frame)])
    for sheet_name, frame in zip(names, tables.values(), strict=True):
        sheet = book.create_sheet(sheet_name)
        for row in _rows(frame):
            sheet.append([_value(sheet, v) for v in row])
    return book


def _rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The header, then each row as Python values (zone-aware instants in naive UTC)."""
    import pandas as pd

    columns = []
    header = []
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
            header.append(f"{name} (UTC)")
        else:
            header.append(str(name))
        columns.append(column.astype(object).where(column.notna(), None).tolist())
    yield header
    yield from (list(row) for row in zip(*columns, strict=True))


def _value(sheet: Any, value: Any) -> Any:
    """A cell for ``value``: text stays text, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    if getattr(value, "ndim", 0):
        value = value.tolist()  # a numpy array in an object column
    elif hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | tuple | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float) and value != value:
        return None
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=_ILLEGAL.sub("", value))
    cell.data_type = "s"  # never a formula
    return cell


__all__ = ["check_workbook_path", "sheet_names", "write_workbook"]
