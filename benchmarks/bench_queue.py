"""The queueing engine against SimPy on the same queue (issue 11: which engine `generate` and
`simulate` share).

    python benchmarks/bench_queue.py                       # 1,000,000 arrivals, 3 runs each
    python benchmarks/bench_queue.py --arrivals 200000 --repeats 1

The queue: c = 20 servers (technicians) always on duty, 4 priority classes (10/20/40/30 %),
5 % VIP fast-tracked within their class, non-preemptive, Poisson arrivals, exponential service
of 10 minutes' mean, utilisation 0.9. Both sides get the same arrays (built in the untimed
setup) and return each ticket's start; tests/test_queueing.py checks on 5,000 tickets that
the two give identical starts and finishes. Each figure is the median of --repeats fresh
processes (harness.py); ours is shown with and without loading numba and its compiled loop
from the disk cache (one unmeasured run first fills the cache). A third line runs ours on a rostered desk: 4 groups of 8
technicians on three 8-hour shifts a day, so shifts start and end ~100,000 times (work pauses
at a shift's end and resumes at the next). A fourth runs the first queue with 5 % of the
tickets urgent: with preemptive priority, each finding all 20 technicians busy takes one from
non-urgent work (some 28,000 preemptions).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure

REPO = Path(__file__).resolve().parents[1]

SETUP = '''
import sys
import numpy as np
sys.path.insert(0, {tests!r})
n, c, rho, mean_service = {n}, 20, 0.9, 600e6
rng = np.random.default_rng(1)
arrival = np.cumsum(rng.exponential(mean_service / (c * rho), n)).astype(np.int64)
service = rng.exponential(mean_service, n).astype(np.int64)
priority = rng.choice(4, n, p=(0.1, 0.2, 0.4, 0.3))
vip = rng.random(n) < 0.05
'''

OURS = '''
from ticketlens.queueing import Servers, Tickets, run
outcome = run(Tickets(arrival, service, priority, vip=vip), Servers.always_on([0] * c))
'''

LOADED = '''
from ticketlens.queueing import Servers, Tickets, run
run(Tickets(arrival[:10], service[:10], priority[:10]), Servers.always_on([0]))
'''

URGENT = '''
from ticketlens.queueing import Servers, Tickets, run
outcome = run(Tickets(arrival, service, priority, vip=vip, urgent=urgent),
              Servers.always_on([0] * c))
'''

SIMPY = '''
from queue_support import simpy_queue
start, finish = simpy_queue(arrival, service, priority * 2 + (~vip), c)
'''

ROSTERED = '''
from ticketlens.queueing import Servers, Tickets, run
hour, days = 3_600_000_000, int(arrival[-1] // 86_400_000_000) + 2
m = 96  # 4 groups x 3 shifts x 8 technicians
who = np.repeat(np.arange(m), days)
day = np.tile(np.arange(days), m)
begin = (day * 24 + (who // 8) % 3 * 8) * hour
servers = Servers(np.arange(m) // 24, who, begin, begin + 8 * hour)
outcome = run(Tickets(arrival, service, priority, rng.integers(0, 4, n), vip), servers)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    setup = SETUP.format(n=args.arrivals, tests=str(REPO / "tests"))
    measure("warm numba's cache", OURS, setup.replace(str(args.arrivals), "1000", 1), repeats=1)
    print(f"{args.arrivals:,} arrivals, 20 servers, 4 classes + VIP, utilisation 0.9, "
          f"medians of {args.repeats} fresh processes")
    ours = measure("ours (ticketlens.queueing)", OURS, setup, args.repeats)
    print(ours.row(), flush=True)
    loop = measure("ours, loop only (numba loaded)", OURS, setup + LOADED, args.repeats)
    print(loop.row(), flush=True)
    rostered = measure("ours, 4 groups on 8-hour shifts", ROSTERED, setup, args.repeats)
    print(rostered.row(), flush=True)
    urgent = measure("ours, 5 % urgent (preemptive)", URGENT,
                     setup + "urgent = np.random.default_rng(2).random(n) < 0.05\n",
                     args.repeats)
    print(urgent.row(), flush=True)
    simpy = measure("SimPy 4 (PriorityResource)", SIMPY, setup, args.repeats)
    print(simpy.row())
    print(f"SimPy / ours: {simpy.median_s / ours.median_s:,.0f}x "
          f"(loop only: {simpy.median_s / loop.median_s:,.0f}x)")


if __name__ == "__main__":
    main()
