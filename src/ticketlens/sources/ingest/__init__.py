"""Read real ticket exports into the workspace's canonical event log."""

from ticketlens.sources.ingest.api import IngestSummary, WorkspaceInfo, info, ingest

__all__ = ["IngestSummary", "WorkspaceInfo", "info", "ingest"]
