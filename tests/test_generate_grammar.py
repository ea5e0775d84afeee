"""Journey grammar on every generated ticket, also as a property over seeds and configs."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ticketlens
from test_generate_support import Desk, grammar_violations, shared_desk


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return shared_desk(tmp_path_factory)


def test_grammar_holds_for_every_ticket(desk) -> None:
    """No ticket of the 20,000 breaks any rule of the journey grammar."""
    end = pd.Timestamp(desk.manifest["window"]["end"]) + pd.Timedelta(days=1)
    violations = grammar_violations(desk.events, desk.tiers, end)
    assert violations == dict.fromkeys(violations, 0)


def test_open_tickets_stay_open_at_window_end(desk) -> None:
    """A real backlog: tickets created late in the window are still open, not force-closed."""
    last = desk.sql("""
        SELECT ticket_id, arg_max(activity, event_id) AS last_activity,
               min("timestamp") AS created
        FROM events GROUP BY ticket_id""")
    still_open = last[last["last_activity"] != "Ticket Closed"]
    assert len(still_open) > 200
    late = last[last["created"] >= pd.Timestamp("2024-03-29")]
    assert (late["last_activity"] != "Ticket Closed").mean() > 0.6
    # and no open ticket is padded with invented future events
    assert desk.events["timestamp"].max() < pd.Timestamp("2024-04-01")


def test_grammar_checker_catches_a_broken_journey(desk) -> None:
    """The checker is not vacuous: swapping two events of one ticket is reported."""
    events = desk.events.copy()
    rows = events.index[events["ticket_id"] == events["ticket_id"].iloc[0]]
    events.loc[[rows[0], rows[1]]] = events.loc[[rows[1], rows[0]]].to_numpy()
    end = pd.Timestamp("2024-04-01")
    violations = grammar_violations(events, desk.tiers, end)
    assert violations["first event is not Ticket Created"] == 1
    assert violations["time not strictly increasing"] >= 1


rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    tickets=st.integers(min_value=0, max_value=400),
    days=st.integers(min_value=0, max_value=60),
    start_day=st.integers(min_value=0, max_value=364),
    open_hour=st.integers(min_value=0, max_value=12),
    hours=st.integers(min_value=1, max_value=12),
    critical=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    patterns=st.fixed_dictionaries({
        "misroute_rate": rates, "false_closure_rate": rates, "priority_creep_rate": rates,
        "parts_rate": rates, "parts_backorder_rate": rates, "awaiting_user_rate": rates,
        "never_respond_rate": rates, "ping_pong_rate": rates, "weekend_warrior_rate": rates,
        "vip_rate": rates, "zombie_rate": rates, "manager_rate": rates, "on_hold_rate": rates,
    }),
    capacity=st.integers(min_value=0, max_value=5),
    team_day=st.sampled_from([1.0, 5.0, 80.0]),
)
def test_grammar_is_a_property_of_any_seed_and_config(
        tmp_path_factory, seed, tickets, days, start_day, open_hour, hours, critical, patterns,
        capacity, team_day) -> None:
    """Whatever the seed, window, business hours, mix and pattern rates, every journey obeys
    the grammar and the files agree with each other."""
    start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=start_day)
    end = start + pd.Timedelta(days=days)
    rest = (1.0 - critical) / 3
    config = {
        "window": {"start": start.date().isoformat(), "end": end.date().isoformat(),
                   "tickets": tickets, "seed": seed},
        "calendar": {"business_hours": [open_hour, open_hour + hours]},
        "mix": {"priority": {"Critical": critical, "High": rest, "Medium": rest, "Low": rest}},
        "patterns": patterns,
        "workload": {"capacity": {"L1": capacity, "L2": capacity, "L3": 3, "Manager": 9},
                     "tickets_per_team_day": team_day},
    }
    out = tmp_path_factory.mktemp("prop") / "desk"
    result = ticketlens.generate(out, config=config, formats=("parquet",))
    events = pq.read_table(out / "events.parquet").to_pandas()
    for column in ("activity", "assigned_to"):
        events[column] = events[column].astype(str)
    manifest = json.loads((out / "manifest.json").read_text())
    tiers = {t["name"]: t["tier"] for t in manifest["roster"]}
    violations = grammar_violations(events, tiers, end + pd.Timedelta(days=1))
    assert violations == dict.fromkeys(violations, 0)
    assert result.row_counts["tickets"] == tickets
    assert events["ticket_id"].nunique() == tickets
    assert (events["timestamp"] >= start).all()
