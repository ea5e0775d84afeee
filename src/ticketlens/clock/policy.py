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

import json
import tomllib
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from ticketlens.clock import policy_parse as parse
from ticketlens.clock.rules import (  # the model, re-exported: callers import it from here
    ALWAYS,
    DEFAULT_PRESET,
    MAX_WAITS,
    SECONDS_PER_DAY,
    WEEKDAYS,
    Calendar,
    Lifecycle,
    Metric,
    Policy,
    PriorityChangeMode,
    ReopenMode,
    Target,
    Wait,
    jsonable_policy_value,
)
from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.lifecycle import VOCABULARY, ActivityRoles
from ticketlens.core.schema import PRIORITIES

__all__ = [
    "ALWAYS", "DEFAULT_PRESET", "MAX_WAITS", "SECONDS_PER_DAY", "WEEKDAYS", "Calendar",
    "Lifecycle", "Metric", "Policy", "PriorityChangeMode", "ReopenMode", "Target", "Wait",
    "bind_policy", "load_policy", "parse_policy", "policy_from_json", "policy_from_toml",
    "policy_json", "preset_names", "preset_path",
]

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


def policy_from_toml(text: str, origin: str) -> Policy:
    """A validated policy from TOML text (a policy kept as text: a generated desk's
    ``sla-policy.toml`` in the workspace); errors name ``origin``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    return parse_policy(raw, origin=origin)


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
    ctx = parse.Context(origin)
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

    calendars = parse.parse_calendars(ctx, ctx.table(raw, "calendars", None))
    default_calendar = ctx.string(raw, "calendar", ALWAYS)
    if default_calendar not in calendars:
        ctx.fail("calendar", f"unknown calendar {default_calendar!r}; "
                 f"declared: {', '.join(sorted(calendars))}")
    lifecycle = parse.bind_lifecycle(ctx, raw)
    targets = ctx.table(raw, "targets", None)
    metrics_raw = ctx.table(raw, "metrics", None)
    unknown_targets = sorted(set(targets) - set(metrics_raw))
    if unknown_targets:
        ctx.fail(f"targets.{unknown_targets[0]}", "targets for a metric that is not declared "
                 f"under [metrics]; declared: {', '.join(sorted(metrics_raw))}")
    metrics = tuple(
        parse.parse_metric(ctx, name, body, targets.get(name, {}), calendars, default_calendar)
        for name, body in metrics_raw.items()
    )
    if not metrics:
        ctx.fail("metrics", "declare at least one metric, e.g. [metrics.resolution]")
    waits = tuple(parse.parse_wait(ctx, name, body)
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
    parse.check_zone(ctx, "timezone", timezone)
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
        raw=json.loads(json.dumps(raw, default=jsonable_policy_value)),
        roles=ctx.roles,
    )


def policy_json(policy: Policy) -> str:
    """The policy as it was written (JSON of its TOML), to store beside results."""
    return json.dumps({"origin": policy.origin, "policy": policy.raw})  # keeps key order


def policy_from_json(text: str) -> Policy:
    """Rebuild a policy stored with ``policy_json``."""
    stored = json.loads(text)
    return parse_policy(stored["policy"], origin=stored["origin"])
