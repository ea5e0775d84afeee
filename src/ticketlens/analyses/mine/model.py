"""The reference model of a ticket's intended lifecycle: a small, user-editable TOML.

::

    [model]
    name = "Service desk ticket lifecycle"
    start = ["Ticket Created"]          # a ticket must begin with one of these
    end = ["Ticket Closed"]             # ... and (with strict_end) finish with one of these
    anywhere = ["Priority Changed"]     # allowed at any point; they leave the lifecycle as is

    [transitions]                       # activity = the activities allowed directly after it
    "Ticket Created" = ["Ticket Assigned"]
    ...

The shipped default (``lifecycle.toml`` beside this module) is the happy paths of the generated
desk; copy it and edit. Every activity the model names must be one the workspace holds or one of
the ticketlens vocabulary, so a typo is an error, not a silently unreachable step.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.errors import ConfigError
from ticketlens.core.schema import ACTIVITIES

DEFAULT_MODEL_NAME = "lifecycle.toml"


@dataclass(frozen=True)
class ReferenceModel:
    """Allowed directly-follows transitions, start and end activities, and anywhere steps."""

    name: str
    source: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    anywhere: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]

    @property
    def activities(self) -> tuple[str, ...]:
        """Every activity of the lifecycle (anywhere steps excluded), in a stable order."""
        seen: dict[str, None] = {}
        for activity in (*self.start, *self.transitions, *self.end):
            seen.setdefault(activity)
        for targets in self.transitions.values():
            for activity in targets:
                seen.setdefault(activity)
        return tuple(seen)


def default_model_path() -> Path:
    """The shipped reference model (copy it to edit it)."""
    return Path(str(files("ticketlens.analyses.mine").joinpath(DEFAULT_MODEL_NAME)))


def load_model(path: str | Path | None = None) -> ReferenceModel:
    """Read and check a reference model TOML (default: the shipped ticket lifecycle)."""
    path = Path(path) if path is not None else default_model_path()
    where = str(path)
    raw = load_toml(path)
    reject_unknown_keys(raw, ("model", "transitions"), where)
    head = _table(raw, "model", where)
    reject_unknown_keys(head, ("name", "start", "end", "anywhere"), f"{where}: [model]")
    transitions_raw = _table(raw, "transitions", where)
    start = _names(head.get("start"), f"{where}: [model] start", required=True)
    end = _names(head.get("end"), f"{where}: [model] end", required=True)
    anywhere = _names(head.get("anywhere", []), f"{where}: [model] anywhere", required=False)
    transitions = {
        source: _names(targets, f"{where}: [transitions] {source!r}", required=True)
        for source, targets in transitions_raw.items()
    }
    name = head.get("name", path.stem)
    if not isinstance(name, str):
        raise ConfigError(f"{where}: [model] name must be a text")
    model = ReferenceModel(name, where, start, end, anywhere, transitions)
    _check_shape(model, where)
    return model


def check_activities(model: ReferenceModel, known: Iterable[str]) -> None:
    """Every activity the model names must exist in the log or the ticketlens vocabulary."""
    vocabulary = set(known) | set(ACTIVITIES)
    for activity in (*model.activities, *model.anywhere):
        if activity not in vocabulary:
            close = difflib.get_close_matches(activity, sorted(vocabulary), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{model.source}: reference model names unknown activity {activity!r}: it is "
                f"neither in the workspace nor in the ticketlens vocabulary{hint} "
                "(fix the name in the model, or ingest the log that has it)"
            )


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    table = raw.get(key)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{key}] is missing or not a table; see the shipped "
                          f"{DEFAULT_MODEL_NAME} for the layout")
    return table


def _names(value: Any, key: str, *, required: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key} must be a list of activity names, e.g. [\"Ticket Closed\"]")
    if required and not value:
        raise ConfigError(f"{key} is empty; give at least one activity")
    return tuple(dict.fromkeys(value))


def _check_shape(model: ReferenceModel, where: str) -> None:
    overlap = sorted(set(model.anywhere) & set(model.activities))
    if overlap:
        raise ConfigError(f"{where}: {', '.join(overlap)} is both an `anywhere` step and part of "
                          "the lifecycle; list it in one place only")
    for activity in model.activities:
        if activity not in model.transitions and activity not in model.end:
            raise ConfigError(
                f"{where}: {activity!r} can be reached but has no [transitions] entry and is "
                "not an end activity, so no ticket could finish after it; add "
                f"\"{activity}\" = [...] under [transitions] or list it in [model] end"
            )
