"""The ten messy patterns, each found in the generated output; personalities measurably drive
behaviour; pattern rates are configurable (0 switches a pattern off)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import ticketlens
from test_generate_support import Desk, business_seconds, read_desk, shared_desk


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return shared_desk(tmp_path_factory)


L1 = ("Chris Johnson", "Sam Williams", "Pat Anderson")


def journeys(desk) -> pd.DataFrame:
    """Events with the previous step, the priority at creation and the tier of the holder."""
    ev = desk.events.copy()
    g = ev.groupby("ticket_id", sort=False)
    ev["previous"] = g["activity"].shift()
    ev["previous_holder"] = g["assigned_to"].shift()
    ev["before"] = g["timestamp"].shift()
    ev["opened_as"] = g["priority"].transform("first")
    ev["tier"] = ev["assigned_to"].map(desk.tiers)
    ev["previous_tier"] = ev["previous_holder"].map(desk.tiers)
    return ev


def first_l1(desk) -> pd.DataFrame:
    """Tickets first assigned to a named L1 and kept by them (no workload move)."""
    ev = journeys(desk)
    assigned = ev[ev["activity"] == "Ticket Assigned"][["ticket_id", "assigned_to", "category"]]
    moved = ev[(ev["activity"] == "Ticket Reassigned") & (ev["previous"] == "Ticket Assigned")]
    escalated = set(ev.loc[ev["activity"] == "Escalated to L2", "ticket_id"])
    out = assigned[assigned["assigned_to"].isin(L1) & ~assigned["ticket_id"].isin(
        moved["ticket_id"])].copy()
    out["escalated"] = out["ticket_id"].isin(escalated)
    return out


def skills(desk) -> dict[str, set[str]]:
    return {t["name"]: {c for c, _ in t["skills"]} for t in desk.manifest["config"]["technicians"]}


def test_chris_escalates_more_than_pat(desk) -> None:
    """Personality: the new hire escalates about three times as often as the solid L1."""
    rate = first_l1(desk).groupby("assigned_to")["escalated"].mean()
    assert rate["Chris Johnson"] > 2 * rate["Pat Anderson"]
    assert rate["Chris Johnson"] > rate["Sam Williams"] > rate["Pat Anderson"]


def test_jordan_is_slower_on_network_than_taylor(tmp_path) -> None:
    """Skills: the database specialist takes far longer over network work than the network
    specialist (working time before Resolution Proposed). A network-heavy month with tight L2
    capacity (and many VIPs, who go straight to L2) on few teams makes Jordan pick up Taylor's
    overflow often enough to compare (queue waits come before Work Started / Resumed, outside
    the measured work)."""
    out = tmp_path / "network"
    config = {"mix": {"category": {"Software": 0.1, "Hardware": 0.1, "Network": 0.6,
                                   "Security": 0.1, "Access": 0.05, "Performance": 0.05}},
              "workload": {"capacity": {"L1": 50, "L2": 25, "L3": 30, "Manager": 100},
                           "tickets_per_team_day": 80},
              "patterns": {"vip_rate": 0.2}}
    ticketlens.generate(out, tickets=20_000, seed=21, config=config)
    _, events = read_desk(out)
    ev = events.copy()
    g = ev.groupby("ticket_id", sort=False)
    ev["before"] = g["timestamp"].shift()
    ev["opened_as"] = g["priority"].transform("first")
    proposed = ev[(ev["activity"] == "Resolution Proposed") & (ev["category"] == "Network")
                  & (ev["opened_as"] != "Critical")]
    work = np.log(business_seconds(proposed["before"], proposed["timestamp"]) / 3600)
    escalated = proposed["ticket_id"].isin(
        ev.loc[ev["activity"].str.startswith("Escalated"), "ticket_id"])
    # Escalated tickets take longer whoever works them: compare like with like. Proficiency
    # 0.35 against 1.0 means 2.9 times the work; on the log scale that is +1.05.
    by = pd.Series(work, index=proposed.index).groupby([proposed["assigned_to"], escalated])
    for esc, enough, at_least in ((False, 100, 1.8), (True, 20, 1.3)):
        assert by.size()[("Jordan Lee", esc)] >= enough <= by.size()[("Taylor Chen", esc)]
        assert by.mean()[("Jordan Lee", esc)] - by.mean()[("Taylor Chen", esc)] > np.log(at_least)


def test_pattern_skill_mismatch_leads_to_escalation(desk) -> None:
    """1. An L1 escalates tickets outside their skills far more often; an L2 without the skill
    hands the ticket on or escalates it to L3."""
    tickets = first_l1(desk)
    known = skills(desk)
    tickets["skilled"] = [c in known[a] for a, c in zip(tickets["assigned_to"],
                                                        tickets["category"], strict=True)]
    rate = tickets.groupby(["assigned_to", "skilled"])["escalated"].mean()
    for name in L1:  # (Chris's chances saturate near the 95 % cap, hence 1.3 rather than 2.5)
        assert rate[(name, False)] > 1.3 * rate[(name, True)], name
    assert rate[("Pat Anderson", False)] > 2 * rate[("Pat Anderson", True)]
    ev = journeys(desk)
    l2_in = ev[ev["activity"].isin(["Escalated to L2"])].copy()
    l2_in["skilled"] = [c in known.get(a, known.get(_base(desk, a), set())) for a, c in
                        zip(l2_in["assigned_to"], l2_in["category"], strict=True)]
    unskilled = set(l2_in.loc[~l2_in["skilled"], "ticket_id"])
    after = ev[ev["ticket_id"].isin(unskilled) & ev["activity"].isin(
        ["Ticket Reassigned", "Escalated to L3"])]
    assert len(unskilled) > 200
    assert after["ticket_id"].nunique() >= 0.9 * len(unskilled)


def _base(desk, name: str) -> str:
    """The configured person whose personality a generated teammate repeats."""
    roster = desk.manifest["roster"]
    size = len(desk.manifest["config"]["technicians"])
    index = next(i for i, t in enumerate(roster) if t["name"] == name)
    return roster[index % size]["name"]


def _load_at(ev: pd.DataFrame, who: pd.Series, when: pd.Series) -> np.ndarray:
    """Open tickets each technician holds at a moment, from the event log alone: every event
    starts a stretch to the ticket's next event, held by its assignee, open unless the event
    is Ticket Created/Resolved/Closed."""
    nxt = ev.groupby("ticket_id", sort=False)["timestamp"].shift(-1).fillna(
        pd.Timestamp("2100-01-01"))
    active = ~ev["activity"].isin(["Ticket Created", "Ticket Resolved", "Ticket Closed"])
    stretches = pd.DataFrame({"who": ev["assigned_to"], "start": ev["timestamp"],
                              "end": nxt})[active]
    out = np.zeros(len(who), dtype=int)
    for name, group in stretches.groupby("who"):
        starts, ends = np.sort(group["start"].values), np.sort(group["end"].values)
        sel = (who == name).to_numpy()
        t = when[sel].values
        out[sel] = np.searchsorted(starts, t, "right") - np.searchsorted(ends, t, "right")
    return out


def test_pattern_workload_reassignment_moves_from_busy_to_free(desk) -> None:
    """2. Workload balancing: a ticket landing on someone holding more open tickets than the
    tier's capacity moves to a same-tier colleague who holds fewer."""
    ev = journeys(desk)
    moves = ev[(ev["activity"] == "Ticket Reassigned")
               & ev["previous"].isin(["Ticket Assigned", "Escalated to L2"])]
    assert len(moves) > 100
    assert (moves["tier"] == moves["previous_tier"]).all()
    just_before = moves["timestamp"] - pd.Timedelta(seconds=1)
    busy = _load_at(ev, moves["previous_holder"], just_before)
    free = _load_at(ev, moves["assigned_to"], just_before)
    assert (busy > free).mean() > 0.9
    capacity = desk.manifest["config"]["workload"]["capacity"]  # L1, L2, L3, Manager
    limit = moves["previous_tier"].map({"L1": capacity[0], "L2": capacity[1]})
    assert np.median(busy - limit.to_numpy()) >= 0


@pytest.mark.parametrize(("capacity", "expect_moves"), [(1000, False), (15, True)])
def test_workload_moves_follow_capacity_not_a_random_rate(tmp_path, capacity, expect_moves):
    """Nobody is ever over a huge capacity: no balancing moves at all; a tight one: many."""
    out = tmp_path / "desk"
    config = {"workload": {"capacity": {"L1": capacity, "L2": capacity, "L3": capacity,
                                        "Manager": capacity}}}
    ticketlens.generate(out, tickets=4000, seed=2, config=config)
    _, ev = read_desk(out)
    g = ev.groupby("ticket_id", sort=False)
    moves = ((ev["activity"] == "Ticket Reassigned")
             & g["activity"].shift().isin(["Ticket Assigned", "Escalated to L2"])).sum()
    assert (moves > 100) if expect_moves else (moves == 0)


def test_pattern_false_closure_then_reopen(desk) -> None:
    """3. Closed too early and reopened within days; Sam's mistakes make it twice as common."""
    ev = journeys(desk)
    reopen = ev[(ev["activity"] == "Ticket Reopened")
                & ((ev["timestamp"] - ev["before"]) < pd.Timedelta(days=14))]
    assert len(reopen) > 300
    closed_by = ev[ev["activity"] == "Ticket Closed"].groupby("ticket_id")["assigned_to"].first()
    reopened = closed_by.index.isin(reopen["ticket_id"])
    rate = pd.Series(reopened, index=closed_by.index).groupby(closed_by).mean()
    assert rate["Sam Williams"] > 2 * rate["Pat Anderson"]


def test_pattern_priority_creep(desk) -> None:
    """4. Priority raised mid-flight (executive pressure), about 5 % of the tickets below the
    cap (High): Medium and Low, raised one level or (a quarter of them) two, never to
    Critical."""
    ev = journeys(desk)
    changes = ev[ev["activity"] == "Priority Changed"]
    rank = {"Critical": 0, "High": 1, "Medium": 2, "Low": 3}
    assert (changes["priority"].map(rank) < changes["opened_as"].map(rank)).all()
    assert set(changes["opened_as"]) == {"Medium", "Low"}
    assert set(changes["priority"]) == {"High", "Medium"}
    two = (changes["opened_as"] == "Low") & (changes["priority"] == "High")
    assert 0.15 < two.sum() / (changes["opened_as"] == "Low").sum() < 0.35
    share = changes["ticket_id"].nunique() / ev.loc[ev["opened_as"].isin(["Medium", "Low"]),
                                                    "ticket_id"].nunique()
    assert 0.04 < share < 0.06


def test_pattern_parts_delays_are_hardware(desk) -> None:
    """5. Only hardware waits for parts; about a fifth of the waits are back-orders (> 5 days)."""
    ev = journeys(desk)
    waits = ev[ev["activity"] == "Parts Received"]
    assert set(ev.loc[ev["activity"] == "Awaiting Parts", "category"]) == {"Hardware"}
    days = (waits["timestamp"] - waits["before"]).dt.days
    assert len(waits) > 500 and 0.12 < (days > 7).mean() < 0.3


def test_pattern_user_ghosting(desk) -> None:
    """6. Users leave tickets waiting for days or weeks, and some never answer."""
    ev = journeys(desk)
    answered = ev[ev["activity"] == "User Responded"]
    waited = answered["timestamp"] - answered["before"]
    assert (waited > pd.Timedelta(days=7)).sum() > 100
    never = ev[(ev["activity"] == "Ticket Closed") & (ev["previous"] == "Awaiting User Response")]
    assert never["notes"].str.contains("no response|did not respond").all()
    assert 0.015 < never["ticket_id"].nunique() / ev["ticket_id"].nunique() < 0.035


def test_pattern_ping_pong_between_specialists(desk) -> None:
    """7. A ticket bounced A -> B -> A -> B between L2 specialists."""
    ev = journeys(desk)
    hops = ev[(ev["activity"] == "Ticket Reassigned") & (ev["tier"] == "L2")
              & ev["previous"].isin(["Work Resumed", "Ticket Reassigned"])]
    chains = hops.groupby("ticket_id")["assigned_to"].agg(list)
    bounced = chains[chains.map(lambda c: len(c) >= 3 and c[0] == c[2] != c[1])]
    assert len(bounced) > 50
    assert all(ev.loc[ev["ticket_id"] == t, "tier"].eq("L2").any() for t in bounced.index[:20])


def test_pattern_weekend_warriors(desk) -> None:
    """8. Complex non-critical work carried on through a weekend."""
    ev = journeys(desk)
    weekend = ev[(ev["activity"] == "Work Resumed") & (ev["opened_as"] != "Critical")
                 & (ev["timestamp"].dt.day_of_week >= 5)]
    assert weekend["ticket_id"].nunique() > 100
    span = ev[ev["ticket_id"].isin(weekend["ticket_id"])].groupby("ticket_id")["timestamp"].agg(
        lambda t: t.max() - t.min())
    assert (span > pd.Timedelta(days=2)).mean() > 0.9


def test_pattern_vip_fast_track(desk) -> None:
    """9. VIP tickets skip L1: assigned straight to an L2 specialist, never escalated there."""
    ev = journeys(desk)
    assigned = ev[ev["activity"] == "Ticket Assigned"]
    vip = assigned[assigned["tier"] == "L2"]
    assert 0.02 < len(vip) / len(assigned) < 0.04
    assert not ev[(ev["activity"] == "Escalated to L2")]["ticket_id"].isin(vip["ticket_id"]).any()
    assert vip["notes"].str.contains("VIP|Executive").all()


def test_pattern_zombie_tickets(desk) -> None:
    """10. Old tickets reactivated weeks after closure."""
    ev = journeys(desk)
    zombies = ev[(ev["activity"] == "Ticket Reopened")
                 & ((ev["timestamp"] - ev["before"]) >= pd.Timedelta(days=21))]
    assert len(zombies) > 100
    assert (zombies["previous"] == "Ticket Closed").all()


@pytest.mark.parametrize(("rates", "activity"), [
    ({"vip_rate": 0.0}, None),
    ({"zombie_rate": 0.0, "false_closure_rate": 0.0}, "Ticket Reopened"),
    ({"parts_rate": 0.0}, "Awaiting Parts"),
    ({"priority_creep_rate": 0.0}, "Priority Changed"),
    ({"awaiting_user_rate": 0.0}, "Awaiting User Response"),
    ({"manager_rate": 0.0}, "Escalated to Manager"),
    ({"on_hold_rate": 0.0}, "On Hold"),
])
def test_pattern_rates_are_configurable(tmp_path, rates, activity) -> None:
    """A rate of 0 switches its pattern off; doubling a rate roughly doubles the pattern."""
    out = tmp_path / "off"
    ticketlens.generate(out, tickets=3000, seed=4, config={"patterns": rates})
    _, ev = read_desk(out)
    if activity is None:  # VIP: nobody assigned straight to L2
        roster = json.loads((out / "manifest.json").read_text())["roster"]
        l1 = [person["name"] for person in roster if person["tier"] == "L1"]
        first = ev[ev["activity"] == "Ticket Assigned"]["assigned_to"]
        assert len(l1) > 3 and first.isin(l1).all()
    else:
        assert not (ev["activity"] == activity).any()


def test_doubling_a_rate_doubles_the_pattern(tmp_path) -> None:
    counts = []
    for rate in (0.05, 0.10):
        out = tmp_path / f"creep-{rate}"
        ticketlens.generate(out, tickets=6000, seed=8, config={"patterns": {
            "priority_creep_rate": rate}})
        _, ev = read_desk(out)
        counts.append((ev["activity"] == "Priority Changed").sum())
    assert 1.6 < counts[1] / counts[0] < 2.4


def test_skill_and_experience_scale_the_work_of_the_same_tickets() -> None:
    """A controlled run: the same tickets laid out once with Chris and once with Pat holding
    them. Access work takes Chris (proficiency 0.7, 0.2 years in the job: x1.4 ramp-up) exactly
    (1.4 / 0.7) / (1 / 1.0) = 2 times as long as Pat (1.0, 4 years)."""
    from ticketlens.sources.generate.config import load_config
    from ticketlens.sources.generate.journey import lay_out
    from ticketlens.sources.generate.simulate import prepare, run
    from ticketlens.sources.generate.slots import S

    sim = prepare(load_config().with_overrides(tickets=3000, seed=6))
    chunk = next(run(sim))
    d, n = chunk.draws, chunk.tickets
    names = list(sim.roster.names)
    laid = {}
    for who in ("Chris Johnson", "Pat Anderson"):
        forced = np.full(n, names.index(who), dtype=np.int64)
        laid[who] = lay_out(d, sim.config, sim.roster, sim.clock, forced, np.full(n, -1))
    chris, pat = laid["Chris Johnson"], laid["Pat Anderson"]
    plain = ~(chris.present[:, S["escalated_l2"]] | pat.present[:, S["escalated_l2"]]
              | chris.present[:, S["weekend"]] | chris.vip | chris.never_responds)
    rows = np.flatnonzero(plain & (d.category == 4) & (d.priority != 0))  # Access, non-critical
    proposed = S["proposed"]
    before = np.argmax(np.where(chris.present[rows, :proposed], np.arange(proposed), -1), axis=1)

    def work(j) -> np.ndarray:
        to_b = sim.clock.to_business
        return to_b(j.time[rows, proposed]) - to_b(j.time[rows, before])

    assert len(rows) > 100
    assert np.allclose(work(chris) / work(pat), 2.0, atol=0.02)
    assert (chris.holder[rows, proposed] == names.index("Chris Johnson")).all()
