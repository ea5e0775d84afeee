"""The policy space `sla fit` searches, and how one point of it becomes a policy.

A ``Rule`` is the structure of the resolution clock (what starts, stops and pauses it, the
calendar it counts on, what a priority change and a reopen do); its targets per priority are
fitted to the source's verdicts for each rule (``best_threshold``). ``policy_document`` turns a
rule and its targets into the document of a policy (written as TOML by ``clock.policy_toml``,
loadable by ``sla --policy FILE``), built on the policy the search started from.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ticketlens.clock.rules import ALWAYS
from ticketlens.core.lifecycle import ActivityRoles

METRIC = "resolution"  # the clock whose verdict a source's own verdict is compared with
BUSINESS = "business"
# The business calendar tried when the starting policy declares none: ServiceNow's baseline
# "8-5 weekdays" schedule, in the policy's zone.
DEFAULT_BUSINESS_HOURS = {day: ["08:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
PAUSE_ROLES = ("waiting_user", "waiting_parts", "on_hold", "waiting_other")
STARTS = (("creation",), ("work_start", "work_resume"))
STOPS = (("resolution", "closure"), ("resolution",), ("closure",))
PRIORITY_MODES = ("retarget", "initial", "final")
REOPEN_MODES = ("new_cycle", "resume")


@dataclass(frozen=True)
class Rule:
    """The structure of a resolution clock (roles, calendar, modes), without its targets."""

    start: tuple[str, ...]
    stop: tuple[str, ...]
    pause: tuple[str, ...]
    calendar: str
    on_priority_change: str
    on_reopen: str

    def text(self, dimension: str) -> str:
        """One dimension's value as the messages show it (role lists joined by '/')."""
        value = getattr(self, dimension)
        return "/".join(value) or "none" if isinstance(value, tuple) else str(value)

    def describe(self) -> str:
        return (f"start {self.text('start')}, stop {self.text('stop')}, pause "
                f"{self.text('pause')}, calendar {self.calendar}, priority change "
                f"{self.on_priority_change}, reopen {self.on_reopen}")


def dimensions(rule: Rule, roles: ActivityRoles) -> dict[str, list[Rule]]:
    """Per dimension of the space, every rule that differs from ``rule`` in it alone (the
    coordinate search's moves). Pauses: every subset of the pause roles the data's
    activities have (ServiceNow: Awaiting User Info, Awaiting Vendor, Awaiting Problem /
    Evidence)."""
    present = [r for r in PAUSE_ROLES if roles.having(r)]
    pauses = [tuple(c) for n in range(len(present) + 1)
              for c in itertools.combinations(present, n)]
    options: dict[str, Sequence[Any]] = {
        "start": [s for s in STARTS if roles.having(*s)],
        "stop": [s for s in STOPS if roles.having(*s)],
        "pause": pauses,
        "calendar": (ALWAYS, BUSINESS),
        "on_priority_change": PRIORITY_MODES,
        "on_reopen": REOPEN_MODES,
    }
    return {name: [replace(rule, **{name: value}) for value in values
                   if value != getattr(rule, name)]
            for name, values in options.items()}


def rule_of(raw: Mapping[str, Any]) -> Rule:
    """The rule of a policy document's resolution metric (where the search starts)."""
    metric = raw.get("metrics", {}).get(METRIC, {})
    targets = raw.get("targets", {}).get(METRIC, {})
    calendars = {t.get("calendar", raw.get("calendar", ALWAYS)) for t in targets.values()}
    calendar = ALWAYS if calendars <= {ALWAYS} else BUSINESS

    def roles(key: str) -> tuple[str, ...]:
        value = metric.get(key, [])
        return tuple([value] if isinstance(value, str) else value)

    return Rule(start=roles("start"), stop=roles("stop"), pause=roles("pause"),
                calendar=calendar,
                on_priority_change=metric.get("on_priority_change", "retarget"),
                on_reopen=metric.get("on_reopen", "resume"))


@dataclass(frozen=True)
class Threshold:
    """A fitted target and what the fit tickets allow: any target from ``low`` (the longest
    in-time ticket the cut keeps) to below ``high`` (the shortest late one; None: no late
    ticket) gets the same verdicts on them."""

    seconds: float
    low: float | None
    high: float | None
    in_time: int  # fit tickets of the priority the source counts in time / late
    late: int

    def describe(self) -> str:
        if self.low is None and self.high is None:
            allowed = "any target"
        elif self.high is None:
            allowed = f"any target from {_hours(self.low or 0.0)}"
        elif self.low is None:
            allowed = f"any target below {_hours(self.high)}"
        else:
            allowed = f"{_hours(self.low)} to below {_hours(self.high)}"
        return (f"{_hours(self.seconds)} (the fitted tickets allow {allowed}; "
                f"{self.in_time} in time, {self.late} late)")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h"


def best_threshold(elapsed: np.ndarray, made: np.ndarray) -> Threshold:
    """The target (seconds) that best reproduces ``made`` as ``elapsed <= target``.

    One threshold on one variable is fitted exactly, with no library: sort, and count for
    every cut the verdicts it gets right (a cumulative sum). Of the best cuts the first (the
    shortest target) wins; the target sits midway between the longest in-time and the
    shortest late ticket the cut separates, in whole minutes (an hour past the longest when
    no ticket is late).
    """
    order = np.argsort(elapsed, kind="stable")
    x, y = elapsed[order], made[order]
    made_before = np.concatenate([[0], np.cumsum(y)])  # in time with a cut after i tickets
    late_after = np.concatenate([[0], np.cumsum(~y)])
    right = made_before + (late_after[-1] - late_after)
    # a cut between two equal times is no threshold
    right[1:-1][x[1:] == x[:-1]] = -1
    cut = int(np.argmax(right))
    low = float(x[cut - 1]) if cut > 0 else None
    high = float(x[cut]) if cut < len(x) else None
    middle = ((low or 0.0) + high) / 2 if high is not None else (low or 0.0) + 3600.0
    minutes = max(1.0, float(np.floor(middle / 60)))
    if low is not None and minutes * 60 < low:
        minutes = float(np.ceil(low / 60))
    return Threshold(minutes * 60, low, high, int(y.sum()), int((~y).sum()))


def policy_document(base: Mapping[str, Any], rule: Rule, targets: Mapping[str, float],
                    priorities: Sequence[str], name: str, description: str) -> dict[str, Any]:
    """``base`` (a policy's TOML document) with its resolution clock replaced by ``rule`` and
    ``targets`` (seconds per priority), its priorities by ``priorities``."""
    raw = {k: v for k, v in base.items() if k not in ("name", "description")}
    doc: dict[str, Any] = {"name": name, "description": description, **raw,
                           "priorities": list(priorities)}
    if rule.calendar == BUSINESS and BUSINESS not in doc.get("calendars", {}):
        doc["calendars"] = {**doc.get("calendars", {}), BUSINESS: {
            "timezone": doc.get("timezone", "UTC"), "hours": DEFAULT_BUSINESS_HOURS}}
    # what resumes a paused clock and reopens a stopped one: as the starting policy says
    was = doc.get("metrics", {}).get(METRIC, {})
    metric: dict[str, Any] = {"start": list(rule.start)}
    if rule.pause:
        metric.update(pause=list(rule.pause), resume=was.get("resume") or ["resume"])
    metric.update(stop=list(rule.stop), reopen=was.get("reopen") or ["reopen"],
                  on_reopen=rule.on_reopen, on_priority_change=rule.on_priority_change)
    doc["metrics"] = {**doc.get("metrics", {}), METRIC: metric}
    doc["targets"] = {**doc.get("targets", {}), METRIC: {
        p: {**_amount(s), "calendar": rule.calendar} for p, s in targets.items()}}
    return doc


def _amount(seconds: float) -> dict[str, float | int]:
    minutes = round(seconds / 60)
    return {"hours": minutes // 60} if minutes % 60 == 0 else {"minutes": minutes}
