"""``ticketlens demo``: the whole product on a generated desk, end to end.

generate → ingest → sla → kpi → mine, into one folder (default ``./ticketlens-demo/``):

* ``desk/``               the generated event log and linked tables (CSV + Parquet)
* ``ticketlens.duckdb``   the workspace holding the ingested events, SLA facts and KPI tables
* ``kpi/``                every KPI table as Parquet and CSV
* ``process-map.svg``     the frequency process map: drawn by Graphviz's ``dot`` where it is
                          installed, else by the builtin renderer (no system package)
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ticketlens.core.errors import InputError
from ticketlens.core.files import make_folder
from ticketlens.core.schema import PRIORITY_RANK

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_OUT = Path("ticketlens-demo")
DEFAULT_TICKETS = 3_000
DEFAULT_SEED = 42
_DEMO_MARK = ".ticketlens-demo"


@dataclass(frozen=True)
class DemoResult:
    """What the demo made, and the headline numbers it found."""

    out: Path
    desk: Path
    db: Path
    row_counts: dict[str, int]
    events_loaded: int
    tickets: int
    breach: pd.DataFrame        # per SLA metric: tickets with a verdict, breached, breach rate
    by_priority: pd.DataFrame   # resolution SLA breach rate per priority
    overall: pd.Series          # the kpi_segments row for all tickets (MTTR, FRT, rates)
    top_variants: pd.DataFrame  # the five most common, of ``variants`` in all
    process_map: Path | None
    map_renderer: str | None = "graphviz"  # "builtin" when Graphviz's dot is not installed
    variants: int = 0
    policy_line: str = ""       # which SLA policy, and why ("policy: generated-desk (…)")


def _prepare(out: Path) -> None:
    """Reuse ``out`` only when it is empty or an earlier demo: never clobber user data."""
    if out.exists() and any(out.iterdir()):
        if not (out / _DEMO_MARK).exists():
            raise InputError(
                f"{out} exists and is not a ticketlens demo folder: "
                "choose another --out or empty it first"
            )
        shutil.rmtree(out)
    make_folder(out)
    (out / _DEMO_MARK).write_text("made by `ticketlens demo`; safe to delete\n", encoding="utf-8")


def _renderer() -> str | None:
    """Graphviz where its ``dot`` is installed, else the builtin SVG renderer (None: neither,
    when grandalf, a dependency, was removed: the demo then skips the map and says so)."""
    if shutil.which("dot"):
        return "graphviz"
    return "builtin" if importlib.util.find_spec("grandalf") else None


def demo(
    out: str | Path = DEFAULT_OUT,
    *,
    tickets: int = DEFAULT_TICKETS,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> DemoResult:
    """Generate a desk of ``tickets`` tickets into ``out`` and run every analysis on it.

    >>> result = demo("ticketlens-demo")  # doctest: +SKIP
    >>> result.breach  # doctest: +SKIP
    """
    # Imported here so `import ticketlens` stays light and the verbs stay the single source.
    from ticketlens.analyses import mine
    from ticketlens.analyses.kpi import kpi
    from ticketlens.analyses.sla import sla
    from ticketlens.sources.generate import generate
    from ticketlens.sources.ingest import ingest

    out = Path(out)
    _prepare(out)
    desk = out / "desk"
    db = out / "ticketlens.duckdb"
    generated = generate(desk, tickets=tickets, seed=seed, formats=("csv", "parquet"),
                         progress=progress)
    summary = ingest([desk], db=db, progress=progress)
    # the desk's own SLA policy, as `ticketlens sla` picks it: the verdicts of its sla_metrics
    sla(db, progress=progress)
    report = kpi(db, out=out / "kpi", progress=progress)
    every_variant = mine.variants(db)  # ranked, most common first
    renderer = _renderer()
    process_map = None if renderer is None else mine.process_map(
        db, out / "process-map.svg", coverage=0.8, renderer=renderer)  # type: ignore[arg-type]

    breach = report["kpi_breach"]
    overall_breach = breach[breach["dimension"] == "overall"]
    by_priority = breach[(breach["dimension"] == "priority") & (breach["metric"] == "resolution")]
    by_priority = by_priority.sort_values("value", key=lambda v: v.map(PRIORITY_RANK))
    segments = report["kpi_segments"]
    overall = segments[segments["dimension"] == "overall"].iloc[0]
    return DemoResult(
        out=out,
        desk=desk,
        db=db,
        row_counts=dict(generated.row_counts),
        events_loaded=summary.workspace_events,
        tickets=summary.workspace_cases,
        breach=overall_breach.reset_index(drop=True),
        by_priority=by_priority.reset_index(drop=True),
        overall=overall,
        top_variants=every_variant.head(5).reset_index(drop=True),
        process_map=process_map,
        map_renderer=renderer,
        variants=len(every_variant),
        policy_line=report.policy_line,
    )
