"""The workspace: one DuckDB file holding the canonical event log and every result.

``ticketlens.workspace.connection`` opens it; ``info`` describes it.
"""

from ticketlens.workspace.connection import (
    DEFAULT_DB,
    Workspace,
    connect_memory,
    open_workspace,
)

__all__ = ["DEFAULT_DB", "Workspace", "connect_memory", "open_workspace"]
