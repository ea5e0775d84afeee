"""Loading TOML configuration with errors that name the file and key."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ticketlens.core.errors import ConfigError


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition (a latin-1 file is not)
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} on line {line}): TOML files "
            "must be UTF-8; save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a TOML file") from None


def reject_unknown_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """Unknown keys are errors, not silently ignored: a typo must not change results."""
    allowed = set(allowed)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (for the TOML files ticketlens writes: a fitted policy,
    a discovered model): JSON's escapes are TOML's, except DEL, which TOML must escape."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
