"""Golden tests: hand-made tickets whose SLA facts were computed by hand (UTC unless noted).

2024-01-08 is a Monday. The `standard` preset counts High/Medium/Low on Mon–Fri 08:00–17:00
(9 working hours a day) and Critical round the clock.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sla_support import ev, facts_of, policy_with, utc

HOUR = 3600.0

ONE_METRIC = """
[metrics.resolution]
start = ["creation"]
stop = ["resolution"]
[targets.resolution]
Medium = { hours = 16 }
"""


def _sixteen_hour_policy(hours: str):
    policy = policy_with(ONE_METRIC.replace("[metrics.resolution]", f"""
[calendars.business.hours]
mon = {hours}
tue = {hours}
wed = {hours}
thu = {hours}
fri = {hours}
[metrics.resolution]"""))
    return policy


@pytest.mark.parametrize(
    ("hours", "breach"),
    [
        # 9 h Monday + 7 h Tuesday: the 16th working hour ends Tuesday 15:00. The issue text
        # says "Tuesday 16:00", which would need an 8-hour day (next case): see docs/sla.md.
        ('["08:00-17:00"]', "2024-01-09 15:00"),
        ('["08:00-16:00"]', "2024-01-09 16:00"),
        ('["08:00-12:00", "13:00-17:00"]', "2024-01-09 17:00"),
    ],
)
def test_sixteen_hour_target_breaches_on_tuesday(hours: str, breach: str) -> None:
    """A 16 h business-hours target started Monday 08:00 breaches on Tuesday."""
    policy = _sixteen_hour_policy(hours)
    rows = [ev("T", "2024-01-08 08:00", "Ticket Created", priority="Medium")]
    facts = facts_of(rows, policy, as_of="2024-01-12 12:00")
    row = facts.loc["T"]
    assert row.resolution_breached
    assert row.resolution_breach_at == utc(breach)
    assert row.resolution_target_s == 16 * HOUR


def test_resolved_exactly_on_target_is_in_time() -> None:
    """Stopping the clock at the very instant the target is reached is not a breach."""
    policy = _sixteen_hour_policy('["08:00-17:00"]')
    rows = [ev("T", "2024-01-08 08:00", "Ticket Created", priority="Medium"),
            ev("T", "2024-01-09 15:00", "Ticket Resolved", priority="Medium")]
    row = facts_of(rows, policy).loc["T"]
    assert row.resolution_breached is False or row.resolution_breached == False  # noqa: E712
    assert row.resolution_business_s == 16 * HOUR
    assert row.resolution_elapsed_fraction == 1.0
    assert pd.isna(row.resolution_breach_at)


PAUSED = [
    ev("P", "2024-01-08 08:00", "Ticket Created"),
    ev("P", "2024-01-08 09:00", "Ticket Assigned", "Pat Anderson"),
    ev("P", "2024-01-08 10:00", "Work Started", "Pat Anderson"),
    ev("P", "2024-01-08 11:00", "Awaiting User Response", "Pat Anderson"),
    ev("P", "2024-01-09 09:00", "User Responded", "Pat Anderson"),
    ev("P", "2024-01-09 12:00", "Ticket Resolved", "Pat Anderson"),
    ev("P", "2024-01-10 12:00", "Ticket Closed", "Pat Anderson"),
]


def test_pause_stops_the_resolution_clock_overnight() -> None:
    """Awaiting User Response pauses the clock until User Responded (High: 8 business h)."""
    row = facts_of(PAUSED).loc["P"]
    assert row.resolution_business_s == 6 * HOUR  # Mon 08-11 + Tue 09-12
    assert row.resolution_wall_s == 6 * HOUR
    assert row.resolution_paused_s == 22 * HOUR  # Mon 11:00 -> Tue 09:00
    assert row.resolution_paused_business_s == 7 * HOUR  # Mon 11-17 + Tue 08-09
    assert row.resolution_breached == False  # noqa: E712
    assert row.resolution_elapsed_fraction == 0.75
    assert row.resolution_warn_50_at == utc("2024-01-09 10:00")  # 4th working hour
    assert row.resolution_warn_75_at == utc("2024-01-09 12:00")  # reached as it stops
    assert row.resolution_status == "stopped"
    assert row.resolution_stopped_at == utc("2024-01-09 12:00")
    assert row.waiting_user_s == 22 * HOUR


def test_response_clock_stops_at_first_technician_action() -> None:
    """Response: created 08:00, Work Started 10:00 → 2 h against High's 1 h: breached at 09:00."""
    row = facts_of(PAUSED).loc["P"]
    assert row.first_response_at == utc("2024-01-08 10:00")
    assert row.response_business_s == 2 * HOUR
    assert row.response_breached == True  # noqa: E712
    assert row.response_breach_at == utc("2024-01-08 09:00")


def test_lifecycle_instants_and_status() -> None:
    row = facts_of(PAUSED).loc["P"]
    assert (row.created_at, row.resolved_at, row.closed_at) == (
        utc("2024-01-08 08:00"), utc("2024-01-09 12:00"), utc("2024-01-10 12:00"))
    assert row.status == "closed"
    assert row.has_creation


GB_HOLIDAYS = """
[calendars.business]
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"
"""


def test_nights_weekend_bank_holidays_and_dst() -> None:
    """Medium (24 business h) created Thu 28 Mar 2024 16:00 in London.

    Thu 16-17 (1 h); Good Friday, the weekend and Easter Monday are closed; clocks go forward
    on Sunday, so Tue and Wed 08:00-17:00 BST give 18 h (19 h); 5 more on Thursday 4 April
    → 13:00 BST = 12:00 UTC.
    """
    rows = [ev("H", "2024-03-28 16:00", "Ticket Created", priority="Medium")]
    row = facts_of(rows, policy_with(GB_HOLIDAYS), as_of="2024-04-10 00:00").loc["H"]
    assert row.resolution_breach_at == utc("2024-04-04 12:00")


def test_custom_holiday_closes_the_day() -> None:
    """Adding Wed 3 April as a custom holiday moves the breach a working day on."""
    policy = policy_with(GB_HOLIDAYS + "holidays = [2024-04-03]\n")
    rows = [ev("H", "2024-03-28 16:00", "Ticket Created", priority="Medium")]
    row = facts_of(rows, policy, as_of="2024-04-10 00:00").loc["H"]
    assert row.resolution_breach_at == utc("2024-04-05 12:00")


def test_dst_spring_forward_in_berlin() -> None:
    """High (8 business h), Berlin 08:00-17:00. Created Fri 29 Mar 16:00 CET (15:00 UTC).

    Friday gives 1 h; Monday 1 April opens 08:00 CEST = 06:00 UTC; 7 h later = 13:00 UTC.
    """
    policy = policy_with('[calendars.business]\ntimezone = "Europe/Berlin"\n')
    rows = [ev("D", "2024-03-29 15:00", "Ticket Created")]
    row = facts_of(rows, policy, as_of="2024-04-05 00:00").loc["D"]
    assert row.resolution_breach_at == utc("2024-04-01 13:00")


@pytest.mark.parametrize(
    ("created", "as_of", "business_hours"),
    [
        # Local 00:00-12:00 every day. Sunday 31 March 2024 skips 01:00-02:00: 11 real hours.
        ("2024-03-30 12:00", "2024-03-31 23:00", 11),
        # Sunday 27 October 2024 repeats 01:00-02:00: 13 real hours.
        ("2024-10-26 12:00", "2024-10-27 23:00", 13),
    ],
)
def test_working_hours_across_dst_are_exact(created: str, as_of: str,
                                            business_hours: int) -> None:
    days = "\n".join(f'{d} = ["00:00-12:00"]' for d in
                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    policy = policy_with(f'[calendars.business]\ntimezone = "Europe/London"\n'
                         f'[calendars.business.hours]\n{days}\n')
    rows = [ev("D", created, "Ticket Created", priority="Low")]
    row = facts_of(rows, policy, as_of=as_of).loc["D"]
    assert row.resolution_business_s == business_hours * HOUR


REOPENED = [
    ev("R", "2024-01-08 08:00", "Ticket Created"),
    ev("R", "2024-01-08 09:00", "Work Started", "Pat Anderson"),
    ev("R", "2024-01-08 12:00", "Ticket Resolved", "Pat Anderson"),
    ev("R", "2024-01-08 13:00", "Ticket Closed", "Pat Anderson"),
    ev("R", "2024-01-09 09:00", "Ticket Reopened", "Pat Anderson"),
    ev("R", "2024-01-09 14:00", "Ticket Resolved", "Pat Anderson"),
]


def test_reopen_resumes_the_same_clock() -> None:
    """4 h before the closure + 5 h after the reopen = 9 h > 8 h: breached Tue 13:00."""
    row = facts_of(REOPENED).loc["R"]
    assert row.resolution_business_s == 9 * HOUR
    assert row.resolution_paused_s == 0
    assert row.resolution_breached == True  # noqa: E712
    assert row.resolution_breach_at == utc("2024-01-09 13:00")
    assert row.resolution_cycles == 1
    assert row.resolution_stopped_at == utc("2024-01-09 14:00")
    assert row.reopens == 1
    assert row.status == "resolved"
    assert (row.first_resolved_at, row.resolved_at) == (utc("2024-01-08 12:00"),
                                                         utc("2024-01-09 14:00"))


def test_reopen_as_new_cycle() -> None:
    """new_cycle: 4 h and 5 h, each within 8 h: not breached; the last cycle is 5/8 used."""
    policy = policy_with('[metrics.resolution]\non_reopen = "new_cycle"\n')
    row = facts_of(REOPENED, policy).loc["R"]
    assert row.resolution_breached == False  # noqa: E712
    assert row.resolution_cycles == 2
    assert row.resolution_business_s == 9 * HOUR
    assert row.resolution_elapsed_fraction == 5 / 8


RAISED = [
    ev("C", "2024-01-08 08:00", "Ticket Created", priority="Medium"),
    ev("C", "2024-01-08 13:00", "Priority Changed", priority="Critical"),
    ev("C", "2024-01-08 16:00", "Ticket Resolved", priority="Critical"),
]


@pytest.mark.parametrize(
    ("mode", "breached", "breach_at", "target_h"),
    [
        # 5 business hours are already past Critical's 4 h when it is raised: breached then.
        ("retarget", True, "2024-01-08 13:00", 4),
        # Medium's 24 business hours govern throughout.
        ("initial", False, None, 24),
        # Critical's 4 h round the clock from creation: 12:00.
        ("final", True, "2024-01-08 12:00", 4),
    ],
)
def test_priority_change_modes(mode: str, breached: bool, breach_at: str | None,
                               target_h: float) -> None:
    policy = policy_with(f'[metrics.resolution]\non_priority_change = "{mode}"\n')
    row = facts_of(RAISED, policy).loc["C"]
    assert row.resolution_breached == breached
    assert (pd.isna(row.resolution_breach_at) if breach_at is None
            else row.resolution_breach_at == utc(breach_at))
    assert row.resolution_target_s == target_h * HOUR
    assert row.priority_changes == 1
    assert (row.initial_priority, row.priority) == ("Medium", "Critical")


def test_priority_lowered_gives_more_time() -> None:
    """High (8 h) lowered to Low (72 h) at 10:00, resolved Tue 17:00 after 18 h: in time."""
    rows = [ev("L", "2024-01-08 08:00", "Ticket Created", priority="High"),
            ev("L", "2024-01-08 10:00", "Priority Changed", priority="Low"),
            ev("L", "2024-01-09 17:00", "Ticket Resolved", priority="Low")]
    row = facts_of(rows).loc["L"]
    assert row.resolution_business_s == 18 * HOUR
    assert row.resolution_breached == False  # noqa: E712
    initial = facts_of(rows, policy_with('[metrics.resolution]\non_priority_change = "initial"\n'))
    assert initial.loc["L"].resolution_breach_at == utc("2024-01-08 16:00")


OPEN = [
    ev("O", "2024-01-08 08:00", "Ticket Created", priority="Low"),
    ev("O", "2024-01-08 08:30", "Ticket Assigned", "Sam Williams", priority="Low"),
    ev("O", "2024-01-08 09:00", "Work Started", "Sam Williams", priority="Low"),
    ev("O", "2024-01-10 10:00", "Ticket Resolved", "Sam Williams", priority="Low"),
]


def test_open_ticket_as_of_an_instant() -> None:
    """Low (72 business h) as of Tue 12:00: 13 h used, 59 h left, due Wed 17 Jan 17:00.

    The resolution on Wednesday lies after the as-of instant and is ignored.
    """
    row = facts_of(OPEN, as_of="2024-01-09 12:00").loc["O"]
    assert row.status == "open"
    assert row.resolution_status == "running"
    assert row.resolution_business_s == 13 * HOUR
    assert row.resolution_elapsed_fraction == pytest.approx(13 / 72)
    assert row.resolution_time_left_s == 59 * HOUR
    assert row.resolution_due_at == utc("2024-01-17 17:00")
    assert row.resolution_breached == False  # noqa: E712
    assert pd.isna(row.resolved_at)
    assert row.response_status == "stopped"
    assert math.isnan(row.response_time_left_s)


def test_default_as_of_is_the_last_event_of_the_log() -> None:
    """Without --as-of, an open ticket's clock runs to the log's last event."""
    rows = [ev("A", "2024-01-08 08:00", "Ticket Created", priority="Low"),
            ev("B", "2024-01-08 08:00", "Ticket Created", priority="Low"),
            ev("B", "2024-01-09 12:00", "Ticket Resolved", priority="Low")]
    row = facts_of(rows).loc["A"]
    assert row.resolution_business_s == 13 * HOUR


def test_open_ticket_past_its_target_is_breached() -> None:
    """High (8 h) created Monday 08:00, still open Wednesday: breached Monday 16:00."""
    rows = [ev("X", "2024-01-08 08:00", "Ticket Created"),
            ev("X", "2024-01-08 08:10", "Ticket Assigned", "Pat Anderson")]
    row = facts_of(rows, as_of="2024-01-10 08:00").loc["X"]
    assert row.resolution_breached == True  # noqa: E712
    assert row.resolution_breach_at == utc("2024-01-08 16:00")
    assert row.resolution_due_at == utc("2024-01-08 16:00")
    assert row.resolution_time_left_s == -10 * HOUR


def test_ticket_without_creation_event_is_flagged_and_excluded() -> None:
    rows = [ev("N", "2024-01-08 09:00", "Ticket Assigned", "Pat Anderson"),
            ev("N", "2024-01-08 12:00", "Ticket Resolved", "Pat Anderson")]
    row = facts_of(rows).loc["N"]
    assert not row.has_creation
    assert row.excluded_reason == "no creation event"
    assert pd.isna(row.created_at)
    assert pd.isna(row.resolution_breached) and pd.isna(row.resolution_business_s)
    assert pd.isna(row.resolution_status)
    assert row.resolved_at == utc("2024-01-08 12:00")  # facts that exist are still kept


def test_critical_counts_round_the_clock() -> None:
    """Critical (4 h, 24x7) created Friday 22:00: breached Saturday 02:00."""
    rows = [ev("K", "2024-01-12 22:00", "Ticket Created", priority="Critical")]
    row = facts_of(rows, as_of="2024-01-15 00:00").loc["K"]
    assert row.resolution_calendar == "24x7"
    assert row.resolution_breach_at == utc("2024-01-13 02:00")
    assert row.response_breach_at == utc("2024-01-12 22:30")


def test_waiting_on_user_parts_and_hold() -> None:
    rows = [
        ev("W", "2024-01-08 08:00", "Ticket Created", priority="Low"),
        ev("W", "2024-01-08 09:00", "Ticket Assigned", "Pat Anderson", priority="Low"),
        ev("W", "2024-01-08 10:00", "Awaiting Parts", "Pat Anderson", priority="Low"),
        ev("W", "2024-01-08 11:00", "Ticket Reassigned", "Sam Williams", priority="Low"),
        ev("W", "2024-01-10 10:00", "Parts Received", "Sam Williams", priority="Low"),
        ev("W", "2024-01-10 11:00", "On Hold", "Sam Williams", priority="Low"),
        ev("W", "2024-01-10 15:00", "Hold Released", "Sam Williams", priority="Low"),
        ev("W", "2024-01-10 16:00", "Awaiting User Response", "Sam Williams", priority="Low"),
        ev("W", "2024-01-10 18:00", "Ticket Closed", "Sam Williams", priority="Low"),
    ]
    row = facts_of(rows).loc["W"]
    assert row.waiting_parts_s == 48 * HOUR  # a reassignment does not end the wait
    assert row.waiting_hold_s == 4 * HOUR
    assert row.waiting_user_s == 2 * HOUR  # closed while waiting
    assert row.holds == 1
    # Running Mon 08-10, Wed 10-11 (parts received to hold) and Wed 15-16: 4 business hours.
    assert row.resolution_business_s == 4 * HOUR
    assert row.resolution_status == "paused"  # closed without a resolution


ESCALATED = [
    ev("E", "2024-01-08 08:00", "Ticket Created"),
    ev("E", "2024-01-08 08:30", "Ticket Assigned", "Chris Johnson"),
    ev("E", "2024-01-08 09:00", "Escalated to L2", "Alex Martinez"),
    ev("E", "2024-01-08 10:00", "Escalated to L3", "Casey Brown"),
    ev("E", "2024-01-08 11:00", "De-escalated", "Alex Martinez"),
    ev("E", "2024-01-08 12:00", "Ticket Resolved", "Alex Martinez"),
    ev("F", "2024-01-08 08:00", "Ticket Created"),
    ev("F", "2024-01-08 08:30", "Ticket Assigned", "Pat Anderson"),
    ev("F", "2024-01-08 09:00", "Work Started", "Pat Anderson"),
    ev("F", "2024-01-08 12:00", "Ticket Resolved", "Pat Anderson"),
    ev("G", "2024-01-08 08:00", "Ticket Created"),
    ev("G", "2024-01-08 08:30", "Ticket Assigned", "Pat Anderson"),
    ev("G", "2024-01-08 09:00", "Ticket Reassigned", "Sam Williams"),
    ev("G", "2024-01-08 12:00", "Ticket Resolved", "Sam Williams"),
]


def test_escalations_tiers_and_first_contact_resolution() -> None:
    facts = facts_of(ESCALATED)
    e, f, g = facts.loc["E"], facts.loc["F"], facts.loc["G"]
    assert (e.escalations, e.escalations_l2, e.escalations_l3, e.escalations_manager) == (
        2, 1, 1, 0)
    assert (e.de_escalations, e.assignments, e.handoffs, e.assignees) == (1, 1, 3, 3)
    assert (e.first_assignee, e.resolver, e.resolving_tier) == (
        "Chris Johnson", "Alex Martinez", "L2")
    assert e.fcr == False  # noqa: E712
    assert (f.resolver, f.resolving_tier, f.fcr) == ("Pat Anderson", "L1", True)
    assert (g.reassignments, g.handoffs, g.fcr) == (1, 1, False)
    assert g.final_tier is None or pd.isna(g.final_tier)  # Sam only ever got a reassignment


def test_source_verdict_is_kept_beside_ours() -> None:
    facts = facts_of(PAUSED, attributes=[("P", "source_made_sla", "TRUE")])
    assert facts.loc["P"].source_made_sla == True  # noqa: E712
