"""Shared data and checks for the generate tests: one 20,000-ticket desk per session, read back
from the files it wrote, and an independent grammar checker and business-hours clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import ticketlens
from ticketlens.sources.generate import GenerateResult

TABLES = ("events", "tickets", "sla_metrics", "ownership", "business_impact")
SEED = 11
TICKETS = 20_000
OPEN_HOUR, CLOSE_HOUR = 9, 17


@dataclass(frozen=True)
class Desk:
    out: Path
    result: GenerateResult
    con: duckdb.DuckDBPyConnection
    manifest: dict
    events: pd.DataFrame

    def sql(self, query: str) -> pd.DataFrame:
        return self.con.sql(query).df()

    @property
    def tiers(self) -> dict[str, str]:
        return {t["name"]: t["tier"] for t in self.manifest["roster"]}


def read_desk(out: Path) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header=true, "
                    "timestampformat='%Y-%m-%d %H:%M:%S')", [str(out / f"{table}.csv")])
    events = con.sql("SELECT * FROM events ORDER BY event_id").df()
    return con, events


_SHARED: list[Desk] = []


def shared_desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    """The session's 20,000-ticket desk, generated on first use (each test module wraps this in
    its own session fixture ``desk``)."""
    if _SHARED:
        return _SHARED[0]
    out = tmp_path_factory.mktemp("generate") / "desk"
    result = ticketlens.generate(out, tickets=TICKETS, seed=SEED, formats=("csv", "parquet"))
    con, events = read_desk(out)
    manifest = json.loads((out / "manifest.json").read_text())
    _SHARED.append(Desk(out, result, con, manifest, events))
    return _SHARED[0]


def in_business_hours(ts: pd.Series) -> pd.Series:
    return (ts.dt.day_of_week < 5) & (ts.dt.hour >= OPEN_HOUR) & (ts.dt.hour < CLOSE_HOUR)


def business_seconds(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Business seconds (Mon-Fri 09-17) between two moments, computed independently of the
    library with numpy's business-day calendar."""
    day_len = (CLOSE_HOUR - OPEN_HOUR) * 3600

    def position(ts: pd.Series) -> np.ndarray:
        days = ts.values.astype("datetime64[D]")
        whole_days = np.busday_count(np.datetime64("2000-01-03"), days)
        second = (ts - ts.dt.normalize()).dt.total_seconds().to_numpy()
        within = np.clip(second - OPEN_HOUR * 3600, 0, day_len)
        return whole_days * day_len + np.where(np.is_busday(days), within, 0)

    return position(end) - position(start)


def grammar_violations(events: pd.DataFrame, tiers: dict[str, str],
                       window_end: pd.Timestamp) -> dict[str, int]:
    """Counts of journey-grammar violations in an event log in file order (0 everywhere when
    the grammar holds)."""
    ev = events.reset_index(drop=True)
    g = ev.groupby("ticket_id", sort=False)
    position = g.cumcount()
    first = position == 0
    activity, who = ev["activity"], ev["assigned_to"]
    previous_time = g["timestamp"].shift()
    previous_activity = g["activity"].shift()
    out = {
        "first event is not Ticket Created": int((first & (activity != "Ticket Created")).sum()),
        "Ticket Created later in the journey": int((~first & (activity == "Ticket Created")).sum()),
        "Ticket Created not Unassigned": int((first & (who != "Unassigned")).sum()),
        "time not strictly increasing": int((~first & (ev["timestamp"] <= previous_time)).sum()),
        "Unassigned after creation": int((~first & (who == "Unassigned")).sum()),
        "second event is not Ticket Assigned": int(
            ((position == 1) & (activity != "Ticket Assigned")).sum()),
        "event after Ticket Closed other than Reopened": int(
            ((previous_activity == "Ticket Closed") & (activity != "Ticket Reopened")).sum()),
        "event at or after the window end": int((ev["timestamp"] >= window_end).sum()),
        "ticket ids not contiguous": int(len(ev) and
                                         (ev["ticket_id"] != ev["ticket_id"].shift()).sum()
                                         - ev["ticket_id"].nunique()),
    }
    for opener, closer in (("Awaiting Parts", "Parts Received"), ("On Hold", "Hold Released"),
                           ("Awaiting User Response", "User Responded"),
                           ("Ticket Closed", "Ticket Reopened")):
        sub = ev[activity.isin([opener, closer])]
        before = sub.groupby("ticket_id", sort=False)["activity"].shift()
        out[f"{closer} not after {opener}"] = int(((sub["activity"] == closer)
                                                    & (before != opener)).sum())
    tier = who.map(tiers)
    for escalation, wanted in (("Escalated to L2", "L2"), ("Escalated to L3", "L3"),
                               ("Escalated to Manager", "Manager")):
        out[f"{escalation} to someone not {wanted}"] = int(
            ((activity == escalation) & (tier != wanted)).sum())
    out["unknown technician"] = int((~first & tier.isna()).sum())
    return out


# The resolution clock of the generated desk's policy (preset generated-desk on the default
# desk's hours), written out here from its definition, independently of the library.
LIMIT_HOURS = {"Critical": 4, "High": 8, "Medium": 24, "Low": 72}
FIRST_RESPONSES = ("Work Started", "Awaiting User Response", "Resolution Proposed",
                   "Ticket Resolved")
PAUSES = frozenset({"Awaiting User Response", "Awaiting Parts", "On Hold"})
RESUMES = frozenset({"User Responded", "Parts Received", "Work Resumed", "Hold Released"})


def resolution_clock(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per ticket (index ticket_id): ``running_s``, the wall seconds the resolution clock ran,
    and ``breached``. The clock starts at Ticket Created, pauses while waiting on the user, on
    parts or on hold until the matching resume (or Work Resumed), stops at Ticket Resolved
    (a closure does not stop it), runs on again after Ticket Reopened, and until ``as_of``
    for a ticket it never stopped. Each stretch counts in the calendar of the priority in
    force then — Critical round the clock, the others Mon-Fri business hours — and the ticket
    is breached once the time counted exceeds the target of the priority in force."""
    ev = events.reset_index(drop=True)  # ticket by ticket, in time order (file order)
    tickets = ev["ticket_id"].to_numpy()
    last = np.append(tickets[1:] != tickets[:-1], True)
    end = ev["timestamp"].shift(-1).where(~last, as_of)
    wall = (end - ev["timestamp"]).dt.total_seconds().to_numpy()
    critical = (ev["priority"] == "Critical").to_numpy()
    counted = np.where(critical, wall, business_seconds(ev["timestamp"], end))
    limit = ev["priority"].map(LIMIT_HOURS).to_numpy() * 3600
    running_s, breached = np.zeros(len(ev)), np.zeros(len(ev), dtype=bool)
    state, elapsed, ran, over = "off", 0.0, 0.0, False
    for i, activity in enumerate(ev["activity"].to_numpy()):
        if activity == "Ticket Created":
            state, elapsed, ran, over = "running", 0.0, 0.0, False
        elif activity == "Ticket Resolved" and state != "off":
            state = "stopped"
        elif activity == "Ticket Reopened" and state == "stopped":
            state = "running"
        elif activity in PAUSES and state == "running":
            state = "paused"
        elif activity in RESUMES and state == "paused":
            state = "running"
        if state == "running":  # the stretch to the next event (or as_of)
            elapsed += counted[i]
            ran += wall[i]
        over = over or (state != "off" and elapsed > limit[i])
        running_s[i], breached[i] = ran, over
    return pd.DataFrame({"running_s": running_s, "breached": breached},
                        index=pd.Index(tickets, name="ticket_id"))[last]
