"""Instants before 1970 are instants like any other (issue 10): a ticket created in 1969 or in
year 1 has the same SLA facts and KPIs as the same ticket in 2024, apart from its instants.

Each log is written here as CSV, ingested with ``ticketlens.ingest``, and compared with the
same log shifted by a whole number of weeks (weekdays, and so business hours, line up).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ticketlens
from sla_support import policy_with

COLUMNS = {"case": "case", "activity": "activity", "timestamp": "timestamp",
           "resource": "resource", "priority": "priority"}
HOUR = 3600.0

# (ticket, UTC instant, activity, holder, priority)
LOG_1969 = [
    # A, Mon 1 Dec 1969: waits on the user, resolved, reopened, resolved again, closed
    ("A", "1969-12-01 09:00:00", "Ticket Created", "ann", "High"),
    ("A", "1969-12-01 09:30:00", "Ticket Assigned", "ann", "High"),
    ("A", "1969-12-01 10:00:00", "Work Started", "ann", "High"),
    ("A", "1969-12-01 12:00:00", "Awaiting User Response", "ann", "High"),
    ("A", "1969-12-02 10:00:00", "User Responded", "ann", "High"),
    ("A", "1969-12-02 15:00:00", "Ticket Resolved", "ann", "High"),
    ("A", "1969-12-03 09:00:00", "Ticket Reopened", "ann", "High"),
    ("A", "1969-12-04 11:00:00", "Ticket Resolved", "ann", "High"),
    ("A", "1969-12-05 11:00:00", "Ticket Closed", "ann", "High"),
    # B runs across the epoch
    ("B", "1969-12-31 16:00:00", "Ticket Created", "bob", "Critical"),
    ("B", "1969-12-31 16:10:00", "Ticket Assigned", "bob", "Critical"),
    ("B", "1969-12-31 16:40:00", "Work Started", "bob", "Critical"),
    ("B", "1970-01-02 10:00:00", "Ticket Resolved", "bob", "Critical"),
    ("B", "1970-01-02 12:00:00", "Ticket Closed", "bob", "Critical"),
    # C is resolved at -1 µs, the instant the clocks once used for "none"
    ("C", "1969-12-31 14:00:00", "Ticket Created", "cat", "Medium"),
    ("C", "1969-12-31 14:05:00", "Ticket Assigned", "cat", "Medium"),
    ("C", "1969-12-31 15:00:00", "Work Started", "cat", "Medium"),
    ("C", "1969-12-31 23:59:59.999999", "Ticket Resolved", "cat", "Medium"),
    # D is still open at the as-of instant (the log's last event)
    ("D", "1969-12-30 09:00:00", "Ticket Created", "dan", "Low"),
    ("D", "1969-12-30 09:20:00", "Ticket Assigned", "dan", "Low"),
    ("D", "1969-12-30 11:00:00", "Work Started", "dan", "Low"),
]
LOG_YEAR_1 = [
    # E, Mon 1 Jan 0001: the first day ingest accepts
    ("E", "0001-01-01 09:00:00", "Ticket Created", "eve", "High"),
    ("E", "0001-01-01 09:30:00", "Ticket Assigned", "eve", "High"),
    ("E", "0001-01-01 10:00:00", "Work Started", "eve", "High"),
    ("E", "0001-01-02 16:00:00", "Ticket Resolved", "eve", "High"),
    ("E", "0001-01-03 09:00:00", "Ticket Reopened", "eve", "High"),
    ("E", "0001-01-04 10:00:00", "Ticket Resolved", "eve", "High"),
    ("E", "0001-01-05 10:00:00", "Ticket Closed", "eve", "High"),
    # F is created at the first instant ingest accepts
    ("F", "0001-01-01 00:00:00", "Ticket Created", "fay", "Critical"),
    ("F", "0001-01-01 00:30:00", "Work Started", "fay", "Critical"),
    ("F", "0001-01-01 03:00:00", "Ticket Resolved", "fay", "Critical"),
]
# whole weeks: Mon 1 Dec 1969 -> Mon 2 Dec 2024, Mon 1 Jan 0001 -> Mon 1 Jan 2024
SHIFT_1969 = np.timedelta64(2870, "W").astype("timedelta64[us]")
SHIFT_YEAR_1 = np.timedelta64(105_555, "W").astype("timedelta64[us]")
NO_SHIFT = np.timedelta64(0, "us")
ROUND_THE_CLOCK = policy_with('calendar = "24x7"')  # every target counts 24x7


def _workspace(folder: Path, name: str, log: list[tuple[str, ...]],
               shift: np.timedelta64) -> Path:
    lines = ["case,activity,timestamp,resource,priority"]
    for case, when, activity, who, priority in log:
        moment = np.datetime64(when, "us") + shift
        lines.append(f"{case},{activity},{str(moment).replace('T', ' ')},{who},{priority}")
    path = folder / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = folder / f"{name}.duckdb"
    ticketlens.ingest(path, db=db, columns=COLUMNS)
    return db


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("epoch")
    return {"1969": _workspace(folder, "1969", LOG_1969, NO_SHIFT),
            "1969+": _workspace(folder, "1969+", LOG_1969, SHIFT_1969),
            "0001": _workspace(folder, "0001", LOG_YEAR_1, NO_SHIFT),
            "0001+": _workspace(folder, "0001+", LOG_YEAR_1, SHIFT_YEAR_1)}


def _facts(db: Path, policy) -> pd.DataFrame:
    return ticketlens.sla(db, policy=policy).set_index("ticket_id").sort_index()


def _assert_same_but_shifted(old: pd.DataFrame, new: pd.DataFrame,
                             shift: np.timedelta64) -> None:
    assert list(old.columns) == list(new.columns) and list(old.index) == list(new.index)
    for column in old.columns:
        before, after = old[column], new[column]
        if isinstance(before.dtype, pd.DatetimeTZDtype):
            assert before.isna().tolist() == after.isna().tolist(), column
            # compared as µs: year-1 instants plus the shift are exact integers
            known = before.notna()
            moved = before[known].astype("int64") + int(shift.astype(np.int64))
            assert moved.tolist() == after[known].astype("int64").tolist(), column
        else:
            pd.testing.assert_series_equal(before, after, check_names=False, obj=column)


@pytest.mark.parametrize("policy", ["standard", ROUND_THE_CLOCK], ids=["standard", "24x7"])
@pytest.mark.parametrize(("log", "shift"), [("1969", SHIFT_1969), ("0001", SHIFT_YEAR_1)])
def test_facts_before_1970_equal_the_same_tickets_in_2024(logs, log, shift, policy) -> None:
    old, new = _facts(logs[log], policy), _facts(logs[log + "+"], policy)
    _assert_same_but_shifted(old, new, shift)
    assert old["has_creation"].all()
    assert old["excluded_reason"].isna().all()
    assert old["created_at"].notna().all()


def test_a_1969_ticket_has_its_creation_resolution_reopen_and_business_time(logs) -> None:
    facts = _facts(logs["1969"], "standard")
    a, b, c, d = (facts.loc[t] for t in "ABCD")
    assert a["created_at"] == pd.Timestamp("1969-12-01 09:00", tz="UTC")
    assert a["resolved_at"] == pd.Timestamp("1969-12-04 11:00", tz="UTC")
    assert a["first_resolved_at"] == pd.Timestamp("1969-12-02 15:00", tz="UTC")
    assert a["closed_at"] == pd.Timestamp("1969-12-05 11:00", tz="UTC")
    assert (a["status"], a["reopens"]) == ("closed", 1)
    # running 09:00-12:00, waiting on the user until 10:00 next day, running to 15:00;
    # reopened Wed 09:00 to Thu 11:00 (business: 8 h + 3 h)
    assert a["resolution_business_s"] == (3 + 5 + 11) * HOUR
    assert a["resolution_wall_s"] == (3 + 5 + 26) * HOUR
    assert a["resolution_paused_business_s"] == (5 + 2) * HOUR
    assert bool(a["resolution_breached"]) is True  # High: 8 business hours
    assert a["resolution_breach_at"] == pd.Timestamp("1969-12-03 09:00", tz="UTC")
    assert bool(a["fcr"]) is True
    # Critical counts round the clock: 42 h across the epoch, target 4 h
    assert b["resolution_wall_s"] == b["resolution_business_s"] == 42 * HOUR
    assert b["resolution_breach_at"] == pd.Timestamp("1969-12-31 20:00", tz="UTC")
    assert c["resolved_at"] == pd.Timestamp("1969-12-31 23:59:59.999999", tz="UTC")
    assert c["status"] == "resolved" and bool(c["fcr"]) is True
    assert c["resolution_business_s"] == 3 * HOUR  # 14:00-17:00, Medium: 24 business hours
    assert bool(c["resolution_breached"]) is False
    assert pd.isna(d["resolved_at"]) and d["resolution_status"] == "running"
    # Tue 09:00 -> Fri 2 Jan 1970 12:00: 8 + 9 + 9 + 4 business hours, Low: 72
    assert d["resolution_business_s"] == 30 * HOUR
    assert d["resolution_due_at"] == pd.Timestamp("1970-01-09 09:00", tz="UTC")


def test_a_year_1_ticket_counts_business_hours_from_its_first_day(logs) -> None:
    facts = _facts(logs["0001"], "standard")
    e, f = facts.loc["E"], facts.loc["F"]
    assert e["created_at"] == pd.Timestamp("0001-01-01 09:00", tz="UTC")
    assert e["reopens"] == 1 and e["status"] == "closed"
    # Mon 09:00 -> Tue 16:00 (8 + 8 h), reopened Wed 09:00 -> Thu 10:00 (8 + 2 h)
    assert e["resolution_business_s"] == 26 * HOUR
    assert e["resolution_breach_at"] == pd.Timestamp("0001-01-01 17:00", tz="UTC")  # 8 h reached
    assert f["created_at"] == pd.Timestamp("0001-01-01 00:00", tz="UTC")
    assert f["resolution_business_s"] == 3 * HOUR and bool(f["resolution_breached"]) is False


def test_the_summary_and_kpis_before_1970_equal_those_in_2024(logs) -> None:
    for log in ("1969", "0001"):
        summaries = [ticketlens.sla(logs[name], policy="standard").attrs["summary"]
                     for name in (log, log + "+")]
        for row in summaries:
            for item in row:
                item.pop("as_of")
        assert summaries[0] == summaries[1]
        assert summaries[0][0]["excluded_no_creation"] == 0
        reports = [ticketlens.kpi(logs[name], policy="standard") for name in (log, log + "+")]
        for table in ("kpi_breach", "kpi_segments", "kpi_technicians"):
            pd.testing.assert_frame_equal(reports[0][table], reports[1][table], obj=table)
