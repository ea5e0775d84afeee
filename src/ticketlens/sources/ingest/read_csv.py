"""Event logs in CSV or Parquet with a column mapping — one row per event (Helpdesk, BPIC 2013,
exports of process-mining tools, any spreadsheet with a case id, an activity and a timestamp).

Also the shared way every tabular reader gets its rows: ``read_table`` (CSV through DuckDB's
reader with the physical line map, Parquet, or one sheet of a workbook), then ``stage.stage_event_log`` validates and
types them in bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from ticketlens.sources.ingest.csvfile import RawTable, read_delimited
from ticketlens.sources.ingest.excelfile import read_sheet
from ticketlens.sources.ingest.mapping import Mapping
from ticketlens.sources.ingest.parquetfile import read_parquet
from ticketlens.sources.ingest.scan import FileScan
from ticketlens.sources.ingest.stage import ReadOptions, Staged, stage_event_log


def read_table(
    con: duckdb.DuckDBPyConnection, path: Path, container: str, mapping: Mapping | None,
    options: ReadOptions, on_bytes: Callable[[int], None] | None = None,
    scan: FileScan | None = None, sheet: str | None = None,
) -> RawTable:
    """The file's rows as text columns in view ``raw`` (see csvfile.RawTable); ``sheet``: the
    sheet of a workbook (container ``excel``)."""
    if container == "parquet":
        return read_parquet(con, path, "raw")
    if container == "excel":
        assert sheet is not None
        return read_sheet(con, path, "raw", sheet, on_bytes)
    return read_delimited(
        con, path, "raw",
        delimiter=options.delimiter or (mapping.delimiter if mapping else None),
        encoding=options.encoding or (mapping.encoding if mapping else None),
        on_bytes=on_bytes, scan=scan,
    )


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, container: str, mapping: Mapping,
    options: ReadOptions, on_bytes: Callable[[int], None] | None = None,
    scan: FileScan | None = None, sheet: str | None = None,
) -> Staged:
    raw = read_table(con, path, container, mapping, options, on_bytes, scan, sheet)
    return stage_event_log(con, raw, mapping, options, "stage", str(path))
