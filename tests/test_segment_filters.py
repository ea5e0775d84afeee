"""Segment filters check their values against the data (kpi, mine): a value no ticket has is
one clear error listing the known ones; case is ignored where only one value fits; --from
must come before --to; --from/--to take a UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import ticketlens
from sla_support import ev, workspace_with
from ticketlens import TicketFilter
from ticketlens.cli import cli
from ticketlens.core.errors import ConfigError


def _ticket(ticket: str, day: str, priority: str, category: str = "Software") -> list[dict]:
    return [ev(ticket, f"{day} 09:00", "Ticket Created", priority=priority, category=category),
            ev(ticket, f"{day} 09:30", "Work Started", "ana", priority=priority,
               category=category),
            ev(ticket, f"{day} 11:00", "Ticket Resolved", "ana", priority=priority,
               category=category)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = (_ticket("T1", "2024-01-01", "High") + _ticket("T2", "2024-01-02", "HIGH")
            + _ticket("T3", "2024-01-03", "Low", "Network") + _ticket("T4", "2024-01-04", "Low")
            + _ticket("T5", "2024-01-05", "Medium"))
    teams = [("T1", "team", "Service Desk"), ("T2", "team", "Network Ops"),
             ("T3", "team", "Service Desk"), ("T4", "team", "Network Ops"),
             ("T5", "team", "Service Desk")]
    return workspace_with(tmp_path_factory.mktemp("seg") / "ws.duckdb", rows, teams)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _tickets(db: Path, segment: TicketFilter) -> int:
    frame = ticketlens.kpi(db, segment=segment)["kpi_segments"]
    return int(frame.query("dimension == 'overall'")["tickets"].iloc[0])


def test_values_match_ignoring_case_when_only_one_fits(db: Path) -> None:
    assert _tickets(db, TicketFilter(priority=("low",))) == 2
    assert _tickets(db, TicketFilter(priority=("LOW",), category=("network",))) == 1
    assert _tickets(db, TicketFilter(team=("service desk",))) == 3
    report = ticketlens.kpi(db, segment=TicketFilter(priority=("medium",)))
    assert report.segment == "priority in (Medium)"  # says what was matched


def test_an_exact_value_wins_over_its_case_variants(db: Path) -> None:
    assert _tickets(db, TicketFilter(priority=("HIGH",))) == 1
    assert _tickets(db, TicketFilter(priority=("High",))) == 1


def test_a_value_no_ticket_has_is_one_error_listing_the_known(db: Path) -> None:
    code, out = _run("kpi", "--db", str(db), "--priority", "critical")
    assert code == 2
    assert out.strip() == ("error: no tickets with priority 'critical'; known: HIGH, High, Low, "
                           "Medium (--priority; case is ignored where only one value fits)")
    code, out = _run("kpi", "--db", str(db), "--team", "help desk")
    assert code == 2
    assert out.strip() == ("error: no tickets with team 'help desk'; known: Network Ops, "
                           "Service Desk (--team; case is ignored where only one value fits)")
    code, out = _run("mine", "variants", "--db", str(db), "--category", "Hardware")
    assert code == 2 and out.startswith("error: no tickets with category 'Hardware'; known: ")


def test_a_value_matching_several_ignoring_case_asks_for_one(db: Path) -> None:
    code, out = _run("kpi", "--db", str(db), "--priority", "high")
    assert code == 2
    assert out.strip() == ("error: priority 'high' matches several values when case is "
                           "ignored: 'HIGH', 'High'; give one of them exactly")


def test_from_after_to_is_refused(db: Path) -> None:
    code, out = _run("kpi", "--db", str(db), "--from", "2024-03-01", "--to", "2024-02-01")
    assert code == 2
    assert out.strip() == ("error: --from 2024-03-01 00:00 UTC is not before --to 2024-02-01 "
                           "00:00 UTC: the window holds no instant")
    with pytest.raises(ConfigError, match="is not before"):
        TicketFilter(start=datetime(2024, 2, 1, tzinfo=UTC), end=datetime(2024, 2, 1, tzinfo=UTC))


def test_from_with_a_utc_offset_is_that_instant(db: Path) -> None:
    # T3 is created 2024-01-03 09:00 UTC = 11:00 at +02:00.
    code, out = _run("kpi", "--db", str(db), "--from", "2024-01-03T11:00+02:00", "--json")
    assert code == 0, out
    import json

    report = json.loads(out)
    overall = [r for r in report["tables"]["kpi_segments"] if r["dimension"] == "overall"]
    assert overall[0]["tickets"] == 3
    code, late = _run("kpi", "--db", str(db), "--from", "2024-01-03T11:01+02:00", "--json")
    overall = [r for r in json.loads(late)["tables"]["kpi_segments"]
               if r["dimension"] == "overall"]
    assert overall[0]["tickets"] == 2
    code, out = _run("kpi", "--db", str(db), "--to", "yesterday")
    assert code == 2 and "--to" in out and "2024-01-31T08:00+01:00" in out


def test_sla_as_of_takes_a_utc_offset_as_documented(tmp_path: Path) -> None:
    from test_sla_golden import OPEN

    db = workspace_with(tmp_path / "ws.duckdb", OPEN)
    code, out = _run("sla", "--db", str(db), "--as-of", "2024-01-09T14:00+02:00")
    assert code == 0, out
    assert "as of 2024-01-09T12:00:00+00:00" in out
