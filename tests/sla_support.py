"""Hand-made tickets for the SLA and KPI golden tests: events in, facts out."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ticketlens.analyses.sla import compute_facts, insert_events
from ticketlens.clock.policy import Policy, load_policy, parse_policy, preset_path
from ticketlens.workspace.connection import connect_memory, open_workspace


def ev(ticket: str, when: str, activity: str, who: str | None = None,
       priority: str | None = "High", category: str | None = "Software") -> dict[str, Any]:
    """One event; ``when`` is UTC as 'YYYY-MM-DD HH:MM[:SS]'."""
    return {"ticket_id": ticket, "timestamp": pd.Timestamp(when, tz="UTC"), "activity": activity,
            "assigned_to": who, "priority": priority, "category": category}


def memory_with(rows: list[dict[str, Any]],
                attributes: list[tuple[str, str, str]] = ()) -> duckdb.DuckDBPyConnection:
    con = connect_memory()
    insert_events(con, pd.DataFrame(rows))
    for ticket, name, value in attributes:
        con.execute("INSERT INTO case_attributes VALUES (?, ?, ?, 0)", [ticket, name, value])
    return con


def workspace_with(path: Path, rows: list[dict[str, Any]],
                   attributes: list[tuple[str, str, str]] = ()) -> Path:
    with open_workspace(path) as ws:
        insert_events(ws.con, pd.DataFrame(rows))
        for ticket, name, value in attributes:
            ws.con.execute("INSERT INTO case_attributes VALUES (?, ?, ?, 0)",
                           [ticket, name, value])
    return path


def facts_of(rows: list[dict[str, Any]], policy: str | Policy | None = None,
             as_of: datetime | str | None = None,
             attributes: list[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """The facts of hand-made events, indexed by ticket_id."""
    con = memory_with(rows, attributes)
    moment = pd.Timestamp(as_of, tz="UTC").to_pydatetime() if isinstance(as_of, str) else as_of
    return compute_facts(con, policy, moment).facts.set_index("ticket_id")


def policy_with(edit: str = "", base: str = "standard") -> Policy:
    """The ``base`` preset with TOML ``edit`` merged over it (tables replaced key by key)."""
    raw = tomllib.loads(preset_path(base).read_text(encoding="utf-8"))
    _merge(raw, tomllib.loads(edit))
    return parse_policy(raw, origin=f"test policy ({base} + edit)")


def _merge(into: dict[str, Any], edit: dict[str, Any]) -> None:
    for key, value in edit.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict) and not key.endswith("hours"):
            _merge(into[key], value)
        else:
            into[key] = value


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


__all__ = ["ev", "facts_of", "load_policy", "memory_with", "policy_with", "utc",
           "workspace_with"]


# --- a generated desk, ingested once per test session -------------------------------------

GENERATED_TICKETS = 6_000
GENERATED_SEED = 404
_CACHE: dict[str, Any] = {}


def generated_workspace(tmp_root: Path) -> tuple[Path, Path, pd.Timestamp]:
    """(desk folder, workspace file, window end) of a generated desk ingested into a workspace.

    Built once per process and shared by the sla and kpi test modules.
    """
    if "generated" not in _CACHE:
        import ticketlens

        desk = tmp_root / "desk"
        result = ticketlens.generate(desk, tickets=GENERATED_TICKETS, seed=GENERATED_SEED)
        db = tmp_root / "desk.duckdb"
        ticketlens.ingest([desk], db=db)
        window_end = pd.Timestamp(result.end, tz="UTC") + pd.Timedelta(days=1)
        _CACHE["generated"] = (desk, db, window_end)
    return _CACHE["generated"]
