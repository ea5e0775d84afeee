"""Read real ticket exports into the workspace's canonical event log.

Names load on first use, so the CLI can offer ``FORMAT_CHOICES`` without importing DuckDB.
"""

from typing import TYPE_CHECKING

from ticketlens.core.lazy import lazy_exports

FORMAT_CHOICES = ("auto", "events", "xes", "csv", "servicenow", "ticket-table")

if TYPE_CHECKING:
    from ticketlens.sources.ingest.api import IngestSummary, WorkspaceInfo, info, ingest

__all__ = ["FORMAT_CHOICES", "IngestSummary", "WorkspaceInfo", "info", "ingest"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "IngestSummary": "ticketlens.sources.ingest.api:IngestSummary",
    "WorkspaceInfo": "ticketlens.sources.ingest.api:WorkspaceInfo",
    "info": "ticketlens.sources.ingest.api:info",
    "ingest": "ticketlens.sources.ingest.api:ingest",
}, __all__)
