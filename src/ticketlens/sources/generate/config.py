"""The desk configuration: the shipped ``desk.toml`` overlaid with a user's file, validated into
typed frozen dataclasses.

Every rule names the key and the fix: unknown keys, unknown tiers or categories, shares that do
not sum to 1, ranges upside down, the window ending before it starts, negative counts and a
technician without skills are all ``ConfigError``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.roster import check_name, check_tier, duplicate_names
from ticketlens.core.schema import CATEGORIES, DEPARTMENTS, PRIORITIES, TIERS
from ticketlens.sources.generate import config_values as check
from ticketlens.sources.generate.config_values import Span, Weights

COMPLEXITIES = ("simple", "medium", "complex")
# Shipped desks (presets/<name>.toml over desk.toml): the same desk with more or less staff
# for its load, from well staffed to overwhelmed.
DESK_PRESETS = ("healthy", "struggling", "failing")
CHANNELS = ("Email", "Phone", "Portal")


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
    weekly_swing: float
    weekly_persistence: float


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
    priority_creep_cap: int  # index into PRIORITIES: the highest priority creep reaches
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
    workaround_rate: tuple[float, float, float, float]  # by PRIORITIES
    workaround_work: float
    urgency_pace: tuple[float, float, float, float]  # by PRIORITIES


@dataclass(frozen=True)
class Workload:
    capacity: tuple[int, int, int, int]  # by TIERS
    concurrent: tuple[int, int, int, int]  # by TIERS: tickets worked at once (queue servers)
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
            window = replace(window, tickets=check.count(tickets, "tickets", "--tickets"))
        if start is not None:
            window = replace(window, start=check.window_day(start, "--start"))
        if end is not None:
            window = replace(window, end=check.window_day(end, "--end"))
        if seed is not None:
            window = replace(window, seed=check.seed(seed, "--seed"))
        _check_window_order(window, "--start/--end" if (start or end) else self.source)
        return replace(self, window=window)

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as plain JSON-able data (recorded in manifest.json)."""
        return check.plain(self)


# --- loading ---------------------------------------------------------------------------------

_SECTIONS = ("window", "calendar", "mix", "timing", "patterns", "workload", "systems",
             "technician", "roster")
_TECH_KEYS = ("name", "tier", "team", "experience_years", "skills", "escalation_factor",
              "mistake_factor")


def default_toml_text() -> str:
    return resources.files("ticketlens.sources.generate").joinpath("desk.toml").read_text("utf-8")


def preset_toml_text(preset: str) -> str:
    """The shipped desk preset ``preset`` (a partial desk TOML over the default desk)."""
    if preset not in DESK_PRESETS:
        raise ConfigError(f"unknown desk preset {preset!r}; presets are "
                          f"{', '.join(DESK_PRESETS)}")
    return resources.files("ticketlens.sources.generate").joinpath(
        "presets", f"{preset}.toml").read_text("utf-8")


def load_config(config: str | Path | Mapping[str, Any] | DeskConfig | None = None,
                preset: str | None = None) -> DeskConfig:
    """The default desk, overlaid with the shipped ``preset`` (``DESK_PRESETS``), then with
    ``config`` (a TOML path, a mapping of the same shape, or an already built ``DeskConfig``,
    which is taken as it is)."""
    if isinstance(config, DeskConfig):
        return config
    base = tomllib.loads(default_toml_text())
    where, sha = "desk.toml (default)", _sha(default_toml_text().encode())
    if preset is not None:
        text = preset_toml_text(preset)
        where, sha = f"desk preset {preset}", _sha(text.encode())
        base = _overlay(base, tomllib.loads(text), where)
    if config is None:
        return _build(base, where, sha)
    if isinstance(config, Mapping):
        user, where, sha = dict(config), "config", ""
    else:
        path = Path(config)
        user, where = load_toml(path), str(path)
        sha = _sha(path.read_bytes())
    return _build(_overlay(base, user, where), where, sha)


def _overlay(base: dict[str, Any], user: dict[str, Any], where: str) -> dict[str, Any]:
    """``user``'s keys over ``base``: a table replaces the same keys, [[technician]] blocks
    replace the whole roster; unknown keys are errors."""
    reject_unknown_keys(user, _SECTIONS, f"{where}: top level")
    merged: dict[str, Any] = {}
    for section in _SECTIONS:
        below, mine = base.get(section), user.get(section)
        if section in ("technician",):
            merged[section] = mine if mine is not None else below
        elif isinstance(below, dict) and isinstance(mine, dict):
            reject_unknown_keys(mine, below, f"{where}: [{section}]")
            merged[section] = {**below, **mine}
        elif mine is not None:
            raise ConfigError(f"{where}: [{section}] must be a table of keys")
        else:
            merged[section] = below
    return merged


def _build(raw: dict[str, Any], where: str, sha: str) -> DeskConfig:
    """The merged TOML, validated section by section; the first problem found is reported."""
    window = _window(raw["window"], where)
    calendar = _calendar(raw["calendar"], where)
    mix = _mix(raw["mix"], where)
    timing = Timing(**{f.name: check.span(raw["timing"][f.name], f"{where}: [timing] {f.name}",
                                      f.name)
                       for f in fields(Timing)})
    patterns = _patterns(raw["patterns"], where)
    workload = _workload(raw["workload"], where)
    systems = _systems(raw["systems"], where)
    roster = raw["roster"]
    reject_unknown_keys(roster, ("unskilled_proficiency", "new_hire_slowdown", "ramp_up_years"),
                        f"{where}: [roster]")
    unskilled = check.proficiency(roster["unskilled_proficiency"],
                                  f"{where}: [roster] unskilled_proficiency")
    slowdown = check.non_negative(roster["new_hire_slowdown"],
                                  f"{where}: [roster] new_hire_slowdown")
    ramp_up = check.positive(roster["ramp_up_years"], f"{where}: [roster] ramp_up_years")
    technicians = _technicians(raw["technician"], where)
    return DeskConfig(window, calendar, mix, timing, patterns, workload, systems, technicians,
                      unskilled, slowdown, ramp_up, where, sha)


def _window(w: dict[str, Any], where: str) -> Window:
    window = Window(
        start=check.window_day(w["start"], f"{where}: [window] start"),
        end=check.window_day(w["end"], f"{where}: [window] end"),
        tickets=check.count(w["tickets"], "tickets", f"{where}: [window] tickets"),
        seed=check.seed(w["seed"], f"{where}: [window] seed"),
        timezone=check.timezone(w["timezone"], f"{where}: [window] timezone"),
    )
    _check_window_order(window, where)
    return window


def _calendar(c: dict[str, Any], where: str) -> Calendar:
    hours = check.span(c["business_hours"], f"{where}: [calendar] business_hours")
    lo, hi = int(hours.low), int(hours.high)
    if lo != hours.low or hi != hours.high or not 0 <= lo < hi <= 24:
        raise ConfigError(f"{where}: [calendar] business_hours = {c['business_hours']!r}: give two "
                          "whole hours [start, end] with 0 <= start < end <= 24, e.g. [9, 17]")
    key = f"{where}: [calendar] weekly_swing"
    swing = check.number(c["weekly_swing"], key)
    if not 0 <= swing <= 2:
        raise ConfigError(f"{key} = {swing!r}: give a number between 0 (every week alike) and 2")
    return Calendar((lo, hi), check.rate(c["business_hours_share"],
                                         f"{where}: [calendar] business_hours_share"),
                    swing, check.rate(c["weekly_persistence"],
                                             f"{where}: [calendar] weekly_persistence"))


def _mix(m: dict[str, Any], where: str) -> Mix:
    reject_unknown_keys(m, ("priority", "category", "department", "complexity", "channel"),
                        f"{where}: [mix]")
    return Mix(
        priority=check.weights(m["priority"], PRIORITIES, f"{where}: [mix.priority]"),
        category=check.weights(m["category"], CATEGORIES, f"{where}: [mix.category]"),
        department=check.weights(m["department"], DEPARTMENTS, f"{where}: [mix.department]"),
        complexity=check.weights(m["complexity"], COMPLEXITIES, f"{where}: [mix.complexity]"),
        channel=check.weights(m["channel"], CHANNELS, f"{where}: [mix.channel]"),
    )


def _patterns(p: dict[str, Any], where: str) -> Patterns:
    values: dict[str, Any] = {}
    for f in fields(Patterns):
        key = f"{where}: [patterns] {f.name}"
        value = p[f.name]
        if f.type == "Span":
            values[f.name] = check.span(value, key, f.name)
        elif f.name in ("l1_escalation", "l2_escalation"):
            values[f.name] = _rates_by(value, COMPLEXITIES, "complexity", key)
        elif f.name in ("workaround_rate", "urgency_pace"):
            values[f.name] = _rates_by(value, PRIORITIES, "priority", key)
        elif f.name == "priority_creep_cap":
            if value not in PRIORITIES[:-1]:
                raise ConfigError(f"{key} = {value!r}: give one of "
                                  f"{', '.join(PRIORITIES[:-1])}")
            values[f.name] = PRIORITIES.index(value)
        elif f.name == "mismatch_escalation_boost":
            values[f.name] = check.positive(value, key)
        else:
            values[f.name] = check.rate(value, key)
    return Patterns(**values)


def _rates_by(value: Any, names: tuple[str, ...], what: str, key: str) -> tuple[float, ...]:
    if not isinstance(value, dict):
        listed = ", ".join(f"{n} = .." for n in names)
        raise ConfigError(f"{key} must be a table {{ {listed} }}")
    reject_unknown_keys(value, names, key)
    missing = [k for k in names if k not in value]
    if missing:
        raise ConfigError(f"{key}: missing {', '.join(missing)}; give a chance per {what}")
    return tuple(check.rate(value[k], f"{key}.{k}") for k in names)


def _workload(wl: dict[str, Any], where: str) -> Workload:
    key = f"{where}: [workload] concurrent"
    concurrent = _per_tier(wl["concurrent"], "concurrent", key)
    for tier, value in zip(TIERS[:3], concurrent[:3], strict=True):
        if value < 1:  # nobody of the tier could ever work a ticket: its queue never empties
            raise ConfigError(f"{key}.{tier} = 0: every ticket reaching {tier} would wait "
                              "forever; use 1 or more")
    return Workload(
        capacity=_per_tier(wl["capacity"], "capacity", f"{where}: [workload] capacity"),
        concurrent=concurrent,
        tickets_per_team_day=check.positive(wl["tickets_per_team_day"],
                                            f"{where}: [workload] tickets_per_team_day"),
    )


def _per_tier(table: Any, what: str, key: str) -> tuple[int, int, int, int]:
    if not isinstance(table, dict):
        raise ConfigError(f"{key} must be a table {{ L1 = .., L2 = .., L3 = .., Manager = .. }}")
    unknown = sorted(set(table) - set(TIERS))
    if unknown:
        raise ConfigError(f"{key}: unknown tier(s) {', '.join(unknown)}; tiers are "
                          f"{', '.join(TIERS)}")
    missing = [tier for tier in TIERS if tier not in table]
    if missing:
        raise ConfigError(f"{key}: missing {', '.join(missing)}; give a {what} per tier")
    a, b, c, d = (check.count(table[tier], what, f"{key}.{tier}") for tier in TIERS)
    return a, b, c, d


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
        by_category.append(check.weights(table, tuple(table), key))
    tx = s["transaction_systems"]
    if not isinstance(tx, list) or not all(isinstance(x, str) for x in tx):
        raise ConfigError(f"{where}: [systems] transaction_systems must be a list of system names")
    return Systems(tuple(tx), check.rate(s["transaction_failure_rate"],
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
            experience_years=check.non_negative(item["experience_years"],
                                                f"{label}: experience_years"),
            skills=tuple((c, check.proficiency(skills[c], f"{label}: skills.{c}"))
                         for c in CATEGORIES if c in skills),
            escalation_factor=check.non_negative(item["escalation_factor"],
                                                 f"{label}: escalation_factor"),
            mistake_factor=check.non_negative(item["mistake_factor"], f"{label}: mistake_factor"),
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


def _check_window_order(window: Window, where: str) -> None:
    if window.end < window.start:
        raise ConfigError(f"{where}: the window ends ({window.end}) before it starts "
                          f"({window.start}); set end on or after start")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
