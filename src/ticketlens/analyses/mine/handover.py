"""Handover of work: who passes tickets to whom, how long the ticket waits in between, and
whether the first assignee had the skills for the ticket (the skill-mismatch view)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ticketlens.analyses.mine.roles import chosen, register_roles
from ticketlens.analyses.mine.roster import RosterCoverage, register_roster
from ticketlens.analyses.mine.source import event_log
from ticketlens.core.lifecycle import Role
from ticketlens.core.schema import UNASSIGNED
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike


@dataclass(frozen=True)
class HandoverNetwork:
    """The handover-of-work network of a segment. Tables are pandas DataFrames.

    * ``network`` — one row per (``source``, ``target``) pair of ticket holders:
      ``source_tier``, ``target_tier`` (from the roster; empty when unknown), ``handovers``
      (times the target held the event directly after the source's), ``cases`` (tickets),
      ``mean_delay_s``, ``max_delay_s`` (source's event to target's);
    * ``skill_mismatch`` — one row per (``first_assignee``, ``category``, ``resolved_tier``):
      ``first_tier``, ``first_skilled`` (category among the first assignee's skills),
      ``outcome`` (same / higher / lower tier, unresolved, unknown), ``tickets``,
      ``resolved_by_first_assignee`` and ``share`` (of the first assignee's tickets in that
      category).

    ``roster`` says which roster gave the tiers and which technicians it did not know.
    """

    network: pd.DataFrame
    skill_mismatch: pd.DataFrame
    roster: RosterCoverage
    cases: int
    segment: str


def handover(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    include_self: bool = False,
    include_unassigned: bool = False,
    resolved_activities: tuple[str, ...] | None = None,
    mismatch: bool = True,
    progress: bool = False,
) -> HandoverNetwork:
    """The technician → technician handover network and the skill-mismatch view.

    A handover is two consecutive events of a ticket held by different technicians. Events
    nobody holds are skipped unless ``include_unassigned`` (then they count as the holder
    ``Unassigned``); ``include_self`` also counts a holder followed by itself. With both set the
    counts are pm4py's handover-of-work network (``beta=0``) before its normalisation.
    Tiers come from the workspace roster (``ingest --roster``).
    ``mismatch=False`` skips the skill-mismatch view (its table is then empty): the network
    alone, as pm4py computes it.

    >>> handover("ws.duckdb").network.head()  # doctest: +SKIP
    """
    with event_log(db, segment, progress=progress) as log:
        coverage = register_roster(log)
        network = log.frame("handover.sql", {
            "include_self": include_self,
            "include_unassigned": include_unassigned,
            "unassigned": UNASSIGNED,
        })
        resolved = chosen(resolved_activities, register_roles(log), Role.RESOLUTION)
        view = log.frame("skill_mismatch.sql", {"resolved": resolved,
                                                 "skip": not mismatch})
        return HandoverNetwork(network, view, coverage, log.cases, log.segment.describe())

