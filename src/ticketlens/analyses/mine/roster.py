"""Who is at which tier: the desk roster the tier-level analyses need.

Event logs record technician names, not tiers. Tiers come from a roster, in this order: a desk
TOML given as ``--roster`` (its ``[[technician]]`` blocks), else the workspace's ``technicians``
table (a generated desk's roster, loaded by ingest from its manifest, every team of it), else the
shipped default desk's roster. A name the roster does not hold gets no tier: it is counted and
reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ticketlens.analyses.mine.source import EventLog
from ticketlens.core.schema import TIERS

ROSTER_COLUMNS = ("resource", "tier", "tier_rank", "team", "skills")


@dataclass(frozen=True)
class Roster:
    """Technician → tier, team and skilled categories (``frame``, one row per technician)."""

    source: str
    frame: pd.DataFrame

    def coverage(self, resources: list[str]) -> RosterCoverage:
        known = set(self.frame["resource"])
        unknown = sorted(r for r in resources if r not in known)
        return RosterCoverage(self.source, len(resources) - len(unknown), unknown)


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
        if not self.any_known:
            return (f"tiers unknown: none of the {total} technicians is in the roster "
                    f"({self.source}); pass --roster DESK.toml with this desk's [[technician]] "
                    "blocks")
        if self.unknown:
            shown = ", ".join(self.unknown[:5]) + (" …" if len(self.unknown) > 5 else "")
            return (f"tiers from {self.source}: {self.known} of {total} technicians known; "
                    f"no tier for {len(self.unknown)} ({shown})")
        return f"tiers from {self.source}: all {total} technicians known"


def load_roster(path: str | Path | None = None) -> Roster:
    """The roster of the desk TOML at ``path`` (default: the shipped default desk)."""
    # Imported here: only the tier-level analyses need the generator's configuration code.
    from ticketlens.sources.generate.config import load_config

    config = load_config(path)
    rows = [(tech.name, tech.tier, TIERS.index(tech.tier), tech.team,
             [category for category, _ in tech.skills]) for tech in config.technicians]
    source = str(path) if path is not None else "the default desk roster (desk.toml)"
    return Roster(source, pd.DataFrame(rows, columns=list(ROSTER_COLUMNS)))


def workspace_roster(log: EventLog) -> Roster | None:
    """The roster the workspace's sources brought (table ``technicians``), if any."""
    has_table = log.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'latest_technicians'"
    ).fetchall()[0][0]
    if not has_table:
        return None
    rows = log.con.execute(
        "SELECT name, tier, team, skills FROM latest_technicians ORDER BY name").fetchall()
    known = [(name, tier, TIERS.index(tier), team, list(skills or []))
             for name, tier, team, skills in rows if tier in TIERS]
    if not known:
        return None
    return Roster("the workspace's technicians table",
                  pd.DataFrame(known, columns=list(ROSTER_COLUMNS)))


def register_roster(log: EventLog, roster: str | Path | None) -> RosterCoverage:
    """Load the roster for the log's technicians and expose it to the SQL as ``mine_roster``."""
    resources = [r for (r,) in log.con.execute(
        "SELECT DISTINCT resource FROM mine_events WHERE resource IS NOT NULL ORDER BY 1"
    ).fetchall()]
    # An explicit roster file wins; then the roster the data brought; then the default desk's.
    loaded = load_roster(roster) if roster is not None else (
        workspace_roster(log) or load_roster(None))
    log.register("mine_roster", loaded.frame)
    return loaded.coverage(resources)
