"""Bottlenecks: where tickets wait, and what each ticket's life was spent on.

With one timestamp per event, time lives *between* events. Each gap between two consecutive
events of a ticket is charged to the transition (source → target), to the source activity (the
status the ticket sat in), and to one of the ticket states below, decided by the last activity
before the gap — the ``state`` its lifecycle roles declare (core/lifecycle.py; for the
generated desk):

* ``in_queue`` — held by the desk, nobody working: after Ticket Created, Ticket Assigned,
  Ticket Reassigned, an escalation or de-escalation, Ticket Reopened, and after the user, the
  parts or a hold came back (User Responded, Parts Received, Hold Released) until work resumes;
* ``in_work`` — after Work Started or Work Resumed, until the next event;
* ``waiting_user`` — after Awaiting User Response or Resolution Proposed (the user must answer
  or confirm);
* ``waiting_parts`` — after Awaiting Parts;
* ``on_hold`` — after On Hold;
* ``awaiting_closure`` — after Ticket Resolved, until it is closed;
* ``closed`` — after Ticket Closed, until a reopen;
* ``unclassified`` — after an activity whose roles declare no state.

Priority Changed keeps the state it interrupts (state ``keep``). The parts sum exactly to the ticket's life (first
to last event); an open ticket's life ends at its last recorded event, never at a guessed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import pandas as pd

from ticketlens.analyses.mine.roles import chosen, register_roles
from ticketlens.analyses.mine.source import event_log
from ticketlens.core.errors import AnalysisError
from ticketlens.core.lifecycle import Role
from ticketlens.core.segment import TicketFilter
from ticketlens.workspace.connection import WorkspaceLike

STATES: Final = (
    "waiting_user", "waiting_parts", "on_hold", "in_queue", "in_work",
    "awaiting_closure", "closed", "unclassified",
)


@dataclass(frozen=True)
class Bottlenecks:
    """Where the segment's tickets wait. Every table is a pandas DataFrame.

    * ``transitions`` — one row per transition (``source`` → ``target``): ``occurrences``,
      ``cases``, ``total_wait_s``, ``per_case_wait_s`` (total / tickets with the transition),
      ``mean_wait_s``, ``median_wait_s``, ``p90_wait_s``, ``max_wait_s``, ``share_of_waiting``;
    * ``activities`` — one row per activity, the dwell after it until the next event:
      ``occurrences``, ``cases``, ``total_dwell_s``, ``per_case_dwell_s``, ``mean_dwell_s``,
      ``median_dwell_s``, ``p90_dwell_s``, ``max_dwell_s``, ``share_of_waiting``;
    * ``time_split`` — one row per ticket: ``life_s`` and its parts ``<state>_s`` for every
      state in ``STATES``, and ``closed`` (last event closes the ticket);
    * ``split_summary`` — one row per state: ``total_s``, ``share`` of all ticket life,
      ``tickets`` (with any time in it), ``mean_per_ticket_s``, ``median_per_ticket_s`` (over
      tickets with time in it).

    Rows are ranked by ``rank_by``: total time, or time per affected ticket.
    """

    transitions: pd.DataFrame
    activities: pd.DataFrame
    time_split: pd.DataFrame
    split_summary: pd.DataFrame
    unclassified_activities: list[str]
    cases: int
    segment: str


def bottlenecks(
    db: WorkspaceLike,
    *,
    segment: TicketFilter | None = None,
    rank_by: Literal["total", "per_case"] = "total",
    closing_activities: tuple[str, ...] | None = None,
    progress: bool = False,
) -> Bottlenecks:
    """Transitions and activities ranked by waiting time, and each ticket's time split.

    The state after each activity and the closing activities (default: the closure role)
    come from the workspace's lifecycle roles.

    >>> bottlenecks("ws.duckdb", rank_by="per_case").transitions.head()  # doctest: +SKIP
    """
    if rank_by not in ("total", "per_case"):
        raise AnalysisError(f"rank_by must be 'total' or 'per_case', got {rank_by!r}")
    with event_log(db, segment, progress=progress) as log:
        roles = register_roles(log)
        log.run_script("stg_state_map.sql", {"states": list(STATES[:-1])})
        log.prepare_pairs(reused=True)
        transitions = log.frame("bottleneck_transitions.sql")
        activities = log.frame("bottleneck_activities.sql")
        split = log.frame("time_split.sql", {
            "closing": chosen(closing_activities, roles, Role.CLOSURE)})
        unknown = sorted(set(log.activities()) - set(roles.states()))
        cases, described = log.cases, log.segment.describe()
    if rank_by == "per_case":
        transitions = _rank(transitions, "per_case_wait_s", ["source", "target"])
        activities = _rank(activities, "per_case_dwell_s", ["activity"])
    return Bottlenecks(transitions, activities, split, _summarise(split), unknown, cases,
                       described)


def _rank(frame: pd.DataFrame, column: str, ties: list[str]) -> pd.DataFrame:
    order = frame.sort_values([column, *ties], ascending=[False] + [True] * len(ties))
    return order.reset_index(drop=True)


def _summarise(split: pd.DataFrame) -> pd.DataFrame:
    life = float(split["life_s"].sum())
    rows = []
    for state in STATES:
        spent = split[f"{state}_s"]
        touched = spent[spent > 0]
        rows.append({
            "state": state,
            "total_s": float(spent.sum()),
            "share": float(spent.sum()) / life if life else float("nan"),
            "tickets": len(touched),
            "mean_per_ticket_s": float(touched.mean()) if len(touched) else float("nan"),
            "median_per_ticket_s": float(touched.median()) if len(touched) else float("nan"),
        })
    return pd.DataFrame(rows)
