"""ticketlens: IT service-desk tickets into answers.

The public API mirrors the CLI verb for verb::

    import ticketlens as tl
    tl.generate("desk/", tickets=5_000, seed=7)      # ticketlens generate --out desk/ ...
    summary = tl.ingest(["desk/"], db="ws.duckdb")   # ticketlens ingest desk/ --db ws.duckdb
    facts = tl.sla("ws.duckdb")                      # ticketlens sla --db ws.duckdb
    fit = tl.fit_policy("ws.duckdb", out="p.toml")   # ticketlens sla fit --db ws.duckdb --out p.toml
    report = tl.kpi("ws.duckdb")                     # ticketlens kpi --db ws.duckdb
    tl.mine.dfg("ws.duckdb")                         # ticketlens mine dfg --db ws.duckdb

Names load on first use, so ``import ticketlens`` and ``ticketlens --help`` do not pay for
DuckDB, pandas and SciPy.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ticketlens.core.lazy import lazy_exports

if TYPE_CHECKING:
    from ticketlens.analyses import mine
    from ticketlens.analyses.kpi import kpi
    from ticketlens.analyses.sla import fit_policy, sla
    from ticketlens.core.errors import (
        AnalysisError,
        ConfigError,
        InputError,
        SchemaError,
        TicketlensError,
        WorkspaceError,
    )
    from ticketlens.core.segment import TicketFilter
    from ticketlens.core.version import VERSION as __version__
    from ticketlens.demo import demo
    from ticketlens.sources.generate import generate
    from ticketlens.sources.ingest import info, ingest

__all__ = [
    "AnalysisError",
    "ConfigError",
    "InputError",
    "SchemaError",
    "TicketFilter",
    "TicketlensError",
    "WorkspaceError",
    "__version__",
    "demo",
    "fit_policy",
    "generate",
    "info",
    "ingest",
    "kpi",
    "mine",
    "sla",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "AnalysisError": "ticketlens.core.errors:AnalysisError",
    "ConfigError": "ticketlens.core.errors:ConfigError",
    "InputError": "ticketlens.core.errors:InputError",
    "SchemaError": "ticketlens.core.errors:SchemaError",
    "TicketlensError": "ticketlens.core.errors:TicketlensError",
    "WorkspaceError": "ticketlens.core.errors:WorkspaceError",
    "demo": "ticketlens.demo:demo",
    "fit_policy": "ticketlens.analyses.sla:fit_policy",
    "TicketFilter": "ticketlens.core.segment:TicketFilter",
    "__version__": "ticketlens.core.version:VERSION",
    "generate": "ticketlens.sources.generate:generate",
    "info": "ticketlens.sources.ingest:info",
    "ingest": "ticketlens.sources.ingest:ingest",
    "kpi": "ticketlens.analyses.kpi:kpi",
    "mine": "ticketlens.analyses.mine",
    "sla": "ticketlens.analyses.sla:sla",
}, __all__)


class _Facade(ModuleType):
    """Keeps ``ticketlens.demo`` the function: the submodule of the same name would otherwise
    replace it, since importing ``ticketlens.demo`` sets that attribute on this package."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "demo" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
