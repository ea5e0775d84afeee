"""The roster model: who works at which tier, in which team, skilled in what.

Event logs name people, not tiers; a roster states them. One model for every way a roster
arrives: a generated desk's manifest, a roster file the user passes to ``ingest --roster`` (a
CSV, or a desk TOML's ``[[technician]]`` blocks), and the generator's own desk configuration,
which checks names and tiers with the same rules (``check_name``, ``check_tier``).

Roster CSV: a header row, then one technician a row. Columns ``name`` and ``tier`` are
required, ``team`` and ``skills`` optional (``skills``: categories separated by ``;``, e.g.
``Network;Hardware``). Tiers are ``L1``, ``L2``, ``L3`` and ``Manager``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ticketlens.core.config import load_toml
from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import TIERS

CSV_COLUMNS = ("name", "tier", "team", "skills")
SKILL_SEPARATOR = ";"


@dataclass(frozen=True)
class Technician:
    """One person of a roster: tier (one of ``TIERS``), team and skilled categories."""

    name: str
    tier: str
    team: str | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterFile:
    """The technicians a roster file names, in file order."""

    path: Path
    technicians: tuple[Technician, ...]


def check_name(value: Any, label: str) -> str:
    """A technician's name: non-empty text (stripped)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{label}: name must be a non-empty text")
    return value.strip()


def check_tier(value: Any, label: str) -> str:
    """A technician's tier: one of ``TIERS``."""
    if value not in TIERS:
        raise ConfigError(f"{label}: tier = {value!r} is not a tier; use one of "
                          f"{', '.join(TIERS)}")
    return str(value)


def duplicate_names(names: Iterable[str]) -> list[str]:
    """Names given more than once, sorted."""
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return sorted(twice)


def load_roster_file(path: str | Path) -> RosterFile:
    """The roster in ``path``: a ``.toml`` desk file's ``[[technician]]`` blocks, else a CSV.

    Any error is one ``ConfigError`` line naming the file, the line and the column (or key).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"roster file not found: {path}")
    techs = _from_toml(path) if path.suffix.lower() == ".toml" else _from_csv(path)
    if not techs:
        raise ConfigError(f"{path}: the roster names no technician")
    return RosterFile(path, tuple(techs))


def _from_csv(path: Path) -> list[Technician]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None:
        raise ConfigError(f"{path}: the roster file is empty; give a header row "
                          f"({', '.join(CSV_COLUMNS)}) and one row per technician")
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise ConfigError(f"{path} line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
                          f"a roster has {', '.join(CSV_COLUMNS)}")
    for needed in ("name", "tier"):
        if needed not in columns:
            raise ConfigError(f"{path} line 1: no {needed!r} column; a roster has "
                              f"{', '.join(CSV_COLUMNS)} (name and tier required)")
    found: dict[str, tuple[int, Technician]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise ConfigError(f"{path} line {line}: {len(row)} fields, the header has "
                              f"{len(columns)}")
        cells = {c: v.strip() for c, v in zip(columns, row, strict=True)}
        where = f"{path} line {line}, column"
        name = check_name(cells["name"], f"{where} name")
        tech = Technician(
            name=name, tier=check_tier(cells["tier"], f"{where} tier"),
            team=cells.get("team") or None,
            skills=tuple(s.strip() for s in cells.get("skills", "").split(SKILL_SEPARATOR)
                         if s.strip()))
        _add(found, tech, line, path)
    return [tech for _, tech in found.values()]


def _from_toml(path: Path) -> list[Technician]:
    blocks = load_toml(path).get("technician")
    if not isinstance(blocks, list):
        raise ConfigError(f"{path}: no [[technician]] blocks; give one per person with "
                          "name and tier (team and skills optional)")
    # tomllib gives no positions: the n-th [[technician]] header is the n-th block's line
    lines = [i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if re.match(r"\s*\[\[\s*technician\s*\]\]", text)]
    found: dict[str, tuple[int, Technician]] = {}
    for i, block in enumerate(blocks):
        line = lines[i] if i < len(lines) else 0
        label = f"{path} line {line} ([[technician]] #{i + 1}), key"
        if not isinstance(block, dict):
            raise ConfigError(f"{path} line {line}: [[technician]] #{i + 1} must be a table")
        skills = block.get("skills", ())
        # a desk TOML maps categories to proficiencies; a plain list of categories is fine too
        if isinstance(skills, dict):
            skills = list(skills)
        if not isinstance(skills, list | tuple) or not all(isinstance(s, str) for s in skills):
            raise ConfigError(f"{label} skills: give a list of categories or a table of "
                              "category = proficiency")
        team = block.get("team")
        tech = Technician(name=check_name(block.get("name"), f"{label} name"),
                          tier=check_tier(block.get("tier"), f"{label} tier"),
                          team=None if team is None else str(team), skills=tuple(skills))
        _add(found, tech, line, path)
    return [tech for _, tech in found.values()]


def _add(found: dict[str, tuple[int, Technician]], tech: Technician, line: int,
         path: Path) -> None:
    """Keep ``tech``; the same name again must agree on tier and team (skills are merged)."""
    if tech.name not in found:
        found[tech.name] = (line, tech)
        return
    first, earlier = found[tech.name]
    for column in ("tier", "team"):
        if getattr(earlier, column) != getattr(tech, column):
            raise ConfigError(
                f"{path} line {line}, column {column}: {tech.name!r} is given {column} "
                f"{getattr(tech, column)!r} here and {getattr(earlier, column)!r} on line {first}")
    skills = tuple(dict.fromkeys((*earlier.skills, *tech.skills)))
    found[tech.name] = (first, Technician(earlier.name, earlier.tier, earlier.team, skills))
