"""Rework and ping-pong: tickets that repeat steps, come back after closure, bounce between
technicians or tiers, or climb (and descend) the escalation ladder."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ticketlens.analyses.mine.roles import chosen, register_roles
from ticketlens.analyses.mine.roster import RosterCoverage, register_roster
from ticketlens.analyses.mine.source import event_log
from ticketlens.core.lifecycle import Role
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike
from ticketlens.workspace.measurability import history_not_measurable


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
    # "reopens" / "escalations" -> "not measurable: reason" when no source can record them
    # (their tables are then empty for want of history, not for want of rework)
    not_measurable: dict[str, str] = field(default_factory=dict)


def rework(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    reopen_activities: tuple[str, ...] | None = None,
    closing_activities: tuple[str, ...] | None = None,
    resolving_activities: tuple[str, ...] | None = None,
    progress: bool = False,
) -> Rework:
    """Repeated activities, reopen loops, ping-pong and escalation chains of ``segment``.

    The activity sets default to the workspace's lifecycle roles (reopen, closure, resolution;
    escalation steps: escalation and de-escalation, tiers from the escalation roles); pass
    activity names to override them. Tier-level ping-pong and escalation chains take tiers
    from the workspace roster (``ingest --roster``).

    >>> rework("ws.duckdb").reopens.head()  # doctest: +SKIP
    """
    with event_log(db, segment, progress=progress) as log:
        coverage = register_roster(log)
        roles = register_roles(log)
        reopen = chosen(reopen_activities, roles, Role.REOPEN)
        closing = chosen(closing_activities, roles, Role.CLOSURE)
        resolving = chosen(resolving_activities, roles, Role.RESOLUTION)
        steps = list(roles.ordered(Role.ESCALATION, Role.DE_ESCALATION))
        log.prepare_traces()
        with log.step("rework candidates"):
            log.run_script("stg_rework_variants.sql", {
                "reopen": reopen, "closing": closing, "resolving": resolving,
                "steps": steps,
            })
            log.run_script("stg_rework_tickets.sql")
            log.run_script("stg_bounced.sql")
        repeats = log.frame("repeats.sql")
        reopens = log.frame("reopens.sql", {
            "reopen": reopen, "closing": closing, "resolving": resolving,
        })
        ping_pong = log.frame("ping_pong.sql")
        escalations = log.frame("escalations.sql", {
            "steps": steps, "de_escalated": list(roles.ordered(Role.DE_ESCALATION)),
        })
        cases, described = log.cases, log.segment.describe()
        unmeasured = history_not_measurable(log.con)
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
        not_measurable=unmeasured,
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
