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
desk: the *declared* model of a log in the ticketlens vocabulary. A log without a declared
model gets one discovered from its own variants (``discover.py``), which ``model_toml`` writes
in this same format, commented, for the user to edit. Every activity the model names must be
one the workspace holds or one of the ticketlens vocabulary, so a typo is an error, not a
silently unreachable step.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from ticketlens.core.config import load_toml, reject_unknown_keys
from ticketlens.core.config import toml_string as _text
from ticketlens.core.errors import ConfigError
from ticketlens.core.files import atomic_file
from ticketlens.core.schema import ACTIVITIES

DEFAULT_MODEL_NAME = "lifecycle.toml"

# Where a model came from: a file the user passed, the shipped lifecycle declared for the
# ticketlens vocabulary, or discovered from the log itself.
ModelKind = Literal["file", "declared", "discovered"]


@dataclass(frozen=True)
class ReferenceModel:
    """Allowed directly-follows transitions, start and end activities, and anywhere steps."""

    name: str
    source: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    anywhere: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]
    kind: ModelKind = "file"
    how: str = ""  # how a declared or discovered model was chosen or made, for the reports
    # Tickets behind each step of a discovered model: ("", a) starts with a, (a, "") ends with
    # a, (a, b) takes a -> b. Written as comments beside the steps, to help the user edit.
    support: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False)

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


_HEADER = """\
# {name}: the reference model `ticketlens mine conformance` checks every ticket against.
# How it was made: {how}.
# Each step below is one the kept tickets take; the comment beside it counts those tickets.
# Edit it: delete a line to forbid a step, add an activity to a list to allow one, then
#     ticketlens mine conformance --db WORKSPACE --model THIS-FILE.toml
#
# [model]
#   name      shown in reports
#   start     a ticket must begin with one of these activities
#   end       a finished ticket ends with one of these (open tickets are checked as far as they
#             got, unless --strict-end)
#   anywhere  activities allowed at any point that leave the lifecycle where it was
# [transitions]
#   "Activity" = [the activities allowed directly after it]
#
# Activity names must be ones the workspace holds (a typo is an error); activities a ticket
# shows but the model never names count as inserted steps.
"""


def model_toml(model: ReferenceModel) -> str:
    """The model as an editable TOML file in the format ``load_model`` reads: the shipped file
    as it is for the declared model; otherwise written out, with comments saying how it was
    made and, for a discovered model, how many tickets take each step."""
    if model.kind == "declared":
        return default_model_path().read_text(encoding="utf-8")
    how = model.how or f"read from {model.source}"
    lines = _HEADER.format(name=_comment(model.name), how=_comment(how)).splitlines()
    lines += ["", "[model]", f"name = {_text(model.name)}"]
    lines += _array("start", model.start, [model.support.get(("", a)) for a in model.start])
    lines += _array("end", model.end, [model.support.get((a, "")) for a in model.end])
    lines += _array("anywhere", model.anywhere, [None] * len(model.anywhere))
    lines += ["", "[transitions]"]
    for source, targets in model.transitions.items():
        lines += _array(_text(source), targets,
                        [model.support.get((source, t)) for t in targets])
    return "\n".join(lines) + "\n"


def write_model(model: ReferenceModel, path: str | Path) -> Path:
    """Write ``model_toml(model)`` to ``path`` all at once (an existing file is replaced)."""
    out = Path(path)
    text = model_toml(model)
    with atomic_file(out) as temp:
        temp.write_text(text, encoding="utf-8")
    return out


def _array(key: str, names: Iterable[str], tickets: list[int | None]) -> list[str]:
    """``key = [...]``, one name a line with its tickets as a comment (TOML allows comments
    inside arrays), so removing a step is deleting a line."""
    names = list(names)
    if not any(t is not None for t in tickets):
        return [f"{key} = [{', '.join(_text(n) for n in names)}]"]
    width = max(len(_text(n)) for n in names) + 1
    rows = [f"  {(_text(n) + ','):<{width}}  # {t:,} ticket{'' if t == 1 else 's'}"
            if t is not None
            else f"  {_text(n)}," for n, t in zip(names, tickets, strict=True)]
    return [f"{key} = [", *rows, "]"]


def _comment(value: str) -> str:
    return " ".join(value.split())  # a name or path with a line break must not end the comment
