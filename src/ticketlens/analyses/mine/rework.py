"""Rework and ping-pong: tickets that repeat steps, come back after closure, bounce between
technicians or tiers, or climb (and descend) the escalation ladder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from ticketlens.analyses.mine.roster import RosterCoverage, register_roster
from ticketlens.analyses.mine.source import event_log
from ticketlens.core.schema import Activity
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

REOPEN_ACTIVITIES: Final = (Activity.REOPENED.value,)
CLOSING_ACTIVITIES: Final = (Activity.CLOSED.value,)
RESOLVING_ACTIVITIES: Final = (Activity.RESOLVED.value,)
ESCALATION_STEPS: Final = (
    Activity.ESCALATED_L2.value, Activity.ESCALATED_L3.value, Activity.ESCALATED_MANAGER.value,
    Activity.DE_ESCALATED.value,
)


@dataclass(frozen=True)
class Rework:
    """Rework in a segment, with the tickets that show it. Every table is a pandas DataFrame.

    * ``repeats`` — one row per (``ticket_id``, ``activity``) occurring more than once:
      ``occurrences``, ``extra`` (beyond the first);
    * ``repeat_summary`` — one row per activity: ``tickets`` repeating it, ``extra``
      occurrences in all, ``share`` of the segment's tickets;
    * ``reopens`` — one row per reopen (a ticket back after closure): ``reopen_no``,
      ``reopen_activity``, ``closed_by_activity``, ``closed_at``, ``reopened_at``,
      ``closed_for_s``, ``resolved_by`` (held it at the false resolution), ``reclosed_at``;
    * ``ping_pong`` — one row per return to an earlier holder: ``level`` (technician / tier),
      ``ticket_id``, ``holder``, ``kind`` (direct A→B→A / indirect A→B→…→A), ``via``,
      ``left_at``, ``returned_at``, ``away_s``;
    * ``ping_pong_summary`` — one row per (``level``, ``kind``): ``tickets``, ``returns``,
      ``share`` of the segment's tickets;
    * ``escalations`` — one row per ticket escalated or de-escalated: ``first_assignee``,
      ``first_tier``, ``escalations``, ``de_escalations``, ``chain`` (tiers, e.g.
      ``L1 → L2 → L3 → L2``), ``steps`` (the activities);
    * ``escalation_chains`` — one row per chain: ``tickets``, ``share``.
    """

    repeats: pd.DataFrame
    repeat_summary: pd.DataFrame
    reopens: pd.DataFrame
    ping_pong: pd.DataFrame
    ping_pong_summary: pd.DataFrame
    escalations: pd.DataFrame
    escalation_chains: pd.DataFrame
    roster: RosterCoverage
    cases: int
    segment: str


def rework(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    reopen_activities: tuple[str, ...] = REOPEN_ACTIVITIES,
    closing_activities: tuple[str, ...] = CLOSING_ACTIVITIES,
    resolving_activities: tuple[str, ...] = RESOLVING_ACTIVITIES,
    progress: bool = False,
) -> Rework:
    """Repeated activities, reopen loops, ping-pong and escalation chains of ``segment``.

    The activity sets default to the ticketlens vocabulary; pass a log's own names for other
    logs (e.g. ``closing_activities=("Closed",)`` for the Helpdesk log). Tier-level ping-pong
    and escalation chains take tiers from the workspace roster (``ingest --roster``).

    >>> rework("ws.duckdb").reopens.head()  # doctest: +SKIP
    """
    with event_log(db, segment, progress=progress) as log:
        coverage = register_roster(log)
        log.prepare_traces()
        with log.step("rework candidates"):
            log.run_script("stg_rework_variants.sql", {
                "reopen": list(reopen_activities),
                "closing": list(closing_activities),
                "steps": list(ESCALATION_STEPS),
            })
            log.run_script("stg_rework_tickets.sql")
            log.run_script("stg_bounced.sql")
        repeats = log.frame("repeats.sql")
        reopens = log.frame("reopens.sql", {
            "reopen": list(reopen_activities),
            "closing": list(closing_activities),
            "resolving": list(resolving_activities),
        })
        ping_pong = log.frame("ping_pong.sql")
        escalations = log.frame("escalations.sql", {
            "steps": list(ESCALATION_STEPS),
            "to_l2": Activity.ESCALATED_L2.value,
            "to_l3": Activity.ESCALATED_L3.value,
            "to_manager": Activity.ESCALATED_MANAGER.value,
            "de_escalated": Activity.DE_ESCALATED.value,
        })
        cases, described = log.cases, log.segment.describe()
    return Rework(
        repeats=repeats,
        repeat_summary=_repeat_summary(repeats, cases),
        reopens=reopens,
        ping_pong=ping_pong,
        ping_pong_summary=_ping_pong_summary(ping_pong, cases),
        escalations=escalations,
        escalation_chains=_chains(escalations, cases),
        roster=coverage,
        cases=cases,
        segment=described,
    )


def _share(count: pd.Series, cases: int) -> pd.Series:
    return count / cases if cases else count * float("nan")


def _repeat_summary(repeats: pd.DataFrame, cases: int) -> pd.DataFrame:
    summary = (repeats.groupby("activity", as_index=False)
               .agg(tickets=("ticket_id", "nunique"), extra=("extra", "sum")))
    summary["share"] = _share(summary["tickets"], cases)
    return summary.sort_values(["tickets", "activity"], ascending=[False, True],
                               ignore_index=True)


def _ping_pong_summary(ping_pong: pd.DataFrame, cases: int) -> pd.DataFrame:
    summary = (ping_pong.groupby(["level", "kind"], as_index=False)
               .agg(tickets=("ticket_id", "nunique"), returns=("ticket_id", "size")))
    summary["share"] = _share(summary["tickets"], cases)
    return summary.sort_values(["level", "kind"], ignore_index=True)


def _chains(escalations: pd.DataFrame, cases: int) -> pd.DataFrame:
    chains = escalations.groupby("chain", as_index=False).agg(tickets=("ticket_id", "size"))
    chains["share"] = _share(chains["tickets"], cases)
    return chains.sort_values(["tickets", "chain"], ascending=[False, True], ignore_index=True)
