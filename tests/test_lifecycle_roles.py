"""Lifecycle roles: defined once, declared by mappings, overridden by a roles file, inferred
only from unambiguous evidence, stored per workspace and shown by info."""

from __future__ import annotations

import pytest

import ticketlens as tl
from ticketlens.core.errors import ConfigError
from ticketlens.core.lifecycle import VOCABULARY, Role, State, parse_roles
from ticketlens.core.schema import ACTIVITIES
from ticketlens.workspace.connection import open_workspace
from ticketlens.workspace.roles import read_roles

LOG = """Case,Step,When,Who
A,Logged,2024-01-02 09:00:00,ann
A,Fixing,2024-01-02 10:00:00,bob
A,Done,2024-01-02 11:00:00,bob
B,Logged,2024-01-03 09:00:00,ann
B,Done,2024-01-03 12:00:00,ann
B,Fixing,2024-01-04 09:00:00,bob
B,Done,2024-01-04 10:00:00,bob
"""
COLUMNS = {"case": "Case", "activity": ["Step"], "timestamp": "When", "resource": "Who"}


def test_the_vocabulary_gives_every_generated_activity_its_roles_once() -> None:
    assert VOCABULARY.activities == ACTIVITIES
    assert VOCABULARY.having(Role.CREATION) == {"Ticket Created"}
    assert VOCABULARY.escalations() == {"Escalated to L2": "L2", "Escalated to L3": "L3",
                                        "Escalated to Manager": "Manager"}
    assert VOCABULARY.states()["Priority Changed"] is State.KEEP


def test_a_bad_roles_file_names_the_activity_and_key() -> None:
    with pytest.raises(ConfigError, match=r"activities.'Done': unknown role 'solved'"):
        parse_roles({"activities": {"Done": {"roles": ["solved"]}}}, "roles file r.toml")
    with pytest.raises(ConfigError, match="unknown tier 'L9'"):
        parse_roles({"tiers": ["L1"], "activities": {"Up": {"roles": ["escalation"],
                                                            "tier": "L9"}}}, "r")


def test_inference_and_a_roles_file_decide_what_the_activities_mean(tmp_path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    db = tmp_path / "ws.duckdb"
    tl.ingest(path, db=db, columns=COLUMNS)
    with open_workspace(db, read_only=True) as ws:
        inferred = read_roles(ws.con)
    # every ticket starts with Logged: the only evidence there is, so only creation is known
    assert inferred.having(Role.CREATION) == {"Logged"}
    assert inferred.get("Logged").origin == "inferred: all 2 tickets start with it"
    assert tl.sla(db)["resolved_at"].isna().all()  # nothing says Done resolves

    roles = tmp_path / "roles.toml"
    roles.write_text('[activities]\n'
                     '"Logged" = { roles = ["creation"], state = "in_queue" }\n'
                     '"Fixing" = { roles = ["first_response", "work_start", "reopen"], '
                     'state = "in_work" }\n'
                     '"Done" = { roles = ["resolution"], state = "awaiting_closure" }\n')
    tl.ingest(path, db=db, columns=COLUMNS, roles=roles)  # same bytes: only the roles change
    facts = tl.sla(db).set_index("ticket_id")
    assert facts["resolved_at"].notna().all()
    assert facts["reopens"].to_dict() == {"A": 0, "B": 1}
    assert set(tl.mine.rework(db).reopens["ticket_id"]) == {"B"}
    info = {row["activity"]: row for row in tl.info(db).roles if "activity" in row}
    assert info["Done"]["origin"] == f"roles file {roles}"
    assert info["Done"]["roles"] == ["resolution"] and info["Done"]["events"] == 3
