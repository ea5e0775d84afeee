"""Benchmark the CLI's cold start: how long a fresh `ticketlens` process takes to answer.

For ``python -c "import ticketlens"``, ``ticketlens --help``, ``ticketlens --version`` and
``ticketlens VERB --help`` for every verb: the median wall time of fresh processes, this
checkout side by side with a baseline checkout (default: the one before the lazy imports,
``/work/baseline``), both measured in the same run, alternating one process of each. Then the
import time of each verb's module (``python -X importtime``), and the imports that weigh most
in the slowest verb.

Target (issue 9): ``ticketlens --help`` and ``--version`` in <= 0.3 s.

    python benchmarks/bench_cli_start.py
    python benchmarks/bench_cli_start.py --repeats 11 --baseline /path/to/.venv/bin/ticketlens
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ticketlens.cli import VERBS

TARGET_S = 0.3
BASELINE = Path("/work/baseline/.venv/bin/ticketlens")


def _cases(script: Path) -> dict[str, list[str]]:
    """label -> argv, for one installation (its `ticketlens` script and its python)."""
    python = str(script.with_name("python"))
    cases = {
        "python -c 'import ticketlens'": [python, "-c", "import ticketlens"],
        "ticketlens --help": [str(script), "--help"],
        "ticketlens --version": [str(script), "--version"],
    }
    cases.update({f"ticketlens {verb} --help": [str(script), verb, "--help"] for verb in VERBS})
    return cases


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def _importtime(python: str, module: str) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of every import `import module` makes, largest first."""
    proc = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _self, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="processes per command and side")
    parser.add_argument("--baseline", type=Path, default=BASELINE,
                        help="the baseline's `ticketlens` script (its venv's python beside it)")
    parser.add_argument("--top", type=int, default=15, help="imports listed for the slowest verb")
    args = parser.parse_args()

    ours = Path(sys.executable).with_name("ticketlens")
    new, old = _cases(ours), _cases(args.baseline)
    runs: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in new}
    for _ in range(args.repeats):
        for label in new:  # alternate the two checkouts so load drifts hit both alike
            runs[label][0].append(_wall(old[label]))
            runs[label][1].append(_wall(new[label]))

    print(f"Cold start, median of {args.repeats} fresh processes each (wall time, s); "
          f"baseline {args.baseline}, this checkout {ours}")
    print(f"{'command':<36} {'baseline':>9} {'this':>9} {'speed-up':>9}  target")
    for label, (before, after) in runs.items():
        b, a = statistics.median(before), statistics.median(after)
        target = ""
        if label in ("ticketlens --help", "ticketlens --version"):
            target = f"<= {TARGET_S} s {'met' if a <= TARGET_S else 'MISSED'}"
        print(f"{label:<36} {b:9.3f} {a:9.3f} {b / a:8.1f}x  {target}")

    python = str(ours.with_name("python"))
    print("\nImport of each verb's module, this checkout (python -X importtime, cumulative ms):")
    weights = {module: _importtime(python, module)
               for module in sorted({verb.module for verb in VERBS.values()})}
    for name, verb in VERBS.items():
        total = next(us for us, imported in weights[verb.module] if imported == verb.module)
        print(f"  {name:<10} {verb.module:<24} {total / 1000:8.1f}")

    slowest = max(VERBS, key=lambda verb: statistics.median(runs[f"ticketlens {verb} --help"][1]))
    module = VERBS[slowest].module
    print(f"\nSlowest verb to start: {slowest}; top {args.top} imports of `import {module}` "
          "by cumulative time (ms):")
    for us, name in weights[module][:args.top]:
        print(f"  {us / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
