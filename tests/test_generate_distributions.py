"""Distributions of the generated desk with fixed seeds: mixes, business rhythm, response
times and the brief's timing ranges. Tolerances are a few standard errors: a wrong weight,
a swapped category or a clock bug moves the figures far outside them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from test_generate_support import TICKETS, Desk, business_seconds, in_business_hours, shared_desk
from ticketlens.sources.generate.config import COMPLEXITIES, load_config
from ticketlens.sources.generate.simulate import prepare, run
from ticketlens.sources.generate.slots import S


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return shared_desk(tmp_path_factory)


HOUR = 3600


def tolerance(p: float, n: int) -> float:
    return 4.5 * math.sqrt(p * (1 - p) / n) + 1e-3


def created(desk) -> pd.DataFrame:
    return desk.sql("""SELECT ticket_id, "timestamp" AS created, priority, category
                       FROM events WHERE activity = 'Ticket Created' ORDER BY event_id""")


@pytest.mark.parametrize(("column", "expected"), [
    ("priority", {"Critical": 0.05, "High": 0.15, "Medium": 0.50, "Low": 0.30}),
    ("category", {"Software": 0.30, "Hardware": 0.20, "Network": 0.15, "Security": 0.15,
                  "Access": 0.10, "Performance": 0.10}),
])
def test_mix_at_creation(desk, column, expected) -> None:
    share = created(desk)[column].value_counts(normalize=True)
    for name, p in expected.items():
        assert abs(share[name] - p) < tolerance(p, TICKETS), (name, share[name])


def test_non_critical_tickets_arrive_in_business_hours(desk) -> None:
    """88 % of non-critical tickets arrive Mon-Fri 09-17; Critical ones around the clock."""
    c = created(desk)
    normal = c[c["priority"] != "Critical"]
    share = in_business_hours(normal["created"]).mean()
    assert abs(share - 0.88) < tolerance(0.88, len(normal))
    critical = c[c["priority"] == "Critical"]
    # 24/7: business hours are 40 of 168 hours a week
    assert abs(in_business_hours(critical["created"]).mean() - 40 / 168) < tolerance(0.24, 1000)
    assert (critical["created"].dt.day_of_week >= 5).mean() > 0.2


def test_desk_work_happens_in_business_hours(desk) -> None:
    """Non-critical work runs on the business clock: outside office hours only creations,
    escalations (24/7) and weekend-warrior sessions occur; overall most activity is in hours."""
    ev = desk.events.merge(created(desk)[["ticket_id", "priority"]].rename(
        columns={"priority": "opened_as"}), on="ticket_id")
    normal = ev[ev["opened_as"] != "Critical"]
    outside = normal[~in_business_hours(normal["timestamp"])]
    allowed = outside["activity"].isin(["Ticket Created", "Escalated to L2", "Escalated to L3",
                                        "Escalated to Manager"])
    weekend_work = (outside["activity"] == "Work Resumed") & (
        outside["timestamp"].dt.day_of_week >= 5) & outside["timestamp"].dt.hour.between(10, 15)
    assert (allowed | weekend_work).all(), outside[~(allowed | weekend_work)].head()
    assert in_business_hours(normal["timestamp"]).mean() > 0.85


def test_first_response_times(desk) -> None:
    """L1 assignment 15 min-2 h for Medium and Low (business time), the same range hurried by
    [patterns] urgency_pace for High (business time) and Critical (wall clock); VIPs go
    straight to an L2 within 5-15 min."""
    pace = dict(zip(("Critical", "High", "Medium", "Low"),
                    load_config().patterns.urgency_pace, strict=True))
    assert pace["Medium"] == pace["Low"] == 1.0 and pace["Critical"] < pace["High"] < 1.0
    first = desk.sql("""
        SELECT c.ticket_id, c.priority, c."timestamp" AS created, a."timestamp" AS assigned,
               a.assigned_to
        FROM events c JOIN events a ON a.ticket_id = c.ticket_id
        WHERE c.activity = 'Ticket Created' AND a.activity = 'Ticket Assigned'""")
    wall = (first["assigned"] - first["created"]).dt.total_seconds() / 60
    office = business_seconds(first["created"], first["assigned"]) / 60
    critical = first["priority"] == "Critical"
    high = first["priority"] == "High"
    vip = first["assigned_to"].map(desk.tiers) == "L2"
    normal = ~critical & ~high & ~vip
    assert (office[normal] >= 15).all() and (office[normal] <= 120).all()
    h = pace["High"]
    hurried = office[high & ~vip]
    assert (hurried >= 15 * h - 1e-6).all() and (hurried <= 120 * h + 1e-6).all()
    c = pace["Critical"]
    assert wall[critical & ~vip].between(max(1, 15 * c), 120 * c).all()
    assert (wall[critical & vip].between(5, 15)).all()
    assert ((office[~critical & vip] >= 5) & (office[~critical & vip] <= 15)).all()
    assert abs(vip.mean() - 0.03) < tolerance(0.03, len(first)) + 0.01
    # log-uniform 15-120 min: median sqrt(15 * 120) = 42.4 min
    assert 38 < np.median(office[normal]) < 47
    assert 38 * h < np.median(office[high & ~vip]) < 47 * h
    # Critical tickets are picked up faster than the rest (and wait towards the short end)
    assert np.median(wall[critical & ~vip]) < 42.4 * c


def _gaps(desk, activity: str) -> pd.DataFrame:
    return desk.sql(f"""
        SELECT * FROM (
          SELECT ticket_id, activity, "timestamp", assigned_to, priority,
                 lag("timestamp") OVER w AS before, lag(activity) OVER w AS previous,
                 first_value(priority) OVER w AS opened_as
          FROM events WINDOW w AS (PARTITION BY ticket_id ORDER BY event_id))
        WHERE activity = '{activity}'""")


@pytest.mark.parametrize(("activity", "low", "high"), [
    ("Escalated to L2", 2, 8),
    ("Escalated to L3", 4, 24),
])
def test_escalation_delays_follow_the_brief(desk, activity, low, high) -> None:
    """L1->L2 2-8 h and L2->L3 4-24 h after the previous step, wall clock (24/7), for Medium
    and Low tickets (urgent ones are hurried: test_urgent_escalations_are_hurried)."""
    gaps = _gaps(desk, activity)
    gaps = gaps[gaps["priority"].isin(["Medium", "Low"])]
    hours = (gaps["timestamp"] - gaps["before"]).dt.total_seconds() / HOUR
    assert len(gaps) > 300
    assert hours.between(low, high).all()
    assert hours.max() > high * 0.9 and hours.min() < low * 1.2  # the whole range is used


def test_urgent_escalations_are_hurried(desk) -> None:
    """High and Critical tickets are escalated after urgency_pace x the brief's try."""
    pace = dict(zip(("Critical", "High"), load_config().patterns.urgency_pace[:2], strict=True))
    for activity, low, high in (("Escalated to L2", 2, 8), ("Escalated to L3", 4, 24)):
        gaps = _gaps(desk, activity)
        hours = (gaps["timestamp"] - gaps["before"]).dt.total_seconds() / HOUR
        for priority, share in pace.items():
            mine = hours[gaps["priority"] == priority]
            assert len(mine) > 20, (activity, priority)
            assert mine.between(low * share - 1e-3, high * share + 1e-3).all(), priority


def test_parts_user_and_ghosting_waits(desk) -> None:
    """Parts 1-5 business days (back-orders up to 20); users answer within 1 h-2 weeks, and
    some never do (auto-closed after 5-10 business days)."""
    parts = _gaps(desk, "Parts Received")
    parts = parts[parts["opened_as"] != "Critical"]
    days = business_seconds(parts["before"], parts["timestamp"]) / (8 * HOUR)
    assert (days >= 1 - 1e-9).all() and (days <= 20 + 1e-9).all()
    assert abs((days > 5).mean() - 0.20) < tolerance(0.2, len(days)) + 0.02
    answers = _gaps(desk, "User Responded")
    hours = (answers["timestamp"] - answers["before"]).dt.total_seconds() / HOUR
    # 2 weeks, plus at most a weekend's wait for office hours
    assert hours.min() >= 1 and hours.max() <= 336 + 64
    assert (hours > 7 * 24).mean() > 0.05  # ghosting: a week or more
    closed = _gaps(desk, "Ticket Closed")
    auto = closed[closed["previous"] == "Awaiting User Response"]
    auto = auto[auto["opened_as"] != "Critical"]
    waited = business_seconds(auto["before"], auto["timestamp"]) / (8 * HOUR)
    assert len(auto) > 100 and ((waited >= 5) & (waited <= 10)).all()


def test_resolution_times_by_complexity_and_escalation() -> None:
    """Hands-on work: simple 0.5-4 h, medium 4-16 h (2 working days), complex 16-80 h
    (2 weeks) of working time for an expert; escalated tickets take 50-200 % longer; a
    workaround restores the service with workaround_work of the work (escalated or not)."""
    config = load_config().with_overrides(tickets=6000, seed=5)
    sim = prepare(config)
    ranges = [config.timing.resolution_simple_hours, config.timing.resolution_medium_hours,
              config.timing.resolution_complex_hours]
    checked = 0
    for chunk in run(sim):
        j, d = chunk.journey, chunk.draws
        proposed = S["proposed"]
        rows = np.flatnonzero(j.present[:, proposed] & (d.priority != 0)
                              & ~j.present[:, S["weekend"]])
        workaround = j.workaround[rows]
        before = np.argmax(np.where(j.present[rows, :proposed],
                                    np.arange(proposed)[None, :], -1), axis=1)
        start = j.time[rows, before]
        work = (sim.clock.to_business(j.time[rows, proposed]) - sim.clock.to_business(start))
        resolver = sim.roster.member(j.holder[rows, proposed])
        expert = sim.roster.proficiency[resolver, d.category[rows]] == 1.0
        escalated = (j.present[rows, S["escalated_l2"]] | j.present[rows, S["escalated_l3"]])
        for cx, span in enumerate(ranges):
            quick = work[expert & (d.complexity[rows] == cx) & workaround] / HOUR
            share = config.patterns.workaround_work
            assert quick.min() >= share * span.low - 1e-3
            assert quick.max() <= share * span.high + 1e-3
            sel = expert & (d.complexity[rows] == cx) & ~workaround
            plain = work[sel & ~escalated] / HOUR
            longer = work[sel & escalated] / HOUR
            assert plain.min() >= span.low - 1e-3 and plain.max() <= span.high + 1e-3, \
                COMPLEXITIES[cx]
            assert longer.min() >= 1.5 * span.low - 1e-3
            assert longer.max() <= 3.0 * span.high + 1e-3
            assert np.median(longer) > 1.5 * np.median(plain)
            checked += sel.sum()
    assert checked > 1000
