"""Who is at which tier: the desk roster the tier-level analyses need.

Event logs record technician names, not tiers. Tiers come from a desk roster: the ``[[technician]]``
blocks of a desk TOML (``ticketlens generate --config``'s format). Without a roster file the
default desk's roster is used; a generated desk larger than one team repeats the roster's people
under generated names, which are rebuilt here the same way the generator builds them. A name the
roster does not hold gets no tier: it is counted and reported, never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ticketlens.mine.source import EventLog
from ticketlens.schema import TIERS

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


def load_roster(path: str | Path | None = None, *, people: int = 0) -> Roster:
    """The roster of the desk TOML at ``path`` (default: the shipped default desk).

    ``people`` is how many distinct technicians the log holds: enough generated teams are
    rebuilt to name them all (a generated desk of many teams reuses the roster's people).
    """
    # Imported here: only the tier-level analyses need the generator's configuration code.
    from ticketlens.generate.config import load_config
    from ticketlens.generate.roster import build_roster, team_count

    config = load_config(path)
    size = len(config.technicians)
    teams = max(1, math.ceil(people / size) + 1)
    # The generator names its people per team; ask it for a desk with ``teams`` teams.
    days = (config.window.end - config.window.start).days + 1
    tickets = math.ceil(teams * days * config.workload.tickets_per_team_day)
    sized = config.with_overrides(tickets=tickets)
    if team_count(sized) < teams:  # pragma: no cover - guards a change in the generator's rule
        sized = config
    roster = build_roster(sized)
    rows = []
    for index, name in enumerate(roster.names):
        tech = config.technicians[index % size]
        rows.append((name, tech.tier, TIERS.index(tech.tier), tech.team,
                     [category for category, _ in tech.skills]))
    frame = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))
    source = str(path) if path is not None else "the default desk roster (desk.toml)"
    return Roster(source, frame)


def register_roster(log: EventLog, roster: str | Path | None) -> RosterCoverage:
    """Load the roster for the log's technicians and expose it to the SQL as ``mine_roster``."""
    resources = [r for (r,) in log.con.execute(
        "SELECT DISTINCT resource FROM mine_events WHERE resource IS NOT NULL ORDER BY 1"
    ).fetchall()]
    loaded = load_roster(roster, people=len(resources))
    log.register("mine_roster", loaded.frame)
    return loaded.coverage(resources)
