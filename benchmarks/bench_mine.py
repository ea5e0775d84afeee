"""Benchmark `ticketlens mine` against pm4py on generated desks of 10 k, 100 k and 1 M tickets.

For each size: DFG, performance DFG, variants and handover network, one at a time and all four
in one process, ticketlens (reading the ingested workspace) side by side with pm4py 2.7
(``format_dataframe``, ``discover_dfg``, ``discover_performance_dfg``, ``get_variants``,
``discover_handover_of_work_network``) on the same events, in the same run. Each row is the
median wall time of fresh processes (``harness.measure``) and their peak resident memory.

* ticketlens: the workspace file is ready (ingest ordered the events once); timed = the call.
* pm4py, single analyses: reading events.parquet and ``format_dataframe`` happen untimed in
  the process's setup, so the row times the discovery alone; pm4py's "all four" row times
  ``format_dataframe`` plus the four discoveries (its counterpart of ingest's ordering).

Targets (issue 5): the four together on 1 M tickets in <= 10 s and <= 2 GB peak; the total
>= 8x faster than pm4py with at most a third of its memory; no single analysis slower.

    python benchmarks/bench_mine.py                  # 10k, 100k, 1M
    python benchmarks/bench_mine.py --sizes 10000    # one size
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import desk, workspace
from harness import Measurement, measure

OURS = {
    "dfg": "mine.dfg(DB, performance=False)",
    "performance dfg": "mine.dfg(DB)",
    "variants": "mine.variants(DB)",
    # pm4py's network semantics (self-handovers, nobody's events) and no skill-mismatch view:
    # the same work as discover_handover_of_work_network.
    "handover": "mine.handover(DB, include_self=True, include_unassigned=True, mismatch=False)",
}
PM4PY = {
    "dfg": "pm4py.discover_dfg(df)",
    "performance dfg": "pm4py.discover_performance_dfg(df)",
    "variants": "pm4py.get_variants(df)",
    "handover": "pm4py.discover_handover_of_work_network(df)",
}
_PM4PY_READ = """
import warnings; warnings.filterwarnings("ignore")
import pandas as pd, pm4py
df = pd.read_parquet({events!r}, columns=["ticket_id", "timestamp", "activity", "assigned_to"])
df = df.rename(columns={{"assigned_to": "org:resource"}})
"""
_PM4PY_FORMAT = """
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity",
                            timestamp_key="timestamp")
"""
_OURS_SETUP = "from ticketlens.analyses import mine\nDB = {db!r}\n"


@dataclass(frozen=True)
class Row:
    analysis: str
    ours: Measurement
    theirs: Measurement

    def line(self) -> str:
        speed = self.theirs.median_s / self.ours.median_s
        memory = self.ours.peak_mib / self.theirs.peak_mib
        return (f"{self.analysis:<16} {self.ours.median_s:9.2f} s {self.ours.peak_mib:8.0f} MiB"
                f" {self.theirs.median_s:10.2f} s {self.theirs.peak_mib:8.0f} MiB"
                f" {speed:8.1f}x {memory:9.2f}")


def _events_file(tickets: int) -> str:
    folder = desk(tickets)
    parquet = folder / "events.parquet"
    if not parquet.exists():
        raise SystemExit(f"{folder} has no events.parquet: delete it and rerun to regenerate")
    return str(parquet)


def bench(tickets: int, repeats: int, baseline_repeats: int) -> list[Row]:
    db = str(workspace(tickets))
    events = _events_file(tickets)
    ours_setup = _OURS_SETUP.format(db=db)
    read = _PM4PY_READ.format(events=events)
    rows = []
    for name in OURS:
        ours = measure(f"ticketlens {name}", OURS[name], ours_setup, repeats)
        theirs = measure(f"pm4py {name}", PM4PY[name], read + _PM4PY_FORMAT, baseline_repeats)
        rows.append(Row(name, ours, theirs))
        print(f"  {ours.row()}\n  {theirs.row()}", flush=True)
    ours_all = measure("ticketlens all four", "\n".join(OURS.values()), ours_setup, repeats)
    theirs_all = measure("pm4py format + all four",
                         _PM4PY_FORMAT + "\n".join(PM4PY.values()), read, baseline_repeats)
    print(f"  {ours_all.row()}\n  {theirs_all.row()}", flush=True)
    rows.append(Row("all four", ours_all, theirs_all))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated ticket counts")
    parser.add_argument("--repeats", type=int, default=3, help="runs per ticketlens row")
    parser.add_argument("--baseline-repeats", type=int, default=3,
                        help="runs per pm4py row below 1 M tickets (1 M: 1 run, it is slow)")
    args = parser.parse_args()
    for tickets in (int(s) for s in args.sizes.split(",")):
        baseline = args.baseline_repeats if tickets < 1_000_000 else 1
        print(f"\n== {tickets:,} tickets (pm4py: {baseline} run(s) per row) ==", flush=True)
        rows = bench(tickets, args.repeats, baseline)
        print(f"\n{'analysis':<16} {'ticketlens':>11} {'peak':>12} {'pm4py':>12} {'peak':>12}"
              f" {'speed-up':>9} {'mem ratio':>9}")
        for row in rows:
            print(row.line())
        total = rows[-1]
        if tickets >= 1_000_000:
            checks = {
                "all four <= 10 s": total.ours.median_s <= 10,
                "peak <= 2 GB": total.ours.peak_mib <= 2048,
                "total >= 8x faster than pm4py": total.theirs.median_s / total.ours.median_s >= 8,
                "memory <= 1/3 of pm4py's": total.ours.peak_mib * 3 <= total.theirs.peak_mib,
                "no analysis slower than pm4py": all(r.ours.median_s <= r.theirs.median_s
                                                     for r in rows),
            }
            for label, ok in checks.items():
                print(f"  target {label:<34} {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
