"""SLA policies: typed, validated, loaded from TOML (a shipped preset or the user's file).

A policy says, in lifecycle *roles* (``core/lifecycle.py``: creation, resolution,
waiting_user, ...), never in a source's activity names:

* which named clocks to run (``[metrics.NAME]``: start / pause / resume / stop / reopen);
* the target of each clock per priority and the calendar it counts on (``[targets.NAME]``);
* the calendars (``[calendars.NAME]``: 24×7, or weekday working hours in a zone with holidays);
* which waiting states to time (``[waits.NAME]``: enter / leave).

What an activity *is* comes from the data's roles (its ingest mapping or a roles file); the
policy is *bound* to those roles (``bind_policy``) into the concrete activity sets the clocks
consume (``Metric``, ``Wait``, ``Lifecycle``). Every key is documented in ``docs/sla.md``;
unknown keys, unknown roles or priorities, non-positive targets, overlapping working hours,
unknown zones and countries are ``ConfigError`` naming the key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.lifecycle import ROLES, VOCABULARY, ActivityRoles, Role
from ticketlens.core.schema import PRIORITIES, TIERS

DEFAULT_PRESET = "standard"
ALWAYS = "24x7"  # the built-in round-the-clock calendar every policy may name
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ReopenMode = Literal["resume", "new_cycle", "full"]
PriorityChangeMode = Literal["retarget", "initial", "final"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_SECONDS_PER_DAY = 86_400


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
            return 7 * _SECONDS_PER_DAY
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
        text = json.dumps(payload, sort_keys=True, default=_jsonable)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _jsonable(value: object) -> object:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# --- loading --------------------------------------------------------------------------------


def preset_names() -> tuple[str, ...]:
    """The policies shipped with ticketlens (``src/ticketlens/clock/presets/*.toml``)."""
    folder = files("ticketlens.clock").joinpath("presets")
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                        if p.name.endswith(".toml")))


def preset_path(name: str) -> Path:
    return Path(str(files("ticketlens.clock").joinpath("presets", f"{name}.toml")))


def load_policy(policy: str | Path | Policy | None = None,
                roles: ActivityRoles | None = None) -> Policy:
    """A validated policy from a preset name, a TOML path, or an already loaded ``Policy``,
    bound to ``roles`` (default: the ticketlens vocabulary; see ``bind_policy``).

    ``None`` gives the default preset (``standard``).
    """
    if isinstance(policy, Policy):
        return policy if roles is None else bind_policy(policy, roles)
    if roles is not None:
        return bind_policy(load_policy(policy), roles)
    if policy is None:
        policy = DEFAULT_PRESET
    text = str(policy)
    if text in preset_names():
        return parse_policy(load_toml(preset_path(text)), origin=f"preset {text}")
    path = Path(text)
    if not path.exists():
        raise ConfigError(
            f"SLA policy {text!r} is neither a preset ({', '.join(preset_names())}) "
            "nor an existing TOML file"
        )
    return parse_policy(load_toml(path), origin=str(path))


_TOP_KEYS = ("name", "description", "timezone", "warn_at", "calendar", "priorities",
             "first_response", "calendars", "metrics", "targets", "waits")


def bind_policy(policy: Policy, roles: ActivityRoles) -> Policy:
    """``policy`` bound to ``roles``: its role lists become the activities that have them.

    A policy built by hand (no TOML document behind it) is already concrete: returned as is.
    """
    if roles is policy.roles or roles == policy.roles or not policy.raw:
        return policy
    return parse_policy(policy.raw, origin=policy.origin, roles=roles)


def parse_policy(raw: Mapping[str, Any], origin: str = "policy",
                 roles: ActivityRoles | None = None) -> Policy:
    """Validate a parsed TOML document into a ``Policy`` bound to ``roles`` (default: the
    ticketlens vocabulary); errors name ``origin`` and the key."""
    ctx = _Context(origin)
    for moved in ("lifecycle", "vocabulary"):
        if moved in raw:
            ctx.fail(moved, f"[{moved}] is no longer part of a policy: what an activity means "
                     "now comes from the source's roles (its ingest mapping, or a roles file: "
                     "`ticketlens ingest --roles roles.toml`); a policy names roles (e.g. "
                     'start = ["creation"]) and lists its priorities in `priorities` — see '
                     "docs/sla.md")
    reject_unknown_keys(raw, _TOP_KEYS, origin)
    ctx.roles = roles if roles is not None else VOCABULARY
    activities = ctx.roles.activities
    priorities = ctx.names(raw, "priorities", default=PRIORITIES)
    ctx.activities, ctx.priorities = frozenset(activities), frozenset(priorities)

    calendars = _parse_calendars(ctx, ctx.table(raw, "calendars", None))
    default_calendar = ctx.string(raw, "calendar", ALWAYS)
    if default_calendar not in calendars:
        ctx.fail("calendar", f"unknown calendar {default_calendar!r}; "
                 f"declared: {', '.join(sorted(calendars))}")
    lifecycle = _bind_lifecycle(ctx, raw)
    targets = ctx.table(raw, "targets", None)
    metrics_raw = ctx.table(raw, "metrics", None)
    unknown_targets = sorted(set(targets) - set(metrics_raw))
    if unknown_targets:
        ctx.fail(f"targets.{unknown_targets[0]}", "targets for a metric that is not declared "
                 f"under [metrics]; declared: {', '.join(sorted(metrics_raw))}")
    metrics = tuple(
        _parse_metric(ctx, name, body, targets.get(name, {}), calendars, default_calendar)
        for name, body in metrics_raw.items()
    )
    if not metrics:
        ctx.fail("metrics", "declare at least one metric, e.g. [metrics.resolution]")
    waits = tuple(_parse_wait(ctx, name, body)
                  for name, body in ctx.table(raw, "waits", None).items())
    if len(waits) > MAX_WAITS:
        # the engine's activity bit table has room for this many (sla/tickets.py)
        ctx.fail("waits", f"at most {MAX_WAITS} waiting states, got {len(waits)}")
    warn_at = raw.get("warn_at", [0.5, 0.75])
    if not isinstance(warn_at, list) or not all(
        isinstance(f, int | float) and not isinstance(f, bool) and 0 < f < 1 for f in warn_at
    ):
        ctx.fail("warn_at", "must be a list of fractions strictly between 0 and 1, e.g. [0.5, 0.75]")
    timezone = ctx.string(raw, "timezone", "UTC")
    _check_zone(ctx, "timezone", timezone)
    return Policy(
        name=ctx.string(raw, "name", Path(origin).stem),
        description=ctx.string(raw, "description", ""),
        origin=origin,
        activities=activities,
        priorities=priorities,
        timezone=timezone,
        warn_at=tuple(sorted({float(f) for f in warn_at})),
        default_calendar=default_calendar,
        calendars=calendars,
        metrics=metrics,
        lifecycle=lifecycle,
        waits=waits,
        raw=json.loads(json.dumps(raw, default=_jsonable)),
        roles=ctx.roles,
    )


def policy_json(policy: Policy) -> str:
    """The policy as it was written (JSON of its TOML), to store beside results."""
    return json.dumps({"origin": policy.origin, "policy": policy.raw})  # keeps key order


def policy_from_json(text: str) -> Policy:
    """Rebuild a policy stored with ``policy_json``."""
    stored = json.loads(text)
    return parse_policy(stored["policy"], origin=stored["origin"])


class _Context:
    """Carries the origin and vocabulary so every check can name file and key."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.activities: frozenset[str] = frozenset()
        self.priorities: frozenset[str] = frozenset()
        self.roles: ActivityRoles = VOCABULARY

    def fail(self, key: str, message: str) -> None:
        raise ConfigError(f"{self.origin}: {key}: {message}")

    def table(self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...] | None,
              where: str | None = None) -> dict[str, Any]:
        value = raw.get(key, {})
        where = where or key
        if not isinstance(value, dict):
            self.fail(where, "must be a table")
        if allowed is not None:
            reject_unknown_keys(value, allowed, f"{self.origin}: [{where}]")
        return value

    def string(self, raw: Mapping[str, Any], key: str, default: str, where: str = "") -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            self.fail(where or key, "must be a string")
        return value

    def names(self, raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = raw.get(key.rsplit(".", 1)[-1], list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(key, "must be a list of non-empty strings")
        if len(set(value)) != len(value):
            self.fail(key, "lists a name twice")
        return tuple(value)

    def activity_set(self, raw: Mapping[str, Any], key: str, where: str,
                     required: bool = False) -> frozenset[str]:
        """The activities that have any of the roles listed under ``key``."""
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "must be a list of lifecycle roles")
        unknown = [v for v in value if v not in ROLES]
        if unknown:
            hint = (" (activity names moved to the source's roles: ingest --roles)"
                    if unknown[0] in self.activities or " " in unknown[0] else "")
            self.fail(where, f"unknown role {unknown[0]!r}; roles: {', '.join(ROLES)}{hint}")
        if required and not value:
            self.fail(where, "name at least one role")
        return self.roles.having(*value)


def _origin_of(ctx: _Context, activity: str) -> str:
    entry = ctx.roles.get(activity)
    return entry.origin if entry else "?"


def _check_zone(ctx: _Context, key: str, zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.fail(key, f"unknown time zone {zone!r}; use an IANA name such as 'Europe/London'")


def _bind_lifecycle(ctx: _Context, raw: Mapping[str, Any]) -> Lifecycle:
    """The per-ticket facts' activity sets from the roles; ``first_response`` (roles, default
    the first_response role) is the policy's choice of what counts as a first response."""
    roles = ctx.roles
    first = ctx.activity_set({"x": raw.get("first_response", [Role.FIRST_RESPONSE.value])}, "x",
                             "first_response", required=True)
    return Lifecycle(
        created=roles.having(Role.CREATION), first_response=first,
        resolved=roles.having(Role.RESOLUTION), closed=roles.having(Role.CLOSURE),
        reopened=roles.having(Role.REOPEN), assigned=roles.having(Role.ASSIGNMENT),
        reassigned=roles.having(Role.REASSIGNMENT),
        de_escalated=roles.having(Role.DE_ESCALATION),
        priority_changed=roles.having(Role.PRIORITY_CHANGE), hold=roles.having(Role.ON_HOLD),
        # a source without its own escalation ladder still has the desk's tiers of people (a roster)
        escalated=roles.escalations(), entry_tier=roles.entry_tier, tiers=roles.tiers or TIERS,
        created_attribute=roles.created_attribute,
    )


_CALENDAR_KEYS = ("timezone", "hours", "country", "subdivision", "holidays")


def _parse_calendars(ctx: _Context, raw: Mapping[str, Any]) -> dict[str, Calendar]:
    calendars = {ALWAYS: Calendar(ALWAYS)}
    for name, body in raw.items():
        where = f"calendars.{name}"
        if not isinstance(body, dict):
            ctx.fail(where, "must be a table")
        reject_unknown_keys(body, _CALENDAR_KEYS, f"{ctx.origin}: [{where}]")
        zone = ctx.string(body, "timezone", "UTC", f"{where}.timezone")
        _check_zone(ctx, f"{where}.timezone", zone)
        hours_raw = body.get("hours", ALWAYS)
        if hours_raw == ALWAYS:
            if "country" in body or "holidays" in body:
                ctx.fail(where, "a 24x7 calendar has no holidays; give it weekday hours")
            calendars[name] = Calendar(name, zone)
            continue
        if not isinstance(hours_raw, dict):
            ctx.fail(f"{where}.hours", f'must be "{ALWAYS}" or a table of weekdays '
                     '(mon..sun) to lists of "HH:MM-HH:MM" ranges')
        reject_unknown_keys(hours_raw, WEEKDAYS, f"{ctx.origin}: [{where}.hours]")
        hours = tuple(_parse_day(ctx, f"{where}.hours.{day}", hours_raw.get(day, []))
                      for day in WEEKDAYS)
        if not any(hours):
            ctx.fail(f"{where}.hours", "no working hours on any day: the clock could never run")
        country = body.get("country")
        subdivision = body.get("subdivision")
        if country is not None:
            _check_country(ctx, where, country, subdivision)
        elif subdivision is not None:
            ctx.fail(f"{where}.subdivision", "needs a country")
        custom = [_date(ctx, f"{where}.holidays", d) for d in _list(ctx, body, "holidays", where)]
        calendars[name] = Calendar(name, zone, hours, country, subdivision,
                                   tuple(sorted(set(custom))))
    return calendars


def _list(ctx: _Context, body: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        ctx.fail(f"{where}.{key}", "must be a list of dates, e.g. [2024-12-24]")
    return value


def _date(ctx: _Context, where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        ctx.fail(where, f"{value!r} is not a date (write 2024-12-24)")
        raise


def _parse_day(ctx: _Context, where: str, ranges: Any) -> tuple[tuple[int, int], ...]:
    if isinstance(ranges, str):
        ranges = [ranges]
    if not isinstance(ranges, list):
        ctx.fail(where, 'must be a list of "HH:MM-HH:MM" ranges')
    parsed = []
    for text in ranges:
        match = _RANGE.match(text) if isinstance(text, str) else None
        if not match:
            ctx.fail(where, f'{text!r} is not a "HH:MM-HH:MM" range')
        h1, m1, h2, m2 = (int(g) for g in match.groups())  # type: ignore[union-attr]
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if m1 > 59 or m2 > 59 or h1 > 23 or end > _SECONDS_PER_DAY or end <= start:
            ctx.fail(where, f"{text!r} is not a range within one day (end after start, "
                     "at most 24:00)")
        parsed.append((start, end))
    parsed.sort()
    for (s1, e1), (s2, e2) in itertools.pairwise(parsed):
        if s2 < e1:
            ctx.fail(where, f"working hours overlap: {_hhmm(s1)}-{_hhmm(e1)} and "
                     f"{_hhmm(s2)}-{_hhmm(e2)}")
    return tuple(parsed)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _check_country(ctx: _Context, where: str, country: Any, subdivision: Any) -> None:
    import holidays

    supported = holidays.list_supported_countries()
    if not isinstance(country, str) or country not in supported:
        ctx.fail(f"{where}.country", f"unknown country {country!r}; use an ISO 3166 alpha-2 "
                 "code the `holidays` package supports, e.g. 'GB', 'US', 'DE'")
    if subdivision is not None and subdivision not in supported[country]:
        ctx.fail(f"{where}.subdivision", f"unknown subdivision {subdivision!r} of {country}; "
                 f"known: {', '.join(supported[country]) or 'none'}")


_METRIC_KEYS = ("start", "stop", "pause", "resume", "reopen", "on_reopen", "on_priority_change")


def _parse_metric(ctx: _Context, name: str, raw: Any, targets_raw: Any,
                  calendars: Mapping[str, Calendar], default_calendar: str) -> Metric:
    where = f"metrics.{name}"
    if not _NAME.match(name):
        ctx.fail(where, "metric names are lower-case identifiers (a-z, 0-9, _), they become "
                 "column names")
    if not isinstance(raw, dict):
        ctx.fail(where, "must be a table")
    reject_unknown_keys(raw, _METRIC_KEYS, f"{ctx.origin}: [{where}]")
    sets = {key: ctx.activity_set(raw, key, f"{where}.{key}", key in ("start", "stop"))
            for key in ("start", "stop", "pause", "resume", "reopen")}
    # One activity may both start and resume, resume and reopen (ServiceNow's "Active"), or
    # reopen into a pause; any other double role would make the clock's state ambiguous.
    for a, b in (("start", "stop"), ("start", "pause"), ("pause", "resume"), ("pause", "stop"),
                 ("stop", "resume"), ("stop", "reopen")):
        both = sets[a] & sets[b]
        if both:
            ctx.fail(f"{where}.{b}", f"activity {sorted(both)[0]!r} is also in {a} (through "
                     f"its roles, from {_origin_of(ctx, sorted(both)[0])}): an activity may "
                     f"not both {a} and {b} one clock")
    on_reopen = ctx.string(raw, "on_reopen", "resume", f"{where}.on_reopen")
    if on_reopen not in ("resume", "new_cycle", "full"):
        ctx.fail(f"{where}.on_reopen", "must be 'resume', 'new_cycle' or 'full'")
    on_change = ctx.string(raw, "on_priority_change", "retarget", f"{where}.on_priority_change")
    if on_change not in ("retarget", "initial", "final"):
        ctx.fail(f"{where}.on_priority_change", "must be 'retarget', 'initial' or 'final'")
    if not isinstance(targets_raw, dict):
        ctx.fail(f"targets.{name}", "must be a table of priority = { hours = N, calendar = ... }")
    targets = {prio: _parse_target(ctx, f"targets.{name}.{prio}", body, calendars,
                                   default_calendar)
               for prio, body in targets_raw.items()}
    return Metric(name=name, on_reopen=on_reopen, on_priority_change=on_change,  # type: ignore[arg-type]
                  targets=targets, **sets)


def _parse_target(ctx: _Context, where: str, raw: Any, calendars: Mapping[str, Calendar],
                  default_calendar: str) -> Target:
    priority = where.rsplit(".", 1)[-1]
    if priority not in ctx.priorities:
        ctx.fail(where, f"unknown priority {priority!r}; known priorities: "
                 f"{', '.join(sorted(ctx.priorities))} (declare others under [vocabulary] "
                 "priorities)")
    if not isinstance(raw, dict):
        ctx.fail(where, "must be a table such as { hours = 8, calendar = \"business\" }")
    reject_unknown_keys(raw, ("hours", "minutes", "calendar"), f"{ctx.origin}: {where}")
    units = [k for k in ("hours", "minutes") if k in raw]
    if len(units) != 1:
        ctx.fail(where, "give exactly one of hours or minutes")
    amount = raw[units[0]]
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        ctx.fail(f"{where}.{units[0]}", "must be a number")
    if amount <= 0:
        ctx.fail(f"{where}.{units[0]}", f"target must be positive, got {amount}")
    calendar = ctx.string(raw, "calendar", default_calendar, f"{where}.calendar")
    if calendar not in calendars:
        ctx.fail(f"{where}.calendar", f"unknown calendar {calendar!r}; declared: "
                 f"{', '.join(sorted(calendars))}")
    seconds = float(amount) * (3600 if units[0] == "hours" else 60)
    return Target(seconds=seconds, calendar=calendar)


def _parse_wait(ctx: _Context, name: str, raw: Any) -> Wait:
    where = f"waits.{name}"
    if not _NAME.match(name):
        ctx.fail(where, "wait names are lower-case identifiers (a-z, 0-9, _)")
    if not isinstance(raw, dict):
        ctx.fail(where, "must be a table")
    reject_unknown_keys(raw, ("enter", "leave"), f"{ctx.origin}: [{where}]")
    enter = ctx.activity_set(raw, "enter", f"{where}.enter", required=True)
    if raw.get("leave") == "any":
        return Wait(name, enter, None)
    if not raw.get("leave"):
        ctx.fail(f"{where}.leave", 'name the roles that end the wait, or "any"')
    leave = ctx.activity_set(raw, "leave", f"{where}.leave")
    if enter & leave:
        ctx.fail(f"{where}.leave", f"activity {sorted(enter & leave)[0]!r} both enters and "
                 "leaves the wait")
    return Wait(name, enter, leave)
