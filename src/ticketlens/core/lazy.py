"""Package names that load on first use (PEP 562), so importing a package stays cheap.

A package lists its public names as ``{"name": "module:attribute"}`` (or ``"module"`` for a
module itself) and binds ``__getattr__, __dir__ = lazy_exports(__name__, table, __all__)``.
It imports the same names under ``TYPE_CHECKING`` for type checkers and the import-rule test.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, table: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for the names in ``table``."""
    names = sorted(public)

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__
