"""The SLA engine's numba kernel: hand-computed tickets in, exact values out; a caller's mistake
is a ValueError naming the argument, never a stray read; a ticket's clock state at any instant
equals the facts computed as of that instant."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sla_support import ev, facts_of, memory_with, policy_with, utc
from ticketlens.clock import clocks, kernel, layout
from ticketlens.clock.clocks import Calendars, EventArrays, Timeline
from ticketlens.clock.layout import ClockRules, LifeRules, Runs
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.events import stage

S = 1_000_000  # µs per second
# activity codes of the hand-made clock tickets; the bits table ends with code -1's slot
START, PAUSE, RESUME, STOP, REOPEN = range(5)
CLOCK_BITS = np.array([layout.START, layout.PAUSE, layout.RESUME, layout.STOP, layout.REOPEN,
                       0], dtype=np.uint8)


def _runs(tickets: list[list[tuple[int, int]]], as_of: int) -> Runs:
    """Events as (second, activity code) per ticket."""
    count = np.array([len(t) for t in tickets], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    events = [e for t in tickets for e in t]
    return Runs(first, count, np.array([s * S for s, _ in events], dtype=np.int64),
                np.array([a for _, a in events], dtype=np.int32),
                np.array([as_of * S], dtype=np.int64))


def _rules(runs: Runs, target_s: int, on_reopen: int = layout.RESUME_CLOCK,
           **changes: object) -> ClockRules:
    """One priority (code 0) with ``target_s`` on a round-the-clock calendar, a 50 % warning."""
    target = np.array([target_s * S, -1], dtype=np.int64)
    rules = ClockRules(
        bits=CLOCK_BITS, prio=np.zeros(len(runs.ts), dtype=np.int32), target=target,
        cal_of=np.zeros(2, dtype=np.int32),
        thresholds=np.stack([target, np.where(target >= 0, target // 2, -1)]),
        cums=np.empty((0, len(runs.ts)), dtype=np.int64),
        cum_row=np.full(1, -1, dtype=np.int32), offsets=np.zeros(1, dtype=np.int64),
        now=runs.as_of.reshape(1, -1).copy(), on_reopen=on_reopen,
        on_priority_change=layout.RETARGET)
    return rules._replace(**changes)


def test_pause_and_resume_split_running_and_paused_time() -> None:
    runs = _runs([[(0, START), (10, PAUSE), (30, RESUME), (45, STOP)]], as_of=100)
    out = kernel.clock(runs, _rules(runs, target_s=40))
    assert out.status.tolist() == [layout.STOPPED]
    assert (out.started_at[0], out.stopped_at[0]) == (0, 45 * S)
    assert (out.wall_s[0], out.paused_s[0]) == (25.0, 20.0)  # 0-10 and 30-45 run; 10-30 paused
    assert (out.business_s[0], out.paused_business_s[0]) == (25.0, 20.0)
    assert out.elapsed_fraction[0] == 25 / 40
    assert out.cross_row[:, 0].tolist() == [-1, 2]  # the 50 % warning (20 s) after the resume
    assert out.cross_reach[1, 0] == 30 * S + (20 - 10) * S  # resumed at 30 s with 10 s run
    assert out.cycles.tolist() == [1] and out.has_verdict.tolist() == [1]


def test_an_open_clock_runs_to_the_as_of_instant() -> None:
    runs = _runs([[(0, START), (10, PAUSE)], [(5, START)]], as_of=50)
    out = kernel.clock(runs, _rules(runs, target_s=20))
    assert out.status.tolist() == [layout.PAUSED, layout.RUNNING]
    assert out.paused_s.tolist() == [40.0, 0.0]
    assert out.wall_s.tolist() == [10.0, 45.0]
    assert out.time_left_s.tolist() == [10.0, -25.0]
    assert out.left.tolist() == [-1, -1]  # paused: nothing to project; overdue: nothing left
    assert out.cross_row[0].tolist() == [-1, 2]  # the second ticket breaches in its only segment
    assert out.cross_reach[0, 1] == 25 * S  # 5 s + the 20 s target


@pytest.mark.parametrize(("on_reopen", "cycles", "reach_s", "fraction"), [
    (layout.RESUME_CLOCK, 1, 110, 40 / 20),  # 10 s before the stop count on: breach at 110 s
    (layout.NEW_CYCLE, 2, 120, 30 / 20),  # a fresh 20 s from the reopen at 100 s
])
def test_a_reopen_resumes_or_restarts_the_clock(on_reopen: int, cycles: int, reach_s: int,
                                                fraction: float) -> None:
    runs = _runs([[(0, START), (10, STOP), (100, REOPEN), (130, STOP)]], as_of=200)
    out = kernel.clock(runs, _rules(runs, target_s=20, on_reopen=on_reopen))
    assert out.status.tolist() == [layout.STOPPED]
    assert out.stopped_at.tolist() == [130 * S]
    assert out.business_s.tolist() == [40.0]
    assert out.cycles.tolist() == [cycles]
    assert out.cross_row[0].tolist() == [2] and out.cross_reach[0].tolist() == [reach_s * S]
    assert out.elapsed_fraction.tolist() == [fraction]


def test_a_breach_on_a_business_calendar_waits_for_working_hours() -> None:
    """High (8 business h, Mon-Fri 08-17 UTC) created Monday 15:00: breaches Tuesday 14:00;
    its 50 % warning (4 h) falls Tuesday 10:00."""
    policy = policy_with()
    code = {name: i for i, name in enumerate(policy.activities)}
    ts = np.array([utc("2024-03-04 15:00").value // 1000], dtype=np.int64)
    events = EventArrays(tix=np.zeros(1, dtype=np.int32), ts=ts,
                         act=np.array([code["Ticket Created"]], dtype=np.int32),
                         prio=np.array([policy.priorities.index("High")], dtype=np.int32),
                         holder=np.full(1, -1, dtype=np.int32), n_tickets=1)
    as_of = utc("2024-03-07 00:00").value // 1000
    timeline = Timeline(events, Calendars.build(policy, int(ts[0]), as_of), as_of)
    columns = clocks.run_clock(timeline, policy, policy.metric("resolution"))
    assert columns["breach_at"].tolist() == [utc("2024-03-05 14:00").value // 1000]
    assert columns["warn_50_at"].tolist() == [utc("2024-03-05 10:00").value // 1000]
    assert columns["business_s"].tolist() == [(2 + 9 + 9) * 3600.0]  # Mon 15-17, Tue, Wed


def test_escalations_count_by_tier_and_vote_for_the_holder() -> None:
    """Person 0 is given the ticket, keeps it through an escalation to tier 1 and raises the
    one to tier 2 that hands it to person 1; person 2 resolves it, it is reopened and person
    2 resolves it again. A tier vote goes to whoever holds the ticket at the escalation."""
    assigned, to_l2, to_l3, resolved, reopened = range(5)
    bits = np.array([layout.ASSIGNED, layout.ESCALATED, layout.ESCALATED, layout.RESOLVED_BIT,
                     layout.REOPENED_BIT, 0], dtype=np.uint32)
    runs = _runs([[(0, assigned), (10, to_l2), (20, to_l3), (30, resolved), (40, reopened),
                   (50, resolved)]], as_of=60)
    holder = np.array([0, 0, 1, 2, -1, -1], dtype=np.int32)
    none = np.full(6, -1, dtype=np.int32)
    rules = LifeRules(bits=bits, kind=np.array([0, 0, 0, 1, 3, 0], dtype=np.int8),
                      tier=np.array([-1, 1, 2, -1, -1, -1], dtype=np.int8),
                      has_leave=np.zeros(0, dtype=np.uint8), priority=none, category=none,
                      department=none, holder=holder, tiers=3, people=3)
    life = kernel.lifecycle(runs, rules)
    assert life.escalations[:, 0].tolist() == [0, 1, 1]
    assert life.votes.tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert life.assigned.tolist() == [1, 0, 0]
    counts = dict(zip(layout.LIFE_INSTANTS, life.instants[:, 0].tolist(), strict=True))
    assert (counts["escalations"], counts["reopens"], counts["assignments"]) == (2, 1, 1)
    assert (counts["first_resolved_us"], counts["resolved_us"]) == (30 * S, 50 * S)
    held = kernel.held(runs, bits, holder)
    assert list(zip(held.person.tolist(), held.resolutions.tolist(),
                    held.resolutions_reopened.tolist(), held.escalations_raised.tolist(),
                    strict=True)) == [(0, 0, 0, 2), (1, 0, 0, 0), (2, 2, 1, 0)]
    assert (held.assignees[0], held.resolver[0], held.handoffs[0]) == (3, 2, 2)


# --- a caller's mistakes ----------------------------------------------------------------------


def _two_tickets() -> tuple[Runs, ClockRules]:
    runs = _runs([[(0, START), (1, STOP), (2, PAUSE)], [(3, START), (4, STOP)]], as_of=5)
    return runs, _rules(runs, target_s=10)


def test_a_valid_call_measures_both_tickets() -> None:
    out = kernel.clock(*_two_tickets())
    assert out.started_at.tolist() == [0, 3 * S]
    assert out.stopped_at.tolist() == [S, 4 * S]
    assert out.wall_s.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(("runs_change", "rules_change", "named"), [
    ({"act": np.zeros(4, dtype=np.int32)}, {}, "act"),
    ({"act": np.zeros(5, dtype=np.int64)}, {}, "act"),
    ({"act": np.full(5, 9, dtype=np.int32)}, {}, "act"),
    ({"count": np.array([3, 3], dtype=np.int64)}, {}, "first/count"),
    ({"as_of": np.zeros(3, dtype=np.int64)}, {}, "as_of"),
    ({"ts": np.arange(5, dtype=np.float64)}, {}, "ts"),
    ({}, {"cal_of": np.array([0, 5], dtype=np.int32)}, "cal_of"),
    ({}, {"cums": np.zeros((1, 4), dtype=np.int64)}, "cums"),
    ({}, {"cum_row": np.zeros(1, dtype=np.int32)}, "cum_row"),
    ({}, {"offsets": np.zeros(0, dtype=np.int64)}, "offsets"),
    ({}, {"prio": np.full(5, 4, dtype=np.int32)}, "prio"),
    ({}, {"now": np.zeros((1, 2), dtype=np.int64)}, "now"),
    ({}, {"thresholds": np.zeros((2, 3), dtype=np.int64)}, "thresholds"),
    ({}, {"on_reopen": 7}, "on_reopen"),
])
def test_a_bad_argument_is_a_value_error_naming_it(runs_change: dict[str, object],
                                                  rules_change: dict[str, object],
                                                  named: str) -> None:
    runs, rules = _two_tickets()
    with pytest.raises(ValueError, match=named):
        kernel.clock(runs._replace(**runs_change), rules._replace(**rules_change))


def test_a_holder_beyond_the_people_is_refused() -> None:
    runs = _runs([[(0, 0), (1, 0)]], as_of=2)
    none = np.full(2, -1, dtype=np.int32)
    rules = LifeRules(np.zeros(2, dtype=np.uint32), np.zeros(2, dtype=np.int8),
                      np.full(2, -1, dtype=np.int8), np.zeros(0, dtype=np.uint8), none, none,
                      none, np.array([0, 2], dtype=np.int32), 1, 2)
    with pytest.raises(ValueError, match="holder"):
        kernel.lifecycle(runs, rules)


def test_a_policy_with_more_waits_than_the_engine_holds_is_refused() -> None:
    edit = "\n".join(f'[waits.w{i}]\nenter = ["on_hold"]\nleave = "any"' for i in range(12))
    with pytest.raises(ConfigError, match=r"waits: at most 11 waiting states, got 15"):
        policy_with(edit)


# --- the clock state at any instant -----------------------------------------------------------


def _tickets() -> list[dict[str, object]]:
    return [
        ev("A", "2024-03-04 09:00", "Ticket Created"),
        ev("A", "2024-03-04 10:00", "Awaiting User Response"),
        ev("A", "2024-03-05 09:00", "User Responded"),
        ev("A", "2024-03-06 12:00", "Ticket Resolved"),
        ev("B", "2024-03-04 11:00", "Ticket Created", priority="Critical"),
        ev("B", "2024-03-04 18:00", "Ticket Resolved", priority="Critical"),
        ev("B", "2024-03-05 12:00", "Ticket Reopened", priority="Critical"),
        ev("C", "2024-03-04 12:00", "Ticket Created", priority="Low"),
    ]


@pytest.mark.parametrize("instant", ["2024-03-04 10:30", "2024-03-05 10:00", "2024-03-05 13:00"])
def test_the_clock_state_at_an_instant_equals_the_facts_as_of_it(instant: str) -> None:
    """Each ticket's clocks walked over all its events but as of ``instant`` (a per-ticket
    as-of) equal the facts computed from the events known at that instant."""
    policy, at = policy_with(), utc(instant)
    expected = facts_of(_tickets(), policy, instant)
    con = memory_with(_tickets())
    last = utc("2024-03-06 12:00")
    staged, ticket_ids = stage(con, policy, last.to_pydatetime())
    ids = ticket_ids.to_pylist()
    ev_ = staged.ev
    calendars = Calendars.build(policy, int(ev_.ts.min()), last.value // 1000)
    probe = Timeline(ev_, calendars, last.value // 1000,
                     as_of_each=np.full(ev_.n_tickets, at.value // 1000, dtype=np.int64))
    known = np.array([i in expected.index for i in ids])  # created by the instant
    facts = expected.loc[[i for i in ids if i in expected.index]]
    assert len(facts) == len(expected)
    for metric in policy.metrics:
        got = {k: v[known] for k, v in clocks.run_clock(probe, policy, metric).items()}
        assert [clocks.STATUS_NAMES[s] for s in got["status"]] == \
            facts[f"{metric.name}_status"].tolist()
        for column in ("wall_s", "business_s", "paused_s", "paused_business_s", "time_left_s",
                       "elapsed_fraction"):
            assert got[column].tolist() == pytest.approx(
                facts[f"{metric.name}_{column}"].fillna(np.nan).tolist(), nan_ok=True, abs=0)
        breach = [None if b == layout.NO_TIME else pd.Timestamp(b * 1000, tz="UTC")
                  for b in got["breach_at"]]
        assert breach == [None if pd.isna(b) else b
                          for b in facts[f"{metric.name}_breach_at"].tolist()]


def test_only_running_clocks_imports_numba() -> None:
    """numba's import costs ~0.5 s: the CLI, ingest, mine and the clock modules' import leave
    it out; the kernel is imported where clocks run."""
    code = ("import sys, ticketlens, ticketlens.cli, ticketlens.clock.clocks, "
            "ticketlens.clock.tickets, ticketlens.analyses.sla, ticketlens.analyses.mine, "
            "ticketlens.sources.ingest; print('numba' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert found.stdout.strip() == "False"

