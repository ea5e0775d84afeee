"""Validation of an SLA policy's TOML sections (``parse_policy`` in ``policy.py`` drives it):
calendars, metrics and their targets, waits, and the lifecycle bound from the roles.

Every check raises a ``ConfigError`` naming the policy's origin and the key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketlens.clock.rules import (
    ALWAYS,
    SECONDS_PER_DAY,
    WEEKDAYS,
    Calendar,
    Lifecycle,
    Metric,
    Target,
    Wait,
)
from ticketlens.core.config import reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.lifecycle import ROLES, VOCABULARY, ActivityRoles, Role
from ticketlens.core.schema import TIERS

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Context:
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


def _origin_of(ctx: Context, activity: str) -> str:
    entry = ctx.roles.get(activity)
    return entry.origin if entry else "?"


def check_zone(ctx: Context, key: str, zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.fail(key, f"unknown time zone {zone!r}; use an IANA name such as 'Europe/London'")


def bind_lifecycle(ctx: Context, raw: Mapping[str, Any]) -> Lifecycle:
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


def parse_calendars(ctx: Context, raw: Mapping[str, Any]) -> dict[str, Calendar]:
    calendars = {ALWAYS: Calendar(ALWAYS)}
    for name, body in raw.items():
        where = f"calendars.{name}"
        if not isinstance(body, dict):
            ctx.fail(where, "must be a table")
        reject_unknown_keys(body, _CALENDAR_KEYS, f"{ctx.origin}: [{where}]")
        zone = ctx.string(body, "timezone", "UTC", f"{where}.timezone")
        check_zone(ctx, f"{where}.timezone", zone)
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


def _list(ctx: Context, body: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        ctx.fail(f"{where}.{key}", "must be a list of dates, e.g. [2024-12-24]")
    return value


def _date(ctx: Context, where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        ctx.fail(where, f"{value!r} is not a date (write 2024-12-24)")
        raise


def _parse_day(ctx: Context, where: str, ranges: Any) -> tuple[tuple[int, int], ...]:
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
        if m1 > 59 or m2 > 59 or h1 > 23 or end > SECONDS_PER_DAY or end <= start:
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


def _check_country(ctx: Context, where: str, country: Any, subdivision: Any) -> None:
    import holidays

    supported = holidays.list_supported_countries()
    if not isinstance(country, str) or country not in supported:
        ctx.fail(f"{where}.country", f"unknown country {country!r}; use an ISO 3166 alpha-2 "
                 "code the `holidays` package supports, e.g. 'GB', 'US', 'DE'")
    if subdivision is not None and subdivision not in supported[country]:
        ctx.fail(f"{where}.subdivision", f"unknown subdivision {subdivision!r} of {country}; "
                 f"known: {', '.join(supported[country]) or 'none'}")


_METRIC_KEYS = ("start", "stop", "pause", "resume", "reopen", "on_reopen", "on_priority_change")


def parse_metric(ctx: Context, name: str, raw: Any, targets_raw: Any,
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


def _parse_target(ctx: Context, where: str, raw: Any, calendars: Mapping[str, Calendar],
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


def parse_wait(ctx: Context, name: str, raw: Any) -> Wait:
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
