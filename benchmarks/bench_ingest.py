"""Benchmark `ticketlens ingest` on a generated ~10-million-event CSV, against pandas + pm4py.

Ours: ``ticketlens.ingest(events.csv, db=...)`` into a fresh workspace — content hash and
physical line map, DuckDB's parallel CSV reader (all text), timestamp detection, validation
and quarantine split in SQL, duplicate count, per-ticket ordering (event_seq), implausibility
flags, and the write of the workspace file in one transaction.

Baseline (the issue's): ``pandas.read_csv`` + ``pm4py.format_dataframe`` on the same file — a
load that validates nothing, keeps no line numbers and writes nothing.

Targets (issue 3, 2-core machine): <= 60 s and <= 4 GB peak for 10 M events.
Every ticketlens figure is the median of 3 fresh-process runs (harness.py); the baseline runs
once by default (it takes minutes and many GB; ``--baseline-repeats`` to change).

    python benchmarks/bench_ingest.py                      # ~10 M events (1,215,000 tickets)
    python benchmarks/bench_ingest.py --tickets 100000     # a quick check on a smaller desk
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import desk
from harness import Measurement, measure, ratio

TARGET_SECONDS = 60.0
TARGET_MIB = 4096.0
# The generator makes ~8.2 events per ticket: 1,215,000 tickets is ~10 million events.
DEFAULT_TICKETS = 1_215_000

OURS_SETUP = """
import ticketlens
from pathlib import Path
DB = Path({db!r})
for leftover in (DB, DB.with_name(DB.name + ".wal")):
    leftover.unlink(missing_ok=True)
"""
OURS_WORK = """
summary = ticketlens.ingest({csv!r}, db=DB)
assert summary.sources[0].rows_loaded == {events}, summary.sources[0]
"""
BASELINE_SETUP = """
import pandas as pd
import pm4py
"""
BASELINE_WORK = """
df = pd.read_csv({csv!r})
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity",
                            timestamp_key="timestamp")
assert len(df) == {events}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-repeats", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    folder = desk(args.tickets)
    csv = folder / "events.csv"
    manifest = json.loads((folder / "manifest.json").read_text())
    events = int(manifest["row_counts"]["events"])
    size_mib = csv.stat().st_size / 2**20
    print(f"input: {csv} — {events:,} events, {args.tickets:,} tickets, {size_mib:,.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        db = str(Path(tmp) / "ws.duckdb")
        ours = measure("ticketlens ingest (validate, order, write)",
                       OURS_WORK.format(csv=str(csv), events=events),
                       OURS_SETUP.format(db=db), repeats=args.repeats)
    rows: list[tuple[Measurement, int]] = [(ours, args.repeats)]
    baseline = None
    if not args.no_baseline:
        baseline = measure("pandas.read_csv + pm4py.format_dataframe",
                           BASELINE_WORK.format(csv=str(csv), events=events), BASELINE_SETUP,
                           repeats=args.baseline_repeats)
        rows.append((baseline, args.baseline_repeats))

    print()
    for measurement, runs in rows:
        rate = events / measurement.median_s
        print(f"{measurement.row()}  {rate / 1e6:5.2f} M events/s  ({runs} run(s))")
    print()
    time_ok = "meets" if ours.median_s <= TARGET_SECONDS else "MISSES"
    memory_ok = "meets" if ours.peak_mib <= TARGET_MIB else "MISSES"
    scale = events / 10_000_000
    print(f"target wall time <= {TARGET_SECONDS:.0f} s for 10 M events: {ours.median_s:.1f} s "
          f"for {scale:.2f}x that -> {time_ok}")
    print(f"target peak memory <= {TARGET_MIB / 1024:.0f} GB: {ours.peak_mib / 1024:.2f} GB "
          f"-> {memory_ok}")
    if baseline is not None:
        print(f"speed ratio vs pandas + pm4py: {ratio(baseline, ours):.2f}x faster; "
              f"memory {baseline.peak_mib / ours.peak_mib:.2f}x less")


if __name__ == "__main__":
    main()
