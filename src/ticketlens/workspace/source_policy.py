"""Which SLA policy a workspace's analyses use when the user names none: the source's own.

Ingest records, per source, the shipped preset its own SLA definitions are (``source_policies``:
ServiceNow → ``servicenow``, the Helpdesk log → ``helpdesk``, a generated desk →
``generated-desk``; NULL for a source without SLA definitions of its own — BPIC, Jira,
Zendesk, ticket tables, plain CSV or XES), and the text of the policy file a source brought
(a generated desk's ``sla-policy.toml``: the preset on the desk's business hours, the policy
its ``sla_metrics`` were measured with), which then is its own policy. ``choose_policy`` is the
one decision ``sla``, ``kpi`` (and the API) make from it: ``--policy`` when given; else the
policy the stored SLA facts were computed with when the user chose it; else the sources' own
policy — the standard preset, flagged as assumed, for sources without one — and a workspace
whose sources imply different policies is refused, asking for ``--policy``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ticketlens.clock.policy import DEFAULT_PRESET, Policy, load_policy, policy_from_toml
from ticketlens.core.errors import ConfigError
from ticketlens.workspace.sql import has_column, tables_exist

ASSUMED = "targets assumed: standard preset — pass --policy"
GIVEN = "given with --policy"
REMEMBERED = "the policy the workspace's SLA facts were last computed with (--policy)"
OWN = "the source's own preset"
OWN_FILE = "the source's own {file}"  # a policy file the source brought, kept in the workspace


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


@dataclass(frozen=True)
class SourcePolicy:
    """What one source implies: its preset (None: none of its own), the text of the policy
    file it brought (None: none; it wins over the preset) and where that came from."""

    source: str
    preset: str | None
    policy_toml: str | None = None
    origin: str = ""

    @property
    def key(self) -> str | None:
        """Two sources imply the same policy when their keys are equal."""
        return self.policy_toml if self.policy_toml is not None else self.preset

    def describe(self) -> str:
        """``generated-desk 08:00-18:00 (sla-policy.toml)``, ``servicenow``,
        ``standard (assumed)``."""
        if self.policy_toml is not None:
            return f"{self.choice().policy.name} ({self.origin})"
        return self.preset or f"{DEFAULT_PRESET} (assumed)"

    def choice(self) -> PolicyChoice:
        """The policy this source alone would be measured with, and why."""
        if self.policy_toml is not None:
            policy = policy_from_toml(self.policy_toml, origin=f"{self.source}: {self.origin}")
            if self.preset is not None and policy.fingerprint == load_policy(
                    self.preset).fingerprint:
                return PolicyChoice(policy, OWN)  # the shipped preset itself
            return PolicyChoice(policy, OWN_FILE.format(file=self.origin))
        if self.preset is None:
            return PolicyChoice(load_policy(DEFAULT_PRESET), ASSUMED, assumed=True)
        return PolicyChoice(load_policy(self.preset), OWN)


def write_source_preset(con: duckdb.DuckDBPyConnection, source_id: int, preset: str | None,
                        origin: str, policy_toml: str | None = None) -> None:
    """Record the preset ``source_id`` implies (None: none of its own) and the text of the
    policy file it brought (``origin`` then names the file)."""
    con.execute("DELETE FROM source_policies WHERE source_id = $s", {"s": source_id})
    con.execute("INSERT INTO source_policies (source_id, preset, origin, policy_toml) "
                "VALUES ($s, $p, $o, $t)",
                {"s": source_id, "p": preset, "o": origin, "t": policy_toml})


def source_policies(con: duckdb.DuckDBPyConnection, among: Collection[int] | None = None
                    ) -> list[SourcePolicy]:
    """What every source that has events now (of ``among``, when given) implies, in source
    order."""
    ids = {"ids": list(among) if among is not None else None}
    kept = "WHERE $ids IS NULL OR list_contains($ids, source_id)"
    if not tables_exist(con, "source_policies", "sources"):
        return [SourcePolicy(f"source #{s}", None) for (s,) in con.execute(
            f"SELECT DISTINCT source_id FROM events {kept} ORDER BY 1", ids).fetchall()]
    # a workspace of an older ticketlens opened read-only lacks the column
    text = "p.policy_toml" if has_column(con, "source_policies", "policy_toml") else "NULL"
    return [SourcePolicy(name, preset, toml, origin or "") for name, preset, toml, origin in
            con.execute(f"""
        SELECT coalesce(s.name, 'source #' || e.source_id), p.preset, {text}, p.origin
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
    implied = source_policies(con, among)
    if len({p.key for p in implied}) > 1:
        listed = "; ".join(f"{p.source} → {p.describe()}" for p in implied)
        raise ConfigError(
            f"the workspace holds sources with different SLA policies ({listed}): pass "
            "--policy NAME (a preset or a TOML file) to say which one to measure with")
    if not implied:
        return PolicyChoice(load_policy(DEFAULT_PRESET), ASSUMED, assumed=True)
    return implied[0].choice()


__all__ = ["ASSUMED", "OWN", "OWN_FILE", "PolicyChoice", "SourcePolicy", "choose_policy",
           "source_policies", "write_source_preset"]
