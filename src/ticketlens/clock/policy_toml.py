"""A policy document written as TOML: the one writer of the policies ticketlens makes (the one
`sla fit` fits, a generated desk's ``sla-policy.toml``), laid out as the shipped presets are."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ticketlens.core.config import toml_string


def toml_text(doc: Mapping[str, Any], header: Sequence[str]) -> str:
    """The policy document as TOML under a comment header, laid out as the presets are:
    scalars and lists on one line, one ``[table]`` per section, targets one line each.

    A policy document holds only strings, numbers, booleans, lists of those and tables
    (``parse_policy`` reads dates as ISO text), and JSON's rendering of each is valid TOML;
    the shipped TOML writers (tomli-w) put every list on several lines. The round trip
    through ``tomllib`` is tested."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return comment + "\n" + _table((), doc).lstrip("\n")


def _table(path: tuple[str, ...], table: Mapping[str, Any]) -> str:
    """``table`` at ``path``: its values, then its sub-tables (a target: one inline line)."""
    def inline(value: Any) -> bool:
        return not isinstance(value, Mapping) or (path[:1] == ("targets",) and not any(
            isinstance(v, Mapping) for v in value.values()))

    lines = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if inline(v)]
    text = f"\n[{'.'.join(_key(p) for p in path)}]\n" if path and lines else ""
    text += "".join(line + "\n" for line in lines)
    for key, value in table.items():
        if not inline(value):
            text += _table((*path, key), value)
    return text


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return toml_string(value) if isinstance(value, str) else json.dumps(value)


def _key(key: str) -> str:
    return key if _BARE.match(key) else toml_string(key)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
