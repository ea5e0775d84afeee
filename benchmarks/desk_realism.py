"""How a generated desk behaves: breach rate and resolution time by priority, busy weeks against
quiet ones — the tables of docs/generate.md "How the desk behaves" (tests/test_desk_behaviour.py
regenerates them and checks the document holds exactly these).

    python benchmarks/desk_realism.py                  # the default desk and every preset
    python benchmarks/desk_realism.py --preset struggling --tickets 5000 --seed 42

Each desk is generated into a temporary folder, ingested, and measured with ``ticketlens sla``'s
default policy for a generated desk (the policy its manifest names); ``sla_metrics.csv`` is read
beside it, to show that both give every ticket the same verdict.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import ticketlens
from ticketlens.core.schema import PRIORITIES
from ticketlens.sources.generate.config import DESK_PRESETS

TICKETS, SEED = 20_000, 9  # the desk of issue 11's table


@dataclass(frozen=True)
class DeskFigures:
    preset: str
    tickets: int
    seed: int
    by_priority: pd.DataFrame  # priority, tickets, breach, median_hours, metrics_breach
    overall: float
    response: float
    busy_weeks: tuple[float, float]  # resolution, response breach rate
    quiet_weeks: tuple[float, float]
    verdicts_equal: bool
    facts: pd.DataFrame  # `ticketlens sla`'s facts, one row per ticket


def measure(preset: str | None = None, tickets: int = TICKETS, seed: int = SEED,
            folder: Path | None = None) -> DeskFigures:
    """Generate the desk (into ``folder`` if given, kept; else a temporary one) and measure it."""
    with tempfile.TemporaryDirectory() as tmp:
        desk = folder or Path(tmp) / "desk"
        ticketlens.generate(desk, tickets=tickets, seed=seed, preset=preset)
        db = Path(tmp) / "ws.duckdb"
        ticketlens.ingest([desk], db=db)
        facts = ticketlens.sla(db)
        metrics = pd.read_csv(desk / "sla_metrics.csv").set_index("ticket_id")
    f = facts.set_index("ticket_id")
    from_metrics = metrics["sla_breached"].reindex(f.index).astype(bool)
    rows = []
    for p in PRIORITIES:
        mine = f["priority"] == p
        g = f[mine]
        resolved = g.loc[g["resolution_status"] == "stopped", "resolution_wall_s"]
        rows.append({"priority": p, "tickets": len(g),
                     "breach": g["resolution_breached"].mean(),
                     "median_hours": resolved.median() / 3600,
                     "metrics_breach": from_metrics[mine].mean()})
    busy, quiet = busy_and_quiet_weeks(f)
    return DeskFigures(
        preset=preset or "default", tickets=tickets, seed=seed,
        by_priority=pd.DataFrame(rows), overall=f["resolution_breached"].mean(),
        response=f["response_breached"].mean(), busy_weeks=busy, quiet_weeks=quiet,
        verdicts_equal=bool((f["resolution_breached"].astype(bool) == from_metrics).all()),
        facts=facts)


def weekly(facts: pd.DataFrame) -> pd.DataFrame:
    """Tickets created and their resolution breach rate per Monday-to-Sunday week, without the
    first week (the desk starts empty) and the last two (tickets created then may still be
    inside their targets at the window's end)."""
    week = pd.to_datetime(facts["created_at"]).dt.tz_localize(None).dt.to_period("W")
    per_week = facts.groupby(week).agg(tickets=("resolution_breached", "size"),
                                       breach=("resolution_breached", "mean"),
                                       response=("response_breached", "mean"))
    return per_week.iloc[1:-2]


def busy_and_quiet_weeks(facts: pd.DataFrame
                         ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Resolution and response breach rates of the busiest quarter of the weeks (by tickets
    created) and of the quietest quarter."""
    w = weekly(facts)
    busy = w[w["tickets"] >= w["tickets"].quantile(0.75)]
    quiet = w[w["tickets"] <= w["tickets"].quantile(0.25)]
    return ((float(busy["breach"].mean()), float(busy["response"].mean())),
            (float(quiet["breach"].mean()), float(quiet["response"].mean())))


def markdown(fig: DeskFigures) -> str:
    name = "default desk" if fig.preset == "default" else f"`--preset {fig.preset}`"
    (busy, busy_response), (quiet, quiet_response) = fig.busy_weeks, fig.quiet_weeks
    lines = [f"**{name}** ({fig.tickets:,} tickets, seed {fig.seed}): {fig.overall:.1%} of "
             f"tickets breach resolution, {fig.response:.1%} response; in the busiest quarter "
             f"of the weeks {busy:.1%} and {busy_response:.1%}, in the quietest {quiet:.1%} "
             f"and {quiet_response:.1%}.",
             "",
             "| priority | tickets | `ticketlens sla` breach | median resolution, wall "
             "| `sla_metrics.csv` breach |",
             "| --- | --- | --- | --- | --- |"]
    for r in fig.by_priority.itertuples():
        lines.append(f"| {r.priority} | {r.tickets:,} | {r.breach:.1%} | {r.median_hours:.1f} h "
                     f"| {r.metrics_breach:.1%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", choices=("default", *DESK_PRESETS),
                        help="desk preset (repeatable; default: the default desk and all)")
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for preset in args.preset or ["default", *DESK_PRESETS]:
        fig = measure(None if preset == "default" else preset, args.tickets, args.seed)
        print(markdown(fig))
        print()


if __name__ == "__main__":
    main()
