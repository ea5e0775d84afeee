"""Who is at which tier: the workspace roster the tier-level analyses need.

Event logs record technician names, not tiers. Tiers come from the workspace's one roster
(``ticketlens.workspace.roster``: a roster file passed to ``ingest --roster``, a generated
desk's manifest, else the tiers the log's escalations show). A name the roster does not hold
gets no tier: it is counted and reported, never guessed; with no roster at all, tier-level
outputs say tiers are unknown and how to attach one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ticketlens.analyses.mine.source import EventLog
from ticketlens.core.schema import TIERS
from ticketlens.workspace.roster import roster as workspace_roster

SOURCE = "the workspace's technicians table"
HINT = "attach the desk's roster with `ticketlens ingest --roster ROSTER.csv` (or a desk TOML)"

_SCHEMA = pa.schema([("resource", pa.string()), ("tier", pa.string()),
                     ("tier_rank", pa.int64()), ("team", pa.string()),
                     ("skills", pa.list_(pa.string()))])


@dataclass(frozen=True)
class RosterCoverage:
    """How many of a log's technicians the roster knows, and which it does not."""

    source: str
    known: int
    unknown: list[str]

    @property
    def any_known(self) -> bool:
        return self.known > 0

    def describe(self) -> str:
        total = self.known + len(self.unknown)
        if not total:
            return "tiers unknown (not measurable): the log names no technicians"
        if not self.any_known:
            return (f"tiers unknown (not measurable): none of the {total} technicians is in "
                    f"the roster ({self.source}); {HINT}")
        if self.unknown:
            shown = ", ".join(self.unknown[:5]) + (" …" if len(self.unknown) > 5 else "")
            return (f"tiers from {self.source}: {self.known} of {total} technicians known; "
                    f"no tier for {len(self.unknown)} ({shown})")
        return f"tiers from {self.source}: all {total} technicians known"


def register_roster(log: EventLog) -> RosterCoverage:
    """Expose the workspace roster to the SQL as ``mine_roster``; say whom it covers."""
    resources = [r for (r,) in log.con.execute(
        "SELECT DISTINCT resource FROM mine_events WHERE resource IS NOT NULL ORDER BY 1"
    ).fetchall()]
    rows = [row for row in workspace_roster(log.con) if row.tier in TIERS]
    table = pa.table([
        [r.name for r in rows], [r.tier for r in rows], [TIERS.index(r.tier) for r in rows],
        [r.team for r in rows], [list(r.skills) for r in rows]], schema=_SCHEMA)
    log.register("mine_roster", table)
    known = {r.name for r in rows}
    unknown = sorted(r for r in resources if r not in known)
    return RosterCoverage(SOURCE, len(resources) - len(unknown), unknown)
