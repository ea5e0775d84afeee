"""``--format auto``: recognise a source from its name, first bytes and header — and say why.

Order of recognition: a generated desk folder; XES (``.xes``, ``.xes.gz`` or XML content);
Parquet (``PAR1`` magic); otherwise a delimited text file whose header is matched against the
built-in layouts (ticketlens events, ServiceNow audit log, customer-support / Jira / Zendesk
ticket tables, Helpdesk, BPIC 2013, XES-named CSV), most specific first.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ticketlens.core.errors import ConfigError, InputError, SchemaError
from ticketlens.sources.ingest import FORMAT_CHOICES
from ticketlens.sources.ingest.csvfile import peek_header
from ticketlens.sources.ingest.mapping import Mapping, builtin
from ticketlens.sources.ingest.parquetfile import parquet_columns

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
    container: str  # "desk" (folder), "csv", "parquet" or "xml"
    mapping: Mapping | None
    reason: str

    def describe(self) -> str:
        name = FORMAT_NAMES[self.format]
        mapping = f", mapping {self.mapping.name!r}" if self.mapping else ""
        return f"{name}{mapping} — {self.reason}"


def _looks_like_xml(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(512)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(512)
        except OSError:
            return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith((b"<?xml", b"<log"))


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def desk_events_file(folder: Path) -> Path | None:
    for name in DESK_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def header_of(path: Path, container: str, encoding: str | None) -> list[str]:
    if container == "parquet":
        return [name for name, _ in parquet_columns(duckdb.connect(), path)]
    columns, _ = peek_header(path, encoding or "utf-8")
    return columns


def detect(
    path: Path, format: str = "auto", mapping: Mapping | None = None,
    encoding: str | None = None,
) -> Detection:
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
    name = path.name.lower()
    if format == "xes" or (format == "auto" and (
            name.endswith((".xes", ".xes.gz")) or _looks_like_xml(path))):
        return Detection(path, "xes", "xml", None,
                         "XES name" if name.endswith((".xes", ".xes.gz")) else "XML content")
    container = "parquet" if _is_parquet(path) else "csv"
    columns = header_of(path, container, encoding)
    if mapping is not None:
        chosen = mapping.format if format in ("auto", "csv") else format
        if format == "ticket-table" and not mapping.is_ticket_table:
            raise ConfigError(f"--format ticket-table needs a mapping with an [events] table; "
                              f"mapping {mapping.name!r} has none")
        return Detection(path, chosen, container, mapping, f"mapping {mapping.source}")
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
                             f"header has {shown}")
    if format in ("events", "servicenow"):
        layout = builtin(wanted[0])
        missing = [c for c in layout.detect if c not in present]
        raise SchemaError(
            f"{path}: not the {FORMAT_NAMES[format]} layout: missing column(s) "
            f"{', '.join(repr(c) for c in missing)}; columns found: "
            f"{', '.join(repr(c) for c in columns[:40])}"
        )
    shown = ", ".join(repr(c) for c in columns[:40])
    raise SchemaError(
        f"{path}: the columns ({shown}) match no known layout. Say which column is which: "
        "--case COLUMN --activity COLUMN --timestamp COLUMN [--resource COLUMN] (one row per "
        "event), or --map FILE.toml (also for one-row-per-ticket tables; see docs/ingest.md)"
    )
