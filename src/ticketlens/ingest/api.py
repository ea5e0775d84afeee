"""STUB — to be replaced by the ingest implementation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestSummary:
    rows_read: int


@dataclass(frozen=True)
class WorkspaceInfo:
    events: int


def ingest(paths: object, **options: object) -> IngestSummary:
    raise NotImplementedError("ingest")


def info(db: object = None) -> WorkspaceInfo:
    raise NotImplementedError("info")
