"""`ticketlens sla fit`: the policy that best reproduces a source's own SLA verdicts.

A source that records its own verdict per ticket (ServiceNow's ``made_sla``, the value at the
incident's last update) says how its instance measured, without saying its rule. The fit
searches the resolution clock's rules (``fit_rules.Rule``: start, stop, pauses, calendar,
priority-change and reopen modes) by coordinate ascent from a starting policy (the source's
preset), fitting the targets per priority for every rule, and scores every candidate with the
SLA engine itself (``clock.facts.metric_facts`` on one staging of the events). Fitted on the
older tickets, scored on the newer ones (split by creation instant): the held-out agreement is
what the policy can be trusted for. docs/sla.md "Fitting a policy" has the method and figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ticketlens.analyses.sla import fit_rules as rules
from ticketlens.analyses.sla.fit_rules import METRIC, Rule
from ticketlens.clock.facts import StagedEvents
from ticketlens.clock.facts import metric_facts as clock_facts
from ticketlens.clock.policy import Policy, load_policy, parse_policy
from ticketlens.clock.policy_toml import toml_text
from ticketlens.core.errors import AnalysisError, ConfigError
from ticketlens.core.files import atomic_file
from ticketlens.core.lifecycle import ActivityRoles
from ticketlens.core.progress import progress_steps
from ticketlens.core.schema import CASE_ATTR_SOURCE_SLA
from ticketlens.workspace.connection import DEFAULT_DB, WorkspaceLike, use_workspace
from ticketlens.workspace.events import (
    as_of_instant,
    order_events,
    read_events,
    ticket_attributes,
    ticket_ids,
    to_us,
)
from ticketlens.workspace.roles import read_roles
from ticketlens.workspace.source_policy import choose_policy

MAX_SWEEPS = 4  # coordinate sweeps; the sample settles in two
NEAR_TARGET = 0.10  # a disagreement this close to its target is a question of the target


@dataclass(frozen=True)
class Agreement:
    """Tickets whose verdict agrees with the source's, of those with a source verdict."""

    agree: int
    tickets: int

    @property
    def rate(self) -> float | None:
        return self.agree / self.tickets if self.tickets else None

    def __str__(self) -> str:
        rate = f"{self.rate:.1%}" if self.rate is not None else "–"
        return f"{rate} ({self.agree:,} of {self.tickets:,})"


@dataclass
class PolicyFit:
    """The fitted policy, how well it and the starting policy agree, and how it was found."""

    policy: Policy
    toml: str
    rule: Rule
    targets: dict[str, rules.Threshold]  # per priority: the target and its bounds
    start_policy: str
    split: dict[str, Any]  # fit / held-out ticket counts and creation instants
    fitted: dict[str, Agreement]  # "fit", "held_out"
    baseline: dict[str, Agreement]  # the starting policy on the same tickets
    path: list[tuple[str, Agreement]] = field(default_factory=list)  # accepted moves
    candidates: int = 0
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    start_disagreements: list[dict[str, Any]] = field(default_factory=list)
    out: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def agreement(a: Agreement) -> dict[str, Any]:
            return {"agree": a.agree, "tickets": a.tickets, "rate": a.rate}

        return {
            "start_policy": self.start_policy, "split": self.split,
            "fitted": {k: agreement(v) for k, v in self.fitted.items()},
            "start_policy_agreement": {k: agreement(v) for k, v in self.baseline.items()},
            "rule": self.rule.__dict__ | {"targets": {
                p: t.__dict__ for p, t in self.targets.items()}},
            "search": {"candidates": self.candidates,
                       "path": [{"move": m, "fit": agreement(a)} for m, a in self.path]},
            "disagreements": self.disagreements,
            "start_policy_disagreements": self.start_disagreements,
            "out": self.out, "toml": self.toml,
        }


def fit_policy(db: WorkspaceLike = DEFAULT_DB, *, policy: str | Path | None = None,
               holdout: float = 0.3, out: str | Path | None = None,
               progress: bool = False) -> PolicyFit:
    """Search the resolution clock's rules for the policy whose verdicts best agree with the
    source's own (ServiceNow ``made_sla``), fitted on the older ``1 - holdout`` of the tickets
    with a verdict (by creation instant) and scored on the newer rest.

    ``policy``: where the search starts, and the rest of the written policy (default: the
    preset of the workspace's source, e.g. ``servicenow``, else ``standard``). ``out``: write
    the policy's TOML there (atomically). Returns a ``PolicyFit`` (``.toml`` the text).

    >>> fit = fit_policy("sn.duckdb", out="fitted.toml")   # doctest: +SKIP
    >>> fit.fitted["held_out"].rate                        # doctest: +SKIP
    """
    if not 0 < holdout < 1:
        raise ConfigError(f"--holdout {holdout}: give the share of newest tickets held out, "
                          "strictly between 0 and 1 (e.g. 0.3)")
    with progress_steps("sla fit", 3, progress) as step:
        with use_workspace(db, must_exist=True) as ws:
            ws.require_events()
            # the source's own preset unless one is given — the decision sla/kpi make, among
            # the sources with verdicts to fit (others' tickets are left out of the fit)
            judged = [s for (s,) in ws.con.execute(
                "SELECT DISTINCT source_id FROM case_attributes WHERE name = $name",
                {"name": CASE_ATTR_SOURCE_SLA}).fetchall()]
            start = choose_policy(ws.con, policy, among=judged or None).policy
            if start.metric(METRIC) is None:
                raise ConfigError(f"policy {start.origin}: has no [metrics.{METRIC}] clock "
                                  "to fit")
            step("staging events")
            evaluator = _Evaluator.stage(ws.con, start, holdout, str(ws.path))
        step("searching rules")
        best, path = _search(evaluator, rules.rule_of(start.raw))
        step("scoring the starting policy")
        found = _result(evaluator, start, best, path)
    if out is not None:
        with atomic_file(Path(out)) as temp:
            temp.write_text(found.toml, encoding="utf-8")
        found.out = str(out)
    return found


@dataclass
class _Scored:
    rule: Rule
    targets: dict[str, rules.Threshold]
    table: pa.Table
    fit: Agreement
    held_out: Agreement


class _Evaluator:
    """The events staged once; each candidate policy runs the resolution clock on them."""

    def __init__(self, staged: StagedEvents, ids: pa.Array, made: np.ndarray,
                 has_made: np.ndarray, as_of_us: int, roles: ActivityRoles,
                 start: Policy, priorities: list[str], workspace: str, holdout: float) -> None:
        self.staged, self.ids, self.as_of_us = staged, ids, as_of_us
        self.made, self.has_made, self.roles = made, has_made, roles
        self.start, self.priorities, self.workspace = start, priorities, workspace
        self.cache: dict[Rule, _Scored] = {}
        first = self.run(self.start_document())
        eligible = has_made & first.column("has_creation").to_numpy(zero_copy_only=False)
        self.fit_mask, self.held_mask, self.split = _split(first, eligible, 1 - holdout)
        self.last_priority = first.column("priority").to_numpy(zero_copy_only=False)

    @classmethod
    def stage(cls, con: Any, start: Policy, holdout: float, workspace: str) -> _Evaluator:
        roles = read_roles(con)
        as_of = as_of_instant(con, None)
        rows = read_events(con, load_policy(start, roles), as_of)
        made_column = ticket_attributes(con, rows)["source_made_sla"]
        has_made = ~made_column.is_null().to_numpy(zero_copy_only=False)
        if not has_made.any():
            raise AnalysisError(
                f"workspace {workspace}: no ticket carries the source's own SLA verdict (a "
                "ServiceNow export's made_sla): `sla fit` fits a policy to such verdicts; "
                "measure this source with `ticketlens sla --policy ...` instead")
        made = made_column.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        priorities = list(start.priorities) + [p for p in rows.values["priority"]
                                               if p not in start.priorities]
        bound = parse_policy({**start.raw, "priorities": priorities}, start.origin, roles)
        staged = order_events(rows, bound)
        return cls(staged, ticket_ids(con, rows), made, has_made, to_us(as_of), roles, start,
                   priorities, workspace, holdout)

    def start_document(self) -> dict[str, Any]:
        return {**self.start.raw, "priorities": self.priorities}

    def run(self, doc: dict[str, Any]) -> pa.Table:
        """The resolution clock's columns per ticket under the policy ``doc``."""
        policy = parse_policy(doc, origin="sla fit candidate", roles=self.roles)
        return clock_facts(self.staged, self.ids, policy, METRIC, self.as_of_us)

    def agreement(self, table: pa.Table) -> tuple[Agreement, Agreement]:
        agree = _agrees(table, self.made)
        return (Agreement(int(agree[self.fit_mask].sum()), int(self.fit_mask.sum())),
                Agreement(int(agree[self.held_mask].sum()), int(self.held_mask.sum())))

    def score(self, rule: Rule) -> _Scored:
        """``rule`` with its targets fitted on the fit tickets, scored by the engine."""
        if rule not in self.cache:
            targets = self.fit_targets(rule)
            table = self.run(self.document(rule, {p: t.seconds for p, t in targets.items()}))
            self.cache[rule] = _Scored(rule, targets, table, *self.agreement(table))
        return self.cache[rule]

    def try_score(self, rule: Rule) -> _Scored | None:
        """``score``, or None for a rule the data's roles make invalid (an activity that
        would both pause and stop the clock, say): not a candidate."""
        try:
            return self.score(rule)
        except ConfigError:
            return None

    def document(self, rule: Rule, targets: dict[str, float]) -> dict[str, Any]:
        return rules.policy_document(self.start.raw, rule, targets, self.priorities,
                                     self.start.name, self.start.description)

    def fit_targets(self, rule: Rule) -> dict[str, rules.Threshold]:
        """Per priority: the best threshold on the clock's elapsed time (a run with targets
        no clock reaches), over the fit tickets whose last priority it is."""
        # longer than the log: no clock reaches it (and its due instant stays in a calendar)
        span = (self.as_of_us - int(self.staged.ev.ts.min())) / 1e6 + 7 * 86_400.0
        never = dict.fromkeys(self.priorities, span)
        table = self.run(self.document(rule, never))
        elapsed = table.column(f"{METRIC}_business_s").to_numpy(zero_copy_only=False)
        measured = self.fit_mask & ~np.isnan(elapsed)
        start_targets = self.start.metric(METRIC).targets  # type: ignore[union-attr]
        targets = {}
        for priority in self.priorities:
            mine = measured & (self.last_priority == priority)
            if mine.any():
                targets[priority] = rules.best_threshold(elapsed[mine], self.made[mine])
            elif priority in start_targets:  # no fit ticket: the starting policy's target
                seconds = start_targets[priority].seconds
                targets[priority] = rules.Threshold(seconds, None, None, 0, 0)
        return targets


def _agrees(table: pa.Table, made: np.ndarray) -> np.ndarray:
    """Per ticket: our verdict exists and equals the source's (made = not breached)."""
    breached = table.column(f"{METRIC}_breached")
    has = ~breached.is_null().to_numpy(zero_copy_only=False)
    ours = breached.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    return has & (ours != made)


def _split(table: pa.Table, eligible: np.ndarray,
           share: float) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The older ``share`` of the eligible tickets (creation instant, then ticket id) to fit
    on, the newer rest held out."""
    created = table.column("created_at").cast(pa.int64()).fill_null(0).to_numpy()
    ids = np.asarray(table.column("ticket_id").to_pylist(), dtype=object)
    rows = np.flatnonzero(eligible)
    order = rows[np.lexsort((ids[rows].astype(str), created[rows]))]
    n_fit = round(share * len(order))
    if n_fit < 1 or n_fit >= len(order):
        raise AnalysisError(f"only {len(order)} tickets carry the source's verdict and a "
                            "creation instant: too few to fit on some and test on the rest")
    fit, held = np.zeros(len(eligible), bool), np.zeros(len(eligible), bool)
    fit[order[:n_fit]], held[order[n_fit:]] = True, True
    instants = table.column("created_at")
    split = {"fit_tickets": n_fit, "held_out_tickets": len(order) - n_fit,
             "fit_created_to": instants[int(order[n_fit - 1])].as_py().isoformat(),
             "held_out_created_from": instants[int(order[n_fit])].as_py().isoformat(),
             "left_out": int((~eligible).sum())}
    return fit, held, split


def _search(ev: _Evaluator, start: Rule) -> tuple[_Scored, list[tuple[str, Agreement]]]:
    """Coordinate ascent: per dimension, every other value with the rest fixed; a move is
    taken only when it agrees on more fit tickets (ties keep the current rule, so the
    result is deterministic and no more changed than the data asks)."""
    best = ev.score(start)
    path = [(f"{ev.start.name}'s rule, targets fitted", best.fit)]
    for _ in range(MAX_SWEEPS):
        moved = False
        for dimension in rules.dimensions(best.rule, ev.roles):
            for rule in rules.dimensions(best.rule, ev.roles)[dimension]:
                scored = ev.try_score(rule)
                if scored is not None and scored.fit.agree > best.fit.agree:
                    best, moved = scored, True
                    path.append((f"{dimension} {rule.text(dimension)}", scored.fit))
        if not moved:
            break
    return best, path


def _result(ev: _Evaluator, start: Policy, best: _Scored,
            path: list[tuple[str, Agreement]]) -> PolicyFit:
    start_table = ev.run(ev.start_document())
    baseline = ev.agreement(start_table)
    fit, held = best.fit, best.held_out
    name = f"{start.name}-fitted"
    description = (f"fitted by `ticketlens sla fit` to {ev.workspace}'s own verdicts: "
                   f"{held} agree on held-out tickets")
    doc = rules.policy_document(start.raw, best.rule,
                                {p: t.seconds for p, t in best.targets.items()},
                                ev.priorities, name, description)
    disagreements = _disagreements(ev, best.table)
    missed = _disagreements(ev, start_table)
    header = _header(ev, start, best, baseline, path, disagreements, missed)
    policy = parse_policy(doc, origin=name, roles=ev.roles)
    return PolicyFit(policy=policy, toml=toml_text(doc, header), rule=best.rule,
                     targets=best.targets, start_policy=start.name, split=ev.split,
                     fitted={"fit": fit, "held_out": held},
                     baseline={"fit": baseline[0], "held_out": baseline[1]}, path=path,
                     candidates=len(ev.cache), disagreements=disagreements,
                     start_disagreements=missed)


def _header(ev: _Evaluator, start: Policy, best: _Scored, baseline: tuple[Agreement, Agreement],
            path: list[tuple[str, Agreement]], disagreements: list[dict[str, Any]],
            missed: list[dict[str, Any]]) -> list[str]:
    s = ev.split
    lines = [
        f'ticketlens SLA policy fitted by `ticketlens sla fit` on {ev.workspace}',
        "to the source's own verdicts (ServiceNow's made_sla) at each ticket's last update.",
        f"Split by creation: fitted on the {s['fit_tickets']:,} older tickets (created to "
        f"{s['fit_created_to']}),",
        f"scored on the {s['held_out_tickets']:,} newer ones (created from "
        f"{s['held_out_created_from']}; ties by ticket id).",
        *([f"Left out: {s['left_out']:,} tickets without a source verdict or creation."]
          if s["left_out"] else []),
        f"  agreement, held-out: {best.held_out}   fitted: {best.fit}",
        f"  {start.name} as shipped, held-out: {baseline[1]}   fitted: {baseline[0]}",
        f"Rule: {best.rule.describe()}.",
        "Targets (the fitted tickets of each last priority bound them):",
        *(f"  {p}: {t.describe() if t.in_time + t.late else _hours(t) + ' from ' + start.name}"
          for p, t in best.targets.items()),
        f"Search: coordinate ascent from {start.name}'s rule, {len(ev.cache)} rules tried:",
        *(f"  {move}: {agreement} of fitted tickets" for move, agreement in path),
        "Disagreements (held-out / fitted tickets), by what decides them:",
        *_reasons(disagreements),
        f"{start.name} as shipped disagrees on:",
        *_reasons(missed),
    ]
    return lines


def _reasons(disagreements: list[dict[str, Any]]) -> list[str]:
    return [f"  {d['held_out']} / {d['fit']}  {d['priority']}: {d['direction']}, {d['reason']}"
            for d in disagreements] or ["  none"]


def _hours(target: rules.Threshold) -> str:
    return f"{target.seconds / 3600:,.1f} h (no fitted ticket has this priority)"


def _disagreements(ev: _Evaluator, t: pa.Table) -> list[dict[str, Any]]:
    """Every disagreeing ticket (fit or held out) grouped by priority, direction and the
    first reason that applies: no verdict, a priority change, a pause, within 10 % of the
    target, or far from it (another rule than this clock decides it)."""
    col = {name: t.column(f"{METRIC}_{name}").to_numpy(zero_copy_only=False)
           for name in ("business_s", "target_s", "paused_s")}
    breached = t.column(f"{METRIC}_breached")
    no_verdict = breached.is_null().to_numpy(zero_copy_only=False)
    ours = breached.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    changed = _priority_changed(ev.staged, len(ev.made))
    paused = np.nan_to_num(col["paused_s"]) > 0
    near = np.abs(col["business_s"] - col["target_s"]) <= NEAR_TARGET * col["target_s"]
    reasons = np.select(
        [no_verdict, changed, paused, near],
        ["no verdict (clock not started or no target)", "priority changed",
         "paused during the clock", "within 10 % of the target"],
        "far from the target (another rule decides)")
    direction = np.where(ours, "source made it, ours breached",
                         "source missed it, ours in time")
    wrong = (ev.fit_mask | ev.held_mask) & ~_agrees(t, ev.made)
    groups: dict[tuple[str, str, str], dict[str, int]] = {}
    for i in np.flatnonzero(wrong):  # only the disagreeing tickets: a handful
        key = (str(ev.last_priority[i]), str(direction[i]), str(reasons[i]))
        counts = groups.setdefault(key, {"held_out": 0, "fit": 0})
        counts["held_out" if ev.held_mask[i] else "fit"] += 1
    return [{"priority": p, "direction": d, "reason": r, **c}
            for (p, d, r), c in sorted(groups.items(),
                                       key=lambda kv: (-kv[1]["held_out"], -kv[1]["fit"],
                                                       kv[0]))]


def _priority_changed(staged: StagedEvents, n_total: int) -> np.ndarray:
    """Per ticket: whether its priority changed between two of its events."""
    ev = staged.ev
    same = ev.tix[1:] == ev.tix[:-1]
    known = (ev.prio[1:] >= 0) & (ev.prio[:-1] >= 0)
    changed = np.zeros(n_total, dtype=bool)
    changed[ev.tix[1:][same & known & (ev.prio[1:] != ev.prio[:-1])]] = True
    return changed
