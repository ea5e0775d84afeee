"""Measure a workload in a fresh Python process: wall time and peak resident memory.

Each run is its own subprocess, so peak memory (ru_maxrss) belongs to that workload alone.
Machines are shared and noisy: report the median of several runs, and compare against a
baseline measured in the same script run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
from dataclasses import dataclass

_RUNNER = """
import json, resource, sys, time
{setup}
t0 = time.perf_counter()
{work}
elapsed = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("__MEASURE__" + json.dumps({{"seconds": elapsed, "peak_mib": peak_kib / 1024}}))
"""


@dataclass(frozen=True)
class Measurement:
    label: str
    runs: tuple[float, ...]
    peak_mib: float

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs)

    def row(self) -> str:
        runs = ", ".join(f"{r:.2f}" for r in self.runs)
        return f"{self.label:<44} median {self.median_s:8.2f} s  peak {self.peak_mib:8.0f} MiB  [{runs}]"


def measure(label: str, work: str, setup: str = "", repeats: int = 3,
            python: str = sys.executable) -> Measurement:
    """Run ``setup`` (untimed) then ``work`` (timed) in a fresh interpreter (``python``: this
    one, or another checkout's), ``repeats`` times."""
    code = _RUNNER.format(setup=textwrap.dedent(setup), work=textwrap.dedent(work))
    times: list[float] = []
    peak = 0.0
    for _ in range(repeats):
        proc = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SystemExit(f"{label} failed:\n{proc.stderr[-3000:]}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("__MEASURE__"))
        result = json.loads(line.removeprefix("__MEASURE__"))
        times.append(result["seconds"])
        peak = max(peak, result["peak_mib"])
    return Measurement(label, tuple(times), peak)


def ratio(baseline: Measurement, ours: Measurement, per_baseline: float = 1.0,
          per_ours: float = 1.0) -> float:
    """Speed ratio, normalising each side by its unit count (e.g. tickets) when they differ."""
    return (baseline.median_s / per_baseline) / (ours.median_s / per_ours)
