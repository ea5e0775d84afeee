"""Golden tests on hand-made tickets: every number below is worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from mine_support import T0, workspace_with
from ticketlens.analyses import mine
from ticketlens.core.segment import TicketFilter

C, A, WS, WR = "Ticket Created", "Ticket Assigned", "Work Started", "Work Resumed"
RP, RES, CL, RO = "Resolution Proposed", "Ticket Resolved", "Ticket Closed", "Ticket Reopened"
RA, E2, E3, EM, DE = ("Ticket Reassigned", "Escalated to L2", "Escalated to L3",
                      "Escalated to Manager", "De-escalated")
AU, UR, PC = "Awaiting User Response", "User Responded", "Priority Changed"
CHRIS, SAM, PAT = "Chris Johnson", "Sam Williams", "Pat Anderson"  # L1
ALEX, JORDAN, TAYLOR, MORGAN = "Alex Martinez", "Jordan Lee", "Taylor Chen", "Morgan Davis"  # L2
RILEY, JAMIE = "Riley Thompson", "Jamie Rivera"  # L3, Manager


def ticket(name: str, steps: list[tuple[float, str, str | None]], category: str = "Network"
           ) -> list[tuple[object, ...]]:
    return [(name, minutes, activity, who, category) for minutes, activity, who in steps]


def hours(h: float) -> float:
    return h * 60


# --- ping-pong ------------------------------------------------------------------------------

BOUNCED = ticket("T-BOUNCE", [
    (0, C, None), (10, A, CHRIS), (20, WS, CHRIS),
    (30, E2, TAYLOR), (40, RA, JORDAN), (50, RA, TAYLOR), (60, RA, JORDAN),
    (70, E3, RILEY), (80, DE, TAYLOR), (90, WR, TAYLOR), (100, RP, TAYLOR),
    (110, RES, TAYLOR), (120, CL, TAYLOR),
])
STRAIGHT = ticket("T-STRAIGHT", [(0, C, None), (5, A, PAT), (6, WS, PAT), (7, RP, PAT),
                                 (8, RES, PAT), (9, CL, PAT)])


def test_ping_pong_direct_and_indirect_between_technicians_and_tiers() -> None:
    """Taylor→Jordan→Taylor and Jordan→Taylor→Jordan are direct; Taylor back after Jordan and
    Riley is indirect; at tier level L2→L3→L2 is direct. A ticket held by one person has none."""
    result = mine.rework(workspace_with(BOUNCED + STRAIGHT))
    got = result.ping_pong[["level", "ticket_id", "holder", "kind"]].assign(
        via=result.ping_pong["via"].map(list), away_min=result.ping_pong["away_s"] / 60)
    expected = pd.DataFrame([
        ("technician", "T-BOUNCE", TAYLOR, "direct", [JORDAN], 10.0),
        ("technician", "T-BOUNCE", JORDAN, "direct", [TAYLOR], 10.0),
        ("technician", "T-BOUNCE", TAYLOR, "indirect", [JORDAN, RILEY], 20.0),
        ("tier", "T-BOUNCE", "L2", "direct", ["L3"], 10.0),
    ], columns=["level", "ticket_id", "holder", "kind", "via", "away_min"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    summary = result.ping_pong_summary.set_index(["level", "kind"])
    assert summary.loc[("technician", "direct"), "returns"] == 2
    assert summary.loc[("technician", "direct"), "tickets"] == 1
    assert summary.loc[("technician", "direct"), "share"] == pytest.approx(0.5)
    assert summary.loc[("tier", "direct"), "returns"] == 1


def test_unassigned_events_do_not_break_a_holders_stint() -> None:
    """Chris, nobody, Chris is one stint of Chris: no ping-pong through 'nobody'."""
    rows = ticket("T1", [(0, C, None), (1, A, CHRIS), (2, WS, CHRIS), (3, "Note", None),
                         (4, WR, CHRIS)])
    assert mine.rework(workspace_with(rows)).ping_pong.empty


def test_escalation_chain_with_de_escalation() -> None:
    """L1 → L2 → L3 → L2: two escalations and one de-escalation, tiers from the roster."""
    result = mine.rework(workspace_with(BOUNCED + STRAIGHT))
    row = result.escalations.set_index("ticket_id").loc["T-BOUNCE"]
    assert row["chain"] == "L1 → L2 → L3 → L2"
    assert (row["escalations"], row["de_escalations"]) == (2, 1)
    assert row["first_assignee"] == CHRIS
    assert list(result.escalations["ticket_id"]) == ["T-BOUNCE"]
    assert result.escalation_chains.to_dict("records") == [
        {"chain": "L1 → L2 → L3 → L2", "tickets": 1, "share": 0.5}]


def test_escalation_chain_without_a_known_roster_uses_the_activity_names() -> None:
    """Unknown technicians: escalations name their tier, a de-escalation's tier stays '?'."""
    rows = ticket("T1", [(0, C, None), (1, A, "Ann"), (2, WS, "Ann"), (3, E2, "Bob"),
                         (4, E3, "Cy"), (5, DE, "Bob")])
    result = mine.rework(workspace_with(rows))
    assert result.escalations.loc[0, "chain"] == "? → L2 → L3 → ?"
    assert not result.roster.any_known
    assert "tiers unknown" in result.roster.describe()


# --- reopens and repeats -------------------------------------------------------------------

def test_reopen_loops_are_reopen_events_that_find_the_ticket_done() -> None:
    """A reopen is an event with the reopen role (Ticket Reopened) that finds the ticket
    resolved or closed — as the SLA facts and kpi count reopens; work after a closure without
    a reopen event is not one (the roles say what reopens a ticket). The false closure is the
    last closure or resolution before it; `reclosed_at` is the next closure."""
    explicit = ticket("T-A", [(0, C, None), (10, A, SAM), (20, WS, SAM), (30, RP, SAM),
                              (40, RES, SAM), (50, CL, SAM), (200, RO, PAT), (210, WR, PAT),
                              (220, RES, PAT), (230, CL, PAT), (500, RO, PAT)])
    implicit = ticket("T-B", [(0, C, None), (10, A, CHRIS), (20, RES, CHRIS), (30, CL, CHRIS),
                              (90, WS, PAT), (95, CL, PAT)])
    twice = ticket("T-C", [(0, C, None), (10, RES, CHRIS), (20, RO, PAT), (30, RO, PAT)])
    reopens = mine.rework(workspace_with(explicit + implicit + twice + STRAIGHT)).reopens
    assert list(zip(reopens["ticket_id"], reopens["reopen_no"], reopens["reopen_activity"],
                    reopens["resolved_by"], strict=True)) == [
        ("T-A", 1, RO, SAM), ("T-A", 2, RO, PAT), ("T-C", 1, RO, CHRIS)]
    assert list(reopens["closed_for_s"] / 60) == [150.0, 270.0, 10.0]
    assert reopens.loc[0, "reclosed_at"] == pd.Timestamp(T0) + pd.Timedelta(minutes=230)
    assert pd.isna(reopens.loc[1, "reclosed_at"])  # still open after the second reopen


def test_closing_activities_of_another_log_are_configurable() -> None:
    rows = ticket("T1", [(0, "Open", "x"), (1, "Closed", "x"), (2, "Wait", "y"),
                         (3, "Closed", "y")])
    result = mine.rework(workspace_with(rows), closing_activities=("Closed",),
                         reopen_activities=("Wait",), resolving_activities=())
    assert list(result.reopens["reopen_activity"]) == ["Wait"]


def test_repeated_activities_per_ticket() -> None:
    result = mine.rework(workspace_with(BOUNCED + STRAIGHT))
    assert result.repeats.to_dict("records") == [
        {"ticket_id": "T-BOUNCE", "activity": RA, "occurrences": 3, "extra": 2}]
    assert result.repeat_summary.loc[0, "share"] == pytest.approx(0.5)


# --- bottlenecks and time split ------------------------------------------------------------

def test_time_split_of_a_ticket_sums_to_its_life() -> None:
    """Queue 10+10+10, work 20+10 (Priority Changed keeps 'in work'), user 60 + confirm 10,
    awaiting closure 30, closed 100, queue after reopen 5: life = 315 minutes."""
    rows = ticket("T1", [(0, C, None), (10, A, PAT), (20, WS, PAT), (30, PC, PAT),
                         (40, AU, PAT), (100, UR, PAT), (110, WR, PAT), (120, RP, PAT),
                         (130, RES, PAT), (160, CL, PAT), (260, RO, PAT), (265, WR, PAT)])
    split = mine.bottlenecks(workspace_with(rows)).time_split.iloc[0]
    minutes = {state: split[f"{state}_s"] / 60 for state in
               ("in_queue", "in_work", "waiting_user", "waiting_parts", "on_hold",
                "awaiting_closure", "closed", "unclassified")}
    assert minutes == {"in_queue": 35.0, "in_work": 30.0, "waiting_user": 70.0,
                       "waiting_parts": 0.0, "on_hold": 0.0, "awaiting_closure": 30.0,
                       "closed": 100.0, "unclassified": 0.0}
    assert split["life_s"] / 60 == 265.0 == sum(minutes.values())
    assert not split["closed"]  # last event is Work Resumed: the ticket is open


def test_transitions_ranked_by_total_and_per_ticket_waiting() -> None:
    """A→B waits 10 min in each of 3 tickets (total 30, 10 per ticket); B→C waits 25 min once
    (total 25, per ticket 25): first by total, second per ticket."""
    rows = []
    for i in range(3):
        rows += ticket(f"T{i}", [(0, "A", "x"), (10, "B", "x")])
    rows += ticket("T9", [(0, "A", "x"), (10, "B", "x"), (35, "C", "x")])
    db = workspace_with(rows)
    by_total = mine.bottlenecks(db).transitions
    assert list(zip(by_total["source"], by_total["target"], strict=True))[:2] == [("A", "B"),
                                                                                  ("B", "C")]
    assert by_total.loc[0, "total_wait_s"] == 40 * 60
    per_case = mine.bottlenecks(db, rank_by="per_case").transitions
    assert (per_case.loc[0, "source"], per_case.loc[0, "per_case_wait_s"]) == ("B", 25 * 60)
    assert mine.bottlenecks(db).unclassified_activities == ["A", "B", "C"]


# --- handover and skill mismatch ------------------------------------------------------------

def test_handover_counts_and_delays() -> None:
    """Chris→Taylor after 10 min, Taylor→Jordan 10, Jordan→Taylor 10, ...; nobody's events are
    skipped unless asked, self-handovers only when asked."""
    db = workspace_with(BOUNCED)
    network = mine.handover(db).network.set_index(["source", "target"])
    assert network.loc[(CHRIS, TAYLOR), "handovers"] == 1
    assert network.loc[(CHRIS, TAYLOR), "mean_delay_s"] == 600
    assert network.loc[(TAYLOR, JORDAN), "handovers"] == 2
    assert network.loc[(TAYLOR, JORDAN), "cases"] == 1
    assert network.loc[(JORDAN, RILEY), "source_tier"] == "L2"
    assert network.loc[(JORDAN, RILEY), "target_tier"] == "L3"
    assert (TAYLOR, TAYLOR) not in network.index
    full = mine.handover(db, include_self=True, include_unassigned=True).network
    assert full["handovers"].sum() == len(BOUNCED) - 1  # every consecutive pair, pm4py-style
    assert (full["source"] == "Unassigned").sum() == 1


def test_skill_mismatch_view() -> None:
    """Chris (L1, no Network skill) took a Network ticket resolved at L2; Pat (L1, Network
    skill) resolved his own."""
    pat = ticket("T-PAT", [(0, C, None), (5, A, PAT), (6, WS, PAT), (7, RP, PAT),
                           (8, RES, PAT), (9, CL, PAT)], category="Network")
    view = mine.handover(workspace_with(BOUNCED + pat)).skill_mismatch
    rows = {r["first_assignee"]: r for r in view.to_dict("records")}
    assert rows[CHRIS] | {"share": 1.0} == {
        "first_tier": "L1", "first_assignee": CHRIS, "category": "Network",
        "first_skilled": False, "resolved_tier": "L2", "outcome": "higher tier", "tickets": 1,
        "resolved_by_first_assignee": 0, "share": 1.0}
    assert (rows[PAT]["first_skilled"], rows[PAT]["resolved_tier"], rows[PAT]["outcome"]) == (
        True, "L1", "same tier")


# --- variants and dfg ----------------------------------------------------------------------

def test_variants_counts_throughput_and_collapsed_loops() -> None:
    rows = (ticket("T1", [(0, "A", "x"), (60, "B", "x")])
            + ticket("T2", [(0, "A", "x"), (120, "B", "x")])
            + ticket("T3", [(0, "A", "x"), (1, "A", "x"), (30, "B", "x")]))
    db = workspace_with(rows)
    plain = mine.variants(db)
    assert [list(a) for a in plain["activities"]] == [["A", "B"], ["A", "A", "B"]]
    assert list(plain["cases"]) == [2, 1]
    assert list(plain["cumulative_share"]) == pytest.approx([2 / 3, 1.0])
    assert plain.loc[0, "median_throughput_s"] == 90 * 60
    assert plain.loc[0, "mean_throughput_s"] == 90 * 60
    collapsed = mine.variants(db, collapse_loops=True)
    assert list(collapsed["cases"]) == [3]
    assert collapsed.loc[0, "median_throughput_s"] == 60 * 60
    assert len(mine.variants(db, top=1)) == 1
    assert len(mine.variants(db, coverage=0.5)) == 1  # the first variant already covers 2/3
    assert len(mine.variants(db, coverage=0.7)) == 2


def test_dfg_frequency_cases_performance_and_noise_sliders() -> None:
    rows = (ticket("T1", [(0, "A", "x"), (10, "B", "x"), (20, "A", "x"), (40, "B", "x")])
            + ticket("T2", [(0, "A", "x"), (30, "B", "x")])
            + ticket("T3", [(0, "A", "x"), (5, "C", "x")]))
    db = workspace_with(rows)
    graph = mine.dfg(db)
    edges = graph.edges.set_index(["source", "target"])
    assert edges.loc[("A", "B"), "frequency"] == 3
    assert edges.loc[("A", "B"), "cases"] == 2
    assert edges.loc[("A", "B"), "mean_s"] == pytest.approx(20 * 60)
    assert edges.loc[("A", "B"), "median_s"] == 20 * 60
    assert edges.loc[("A", "B"), "max_s"] == 30 * 60
    assert edges.loc[("A", "B"), "p90_s"] == pytest.approx(28 * 60)  # linear interpolation
    assert dict(zip(graph.end_activities["activity"], graph.end_activities["cases"],
                    strict=True)) == {"B": 2, "C": 1}
    assert len(mine.dfg(db, min_frequency=2).edges) == 1
    covered = mine.dfg(db, coverage=0.3)  # the top variant (A B A B, A B, A C: tie by name)
    assert covered.cases == 1


def test_segment_by_team_and_creation_window() -> None:
    """--team uses the `team` case attribute; --from/--to the ticket's first event."""
    rows = [("T1", 0, "A", "x"), ("T1", 500, "B", "x"), ("T2", 120, "A", "y"),
            ("T3", 240, "A", "z")]
    db = workspace_with(rows, attributes=[("T1", "team", "Net"), ("T2", "team", "Apps")])
    assert mine.dfg(db, segment=TicketFilter(team=("Net",))).events == 2
    window = TicketFilter(start=T0 + pd.Timedelta(minutes=60).to_pytimedelta(),
                          end=T0 + pd.Timedelta(minutes=240).to_pytimedelta())
    assert mine.variants(db, segment=window)["example_ticket"].tolist() == ["T2"]


def test_segment_filter_keeps_whole_tickets() -> None:
    rows = [("T1", 0, "A", "x", "Network", "High"), ("T1", 5, "B", "x", "Network", "Low"),
            ("T2", 0, "A", "x", "Software", "High")]
    db = workspace_with(rows)
    graph = mine.dfg(db, segment=TicketFilter(priority=("Low",)))
    assert (graph.cases, graph.events) == (1, 2)  # priority in force at the last event
    assert mine.variants(db, segment=TicketFilter(category=("Software",)))["cases"].sum() == 1


def test_progress_display_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=True shows steps on stderr only; the result is the same."""
    db = workspace_with(BOUNCED + STRAIGHT)
    assert mine.dfg(db, progress=True).edges.equals(mine.dfg(db).edges)
    assert capsys.readouterr().out == ""


# --- conformance -----------------------------------------------------------------------------

HAPPY = [C, A, WS, RP, RES, CL]


def _tickets(*traces: tuple[str, list[str], str]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for name, activities, who in traces:
        rows += ticket(name, [(10 * i, a, None if i == 0 else who)
                              for i, a in enumerate(activities)])
    return rows


def test_conformance_deviations_by_kind() -> None:
    """Against the shipped lifecycle: a skipped assignment, a reopen loop (inserted), a step
    done too early (out of order), an open ticket checked as far as it got."""
    db = workspace_with(_tickets(
        ("T-HAPPY", HAPPY, PAT),
        ("T-SKIP", [C, WS, RP, RES, CL], PAT),
        ("T-REOPEN", [*HAPPY, RO, WR, RES, CL], SAM),
        ("T-OPEN", [C, A, WS, PC, RP], PAT),
        ("T-ORDER", [C, WS, A, RP, RES, CL], PAT),
    ), attributes=[("T-HAPPY", "team", "Desk"), ("T-REOPEN", "team", "Desk")])
    result = mine.conformance(db)
    rows = result.tickets.set_index("ticket_id")
    assert rows["fitting"].to_dict() == {"T-HAPPY": True, "T-OPEN": True, "T-ORDER": False,
                                         "T-REOPEN": False, "T-SKIP": False}
    assert rows.loc["T-SKIP", "deviations"] == "skipped Ticket Assigned"
    assert rows.loc["T-REOPEN", "deviations"] == (
        "inserted Ticket Reopened, inserted Work Resumed, inserted Ticket Resolved, "
        "inserted Ticket Closed")
    assert (rows.loc["T-ORDER", "out_of_order"], rows.loc["T-ORDER", "cost"]) == (1, 2)
    assert not rows.loc["T-OPEN", "complete"]
    assert result.unmodelled == [RO]
    team = result.by_team.set_index("team")
    assert team.loc["Desk", "conformance_rate"] == 0.5
    assert team.loc["(no team)", "tickets"] == 3
    sam = result.by_technician.set_index("technician").loc[SAM]
    assert (sam["tickets"], sam["fitting"], sam["with_inserted"]) == (1, 0, 1)
    strict = mine.conformance(db, strict_end=True).tickets.set_index("ticket_id")
    assert strict.loc["T-OPEN", "deviations"] == "skipped Ticket Resolved, skipped Ticket Closed"


def test_conformance_with_an_edited_model(tmp_path) -> None:
    """A user's own model: unknown log activities are inserted; `anywhere` steps never count."""
    model = tmp_path / "mine.toml"
    model.write_text('[model]\nstart = ["Open"]\nend = ["Done"]\nanywhere = ["Note"]\n'
                     '[transitions]\n"Open" = ["Work"]\n"Work" = ["Done"]\n', encoding="utf-8")
    db = workspace_with(_tickets(("T1", ["Open", "Note", "Work", "Note", "Done"], "x"),
                                 ("T2", ["Open", "Work", "Chat", "Done"], "x")))
    rows = mine.conformance(db, model=model).tickets.set_index("ticket_id")
    assert rows.loc["T1", "fitting"] and rows.loc["T2", "deviations"] == "inserted Chat"
