"""Which SLA policy a workspace's analyses use when the user names none: the source's own.

Ingest records, per source, the shipped preset its own SLA definitions are (``source_policies``:
ServiceNow → ``servicenow``, the Helpdesk log → ``helpdesk``, a generated desk →
``generated-desk``; NULL for a source without SLA definitions of its own — BPIC, Jira,
Zendesk, ticket tables, plain CSV or XES). ``choose_policy`` is the one decision ``sla``,
``kpi`` (and the API) make from it: ``--policy`` when given; else the policy the stored SLA
facts were computed with when the user chose it; else the sources' own preset — the standard
preset, flagged as assumed, for sources without one — and a workspace whose sources imply
different presets is refused, asking for ``--policy``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.clock.policy import DEFAULT_PRESET, Policy, load_policy
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.sql import tables_exist

ASSUMED = "targets assumed: standard preset — pass --policy"
GIVEN = "given with --policy"
REMEMBERED = "the policy the workspace's SLA facts were last computed with (--policy)"
OWN = "the source's own preset"


@dataclass(frozen=True)
class PolicyChoice:
    """The policy an analysis runs with, why, and whether its targets are only assumed."""

    policy: Policy
    reason: str
    assumed: bool = False
    given: bool = False  # the user named it (--policy), now or for the stored facts

    @property
    def line(self) -> str:
        """The first line of every output: ``policy: servicenow (the source's own preset)``."""
        return f"policy: {self.policy.name} ({self.reason})"

    def provenance(self) -> dict[str, Any]:
        """What the ``runs`` row records beside the policy (``parameters``)."""
        return {"policy_reason": self.reason, "policy_assumed": self.assumed,
                "policy_given": self.given}


def write_source_preset(con: duckdb.DuckDBPyConnection, source_id: int, preset: str | None,
                        origin: str) -> None:
    """Record the preset ``source_id`` implies (None: none of its own)."""
    con.execute("DELETE FROM source_policies WHERE source_id = $s", {"s": source_id})
    con.execute("INSERT INTO source_policies VALUES ($s, $p, $o)",
                {"s": source_id, "p": preset, "o": origin})


def source_presets(con: duckdb.DuckDBPyConnection, among: Collection[int] | None = None
                   ) -> list[tuple[str, str | None]]:
    """(source name, preset or None) for every source that has events now (of ``among``,
    when given), in source order."""
    ids = {"ids": list(among) if among is not None else None}
    kept = "WHERE $ids IS NULL OR list_contains($ids, source_id)"
    if not tables_exist(con, "source_policies", "sources"):
        return [(f"source #{s}", None) for (s,) in con.execute(
            f"SELECT DISTINCT source_id FROM events {kept} ORDER BY 1", ids).fetchall()]
    return [(name, preset) for name, preset in con.execute(f"""
        SELECT coalesce(s.name, 'source #' || e.source_id), p.preset
        FROM (SELECT DISTINCT source_id FROM events {kept}) e
        LEFT JOIN sources s USING (source_id)
        LEFT JOIN source_policies p USING (source_id)
        ORDER BY e.source_id""", ids).fetchall()]


def choose_policy(con: duckdb.DuckDBPyConnection, policy: str | Path | Policy | None,
                  previous: tuple[Policy | None, dict[str, Any]] | None = None, *,
                  among: Collection[int] | None = None) -> PolicyChoice:
    """The policy to run with (unbound; see the module's docstring). ``previous``: the policy
    the stored SLA facts were computed with and their run's parameters, if any; ``among``:
    the sources whose presets count (default: every source with events)."""
    if policy is not None:
        return PolicyChoice(load_policy(policy), GIVEN, given=True)
    if previous is not None and previous[0] is not None:
        stored_policy, parameters = previous
        # facts stored before ticketlens recorded why count as chosen by the user
        if parameters.get("policy_given", True):
            return PolicyChoice(stored_policy, REMEMBERED, given=True)
    presets = source_presets(con, among)
    implied = {preset for _, preset in presets}
    if len(implied) > 1:
        listed = "; ".join(f"{name} → {preset or DEFAULT_PRESET + ' (assumed)'}"
                           for name, preset in presets)
        raise ConfigError(
            f"the workspace holds sources with different SLA policies ({listed}): pass "
            "--policy NAME (a preset or a TOML file) to say which one to measure with")
    preset = next(iter(implied), None)
    if preset is None:
        return PolicyChoice(load_policy(DEFAULT_PRESET), ASSUMED, assumed=True)
    return PolicyChoice(load_policy(preset), OWN)


__all__ = ["ASSUMED", "PolicyChoice", "choose_policy", "source_presets",
           "write_source_preset"]
