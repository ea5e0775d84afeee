"""The workspace: one DuckDB file holding the canonical event log and every result.

``ticketlens.workspace.connection`` opens it; ``info`` describes it. Names load on first use,
so the CLI can show ``DEFAULT_DB`` in its help without importing DuckDB.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from ticketlens.core.lazy import lazy_exports

DEFAULT_DB = Path("ticketlens.duckdb")

if TYPE_CHECKING:
    from ticketlens.workspace.connection import Workspace, connect_memory, open_workspace

__all__ = ["DEFAULT_DB", "Workspace", "connect_memory", "open_workspace"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "Workspace": "ticketlens.workspace.connection:Workspace",
    "connect_memory": "ticketlens.workspace.connection:connect_memory",
    "open_workspace": "ticketlens.workspace.connection:open_workspace",
}, __all__)
