"""ticketlens: IT service-desk tickets into answers.

The public API mirrors the CLI verb for verb::

    import ticketlens as tl
    tl.generate("desk/", tickets=5_000, seed=7)      # ticketlens generate --out desk/ ...
    summary = tl.ingest(["desk/"], db="ws.duckdb")   # ticketlens ingest desk/ --db ws.duckdb
    facts = tl.sla("ws.duckdb")                      # ticketlens sla --db ws.duckdb
    report = tl.kpi("ws.duckdb")                     # ticketlens kpi --db ws.duckdb
    tl.mine.dfg("ws.duckdb")                         # ticketlens mine dfg --db ws.duckdb
"""

from ticketlens.analyses import mine
from ticketlens.analyses.kpi import kpi
from ticketlens.analyses.sla import sla
from ticketlens.core.errors import (
    AnalysisError,
    ConfigError,
    InputError,
    SchemaError,
    TicketlensError,
    WorkspaceError,
)
from ticketlens.core.segment import TicketFilter
from ticketlens.demo import demo
from ticketlens.sources.generate import generate
from ticketlens.sources.ingest import info, ingest

__version__ = "0.1.0"

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
    "generate",
    "info",
    "ingest",
    "kpi",
    "mine",
    "sla",
]
