"""Benchmark ingest of an Excel workbook against the same rows as CSV.

Builds, from the real Helpdesk log (../shared/data/real/helpdesk.csv), a CSV and an .xlsx of
``--copies`` copies of it (case ids made distinct; the timestamps as date cells, as Excel holds
them), then times ``ticketlens.ingest`` on each into a fresh workspace, one after the other,
``--repeats`` times, and prints the medians with rows per second. openpyxl writes the workbook
(not timed).

    python benchmarks/bench_ingest_excel.py                 # 10 copies: 213,480 rows
    python benchmarks/bench_ingest_excel.py --copies 2 --repeats 1
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import openpyxl

import ticketlens

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "helpdesk.csv"


def _build(folder: Path, copies: int) -> tuple[Path, Path, int]:
    with REAL.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    case, at = header.index("Case ID"), header.index("Complete Timestamp")
    text_rows, book = [], openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("log")
    sheet.append(header)
    for k in range(copies):
        for row in rows:
            row = list(row)
            row[case] = f"{row[case]}-{k}"
            text_rows.append(row)
            typed = list(row)
            typed[at] = datetime.strptime(row[at], "%Y/%m/%d %H:%M:%S.%f")
            sheet.append(typed)
    book.save(folder / "log.xlsx")
    with (folder / "log.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *text_rows])
    return folder / "log.csv", folder / "log.xlsx", len(text_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, xlsx_path, rows = _build(folder, args.copies)
        times: dict[str, list[float]] = {"csv": [], "xlsx": []}
        for run in range(args.repeats):
            for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
                db = folder / f"{kind}-{run}.duckdb"
                started = time.perf_counter()
                summary = ticketlens.ingest(path, db=db)
                times[kind].append(time.perf_counter() - started)
                assert summary.sources[0].rows_loaded == rows, summary.to_dict()
        size = {"csv": csv_path.stat().st_size, "xlsx": xlsx_path.stat().st_size}
        print(f"{rows:,} rows (Helpdesk × {args.copies})")
        for kind, values in times.items():
            median = statistics.median(values)
            print(f"{kind:5} {size[kind] / 1e6:6.1f} MB  median {median:6.2f} s  "
                  f"({', '.join(f'{v:.2f}' for v in values)})  {rows / median:,.0f} rows/s")


if __name__ == "__main__":
    main()
