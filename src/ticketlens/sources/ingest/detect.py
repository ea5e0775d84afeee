"""``--format auto``: recognise a source from its name, first bytes and header — and say why.

Order of recognition: a generated desk folder; a workbook (.xlsx, .xlsb, .xls, .ods: by its
content, whatever its name; ``excelfile.workbook_kind``), read from the sheet ``--sheet`` names
(default the first); XES (``.xes``, ``.xes.gz`` or XML content); Parquet (``PAR1`` magic);
otherwise a delimited text file. A table's header (a workbook sheet's, Parquet's or the
text file's) is matched against the built-in layouts (ticketlens events, ServiceNow audit log, customer-support / Jira / Zendesk
ticket tables, Helpdesk, BPIC 2013, XES-named CSV), most specific first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ticketlens.core.errors import ConfigError, InputError, SchemaError
from ticketlens.sources.ingest import FORMAT_CHOICES
from ticketlens.sources.ingest.csvfile import peek_header
from ticketlens.sources.ingest.excelfile import (
    WORKBOOK_KINDS,
    SheetChoice,
    choose_sheet,
    sheet_header,
    workbook_kind,
)
from ticketlens.sources.ingest.mapping import Mapping, builtin
from ticketlens.sources.ingest.parquetfile import parquet_columns
from ticketlens.sources.ingest.scan import read_head

# Most specific layouts first: the first whose `detect` columns are all present wins.
DETECTION_ORDER = ("events", "servicenow", "customer_support", "jira", "zendesk", "helpdesk",
                   "bpic2013", "xes_csv")
DESK_FILES = ("events.parquet", "events.csv")
FORMAT_NAMES = {
    "events": "ticketlens event log",
    "xes": "XES event log",
    "csv": "event-log CSV with a column mapping",
    "servicenow": "ServiceNow incident audit log",
    "ticket-table": "ticket table without history",
}


@dataclass(frozen=True)
class Detection:
    """Which reader handles ``path``, with which mapping, and why it was chosen."""

    path: Path
    format: str
    container: str  # "desk" (folder), "csv", "parquet", "excel" or "xml"
    mapping: Mapping | None
    reason: str
    sheet: SheetChoice | None = None  # the workbook sheet read (container "excel")

    def describe(self) -> str:
        name = FORMAT_NAMES[self.format]
        mapping = f", mapping {self.mapping.name!r}" if self.mapping else ""
        return f"{name}{mapping} — {self.reason}"


def _looks_like_xml(path: Path) -> bool:
    text = read_head(path, 512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith((b"<?xml", b"<log"))


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def desk_events_file(folder: Path) -> Path | None:
    for name in DESK_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def header_of(path: Path, container: str, encoding: str | None,
              sheet: SheetChoice | None = None) -> list[str]:
    if sheet is not None:
        return sheet_header(path, sheet.name)
    if container == "parquet":
        return [name for name, _ in parquet_columns(duckdb.connect(), path)]
    columns, _ = peek_header(path, encoding or "utf-8")
    return columns


def detect(
    path: Path, format: str = "auto", mapping: Mapping | None = None,
    encoding: str | None = None, sheet: str | int | None = None,
) -> Detection:
    """How ``path`` is read: format, container, mapping, and why. ``sheet``: the workbook
    sheet to read (a name, or a number from 1); refused for anything but a workbook."""
    if format not in FORMAT_CHOICES:
        raise ConfigError(f"unknown --format {format!r}: use one of {', '.join(FORMAT_CHOICES)}")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        if format not in ("auto", "events"):
            raise InputError(f"{path} is a folder: only a generated desk folder (--format events) "
                             "can be ingested as a folder; pass its files instead")
        if desk_events_file(path) is None:
            raise InputError(
                f"{path} is a folder without events.csv or events.parquet: not a generated desk "
                "(`ticketlens generate --out DIR` writes one); pass a file instead"
            )
        return Detection(path, "events", "desk", builtin("events"),
                         "a generated desk folder (events file + linked tables)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes): nothing to ingest")
    kind = workbook_kind(path)
    if kind is None and sheet is not None:
        raise ConfigError(f"{path}: --sheet applies to Excel workbooks (.xlsx, .xlsb, .xls, "
                          ".ods); this file is not one")
    if kind is not None and format == "xes":
        raise InputError(f"{path} is an {WORKBOOK_KINDS[kind]}, not an XES log: leave out "
                         "--format xes")
    if kind is not None:
        choice = choose_sheet(path, sheet)
        columns = header_of(path, "excel", None, choice)
        return _detect_columns(path, format, mapping, "excel", columns, choice,
                               f"{WORKBOOK_KINDS[kind]}, sheet {choice.name!r}: ")
    name = path.name.lower()
    if format == "xes" or (format == "auto" and (
            name.endswith((".xes", ".xes.gz")) or _looks_like_xml(path))):
        return Detection(path, "xes", "xml", None,
                         "XES name" if name.endswith((".xes", ".xes.gz")) else "XML content")
    container = "parquet" if _is_parquet(path) else "csv"
    return _detect_columns(path, format, mapping, container,
                           header_of(path, container, encoding), None, "")


def _detect_columns(path: Path, format: str, mapping: Mapping | None, container: str,
                    columns: list[str], sheet: SheetChoice | None, where: str) -> Detection:
    """The layout of a table whose header is ``columns`` (``where``: the workbook and sheet
    it was read from, said first in the reason)."""
    if mapping is not None:
        chosen = mapping.format if format in ("auto", "csv") else format
        if format == "ticket-table" and not mapping.is_ticket_table:
            raise ConfigError(f"--format ticket-table needs a mapping with an [events] table; "
                              f"mapping {mapping.name!r} has none")
        return Detection(path, chosen, container, mapping, f"{where}mapping {mapping.source}",
                         sheet)
    wanted = {
        "events": ("events",), "servicenow": ("servicenow",),
        "ticket-table": ("customer_support", "jira", "zendesk"),
        "csv": ("helpdesk", "bpic2013", "xes_csv"),
        "auto": DETECTION_ORDER,
    }[format]
    present = set(columns)
    for candidate in wanted:
        layout = builtin(candidate)
        if set(layout.detect) <= present:
            shown = ", ".join(layout.detect[:5]) + (", ..." if len(layout.detect) > 5 else "")
            return Detection(path, layout.format, container, layout,
                             f"{where}header has {shown}", sheet)
    of_sheet = ""
    if sheet is not None:
        of_sheet = (f" of sheet {sheet.name!r} ({sheet.position} of {sheet.count}; --sheet "
                    "NAME or NUMBER reads another)")
    if format in ("events", "servicenow"):
        layout = builtin(wanted[0])
        missing = [c for c in layout.detect if c not in present]
        raise SchemaError(
            f"{path}{of_sheet}: not the {FORMAT_NAMES[format]} layout: missing column(s) "
            f"{', '.join(repr(c) for c in missing)}; columns found: "
            f"{', '.join(repr(c) for c in columns[:40])}"
        )
    shown = ", ".join(repr(c) for c in columns[:40])
    raise SchemaError(
        f"{path}: the columns ({shown}){of_sheet} match no known layout. Say which column is which: "
        "--case COLUMN --activity COLUMN --timestamp COLUMN [--resource COLUMN] (one row per "
        "event), or --map FILE.toml (also for one-row-per-ticket tables; see docs/ingest.md)"
    )
