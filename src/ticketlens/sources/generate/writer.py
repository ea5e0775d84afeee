"""Writing a desk folder: streamed CSV/Parquet per table, into a temporary folder
(``core.files.StagedFolder``) that is moved into place only when everything is written (no
half-written output on error).

Deterministic bytes: CSV through Arrow's writer (fixed header; text quoted unless it is known
to need no quotes);
Parquet with one row group per chunk, fixed compression, and no timestamps in its metadata.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ticketlens.core.errors import InputError

FORMATS = ("csv", "parquet")
_ROW_GROUP = 1 << 20


class TableSink:
    """One table, streamed chunk by chunk into each requested format.

    ``quoting`` is Arrow's CSV quoting: "needed" quotes every text field, "none" writes them
    bare (only valid when no value holds a comma, quote or line break).
    """

    def __init__(self, folder: Path, name: str, schema: pa.Schema, formats: tuple[str, ...],
                 quoting: str = "needed"):
        self.name, self.schema, self.rows = name, schema, 0
        self.files: list[Path] = []
        self._csv = None
        self._csv_file = None
        self._parquet = None
        if "csv" in formats:
            path = folder / f"{name}.csv"
            self._csv_file = path.open("wb")
            # Arrow quotes header names; the brief's header is the bare column list.
            self._csv_file.write((",".join(schema.names) + "\n").encode())
            self._csv = pacsv.CSVWriter(self._csv_file, schema, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style=quoting, batch_size=65536))
            self.files.append(path)
        if "parquet" in formats:
            path = folder / f"{name}.parquet"
            self._parquet = pq.ParquetWriter(path, schema, compression="zstd",
                                             write_statistics=True)
            self.files.append(path)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if not table.num_rows:
            return
        if self._csv is not None:
            self._csv.write_table(table)
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=_ROW_GROUP)

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._csv_file is not None:
            self._csv_file.close()
        if self._parquet is not None:
            self._parquet.close()


def check_destination(out: Path) -> None:
    """``out`` may be new, empty, or an earlier generated desk (replaced); nothing else."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out}: exists and is a file; give a folder path")
    entries = list(out.iterdir())
    if not entries:
        return
    manifest = out / "manifest.json"
    try:
        generated = json.loads(manifest.read_text("utf-8")).get("generator") == "ticketlens"
    except (OSError, ValueError, AttributeError):
        generated = False
    if not generated:
        raise InputError(f"--out {out}: folder exists and is not a generated desk; choose a new "
                         "or empty folder (an earlier `ticketlens generate` output is replaced)")


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# Bytes written per ticket, all five tables, measured on generated desks (issue 10: 1,440-1,480
# of CSV and 110-130 of Parquet at 3,000-100,000 tickets, about 8 events a ticket) and rounded
# up, so the estimate is an upper bound for the default desk's rates.
BYTES_PER_TICKET = {"csv": 1_600, "parquet": 200}
_MANIFEST_BYTES = 1 << 16


def estimate_bytes(tickets: int, formats: tuple[str, ...]) -> int:
    """About how many bytes a desk of ``tickets`` tickets writes in ``formats``."""
    return tickets * sum(BYTES_PER_TICKET[f] for f in formats) + _MANIFEST_BYTES


def check_space(out: Path, tickets: int, formats: tuple[str, ...]) -> None:
    """Refuse, before anything is simulated, a desk whose files would not fit the free space
    of the disk that holds ``out`` (a trillion tickets used to grow memory until killed)."""
    needed = estimate_bytes(tickets, formats)
    folder = out.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # unknown free space: the writer reports a full disk if it comes to that
        return
    if needed > free:
        raise InputError(
            f"--tickets {tickets:,}: the output needs an estimated {_size(needed)} "
            f"({'+'.join(formats)}, ~{needed // max(tickets, 1):,} bytes a ticket) but {folder} "
            f"has only {_size(free)} free; generate fewer tickets or write elsewhere (--out)")


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:,.{1 if n < 10 and unit != 'bytes' else 0}f} {unit}"
        n /= 1000
    return f"{n:,.{1 if n < 10 else 0}f} PB"
