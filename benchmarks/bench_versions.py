"""This checkout against another one (an earlier commit in its own worktree and venv), same run.

    python benchmarks/bench_versions.py --other ../old-checkout            # 1 M tickets
    python benchmarks/bench_versions.py --other ../old-checkout --tickets 100000

A refactoring must not make the product slower: this times the public verbs on the same
generated desk with both checkouts, alternating old and new runs so that the machine's load
falls on both, each run a fresh process (``harness.measure``), and prints medians and the
ratio. Each checkout uses the workspace its own ``ingest`` built (``benchmarks/out`` of that
checkout, cached by ``datasets.py``); every run works on a fresh copy of it.

Timed, from ``import ticketlens`` on (as a user's command pays it): ``ticketlens.sla(copy)``
(facts with business-hours clocks, stored), the facts computed without storing
(``compute_facts``), and ``ticketlens.kpi(copy)`` on facts ``sla`` stored in another process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, measure

HERE = Path(__file__).resolve().parents[1]

_BUILD = """
import sys
sys.path.insert(0, {bench!r})
import datasets
print(datasets.workspace({tickets}))
"""

_COPY = """
import shutil, subprocess, sys, tempfile
from pathlib import Path
folder = Path(tempfile.mkdtemp(dir={scratch!r}))
db = folder / "ws.duckdb"
shutil.copyfile({source!r}, db)
"""

# kpi reads stored facts: they are computed by another process, untimed
_SLA_FIRST = _COPY + """
subprocess.run([sys.executable, "-c", f"import ticketlens; ticketlens.sla({{str(db)!r}})"],
               check=True)
"""

_FACTS = """
import duckdb
try:  # the layered layout (ticketlens >= 0.2) or the flat one (0.1)
    from ticketlens.analyses.sla.engine import compute_facts
except ImportError:
    from ticketlens.sla.engine import compute_facts
compute_facts(duckdb.connect(str(db)), "standard")
"""

# Timed from the import on, as a user's `ticketlens sla` pays it: a version that imports
# lazily pays its libraries inside the call, an eager one at `import ticketlens`.
WORK = {
    "sla (facts stored)": (_COPY, "import ticketlens\nticketlens.sla(db)"),
    "facts computed, not stored": (_COPY, _FACTS),
    "kpi after sla": (_SLA_FIRST, "import ticketlens\nticketlens.kpi(db)"),
}


def _python(checkout: Path) -> str:
    return str(checkout / ".venv" / "bin" / "python")


def _workspace(checkout: Path, tickets: int) -> str:
    """The checkout's cached workspace of ``tickets`` tickets, built by its own ingest."""
    code = _BUILD.format(bench=str(checkout / "benchmarks"), tickets=tickets)
    out = subprocess.run([_python(checkout), "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def _merge(label: str, parts: list[Measurement]) -> Measurement:
    runs = tuple(r for part in parts for r in part.runs)
    return Measurement(label, runs, max(part.peak_mib for part in parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True,
                        help="the other checkout (with its own .venv)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=sorted(WORK), action="append",
                        help="time only this row (repeatable)")
    args = parser.parse_args()
    other = args.other.resolve()
    scratch = HERE / "benchmarks" / "out" / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    sources = {"this": _workspace(HERE, args.tickets), "other": _workspace(other, args.tickets)}
    pythons = {"this": _python(HERE), "other": _python(other)}
    print(f"{args.tickets:,} tickets; this = {HERE}, other = {other}")
    for name, (setup, work) in WORK.items():
        if args.only and name not in args.only:
            continue
        parts: dict[str, list[Measurement]] = {"this": [], "other": []}
        for round_ in range(args.repeats):  # alternate, and swap who goes first each round
            order = ("other", "this") if round_ % 2 == 0 else ("this", "other")
            for side in order:
                code_setup = setup.format(scratch=str(scratch), source=sources[side])
                parts[side].append(measure(f"{name} [{side}]", work, code_setup, repeats=1,
                                           python=pythons[side]))
                shutil.rmtree(scratch)  # each run's copy of the workspace (hundreds of MB)
                scratch.mkdir()
        this, old = _merge(f"{name} [this]", parts["this"]), _merge(f"{name} [other]",
                                                                      parts["other"])
        print(old.row())
        print(this.row())
        change = statistics.median(this.runs) / statistics.median(old.runs) - 1
        print(f"{'':<44} this / other: {1 + change:.2f}× time ({change:+.0%})")


if __name__ == "__main__":
    main()
