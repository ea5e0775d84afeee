"""The SLA policy model: calendars, targets, metrics, waits, the bound lifecycle and the policy.

Plain frozen dataclasses, read by the clocks and built by ``policy_parse`` (TOML validation) and
``policy`` (loading, presets, binding to a source's lifecycle roles).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from ticketlens.core.lifecycle import VOCABULARY, ActivityRoles

DEFAULT_PRESET = "standard"
ALWAYS = "24x7"  # the built-in round-the-clock calendar every policy may name
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ReopenMode = Literal["resume", "new_cycle", "full"]
PriorityChangeMode = Literal["retarget", "initial", "final"]
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Calendar:
    """When the clock counts: always, or weekday working hours in a zone minus holidays.

    ``hours[d]`` holds the working ranges of weekday ``d`` (0 = Monday) as
    ``(start, end)`` seconds after local midnight, sorted and non-overlapping.
    """

    name: str
    timezone: str = "UTC"
    hours: tuple[tuple[tuple[int, int], ...], ...] | None = None  # None: 24×7
    country: str | None = None
    subdivision: str | None = None
    holidays: tuple[date, ...] = ()

    @property
    def is_always(self) -> bool:
        return self.hours is None

    def weekly_seconds(self) -> int:
        if self.hours is None:
            return 7 * SECONDS_PER_DAY
        return sum(end - start for day in self.hours for start, end in day)


MAX_WAITS = 11  # waiting states per policy


@dataclass(frozen=True)
class Target:
    seconds: float
    calendar: str


@dataclass(frozen=True)
class Metric:
    """A named clock and the activities that drive it (see docs/sla.md, "Clock rules")."""

    name: str
    start: frozenset[str]
    stop: frozenset[str]
    pause: frozenset[str] = frozenset()
    resume: frozenset[str] = frozenset()
    reopen: frozenset[str] = frozenset()
    on_reopen: ReopenMode = "resume"
    on_priority_change: PriorityChangeMode = "retarget"
    targets: Mapping[str, Target] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """A waiting state: entered on ``enter``, left on ``leave`` (None: any other activity)."""

    name: str
    enter: frozenset[str]
    leave: frozenset[str] | None


@dataclass(frozen=True)
class Lifecycle:
    """What activities mean to the per-ticket facts (a policy bound to the data's roles)."""

    created: frozenset[str]
    first_response: frozenset[str]
    resolved: frozenset[str]
    closed: frozenset[str]
    reopened: frozenset[str] = frozenset()
    assigned: frozenset[str] = frozenset()
    reassigned: frozenset[str] = frozenset()
    de_escalated: frozenset[str] = frozenset()
    priority_changed: frozenset[str] = frozenset()
    hold: frozenset[str] = frozenset()
    escalated: Mapping[str, str] = field(default_factory=dict)  # activity -> tier reached
    entry_tier: str | None = None  # tier of whoever takes a ticket on an `assigned` activity
    tiers: tuple[str, ...] = ()  # tiers in escalation order, for the per-tier counts
    # Case attribute holding the source's recorded creation instant (ServiceNow: opened_at);
    # a ticket without a creation event gets a "Ticket Created" event at that instant.
    created_attribute: str | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    origin: str  # preset name or file path, for messages and the run record
    activities: tuple[str, ...]
    priorities: tuple[str, ...]
    timezone: str  # zone of the reporting day and hour (backlog, peak load)
    warn_at: tuple[float, ...]
    default_calendar: str
    calendars: Mapping[str, Calendar]
    metrics: tuple[Metric, ...]
    lifecycle: Lifecycle
    waits: tuple[Wait, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    roles: ActivityRoles = field(default=VOCABULARY, compare=False, repr=False)  # bound to

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def fingerprint(self) -> str:
        """A stable hash of everything that changes the numbers (not the description)."""
        payload = asdict(self)
        for key in ("description", "origin", "raw", "roles"):
            payload.pop(key)
        text = json.dumps(payload, sort_keys=True, default=jsonable_policy_value)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def jsonable_policy_value(value: object) -> object:
    """JSON for the values a policy holds (sets sorted, dates as ISO text)."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
