"""Column mappings: which source column is the case id, the activity, the timestamp, ...

A mapping comes from a small TOML file (``--map FILE``), a built-in name (``--map servicenow``),
command-line flags (``--case``, ``--activity``, ``--timestamp``, ...), or a mix (flags override
the file). Two shapes exist:

* **event log** — one row per event: ``activity`` (one column, or several joined) and
  ``timestamp`` name the columns;
* **ticket table** — one row per ticket: ``[events]`` names, per activity, the column holding the
  instant it happened; each non-empty instant becomes one event, a missing one stays missing.

Reference with examples: docs/ingest.md.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from ticketlens.clock.policy import preset_names
from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError, SchemaError
from ticketlens.core.lifecycle import ActivityRoles, parse_roles

EVENT_FIELDS = ("resource", "priority", "category", "department", "notes", "event_id")
FIELD_FLAGS = {
    "case": "--case",
    "activity": "--activity",
    "timestamp": "--timestamp",
    "resource": "--resource",
    "priority": "--priority",
    "category": "--category",
    "department": "--department",
    "notes": "--notes",
    "event_id": "--event-id",
    "created": "--created",
}
ALLOWED_KEYS = (
    "name", "description", "format", "detect", "case", "activity", "activity_separator",
    "timestamp", *EVENT_FIELDS, "created", "events", "case_attributes", "instants", "missing",
    "unassigned", "timestamp_format", "dayfirst", "delimiter", "encoding", "optional",
    "activity_names", "roles", "policy",
)
FORMATS = ("csv", "servicenow", "ticket-table", "events")


@dataclass(frozen=True)
class Mapping:
    """How the columns of one tabular source become events and case attributes."""

    name: str = "custom"
    description: str = ""
    format: str = "csv"
    detect: tuple[str, ...] = ()
    case: str | None = None
    activity: tuple[str, ...] = ()
    activity_separator: str = " - "
    timestamp: str | None = None
    resource: str | None = None
    priority: str | None = None
    category: str | None = None
    department: str | None = None
    notes: str | None = None
    event_id: str | None = None
    created: str | None = None
    events: tuple[tuple[str, str], ...] = ()
    case_attributes: tuple[tuple[str, str], ...] = ()
    instants: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unassigned: tuple[str, ...] = ()
    timestamp_format: tuple[str, ...] = ()
    dayfirst: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    optional: tuple[str, ...] = ()
    activity_names: tuple[tuple[str, str], ...] = ()
    # what the source's activities mean (core/lifecycle.py); None: nothing declared
    roles: ActivityRoles | None = field(default=None, compare=False)
    # the shipped SLA preset this source's own definitions are (clock/presets); None: the
    # source has none of its own, analyses assume the standard preset and say so
    policy: str | None = field(default=None, compare=False)
    source: str = field(default="built-in", compare=False)

    @property
    def is_ticket_table(self) -> bool:
        return bool(self.events)

    def field_columns(self) -> dict[str, str]:
        """Event fields mapped to a column: {'resource': 'Resource', ...}."""
        return {f: getattr(self, f) for f in EVENT_FIELDS if getattr(self, f)}

    def used_columns(self) -> set[str]:
        used = {c for c in (self.case, self.timestamp) if c}
        used.update(self.activity)
        used.update(self.field_columns().values())
        used.update(column for _, column in self.events)
        return used

    def resolve(self, columns: list[str], where: str) -> Mapping:
        """Check the mapped columns exist, dropping what a built-in marks optional.

        ``optional`` lists field names (``resource``) or column names; a built-in mapping also
        drops case attributes whose column is absent (exports differ in their extra columns).
        """
        present = set(columns)
        optional = set(self.optional)
        dropped: dict[str, Any] = {}
        for name in (*EVENT_FIELDS, "created"):
            column = getattr(self, name)
            if column and column not in present and (name in optional or column in optional):
                dropped[name] = None
        events = tuple((a, c) for a, c in self.events if c in present or c not in optional)
        attributes = self.case_attributes
        if self.source == "built-in":
            attributes = tuple((a, c) for a, c in attributes if c in present)
        mapping = replace(self, **dropped, events=events, case_attributes=attributes,
                          instants=tuple(c for c in self.instants if c in present))
        problems = mapping._missing(present)
        if problems:
            shown = ", ".join(repr(c) for c in columns[:40])
            more = f" (+{len(columns) - 40} more)" if len(columns) > 40 else ""
            raise SchemaError(
                f"{where}: {'; '.join(problems)}. Columns found: {shown}{more}. "
                "Name the right columns with the flags shown, or in a mapping TOML (--map FILE; "
                "see docs/ingest.md)"
            )
        return mapping

    def _missing(self, present: set[str]) -> list[str]:
        problems: list[str] = []

        def need(key: str, column: str | None, flag: str) -> None:
            if column is None:
                problems.append(f"no {key} column given ({flag} COLUMN)")
            elif column not in present:
                problems.append(f"{key} column {column!r} not found ({flag} COLUMN)")

        need("case id", self.case, "--case")
        if self.is_ticket_table:
            for activity, column in self.events:
                if column not in present:
                    problems.append(f"column {column!r} for event {activity!r} not found "
                                    f"([events] in the mapping)")
        else:
            if not self.activity:
                problems.append("no activity column given (--activity COLUMN, repeatable to "
                                "join several)")
            for column in self.activity:
                if column not in present:
                    problems.append(f"activity column {column!r} not found (--activity COLUMN)")
            need("timestamp", self.timestamp, "--timestamp")
        for key in (*EVENT_FIELDS, "created"):
            column = getattr(self, key)
            if column and column not in present:
                problems.append(f"{key} column {column!r} not found ({FIELD_FLAGS[key]} COLUMN)")
        for attribute, column in self.case_attributes:
            if column not in present:
                problems.append(f"column {column!r} for case attribute {attribute!r} not found "
                                "([case_attributes] in the mapping)")
        return problems


def _str_tuple(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: {key} must be a string or a list of strings, not {value!r}")


def _str_table(value: Any, key: str, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, MappingType) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f'{where}: [{key}] must be a table of name = "column" strings')
    return tuple(value.items())


def from_dict(data: MappingType[str, Any], where: str, source: str = "file") -> Mapping:
    """Build a Mapping from parsed TOML (or flags), naming ``where`` in every error."""
    reject_unknown_keys(data, ALLOWED_KEYS, where)
    kwargs: dict[str, Any] = {"source": source}
    for key in ("name", "description", "case", "timestamp", *EVENT_FIELDS, "created",
                "activity_separator", "delimiter", "encoding", "policy"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"{where}: {key} must be a string, not {data[key]!r}")
            kwargs[key] = data[key]
    if "policy" in kwargs and kwargs["policy"] not in preset_names():
        raise ConfigError(f"{where}: policy must name a shipped SLA preset "
                          f"({', '.join(preset_names())}), not {kwargs['policy']!r}")
    if "format" in data:
        if data["format"] not in FORMATS:
            raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}, "
                              f"not {data['format']!r}")
        kwargs["format"] = data["format"]
    for key in ("activity", "detect", "instants", "missing", "unassigned", "timestamp_format",
                "optional"):
        if key in data:
            kwargs[key] = _str_tuple(data[key], key, where)
    for key in ("events", "case_attributes", "activity_names"):
        if key in data:
            kwargs[key] = _str_table(data[key], key, where)
    if "dayfirst" in data:
        if not isinstance(data["dayfirst"], bool):
            raise ConfigError(f"{where}: dayfirst must be true or false")
        kwargs["dayfirst"] = data["dayfirst"]
    if kwargs.get("events") and (kwargs.get("activity") or kwargs.get("timestamp")):
        raise ConfigError(
            f"{where}: give either activity + timestamp (one row per event) or [events] "
            "(one row per ticket), not both"
        )
    if "roles" in data:
        if not isinstance(data["roles"], dict):
            raise ConfigError(f"{where}: [roles] must be a table (see docs/ingest.md)")
        name = kwargs.get("name", "custom")
        kwargs["roles"] = parse_roles(data["roles"], f"mapping {name}")
    if kwargs.get("events") and kwargs.get("format", "csv") == "csv":
        kwargs["format"] = "ticket-table"
    return Mapping(**kwargs)


def builtin_names() -> list[str]:
    folder = files("ticketlens.sources.ingest").joinpath("mappings")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def builtin(name: str) -> Mapping:
    resource = files("ticketlens.sources.ingest").joinpath("mappings", f"{name}.toml")
    if not resource.is_file():
        raise ConfigError(
            f"no built-in mapping {name!r}: use one of {', '.join(builtin_names())} or a TOML "
            "file path"
        )
    import tomllib

    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return from_dict(data, f"built-in mapping {name!r}", source="built-in")


def all_builtins() -> list[Mapping]:
    return [builtin(name) for name in builtin_names()]


def load_mapping(spec: str | Path | MappingType[str, Any] | Mapping | None) -> Mapping | None:
    """A mapping from a TOML path, a built-in name, a dict, or a Mapping."""
    if spec is None or isinstance(spec, Mapping):
        return spec
    if isinstance(spec, MappingType):
        return from_dict(spec, "mapping", source="dict")
    path = Path(spec)
    if path.suffix.lower() == ".toml" or path.exists():
        return from_dict(load_toml(path), f"mapping {path}", source=str(path))
    return builtin(str(spec))


def with_flags(base: Mapping | None, flags: MappingType[str, Any]) -> Mapping | None:
    """Override ``base`` with the command-line mapping flags that were given."""
    given = {k: v for k, v in flags.items() if v not in (None, (), [])}
    if not given:
        return base
    if "activity" in given:
        given["activity"] = _str_tuple(given["activity"], "activity", "--activity")
    if base is None:
        return from_dict(given, "mapping flags", source="flags")
    return replace(base, **given, name=f"{base.name} + flags")
