"""The desk configuration: the shipped ``desk.toml`` overlaid with a user's file, validated into
typed frozen dataclasses.

Every rule names the key and the fix: unknown keys, unknown tiers or categories, shares that do
not sum to 1, ranges upside down, the window ending before it starts, negative counts and a
technician without skills are all ``ConfigError``.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.roster import check_name, check_tier, duplicate_names
from ticketlens.core.schema import CATEGORIES, DEPARTMENTS, PRIORITIES, TIERS

COMPLEXITIES = ("simple", "medium", "complex")
CHANNELS = ("Email", "Phone", "Portal")


@dataclass(frozen=True)
class Weights:
    """Named shares summing to 1, in a fixed order."""

    names: tuple[str, ...]
    probs: tuple[float, ...]

    def of(self, name: str) -> float:
        return self.probs[self.names.index(name)] if name in self.names else 0.0


@dataclass(frozen=True)
class Span:
    """A [low, high] range to draw a duration or count from."""

    low: float
    high: float


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive
    tickets: int
    seed: int
    timezone: str


@dataclass(frozen=True)
class Calendar:
    business_hours: tuple[int, int]
    business_hours_share: float


@dataclass(frozen=True)
class Mix:
    priority: Weights
    category: Weights
    department: Weights
    complexity: Weights
    channel: Weights


@dataclass(frozen=True)
class Timing:
    assign_minutes: Span
    work_start_minutes: Span
    l1_to_l2_hours: Span
    l2_to_l3_hours: Span
    handover_minutes: Span
    parts_business_days: Span
    user_response_hours: Span
    auto_close_business_days: Span
    resolution_simple_hours: Span
    resolution_medium_hours: Span
    resolution_complex_hours: Span
    escalation_extra: Span
    confirm_hours: Span
    close_business_days: Span
    manager_hours: Span
    hold_business_days: Span


@dataclass(frozen=True)
class Patterns:
    mismatch_escalation_boost: float
    misroute_rate: float
    false_closure_rate: float
    priority_creep_rate: float
    parts_rate: float
    parts_backorder_rate: float
    parts_backorder_business_days: Span
    awaiting_user_rate: float
    never_respond_rate: float
    ping_pong_rate: float
    weekend_warrior_rate: float
    vip_rate: float
    vip_assign_minutes: Span
    zombie_rate: float
    zombie_weeks: Span
    manager_rate: float
    on_hold_rate: float
    l1_escalation: tuple[float, float, float]  # by COMPLEXITIES
    l2_escalation: tuple[float, float, float]
    critical_phone_share: float


@dataclass(frozen=True)
class Workload:
    capacity: tuple[int, int, int, int]  # by TIERS
    tickets_per_team_day: float


@dataclass(frozen=True)
class Systems:
    transaction_systems: tuple[str, ...]
    transaction_failure_rate: float
    by_category: tuple[Weights, ...]  # by CATEGORIES


@dataclass(frozen=True)
class Technician:
    name: str
    tier: str
    team: str
    experience_years: float
    skills: tuple[tuple[str, float], ...]
    escalation_factor: float
    mistake_factor: float


@dataclass(frozen=True)
class DeskConfig:
    window: Window
    calendar: Calendar
    mix: Mix
    timing: Timing
    patterns: Patterns
    workload: Workload
    systems: Systems
    technicians: tuple[Technician, ...]
    unskilled_proficiency: float
    new_hire_slowdown: float
    ramp_up_years: float
    source: str = "default desk.toml"
    source_sha256: str = ""

    def with_overrides(self, *, tickets: int | None = None, start: date | None = None,
                       end: date | None = None, seed: int | None = None) -> DeskConfig:
        """The same desk with the window options a caller passed (validated like the file)."""
        window = self.window
        if tickets is not None:
            window = replace(window, tickets=_count(tickets, "tickets", "--tickets"))
        if start is not None:
            window = replace(window, start=_as_date(start, "--start"))
        if end is not None:
            window = replace(window, end=_as_date(end, "--end"))
        if seed is not None:
            window = replace(window, seed=_seed(seed, "--seed"))
        _check_window_order(window, "--start/--end" if (start or end) else self.source)
        return replace(self, window=window)

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as plain JSON-able data (recorded in manifest.json)."""
        return _plain(self)


# --- loading ---------------------------------------------------------------------------------

_SECTIONS = ("window", "calendar", "mix", "timing", "patterns", "workload", "systems",
             "technician", "roster")
_TECH_KEYS = ("name", "tier", "team", "experience_years", "skills", "escalation_factor",
              "mistake_factor")


def default_toml_text() -> str:
    return resources.files("ticketlens.sources.generate").joinpath("desk.toml").read_text("utf-8")


def load_config(config: str | Path | Mapping[str, Any] | DeskConfig | None = None) -> DeskConfig:
    """The default desk overlaid with ``config`` (a TOML path, a mapping of the same shape, or
    an already built ``DeskConfig``)."""
    if isinstance(config, DeskConfig):
        return config
    defaults = tomllib.loads(default_toml_text())
    if config is None:
        return _build(defaults, "desk.toml (default)", _sha(default_toml_text().encode()))
    if isinstance(config, Mapping):
        user, where, sha = dict(config), "config", ""
    else:
        path = Path(config)
        user, where = load_toml(path), str(path)
        sha = _sha(path.read_bytes())
    reject_unknown_keys(user, _SECTIONS, f"{where}: top level")
    merged: dict[str, Any] = {}
    for section in _SECTIONS:
        base, mine = defaults.get(section), user.get(section)
        if section in ("technician",):
            merged[section] = mine if mine is not None else base
        elif isinstance(base, dict) and isinstance(mine, dict):
            reject_unknown_keys(mine, base, f"{where}: [{section}]")
            merged[section] = {**base, **mine}
        elif mine is not None:
            raise ConfigError(f"{where}: [{section}] must be a table of keys")
        else:
            merged[section] = base
    return _build(merged, where, sha)


def _build(raw: dict[str, Any], where: str, sha: str) -> DeskConfig:
    """The merged TOML, validated section by section; the first problem found is reported."""
    window = _window(raw["window"], where)
    calendar = _calendar(raw["calendar"], where)
    mix = _mix(raw["mix"], where)
    timing = Timing(**{f.name: _span(raw["timing"][f.name], f"{where}: [timing] {f.name}")
                       for f in fields(Timing)})
    patterns = _patterns(raw["patterns"], where)
    workload = _workload(raw["workload"], where)
    systems = _systems(raw["systems"], where)
    roster = raw["roster"]
    reject_unknown_keys(roster, ("unskilled_proficiency", "new_hire_slowdown", "ramp_up_years"),
                        f"{where}: [roster]")
    unskilled = _proficiency(roster["unskilled_proficiency"],
                             f"{where}: [roster] unskilled_proficiency")
    slowdown = _non_negative(roster["new_hire_slowdown"], f"{where}: [roster] new_hire_slowdown")
    ramp_up = _positive(roster["ramp_up_years"], f"{where}: [roster] ramp_up_years")
    technicians = _technicians(raw["technician"], where)
    return DeskConfig(window, calendar, mix, timing, patterns, workload, systems, technicians,
                      unskilled, slowdown, ramp_up, where, sha)


def _window(w: dict[str, Any], where: str) -> Window:
    window = Window(
        start=_as_date(w["start"], f"{where}: [window] start"),
        end=_as_date(w["end"], f"{where}: [window] end"),
        tickets=_count(w["tickets"], "tickets", f"{where}: [window] tickets"),
        seed=_seed(w["seed"], f"{where}: [window] seed"),
        timezone=_timezone(w["timezone"], f"{where}: [window] timezone"),
    )
    _check_window_order(window, where)
    return window


def _calendar(c: dict[str, Any], where: str) -> Calendar:
    hours = _span(c["business_hours"], f"{where}: [calendar] business_hours")
    lo, hi = int(hours.low), int(hours.high)
    if lo != hours.low or hi != hours.high or not 0 <= lo < hi <= 24:
        raise ConfigError(f"{where}: [calendar] business_hours = {c['business_hours']!r}: give two "
                          "whole hours [start, end] with 0 <= start < end <= 24, e.g. [9, 17]")
    return Calendar((lo, hi), _rate(c["business_hours_share"],
                                    f"{where}: [calendar] business_hours_share"))


def _mix(m: dict[str, Any], where: str) -> Mix:
    reject_unknown_keys(m, ("priority", "category", "department", "complexity", "channel"),
                        f"{where}: [mix]")
    return Mix(
        priority=_weights(m["priority"], PRIORITIES, f"{where}: [mix.priority]"),
        category=_weights(m["category"], CATEGORIES, f"{where}: [mix.category]"),
        department=_weights(m["department"], DEPARTMENTS, f"{where}: [mix.department]"),
        complexity=_weights(m["complexity"], COMPLEXITIES, f"{where}: [mix.complexity]"),
        channel=_weights(m["channel"], CHANNELS, f"{where}: [mix.channel]"),
    )


def _patterns(p: dict[str, Any], where: str) -> Patterns:
    values: dict[str, Any] = {}
    for f in fields(Patterns):
        key = f"{where}: [patterns] {f.name}"
        value = p[f.name]
        if f.type == "Span":
            values[f.name] = _span(value, key)
        elif f.name in ("l1_escalation", "l2_escalation"):
            if not isinstance(value, dict):
                raise ConfigError(f"{key} must be a table {{ simple = .., medium = .., complex = .. }}")
            reject_unknown_keys(value, COMPLEXITIES, key)
            missing = [k for k in COMPLEXITIES if k not in value]
            if missing:
                raise ConfigError(f"{key}: missing {', '.join(missing)}; give a chance per complexity")
            values[f.name] = tuple(_rate(value[k], f"{key}.{k}") for k in COMPLEXITIES)
        elif f.name == "mismatch_escalation_boost":
            values[f.name] = _positive(value, key)
        else:
            values[f.name] = _rate(value, key)
    return Patterns(**values)


def _workload(wl: dict[str, Any], where: str) -> Workload:
    cap = wl["capacity"]
    cap_key = f"{where}: [workload] capacity"
    if not isinstance(cap, dict):
        raise ConfigError(f"{cap_key} must be a table {{ L1 = .., L2 = .., L3 = .., Manager = .. }}")
    unknown = sorted(set(cap) - set(TIERS))
    if unknown:
        raise ConfigError(f"{cap_key}: unknown tier(s) {', '.join(unknown)}; tiers are "
                          f"{', '.join(TIERS)}")
    missing = [tier for tier in TIERS if tier not in cap]
    if missing:
        raise ConfigError(f"{cap_key}: missing {', '.join(missing)}; give a capacity per tier")
    return Workload(
        capacity=tuple(_count(cap[tier], "capacity", f"{cap_key}.{tier}") for tier in TIERS),
        tickets_per_team_day=_positive(wl["tickets_per_team_day"],
                                       f"{where}: [workload] tickets_per_team_day"),
    )


def _systems(s: dict[str, Any], where: str) -> Systems:
    reject_unknown_keys(s, ("transaction_systems", "transaction_failure_rate", *CATEGORIES),
                        f"{where}: [systems]")
    by_category = []
    for category in CATEGORIES:
        key = f"{where}: [systems] {category}"
        if category not in s:
            raise ConfigError(f"{key} is missing; give the systems of {category} tickets")
        table = s[category]
        if not isinstance(table, dict) or not table:
            raise ConfigError(f"{key} must be a table of system = share")
        by_category.append(_weights(table, tuple(table), key))
    tx = s["transaction_systems"]
    if not isinstance(tx, list) or not all(isinstance(x, str) for x in tx):
        raise ConfigError(f"{where}: [systems] transaction_systems must be a list of system names")
    return Systems(tuple(tx), _rate(s["transaction_failure_rate"],
                                    f"{where}: [systems] transaction_failure_rate"),
                   tuple(by_category))


def _technicians(items: Any, where: str) -> tuple[Technician, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: [[technician]] is missing; list the desk's people, one "
                          "[[technician]] block each")
    techs = []
    for i, item in enumerate(items, start=1):
        label = f"{where}: [[technician]] #{i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{label} must be a table")
        if isinstance(item.get("name"), str):
            label += f" ({item['name']})"
        reject_unknown_keys(item, _TECH_KEYS, label)
        missing = [k for k in _TECH_KEYS if k not in item]
        if missing:
            raise ConfigError(f"{label}: missing {', '.join(missing)}; every technician needs "
                              f"{', '.join(_TECH_KEYS)}")
        name = check_name(item["name"], label)
        tier = check_tier(item["tier"], label)
        skills = item["skills"]
        if not isinstance(skills, dict) or not skills:
            raise ConfigError(f"{label}: skills is empty; give at least one category = "
                              f"proficiency, e.g. skills = {{ Software = 0.8 }}")
        for category in skills:
            if category not in CATEGORIES:
                raise ConfigError(f"{label}: skills names unknown category {category!r}; "
                                  f"categories are {', '.join(CATEGORIES)}")
        techs.append(Technician(
            name=name,
            tier=tier,
            team=str(item["team"]),
            experience_years=_non_negative(item["experience_years"], f"{label}: experience_years"),
            skills=tuple((c, _proficiency(skills[c], f"{label}: skills.{c}"))
                         for c in CATEGORIES if c in skills),
            escalation_factor=_non_negative(item["escalation_factor"],
                                            f"{label}: escalation_factor"),
            mistake_factor=_non_negative(item["mistake_factor"], f"{label}: mistake_factor"),
        ))
    duplicates = duplicate_names(t.name for t in techs)
    if duplicates:
        raise ConfigError(f"{where}: [[technician]] names must be unique; {', '.join(duplicates)} "
                          "appears more than once")
    for tier in TIERS:
        if not any(t.tier == tier for t in techs):
            raise ConfigError(f"{where}: [[technician]] has nobody at tier {tier}; add at least "
                              f"one technician with tier = \"{tier}\"")
    return tuple(techs)


# --- value checks ------------------------------------------------------------------------------

def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key} = {value!r} is not a number; give a number")
    return float(value)


def _rate(value: Any, key: str) -> float:
    x = _number(value, key)
    if not 0.0 <= x <= 1.0:
        raise ConfigError(f"{key} = {value!r} is not a probability; use a value between 0 and 1")
    return x


def _positive(value: Any, key: str) -> float:
    x = _number(value, key)
    if x <= 0:
        raise ConfigError(f"{key} = {value!r} must be greater than 0")
    return x


def _non_negative(value: Any, key: str) -> float:
    x = _number(value, key)
    if x < 0:
        raise ConfigError(f"{key} = {value!r} is negative; use 0 or more")
    return x


def _proficiency(value: Any, key: str) -> float:
    x = _number(value, key)
    if not 0 < x <= 1:
        raise ConfigError(f"{key} = {value!r}: proficiency must be in (0, 1] (1 = expert)")
    return x


def _count(value: Any, what: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} = {value!r}: {what} must be a whole number")
    if value < 0:
        raise ConfigError(f"{key} = {value}: {what} cannot be negative; use 0 or more")
    return int(value)


def _seed(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key} = {value!r}: the seed must be a whole number >= 0")
    return int(value)


def _span(value: Any, key: str) -> Span:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigError(f"{key} = {value!r}: give a range as [low, high]")
    low, high = (_number(v, key) for v in value)
    if low < 0:
        raise ConfigError(f"{key} = {value!r}: the low end is negative; use 0 or more")
    if low > high:
        raise ConfigError(f"{key} = {value!r}: low is above high; write it as [{value[1]}, "
                          f"{value[0]}]")
    return Span(low, high)


def _weights(table: Any, allowed: tuple[str, ...], key: str) -> Weights:
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{key} must be a table of name = share")
    reject_unknown_keys(table, allowed, key)
    probs = [_rate(table[name], f"{key} {name}") for name in allowed if name in table]
    names = [name for name in allowed if name in table]
    total = math.fsum(probs)
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"{key}: the shares sum to {total:.6g}, not 1; adjust them so they add "
                          "up to 1")
    return Weights(tuple(names), tuple(probs))


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{key} = {value!r} is not a date; write it as YYYY-MM-DD")


def _timezone(value: Any, key: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key} = {value!r} is not a known time zone; use an IANA name such "
                          "as UTC or Europe/London") from None
    return str(value)


def _check_window_order(window: Window, where: str) -> None:
    if window.end < window.start:
        raise ConfigError(f"{where}: the window ends ({window.end}) before it starts "
                          f"({window.start}); set end on or after start")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(obj: Any) -> Any:
    if isinstance(obj, Weights):
        return dict(zip(obj.names, obj.probs, strict=True))
    if isinstance(obj, Span):
        return [obj.low, obj.high]
    if isinstance(obj, date):
        return obj.isoformat()
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [_plain(x) for x in obj]
    return obj
