"""The SLA policy of a generated desk: the shipped preset ``generated-desk`` on the desk's own
business hours and time zone.

``desk_policy`` is the one place it is built from the desk configuration. The generator
computes ``sla_metrics`` with it, writes it beside the tables as ``sla-policy.toml`` and names
it in ``manifest.json`` (``sla_policy``); ingest keeps that text in the workspace, so
``ticketlens sla`` measures an ingested desk with this same policy unless ``--policy`` is
given: one definition of a breach. The default desk (Mon-Fri 09:00-17:00 UTC) gets the preset
itself, byte for byte; a desk with other hours or another zone gets the preset's definitions
on its own calendar, under its own name (``generated-desk 08:00-18:00``), so a report never
shows the preset's name for other numbers.
"""

from __future__ import annotations

import re
import textwrap
import tomllib
from dataclasses import dataclass
from typing import Any

from ticketlens.clock.policy import WEEKDAYS, Policy, parse_policy, policy_from_toml, preset_path
from ticketlens.clock.policy_toml import toml_text
from ticketlens.sources.generate.config import DeskConfig

PRESET = "generated-desk"
POLICY_FILE = "sla-policy.toml"
BUSINESS = "business"  # the preset's calendar of non-critical targets
_WORKDAYS = WEEKDAYS[:5]  # the desk works Monday to Friday, no holidays (docs/generate.md)
_SPAN = re.compile(r"Mon-Fri \d\d:\d\d-\d\d:\d\d \S+?(?=\)|,|$)")


@dataclass(frozen=True)
class DeskPolicy:
    """The desk's policy, and the exact TOML text it was parsed from (``sla-policy.toml``)."""

    policy: Policy
    toml: str


def desk_policy(desk: DeskConfig) -> DeskPolicy:
    """The policy ``sla_metrics`` and, on an ingest of the desk, ``ticketlens sla`` use."""
    preset_text = preset_path(PRESET).read_text(encoding="utf-8")
    preset = tomllib.loads(preset_text)
    doc = _on_desk_calendar(preset, desk)
    if doc == preset:
        text = preset_text
    else:
        span = _span(desk)
        doc["name"] = _name(desk)
        described = str(preset.get("description", ""))
        doc["description"] = (_SPAN.sub(span, described) if _SPAN.search(described)
                              else f"{described} (business hours {span})")
        doc = {"name": doc.pop("name"), "description": doc.pop("description"), **doc}
        text = toml_text(doc, textwrap.wrap(
            f'SLA policy "{doc["name"]}" of this generated desk: the shipped preset "{PRESET}" '
            f"on the desk's business hours, {span} (its [window] timezone and [calendar] "
            "business_hours). `ticketlens generate` computed sla_metrics with it; `ticketlens "
            "ingest` keeps it in the workspace and `ticketlens sla` uses it by default there.",
            width=92))
    return DeskPolicy(policy_from_toml(text, origin=POLICY_FILE), text)


def _on_desk_calendar(preset: dict[str, Any], desk: DeskConfig) -> dict[str, Any]:
    """A copy of the preset's document with the business calendar and zones of the desk."""
    doc = parse_policy(preset, origin=f"preset {PRESET}").raw  # a deep copy, validated
    lo, hi = desk.calendar.business_hours
    zone = desk.window.timezone
    doc["timezone"] = zone  # reporting days and hours in the desk's zone, as its timestamps
    business = doc["calendars"][BUSINESS]
    business["timezone"] = zone
    business["hours"] = {day: [f"{lo:02d}:00-{hi:02d}:00"] for day in _WORKDAYS}
    return doc


def _name(desk: DeskConfig) -> str:
    """``generated-desk 08:00-18:00``, and the zone when it is not UTC."""
    lo, hi = desk.calendar.business_hours
    zone = "" if desk.window.timezone == "UTC" else f" {desk.window.timezone}"
    return f"{PRESET} {lo:02d}:00-{hi:02d}:00{zone}"


def _span(desk: DeskConfig) -> str:
    lo, hi = desk.calendar.business_hours
    return f"Mon-Fri {lo:02d}:00-{hi:02d}:00 {desk.window.timezone}"


__all__ = ["POLICY_FILE", "PRESET", "DeskPolicy", "desk_policy"]
